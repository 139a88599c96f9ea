"""Inputs as users describe them: Poisson input drawn in the kernel, spike trains at given
times, rates from a table (TimedArray), Ornstein-Uhlenbeck noise currents, and region names
wherever population names are taken."""

import math

import numpy as np
import pytest
from conftest import ENGINES

import nbbrain as nb

DT = 0.1


def poisson_counts(lam_rate_hz, n_sources, n=400, steps=3000, seed=1):
    """The Poisson input counts of every neuron and step, read back from a current synapse
    of 1 pA per spike: ``i(t + 1) = i(t) e^{-dt / tau} + k(t)``."""
    brain = nb.Brain(dt_ms=DT, seed=seed)
    cell = nb.CurrentLIF(tau_exc_ms=0.1, v_thresh_mv=1e6, v_reset_mv=-70.0)  # never fires
    brain.add_population("n", n, cell)
    brain.add_poisson_input("n", rate_hz=lam_rate_hz, n_sources=n_sources, weight_pa=1.0,
                            receptor="exc")  # fmt: skip
    brain.record_state("n", "i_exc")
    sim = brain.build()
    sim.run(n_steps=steps + 1)
    _, i = sim.recorded_state("n", "i_exc")
    i = i.astype(np.float64)
    k = np.round(i[2:] - i[1:-1] * np.float32(math.exp(-1.0)))
    return k


@pytest.mark.parametrize("rate_hz, n_sources", [(100.0, 50), (3000.0, 500)])
def test_poisson_input_is_poisson_per_neuron_and_step(rate_hz, n_sources):
    """Counts of mean n_sources * rate * dt (0.5, and 150: several table draws summed),
    variance equal to the mean, independent between neurons and steps."""
    lam = n_sources * rate_hz * DT * 1e-3
    k = poisson_counts(rate_hz, n_sources)
    assert np.all(k >= 0) and np.all(k == np.round(k))
    se = math.sqrt(lam / k.size)
    assert abs(k.mean() - lam) < 5 * se
    assert abs(k.var() / lam - 1) < 0.05
    per_neuron = k - k.mean(axis=0)
    c = np.corrcoef(per_neuron[:, :50].T)
    assert np.abs(c[np.triu_indices(50, 1)]).max() < 0.15  # neurons independent
    lag = np.corrcoef(k[:-1].ravel(), k[1:].ravel())[0, 1]
    assert abs(lag) < 0.02  # steps independent


def test_poisson_input_rate_follows_a_table_after_its_delay():
    """A rate from a TimedArray (10 ms per value) reaches the targets ``delay_ms`` later; no
    input arrives before the first spikes sent could."""
    brain = nb.Brain(dt_ms=DT, seed=2)
    cell = nb.CurrentLIF(tau_exc_ms=0.1, v_thresh_mv=1e6)
    brain.add_population("n", 2000, cell)
    table = nb.TimedArray([0.0, 2000.0, 0.0, 500.0], dt_ms=10.0)
    brain.add_poisson_input("n", rate_hz=table, n_sources=1, weight_pa=1.0, receptor="exc",
                            delay_ms=3.0)  # fmt: skip
    brain.record_state("n", "i_exc")
    sim = brain.build()
    sim.run(duration_ms=60.0)
    _, i = sim.recorded_state("n", "i_exc")
    k = np.round(i[1:].astype(np.float64) - i[:-1] * np.float32(math.exp(-1.0))).sum(axis=1)
    steps = np.arange(k.size)  # k[s]: arrived in step s
    expect = np.select([steps < 130, steps < 230, steps < 330], [0.0, 2000.0 * 0.2, 0.0],
                       500.0 * 0.2)  # rate at s - 30, in 2000 neurons, per step  # fmt: skip
    for a, b in ((0, 130), (135, 225), (235, 325), (335, 595)):
        assert abs(k[a:b].mean() - expect[a:b].mean()) < 5 * math.sqrt(expect[a] + 1) / 3


