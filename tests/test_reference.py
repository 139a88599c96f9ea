"""The compiled kernels agree with the float64 reference stepper, spike for spike, on every
backend, batch size and thread count (the ``engine`` fixture)."""

import math

import numpy as np
import pytest
from conftest import all_spikes
from reference import run_reference

import nbbrain as nb


def cond_brain(seed, nmda=True):
    """Small conductance network: Poisson drive, all four receptors, delays 1..12 steps,
    per-neuron thresholds and spike-triggered adaptation in one population."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.ConductanceLIF(t_ref_ms=2.0, tau_gaba_b_ms=50.0, tau_nmda_ms=40.0)
    adapting = nb.ConductanceLIF(t_ref_ms=2.0, v_thresh_mv=nb.Normal(-50.0, 1.0),
                                 delta_g_adapt_ns=2.0, tau_adapt_ms=30.0)  # fmt: skip
    brain.add_population("drive", 40, nb.PoissonSource(nb.Uniform(200.0, 600.0)))
    exc = brain.add_population("exc", 60, cell)
    brain.add_population("inh", 20, adapting)
    exc.init(v=nb.Normal(-55, 4))
    brain.connect("drive", ["exc", "inh"], nb.FixedIndegree(8), weight_ns=nb.Uniform(2, 6),
                  receptor="ampa", delay_ms=nb.Uniform(0.1, 1.2))  # fmt: skip
    brain.connect("exc", ["exc", "inh"], nb.FixedProbability(0.2), weight_ns=3.0,
                  receptor="ampa", delay_ms=0.3)  # fmt: skip
    if nmda:
        brain.connect("exc", "exc", nb.FixedOutdegree(5), weight_ns=0.5, receptor="nmda",
                      delay_ms=0.5)  # fmt: skip
    brain.connect("inh", ["exc", "inh"], nb.FixedProbability(0.3), weight_ns=8.0,
                  receptor="gaba_a", delay_ms=nb.Uniform(0.1, 0.6))  # fmt: skip
    brain.connect("inh", "exc", nb.AllToAll(), weight_ns=0.2, receptor="gaba_b", delay_ms=1.0)
    brain.record_spikes(["drive", "exc", "inh"])
    return brain


def cur_brain(seed):
    """Current-based cells, given spikes, injected currents, per-neuron bias, a Poisson
    input and a SpikeSource with given times."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.CurrentLIF(e_leak_mv=-49.0, t_ref_ms=1.0, i_bias_pa=nb.Uniform(-5.0, 5.0))
    exc = brain.add_population("exc", 64, cell)
    brain.add_population("inh", 16, nb.CurrentLIF(e_leak_mv=-49.0, t_ref_ms=1.0))
    brain.add_population("src", 10, nb.SpikeSource())
    brain.add_population("times", 3, nb.SpikeSource(times_ms=[1.0, 5.0, 5.0, 20.0],
                                                    indices=[0, 1, 2, 0]))  # fmt: skip
    exc.init(v=nb.Uniform(-60, -50))
    brain.connect("exc", ["exc", "inh"], nb.FixedProbability(0.1), weight_mv=1.6,
                  receptor="exc", delay_ms=nb.Uniform(0.1, 0.9))  # fmt: skip
    brain.connect("inh", ["exc", "inh"], nb.FixedProbability(0.2), weight_pa=-60.0,
                  receptor="inh", delay_ms=0.2)  # fmt: skip
    brain.connect("src", "exc", nb.FixedOutdegree(6), weight_pa=120.0, receptor="exc",
                  delay_ms=0.4)  # fmt: skip
    brain.connect("times", "inh", nb.AllToAll(), weight_pa=200.0, receptor="exc")
    brain.add_poisson_input("inh", rate_hz=800.0, n_sources=3, weight_pa=40.0, receptor="exc")
    brain.record_spikes(["exc", "inh", "src", "times"])
    return brain


