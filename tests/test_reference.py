"""The compiled kernels agree with the float64 reference stepper, spike for spike."""

import numpy as np
import pytest
from conftest import all_spikes, frozen
from reference import run_reference

import nbbrain as nb
from nbbrain.kernels import layout as L


def cond_brain(seed, nmda=True):
    """Small conductance network: Poisson drive, all four receptors, delays 1..12 steps."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.ConductanceLIF(t_ref_ms=2.0, tau_gaba_b_ms=50.0, tau_nmda_ms=40.0)
    brain.add_population("drive", 40, nb.PoissonSource(nb.Uniform(200.0, 600.0)))
    exc = brain.add_population("exc", 60, cell)
    brain.add_population("inh", 20, cell)
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
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.CurrentLIF(e_leak_mv=-49.0, t_ref_ms=1.0)
    exc = brain.add_population("exc", 64, cell)
    brain.add_population("inh", 16, cell)
    brain.add_population("src", 10, nb.SpikeSource())
    exc.init(v=nb.Uniform(-60, -50))
    brain.connect("exc", ["exc", "inh"], nb.FixedProbability(0.1), weight_mv=1.6,
                  receptor="exc", delay_ms=nb.Uniform(0.1, 0.9))  # fmt: skip
    brain.connect("inh", ["exc", "inh"], nb.FixedProbability(0.2), weight_pa=-60.0,
                  receptor="inh", delay_ms=0.2)  # fmt: skip
    brain.connect("src", "exc", nb.FixedOutdegree(6), weight_pa=120.0, receptor="exc",
                  delay_ms=0.4)  # fmt: skip
    brain.record_spikes(["exc", "inh", "src"])
    return brain


@pytest.mark.parametrize("seed", [1, 2])
def test_conductance_network_matches_reference(seed):
    sim = cond_brain(seed).build()
    net = frozen(sim)
    assert net.n_slots > 10 and net.ipar[:, L.I_SLOW].any()  # long delays, NMDA, GABA_B
    expected, v_ref = run_reference(net, 600)
    sim.run(n_steps=600)
    got = all_spikes(sim)
    assert len(expected) > 300
    assert got == expected
    np.testing.assert_allclose(sim.net.v, v_ref, rtol=0, atol=2e-3)


def test_current_network_with_inputs_matches_reference():
    sim = cur_brain(3).build()
    net = frozen(sim)
    rng = np.random.default_rng(0)
    given = rng.random((500, 10)) < 0.05
    current = rng.normal(0.0, 30.0, (500, 64))
    k_src, k_exc = net.index("src"), net.index("exc")
    expected, v_ref = run_reference(net, 500, currents={k_exc: current}, given={k_src: given})
    sim.run(n_steps=500, inputs={"src": given, "exc": current})
    assert len(expected) > 200
    assert all_spikes(sim) == expected
    np.testing.assert_allclose(sim.net.v, v_ref, rtol=0, atol=2e-3)


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
    iaf_psc_exp integrates it; t counts from the start of the step the input arrives in."""
    import math

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
    spikes[0] = True  # arrives in step 1; v sampled at the start of each step
    sim.run(n_steps=300, inputs={"src": spikes})
    _, v = sim.recorded_state("dst", "v")
    t = dt * np.arange(1, 299)  # time since the current started, at the start of step 2...
    if tau_syn_ms == tau_m:
        psp = w * t / c_m * np.exp(-t / tau_m)
    else:
        k = w * tau_syn_ms * tau_m / (c_m * (tau_m - tau_syn_ms))
        psp = k * (np.exp(-t / tau_m) - np.exp(-t / tau_syn_ms))
    assert np.all(v[:2, 0] == -65.0)
    # float32 v near -65 mV: ~1e-5 mV per step of rounding; a current held over the step
    # (the former exponential Euler) is off by ~10 % of the PSP, 0.04 mV here
    np.testing.assert_allclose(v[2:, 0] + 65.0, psp, rtol=0, atol=1e-4)
    assert math.isclose(float(psp.max()), float(v[:, 0].max() + 65.0), rel_tol=1e-3)