def test_poisson_source_rates_from_a_table():
    """PoissonSource(rate_hz=TimedArray): rates per step from the table (one column for all
    neurons, or one per neuron), holding the last value after its end."""
    brain = nb.Brain(dt_ms=1.0, seed=3)
    brain.add_population("all", 500, nb.PoissonSource(nb.TimedArray([0.0, 200.0], dt_ms=50.0)))
    per = np.zeros((1, 4))
    per[0] = [0.0, 100.0, 400.0, 900.0]
    brain.add_population("per", 4, nb.PoissonSource(nb.TimedArray(per, dt_ms=1.0)))
    brain.record_spikes(["all", "per"])
    sim = brain.build()
    res = sim.run(duration_ms=2000.0)
    rate = res.rates_hz("all", bin_ms=50.0)
    assert rate[0] == 0.0 and abs(rate[1:].mean() - 200.0) < 10.0
    _, idx = sim.spikes("per")
    counts = np.bincount(idx, minlength=4) / 2.0  # Hz
    assert counts[0] == 0 and abs(counts[1] - 100) < 30 and abs(counts[3] - 900) < 60
    with pytest.raises(ValueError, match="follow a TimedArray"):
        sim.set_state("all", "rate_hz", 5.0)


def test_spike_source_times_are_stored_compactly_and_exact():
    times = np.array([0.0, 0.3, 0.3, 5.0, 99.9])
    idx = np.array([0, 0, 1, 2, 1])
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("src", 3, nb.SpikeSource(times_ms=times, indices=idx))
    brain.record_spikes("src")
    sim = brain.build()
    sim.run(duration_ms=50.0)
    sim.run(duration_ms=60.0)  # across calls
    t, i = sim.spikes("src")
    np.testing.assert_allclose(t, times, atol=1e-9)
    np.testing.assert_array_equal(i, idx)
    assert sim.memory()["state_bytes"] < 1000  # nothing dense per step


# (three engines: batch and threads together, and CUDA; a compilation per engine)
@pytest.mark.parametrize("engine", [e for e in ENGINES if str(e) in
                                    ("cpu-b1-t1", "cpu-b3-t2", "cuda-b1-t1")], ids=str)  # fmt: skip
def test_spike_times_given_again_between_runs(engine, tmp_path):
    """``set_spike_times``: the new schedule's times from now on are sent, those already past
    are not; a source built without times takes them too; ``reset`` sends the new schedule
    from 0; ``save`` and ``load`` keep it."""
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("src", 2, nb.SpikeSource(times_ms=[1.0, 2.0, 15.0], indices=[0, 1, 0]))
    brain.add_population("later", 2, nb.SpikeSource())
    brain.record_spikes("src")
    brain.record_spikes("later")
    sim = engine.build(brain)
    sim.run(duration_ms=10.0)
    sim.set_spike_times("src", [3.0, 12.0, 13.5, 18.0], [0, 1, 1, 0])
    sim.set_spike_times("later", [5.0, 11.0], [1, 0])
    sim.run(duration_ms=10.0)
    t, i = sim.spikes("src")
    np.testing.assert_allclose(t, [1.0, 2.0, 12.0, 13.5, 18.0], atol=1e-9)
    np.testing.assert_array_equal(i, [0, 1, 1, 1, 0])
    np.testing.assert_allclose(sim.spikes("later")[0], [11.0], atol=1e-9)
    sim.save(tmp_path / "sim.npz")
    again = nb.load(tmp_path / "sim.npz")
    again.reset()
    again.run(duration_ms=20.0)
    np.testing.assert_allclose(again.spikes("src")[0], [3.0, 12.0, 13.5, 18.0], atol=1e-9)
    np.testing.assert_allclose(again.spikes("later")[0], [5.0, 11.0], atol=1e-9)


