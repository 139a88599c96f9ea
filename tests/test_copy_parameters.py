"""Parameters per batch copy (``Simulation.set_parameter``): copy c of a batch given a
parameter set spikes exactly as copy c of a batch built with that set (the copies' noise
keys are the same in both), on every backend; per-neuron values, save and load, and
refusals that change nothing."""

import numpy as np
import pytest

import nbbrain as nb

CELL = dict(e_leak_mv=0.0, v_reset_mv=10.0, c_m_pf=250.0, g_leak_ns=12.5)
#: (v_thresh_mv of exc, weight_mv of the inhibitory projection, the input's rate_hz)
SETS = [(20.0, -1.0, 40.0), (18.0, -0.5, 50.0), (22.0, -2.0, 30.0)]


def brunel_like(th=20.0, w=-1.0, rate=40.0, exc_th=None):
    brain = nb.Brain(dt_ms=0.1, seed=3)
    brain.add_population("exc", 100, nb.DeltaLIF(v_thresh_mv=th if exc_th is None else exc_th,
                                                 **CELL))  # fmt: skip
    brain.add_population("inh", 25, nb.DeltaLIF(v_thresh_mv=20.0, **CELL))
    brain.connect("exc", ["exc", "inh"], nb.FixedIndegree(20), weight_mv=0.2, receptor="exc",
                  delay_ms=1.5)  # fmt: skip
    brain.connect("inh", ["exc", "inh"], nb.FixedIndegree(5), weight_mv=w, receptor="inh",
                  delay_ms=1.5, name="inhib")  # fmt: skip
    brain.add_poisson_input(["exc", "inh"], rate, n_sources=300, weight_mv=0.2, receptor="exc",
                            name="drive")  # fmt: skip
    brain.record_spikes(["exc", "inh"])
    return brain


def swept(backend, batch, threads=1, sets=SETS):
    sim = brunel_like().build(backend=backend, batch=batch, threads=threads)
    sim.set_parameter("exc", "v_thresh_mv", [s[0] for s in sets[:batch]])
    sim.set_parameter("inhib", "weight_mv", [s[1] for s in sets[:batch]])
    sim.set_parameter("drive", "rate_hz", [s[2] for s in sets[:batch]])
    return sim


def same_spikes(a, b, copy):
    for name in ("exc", "inh"):
        ta, ia = a.spikes(name, copy=copy)
        tb, ib = b.spikes(name, copy=copy)
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(ia, ib)


@pytest.mark.parametrize("backend, batch, threads, ms", [
    ("cpu", 3, 2, 60.0), ("cpu", 1, 1, 60.0), ("cuda", 2, 1, 10.0),
])  # fmt: skip
def test_each_copy_runs_as_if_built_with_its_parameters(backend, batch, threads, ms):
    sim = swept(backend, batch, threads)
    sim.run(duration_ms=ms)
    counts = []
    for c, params in enumerate(SETS[:batch]):
        built = brunel_like(*params).build(backend=backend, batch=batch, threads=threads)
        built.run(duration_ms=ms)
        same_spikes(sim, built, c)
        counts.append(sim.spikes("exc", copy=c)[0].size)
        assert sim.parameters("exc", copy=c)["v_thresh_mv"][0] == params[0]
        np.testing.assert_allclose(sim.connections("inhib", copy=c).weight, params[1])
    assert min(counts) > 0 and len(set(counts)) == len(counts)  # (the copies differ)


def test_values_per_neuron_and_copy(tmp_path):
    """A copy whose neurons differ makes the constant per neuron in the group's loop (for
    every copy); the result is copy c of a batch built with those values; save and load
    keep every copy's parameters and weights."""
    th = np.full((2, 100), 20.0)
    th[1, ::3] = 18.5
    sim = brunel_like().build(batch=2)
    sim.set_parameter("exc", "v_thresh_mv", th)
    sim.set_parameter("inhib", "weight_mv", [-1.0, -1.5])
    sim.run(duration_ms=50.0)
    for c in range(2):
        built = brunel_like(w=[-1.0, -1.5][c], exc_th=th[c]).build(batch=2)
        built.run(duration_ms=50.0)
        same_spikes(sim, built, c)
    np.testing.assert_array_equal(sim.parameters("exc", copy=1)["v_thresh_mv"], th[1])
    sim.save(tmp_path / "sweep.npz")
    again = nb.load(tmp_path / "sweep.npz")
    sim.run(duration_ms=20.0)
    again.run(duration_ms=20.0)
    for c in range(2):
        same_spikes(sim, again, c)


def test_poisson_source_rates_per_copy():
    brain = nb.Brain(dt_ms=0.1, seed=1)
    brain.add_population("src", 500, nb.PoissonSource(rate_hz=10.0))
    brain.record_spikes("src")
    sim = brain.build(batch=2)
    sim.set_parameter("src", "rate_hz", [10.0, 100.0])
    sim.run(duration_ms=200.0)
    low, high = (sim.spikes("src", copy=c)[0].size / 500 / 0.2 for c in range(2))
    assert 8.0 < low < 12.0 and 90.0 < high < 110.0


@pytest.mark.parametrize("args, error, match", [
    (("exc", "tau_m_ms", 1.0), ValueError, r"DeltaLIF has no parameter 'tau_m_ms'; it has"),
    (("exc", "v_thresh_mv", [1.0, 2.0]), ValueError, r"expected a scalar, 3 values \(one per "
                                                     r"copy\) or shape \(3, 100\)"),
    (("exc", "v_thresh_mv", "high"), TypeError, r"expected numbers"),
    (("exc", "v_thresh_mv", [20.0, np.nan, 20.0]), ValueError, r"values must be finite"),
    (("exc", "c_m_pf", [250.0, -1.0, 250.0]), ValueError, r"copy 1: c_m_pf must be > 0"),
    (("exc", "v_reset_mv", [10.0, 10.0, 30.0]), ValueError, r"copy 2: v_reset_mv .* below"),
    (("exc", "t_ref_ms", 0.25), ValueError, r"t_ref_ms=0.25 must be a whole number"),
    (("inhib", "weight_mv", [-1.0, 1.0, -1.0]), ValueError, r"weight_mv for receptor 'inh' "
                                                            r"must be <= 0, got 1"),
    (("inhib", "weight_pa", 1.0), ValueError, r"the projection's weights are 'weight_mv'"),
    (("drive", "rate_hz", -5.0), ValueError, r"rate_hz must be >= 0"),
    (("drive", "rate_hz", 1e7), ValueError, r"built for rates up to .* Hz"),
    (("drive", "weight_mv", 1.0), ValueError, r"a Poisson input's parameter is 'rate_hz'"),
    (("nowhere", "v_thresh_mv", 1.0), ValueError, r"unknown population"),
])  # fmt: skip
def test_bad_values_are_refused_and_change_nothing(args, error, match):
    sim = swept("cpu", 3)
    with pytest.raises(error, match=match):
        sim.set_parameter(*args)
    sim.run(duration_ms=30.0)
    reference = swept("cpu", 3)
    reference.run(duration_ms=30.0)
    for c in range(3):
        same_spikes(sim, reference, c)
