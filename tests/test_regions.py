"""Multi-region brains: regions and dotted names, projections between regions, order
independence, rhythms, inputs, readouts."""

import numpy as np
import pytest
from conftest import all_spikes
from reference import run_reference

import nbbrain as nb
from nbbrain import config

CELL = nb.ConductanceLIF(t_ref_ms=2.0, i_bias_pa=150.0)


def add_area(brain, name, n_exc=40, n_inh=10):
    """A region template: excitatory and inhibitory populations with local wiring."""
    region = brain.add_region(name)
    region.add_population("exc", n_exc, CELL)
    region.add_population("inh", n_inh, CELL)
    brain.connect(f"{name}.exc", name, nb.FixedProbability(0.2), weight_ns=2.0,
                  receptor="ampa", delay_ms=1.0)  # fmt: skip
    brain.connect(f"{name}.inh", name, nb.FixedProbability(0.3), weight_ns=6.0,
                  receptor="gaba_a", delay_ms=1.0)  # fmt: skip
    return region


def two_regions(order=0, seed=4):
    """Sensory input -> region A -> region B; built in one of several orders."""
    brain = nb.Brain(dt_ms=1.0, seed=seed)
    steps = [
        lambda: brain.add_population("sensory", 16, nb.SpikeSource()),
        lambda: add_area(brain, "A"),
        lambda: add_area(brain, "B"),
    ]
    wiring = [
        lambda: brain.connect(
            "sensory", "A.exc", nb.FixedIndegree(4), weight_ns=3.0, receptor="ampa", delay_ms=2.0
        ),  # fmt: skip
        lambda: brain.connect(
            "A.exc", "B", nb.FixedIndegree(5), weight_ns=2.0, receptor="nmda", delay_ms=7.0
        ),  # fmt: skip
    ]
    if order:
        steps, wiring = steps[::-1], wiring[::-1]
    for step in steps + wiring:
        step()
    brain.add_oscillator("theta", 8.0, phase_rad=0.5)
    brain.modulate("B", "theta", depth=0.5, threshold_mv=1.0)
    brain.record_spikes(["sensory", "A", "B"])
    return brain


def sensory_input(n_steps, seed=0):
    return np.random.default_rng(seed).random((n_steps, 16)) < 0.1