@pytest.mark.parametrize("args, match", [
    (("n", [1.0], [0]), r"'n' is a CurrentLIF, not a SpikeSource"),
    (("src", [1.0], [2]), r"indices must be < 2"),
    (("src", [0.05], [0]), r"times_ms=0.05 must be a whole number .* of steps"),
    (("src", [1.0, 1.0], [1, 1]), r"neuron 1 spikes twice at 1 ms"),
    (("src", [1.0, 2.0], [1]), r"times_ms and indices must be 1-D and of one length"),
])  # fmt: skip
def test_bad_spike_times_given_again_are_refused(args, match):
    brain = nb.Brain(dt_ms=DT)
    brain.add_population("src", 2, nb.SpikeSource(times_ms=[1.0], indices=[0]))
    brain.add_population("n", 1, nb.CurrentLIF())
    brain.record_spikes("src")
    sim = brain.build()
    with pytest.raises(ValueError, match=match):
        sim.set_spike_times(*args)
    sim.run(duration_ms=2.0)
    np.testing.assert_allclose(sim.spikes("src")[0], [1.0])  # (nothing changed)


@pytest.mark.parametrize("kwargs, match", [
    (dict(times_ms=[0.05], indices=[0]), r"times_ms=0.05 must be a whole number .* of steps"),
    (dict(times_ms=[1.0, 1.0], indices=[1, 1]), r"neuron 1 spikes twice at 1 ms"),
    (dict(times_ms=[1.0], indices=[3]), r"SpikeSource index 3 out of range \[0, 3\)"),
    (dict(times_ms=[-1.0], indices=[0]), r"times_ms must be finite and >= 0"),
])  # fmt: skip
def test_bad_spike_times_are_refused(kwargs, match):
    brain = nb.Brain(dt_ms=DT)
    with pytest.raises(ValueError, match=match):
        brain.add_population("src", 3, nb.SpikeSource(**kwargs))
        brain.build()


def test_noise_current_has_its_stationary_mean_variance_and_correlation_time():
    """The Ornstein-Uhlenbeck current: mean, standard deviation and autocorrelation
    exp(-lag / tau) as specified, from the first step on (it starts stationary), independent
    between neurons; it drives the membrane as injected current does."""
    mean, sd, tau = 30.0, 12.0, 5.0
    brain = nb.Brain(dt_ms=DT, seed=4)
    brain.add_population("n", 500, nb.CurrentLIF(v_thresh_mv=1e6))
    brain.add_noise_current("n", mean_pa=mean, sd_pa=sd, tau_ms=tau)
    brain.record_state("n", "i_noise_pa", every_ms=1.0)
    brain.record_state("n", "v", every_ms=1.0)
    sim = brain.build()
    sim.run(duration_ms=2000.0)
    _, x = sim.recorded_state("n", "i_noise_pa")
    x = x.astype(np.float64)
    assert abs(x.mean() - mean) < 0.5 and abs(x.std() - sd) < 0.3
    assert abs(x[0].mean() - mean) < 3 * sd / math.sqrt(500)  # stationary at the start
    for lag_ms in (1, 5, 10):
        a, b = x[:-lag_ms] - mean, x[lag_ms:] - mean
        r = (a * b).mean() / (a.std() * b.std())
        assert abs(r - math.exp(-lag_ms / tau)) < 0.03
    c = np.corrcoef(x[:, :20].T)
    assert np.abs(c[np.triu_indices(20, 1)]).max() < 0.3  # ~200 independent samples each
    _, v = sim.recorded_state("n", "v")
    # v follows e_leak + i / g_leak on average: -60 mV + 30 pA / 10 nS
    assert abs(v[200:].mean() - (-60.0 + mean / 10.0)) < 0.2


def test_noise_current_errors():
    brain = nb.Brain()
    brain.add_population("n", 3, nb.ConductanceLIF())
    brain.add_population("p", 3, nb.PoissonSource(5.0))
    with pytest.raises(ValueError, match=r"population 'p' \(PoissonSource\) takes no current"):
        brain.add_noise_current("p", sd_pa=1.0, tau_ms=1.0)
    with pytest.raises(ValueError, match="sd_pa must be >= 0"):
        brain.add_noise_current("n", sd_pa=-1.0, tau_ms=1.0)
    with pytest.raises(ValueError, match="tau_ms must be > 0"):
        brain.add_noise_current("n", sd_pa=1.0, tau_ms=0.0)
    brain.add_noise_current("n", sd_pa=1.0, tau_ms=1.0)
    with pytest.raises(ValueError, match="has a noise current already"):
        brain.add_noise_current("n", sd_pa=1.0, tau_ms=1.0)
    brain.record_state("n", "i_noise_pa")
    assert len(brain.noise_currents) == 1
    other = nb.Brain()
    other.add_population("n", 3, nb.ConductanceLIF())
    other.record_state("n", "i_noise_pa")
    with pytest.raises(ValueError, match="has no noise current"):
        other.build()