def models_brain(seed):
    """DeltaLIF, Izhikevich and DeltaIzhikevich cells driven by a Poisson source and each
    other."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("drive", 30, nb.PoissonSource(400.0))
    brain.add_population("delta", 40, nb.DeltaLIF(i_bias_pa=300.0, t_ref_ms=1.0))
    brain.add_population("izh", 30, nb.Izhikevich(i_bias_pa=nb.Uniform(2.0, 8.0),
                                                   d=nb.Uniform(2.0, 8.0)))  # fmt: skip
    brain.connect("drive", "delta", nb.FixedIndegree(5), weight_mv=1.5, receptor="exc",
                  delay_ms=0.2)  # fmt: skip
    brain.connect("drive", "izh", nb.FixedIndegree(5), weight_pa=8.0, receptor="exc")
    brain.connect("izh", "delta", nb.FixedProbability(0.3), weight_mv=-0.5, receptor="inh",
                  delay_ms=1.0)  # fmt: skip
    brain.connect("delta", "izh", nb.FixedProbability(0.2), weight_pa=3.0, receptor="exc",
                  delay_ms=0.5)  # fmt: skip
    brain.add_population("dizh", 20, nb.DeltaIzhikevich(i_bias_pa=nb.Uniform(2.0, 8.0)))
    brain.connect("drive", "dizh", nb.FixedIndegree(5), weight_mv=3.0, receptor="exc")
    brain.connect("izh", "dizh", nb.FixedProbability(0.3), weight_mv=-1.0, receptor="inh",
                  delay_ms=0.3)  # fmt: skip
    brain.record_spikes(["drive", "delta", "izh", "dizh"])
    return brain


def _check(sim, brain, engine, n_steps, inputs=None, currents=None, given=None, atol=2e-3):
    expected, state = run_reference(sim, brain, n_steps, currents=currents, given=given)
    sim.run(n_steps=n_steps, inputs=inputs or {})
    got = all_spikes(sim)
    assert len(expected) > 200
    assert got == expected
    for name in sim.populations:
        if "v" in state[name]:
            v = engine.state(sim, name, "v") if engine else sim.state(name, "v")
            np.testing.assert_allclose(v, state[name]["v"], rtol=0, atol=atol)


def test_conductance_network_matches_reference(engine):
    brain = cond_brain(1)
    sim = engine.build(brain)
    _check(sim, brain, engine, engine.steps(600))


def test_conductance_network_with_another_seed_matches_reference():
    brain = cond_brain(2)
    _check(brain.build(), brain, None, 600)


def test_current_network_with_inputs_matches_reference(engine):
    brain = cur_brain(3)
    sim = engine.build(brain)
    rng = np.random.default_rng(0)
    n = engine.steps(500)
    given = rng.random((n, 10)) < 0.05
    current = rng.normal(0.0, 30.0, (n, 64))
    _check(sim, brain, engine, n, inputs={"src": given, "exc": current},
           currents={"exc": current}, given={"src": given})  # fmt: skip


def test_delta_and_izhikevich_match_reference(engine):
    brain = models_brain(4)
    sim = engine.build(brain)
    _check(sim, brain, engine, engine.steps(500), atol=5e-3)


def test_poisson_rate_and_independence():
    brain = nb.Brain(dt_ms=0.1, seed=5)
    brain.add_population("p", 2000, nb.PoissonSource(rate_hz=50.0))
    brain.record_spikes("p")
    sim = brain.build()
    res = sim.run(duration_ms=1000)
    # 2000 neurons x 10000 steps x p=0.005: mean 100000, sd ~316
    assert abs(res.spike_counts["p"] - 100_000) < 5 * 316
    _, idx = sim.spikes("p")
    per_neuron = np.bincount(idx, minlength=2000)
    assert 0.7 < per_neuron.var() / per_neuron.mean() < 1.3  # Poisson: Fano factor ~1


@pytest.mark.parametrize("tau_syn_ms", [0.5, 2.0, 10.0])  # 10 ms: tau_syn = tau_m
def test_current_psp_is_the_exact_solution(tau_syn_ms):
    """One spike into a CurrentLIF neuron at rest: the membrane follows the analytic PSP
    ``w tau_s tau_m / (c_m (tau_m - tau_s)) (exp(-t / tau_m) - exp(-t / tau_s))`` (``w t
    / c_m exp(-t / tau_m)`` where the time constants are equal) at every step, as NEST's
    iaf_psc_exp integrates it; t counts from the end of the step the input arrives in."""
    dt, w, c_m, tau_m = 0.1, 100.0, 250.0, 10.0
    brain = nb.Brain(dt_ms=dt, seed=0)
    brain.add_population("src", 1, nb.SpikeSource())
    cell = nb.CurrentLIF(c_m_pf=c_m, g_leak_ns=c_m / tau_m, e_leak_mv=-65.0,
                         v_thresh_mv=-50.0, v_reset_mv=-65.0, t_ref_ms=2.0,
                         tau_exc_ms=tau_syn_ms, tau_inh_ms=tau_syn_ms)  # fmt: skip
    brain.add_population("dst", 1, cell)
    brain.connect("src", "dst", nb.OneToOne(), receptor="exc", weight_pa=w, delay_ms=dt)
    brain.record_state("dst", "v")
    sim = brain.build()
    spikes = np.zeros((300, 1), bool)
    spikes[0] = True  # arrives in step 1, after its update: moves v from step 2 on
    sim.run(n_steps=300, inputs={"src": spikes})
    _, v = sim.recorded_state("dst", "v")  # sampled at the start of each step
    t = dt * np.arange(1, 298)  # time since the current started, at the start of step 3...
    if tau_syn_ms == tau_m:
        psp = w * t / c_m * np.exp(-t / tau_m)
    else:
        k = w * tau_syn_ms * tau_m / (c_m * (tau_m - tau_syn_ms))
        psp = k * (np.exp(-t / tau_m) - np.exp(-t / tau_syn_ms))
    assert np.all(v[:3, 0] == -65.0)
    # float32 v near -65 mV: ~1e-5 mV per step of rounding
    np.testing.assert_allclose(v[3:, 0] + 65.0, psp, rtol=0, atol=1e-4)
    assert math.isclose(float(psp.max()), float(v[:, 0].max() + 65.0), rel_tol=1e-3)