def test_dotted_names_and_region_readouts():
    brain = two_regions()
    assert sorted(brain.populations) == ["A.exc", "A.inh", "B.exc", "B.inh", "sensory"]
    sim = brain.build()
    res = sim.run(n_steps=300, inputs={"sensory": sensory_input(300)})
    assert res.spike_counts["A"] == res.spike_counts["A.exc"] + res.spike_counts["A.inh"]
    assert res.spike_counts["B"] > 0 and res.rate_hz("B") > 0
    rates = res.rates_hz("A.exc", bin_ms=10)
    assert rates.shape == (30,)
    t_ms, _ = sim.spikes("A.exc")
    np.testing.assert_allclose(rates, np.bincount((t_ms // 10).astype(int), minlength=30)
                               / (40 * 0.010))  # fmt: skip
    region_rate = res.rates_hz("A", bin_ms=100)
    assert region_rate.mean() == pytest.approx(res.rate_hz("A"))


def test_regions_with_rhythm_match_reference():
    brain = two_regions()
    sim = brain.build()
    given = sensory_input(400)
    expected, state = run_reference(sim, brain, 400, given={"sensory": given})
    sim.run(n_steps=400, inputs={"sensory": given})
    assert len(expected) > 500
    assert all_spikes(sim) == expected
    for name in ("A.exc", "B.inh"):
        np.testing.assert_allclose(sim.state(name, "v"), state[name]["v"], atol=2e-3)


def test_order_of_description_does_not_matter():
    runs = []
    for order in (0, 1):
        sim = two_regions(order).build()
        sim.run(n_steps=300, inputs={"sensory": sensory_input(300)})
        runs.append({name: sim.spikes(name) for name in sim.populations})
    for name in runs[0]:
        np.testing.assert_array_equal(runs[0][name][0], runs[1][name][0])
        np.testing.assert_array_equal(runs[0][name][1], runs[1][name][1])


def test_spike_in_region_a_reaches_region_b_after_its_delay():
    brain = nb.Brain(dt_ms=1.0, seed=0)
    brain.add_region("A").add_population("src", 1, nb.SpikeSource())
    brain.add_region("B").add_population("dst", 1, nb.ConductanceLIF())
    brain.connect("A", "B", nb.AllToAll(), weight_ns=1.0, receptor="gaba_b", delay_ms=13.0)
    brain.record_state("B.dst", "g_gaba_b")
    sim = brain.build()
    spikes = np.zeros((40, 1), bool)
    spikes[4] = True
    sim.run(n_steps=40, inputs={"A.src": spikes})
    t_ms, g = sim.recorded_state("B.dst", "g_gaba_b")
    assert t_ms[np.flatnonzero(g[:, 0] > 0)[0]] == 4 + 13 + 1


@pytest.mark.parametrize("freq_hz, phase, dt_ms", [(8.0, 0.0, 1.0), (40.0, 1.0, 0.1),
                                                    (7.3, 6.0, 0.25)])  # fmt: skip
def test_oscillator_phase_is_exact(freq_hz, phase, dt_ms):
    brain = nb.Brain(dt_ms=dt_ms)
    brain.add_population("p", 1, nb.PoissonSource(0.0))
    brain.add_oscillator("osc", freq_hz, phase_rad=phase)
    sim = brain.build()
    for n in (0, 1, 37, 1000, 12345):
        sim.run(n_steps=n)
        expected = (phase + 2 * np.pi * freq_hz * sim.step * dt_ms * 1e-3) % (2 * np.pi)
        got = sim.oscillator_phase("osc")
        assert abs(np.angle(np.exp(1j * (got - expected)))) < 1e-9
    with pytest.raises(ValueError, match="unknown oscillator 'beta'"):
        sim.oscillator_phase("beta")


def test_rhythm_modulates_poisson_rate():
    brain = nb.Brain(dt_ms=1.0, seed=1)
    brain.add_population("p", 4000, nb.PoissonSource(20.0))
    brain.add_oscillator("theta")  # 8 Hz by default
    brain.modulate("p", "theta", depth=0.8)
    sim = brain.build()
    res = sim.run(n_steps=1000)
    per_step = res.step_counts[:, 0]
    phase = 2 * np.pi * 8.0 * np.arange(1000) * 1e-3
    expected = 4000 * 0.02 * (1 + 0.8 * np.cos(phase))  # spikes per step
    assert np.corrcoef(per_step, expected)[0, 1] > 0.9
    assert abs(per_step.mean() / (4000 * 0.02) - 1) < 0.05


def test_brain_without_rhythm_uses_the_plain_kernel():
    sim = nb.presets.coba(n_neurons=100).build()
    assert sim.backend_object.features(False)[-1] is False


def test_chunked_runs_with_inputs_are_identical(monkeypatch):
    given = sensory_input(500, seed=3)
    current = np.random.default_rng(1).normal(0, 40, (500, 40)).astype(np.float32)
    inputs = {"sensory": given, "A.exc": current}
    one = two_regions().build()
    one.run(n_steps=500, inputs=inputs)
    monkeypatch.setattr(config, "CHUNK_STEPS", 23)
    many = two_regions().build()
    for a, b in ((0, 100), (100, 101), (101, 500)):
        many.run(n_steps=b - a, inputs={k: v[a:b] for k, v in inputs.items()})
    assert all_spikes(one) == all_spikes(many)
    np.testing.assert_array_equal(one.state("A", "v"), many.state("A", "v"))


def test_constant_inputs():
    sim = two_regions().build()
    res = sim.run(n_steps=100, inputs={"sensory": np.ones(16, bool), "A.exc": np.zeros(40)})
    assert res.spike_counts["sensory"] == 16 * 100


def test_bad_rhythm_calls_change_nothing():
    brain = two_regions()
    before = dict(brain.modulations), dict(brain.oscillators)
    with pytest.raises(ValueError, match="already follows oscillator 'theta'"):
        brain.modulate("B.exc", "theta", depth=0.1)
    with pytest.raises(ValueError, match="unknown oscillator 'alpha'"):
        brain.modulate("A", "alpha", depth=0.1)
    with pytest.raises(ValueError, match="depth must be in"):
        brain.modulate("A", "theta", depth=1.5)
    with pytest.raises(ValueError, match="duplicate oscillator"):
        brain.add_oscillator("theta", 9.0)
    with pytest.raises(ValueError, match="give freq_hz"):
        brain.add_oscillator("slow")
    with pytest.raises(ValueError, match="no threshold"):
        brain.modulate("sensory", "theta", threshold_mv=1.0)
    assert (dict(brain.modulations), dict(brain.oscillators)) == before
    brain.build().run(n_steps=5)


def test_rhythm_cannot_push_a_poisson_rate_past_one_spike_per_step():
    brain = nb.Brain(dt_ms=1.0)
    brain.add_population("p", 10, nb.PoissonSource(600.0))
    brain.add_oscillator("theta")
    brain.modulate("p", "theta", depth=0.8)  # peak 1080 Hz > 1000 Hz at dt 1 ms
    with pytest.raises(ValueError, match="rate_hz up to 1080 Hz at the peak of its rhythm"):
        brain.build()
    brain.modulations["p"] = ("theta", 0.5, 0.0)
    sim = brain.build()
    with pytest.raises(ValueError, match=r"rates must lie in \[0, 666.667\] Hz"):
        sim.set_state("p", "rate_hz", 700.0)