def test_poisson_input_errors():
    brain = nb.Brain()
    brain.add_population("n", 3, nb.ConductanceLIF())
    with pytest.raises(ValueError, match="rate_hz must be >= 0"):
        brain.add_poisson_input("n", rate_hz=-1.0, weight_ns=1.0, receptor="ampa")
    with pytest.raises(ValueError, match="n_sources must be >= 1"):
        brain.add_poisson_input("n", rate_hz=1.0, n_sources=0, weight_ns=1.0, receptor="ampa")
    with pytest.raises(TypeError, match="weight_pa does not fit receptor 'ampa'"):
        brain.add_poisson_input("n", rate_hz=1.0, weight_pa=1.0, receptor="ampa")
    with pytest.raises(ValueError, match="must be >= 0, got -1.0"):
        brain.add_poisson_input("n", rate_hz=1.0, weight_ns=-1.0, receptor="ampa")
    with pytest.raises(ValueError, match="1-D TimedArray"):
        brain.add_poisson_input("n", rate_hz=nb.TimedArray(np.ones((2, 3)), 1.0), weight_ns=1.0,
                                receptor="ampa")  # fmt: skip
    with pytest.raises(ValueError, match="TimedArray dt_ms=0.05 must be a whole number"):
        brain.add_poisson_input("n", rate_hz=nb.TimedArray([1.0], 0.05), weight_ns=1.0,
                                receptor="ampa")  # fmt: skip
    assert brain.poisson_inputs == []


def test_region_names_in_inputs_spikes_and_state():
    """A region name stands for its populations, in order: in run inputs, spikes, state and
    set_state."""
    brain = nb.Brain(dt_ms=DT, seed=5)
    ctx = brain.add_region("ctx")
    ctx.add_population("a", 5, nb.CurrentLIF())
    ctx.add_population("b", 3, nb.CurrentLIF())
    brain.record_spikes("ctx")
    sim = brain.build()
    drive = np.zeros(8)
    drive[[1, 6]] = 500.0
    sim.set_state("ctx", "v", np.linspace(-65.0, -58.0, 8))
    np.testing.assert_allclose(sim.state("ctx", "v"), np.linspace(-65.0, -58.0, 8), atol=1e-6)
    sim.run(duration_ms=100.0, inputs={"ctx": drive})
    t, idx = sim.spikes("ctx")
    assert set(idx.tolist()) == {1, 6} and np.all(np.diff(t) >= 0)
    ta, ia = sim.spikes("ctx.a")
    tb, ib = sim.spikes("ctx.b")
    assert set(ia.tolist()) == {1} and set(ib.tolist()) == {1}
    assert t.size == ta.size + tb.size
    sim.run(duration_ms=50.0, inputs={"ctx": drive})  # (another run: a chunk of its own)
    t, idx = sim.spikes("ctx")
    for since in (0.0, 37.25, 100.0, 101.3, 150.0):  # since_ms: the spikes from then on
        ts, ids = sim.spikes("ctx", since_ms=since)
        np.testing.assert_array_equal(ts, t[t >= since - 1e-9])
        np.testing.assert_array_equal(ids, idx[t >= since - 1e-9])
    with pytest.raises(TypeError, match="since_ms must be a number"):
        sim.spikes("ctx", since_ms="10")
    with pytest.raises(ValueError, match=r"expected shape \(8,\)"):
        sim.run(duration_ms=1.0, inputs={"ctx": np.zeros(5)})
    with pytest.raises(ValueError, match="has an input already"):
        sim.run(duration_ms=1.0, inputs={"ctx": drive, "ctx.a": np.zeros(5)})
