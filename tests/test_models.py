"""The neuron models against NEST 3.10 (``tests/data/nest_reference.json``, made by
``docs/benchmarks/nest_reference.py``) and against their analytic solutions.

NEST stamps a spike with the end of the step it happened in, nbbrain (like Brian2) with its
start: a NEST spike at t is nbbrain's at t - dt. A state sample at t is the same in both:
the state after the step that ends at t (nbbrain samples it at the start of the next).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import nbbrain as nb

DT = 0.1
NEST = json.loads((Path(__file__).parent / "data" / "nest_reference.json").read_text())


def one_neuron(model, t_ms, record_every_ms=None, var="v"):
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("n", 1, model)
    brain.record_spikes("n")
    if record_every_ms:
        brain.record_state("n", var, every_ms=record_every_ms)
    sim = brain.build()
    sim.run(duration_ms=t_ms + DT)  # (the sample at t_ms is taken at the start of a step)
    return sim


def nest_stamps(sim, t_ms):
    """nbbrain's spikes as NEST stamps them (the end of their step), up to ``t_ms``."""
    t = sim.spikes("n")[0] + DT
    return t[t <= t_ms + 1e-9]


# ---- AdEx: NEST's aeif_cond_exp, the eight patterns of Naud et al. (2008) -------------------
def adex(p):
    return nb.AdEx(c_m_pf=p["C_m"], g_leak_ns=p["g_L"], e_leak_mv=p["E_L"], v_t_mv=p["V_th"],
                   delta_t_mv=p["Delta_T"], a_ns=p["a"], tau_w_ms=p["tau_w"], b_pa=p["b"],
                   v_reset_mv=p["V_reset"], v_peak_mv=p["V_peak"], t_ref_ms=p["t_ref"],
                   i_bias_pa=p["I_e"])  # fmt: skip


@pytest.mark.parametrize("pattern", sorted(NEST["adex"]))
def test_adex_firing_patterns_match_nest(pattern):
    """Each pattern has NEST's spikes: as many, each within half a millisecond of NEST's
    (the first five within a step). Irregular spiking is chaotic: there, the first five
    spikes and the count (within 5 %)."""
    case = NEST["adex"][pattern]
    sim = one_neuron(adex(case["params"]), case["t_sim_ms"])
    got, want = nest_stamps(sim, case["t_sim_ms"]), np.array(case["spikes_ms"])
    k = min(len(got), len(want))
    assert k >= 1
    np.testing.assert_allclose(got[:5], want[:5], atol=0.1 + 1e-9)
    if pattern == "irregular spiking":
        assert abs(len(got) - len(want)) <= 0.05 * len(want)
        isi = np.diff(got)
        assert isi.std() / isi.mean() > 0.3  # irregular indeed
        return
    assert len(got) == len(want)
    np.testing.assert_allclose(got, want, atol=0.5 + 1e-9)


def test_adex_subthreshold_trace_matches_nest():
    """Between spikes the membrane and the adaptation current follow NEST's (delayed
    accelerating: a long approach to the first spike)."""
    case = NEST["adex"]["delayed accelerating"]
    sim = one_neuron(adex(case["params"]), 30.0, record_every_ms=1.0)
    _, v = sim.recorded_state("n", "v")
    np.testing.assert_allclose(v[1:31, 0], case["v_mv"][:30], atol=2e-3)


def test_adex_refractory_period_holds_v_at_reset():
    sim = one_neuron(nb.AdEx(i_bias_pa=1000.0, t_ref_ms=2.0), 100.0, record_every_ms=0.1)
    t_sp = np.round(sim.spikes("n")[0] / DT).astype(int)
    _, v = sim.recorded_state("n", "v")
    assert t_sp.size > 3
    for s in t_sp[:3]:
        assert np.all(v[s + 1 : s + 21, 0] == -60.0)  # the reset, held for 2 ms
        assert v[s + 22, 0] > -60.0


# ---- Izhikevich: NEST's izhikevich ------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(NEST["izhikevich"]))
@pytest.mark.parametrize("cls", [nb.Izhikevich, nb.DeltaIzhikevich])
def test_izhikevich_matches_nest(kind, cls):
    """NEST's forward Euler step, reset and threshold: the first ten spikes at NEST's steps,
    the membrane on NEST's for the first 20 ms; over 500 ms float32 state lets a threshold
    crossing slip by a step now and then (the count within one, the times within 1.5 ms)."""
    case = NEST["izhikevich"][kind]
    p = case["params"]
    model = cls(a=p["a"], b=p["b"], c_mv=p["c"], d=p["d"], v_peak_mv=p["V_th"],
                i_bias_pa=p["I_e"])  # fmt: skip
    sim = one_neuron(model, case["t_sim_ms"], record_every_ms=1.0)
    got, want = nest_stamps(sim, case["t_sim_ms"]), np.array(case["spikes_ms"])
    np.testing.assert_allclose(got[:10], want[:10], atol=1e-9)
    assert abs(len(got) - len(want)) <= 1
    k = min(len(got), len(want))
    np.testing.assert_allclose(got[:k], want[:k], atol=1.5)
    _, v = sim.recorded_state("n", "v")
    np.testing.assert_allclose(v[1:21, 0], case["v_mv"][:20], atol=1e-3)
    assert sim.state("n", "u")[0] != 0 and model.default_state("u") == p["b"] * p["c"]


# ---- NEST's delays: one spike through a delta and an exponential synapse --------------------
def arrival(model, receptor, weight, t_ms, **w):
    """A SpikeSource spike one step before NEST's generator stamp (the same step) into one
    ``model`` neuron after 1.5 ms: (sample times, v, the target's NEST spike stamps)."""
    case = NEST["delta_arrival"]
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("src", 1, nb.SpikeSource(times_ms=[case["generator_spike_ms"] - DT]))
    brain.add_population("n", 1, model)
    brain.connect("src", "n", nb.OneToOne(), receptor=receptor, delay_ms=case["delay_ms"],
                  **{w.get("unit", "weight_mv"): weight})  # fmt: skip
    brain.record_state("n", "v")
    brain.record_spikes("n")
    sim = brain.build()
    sim.run(duration_ms=t_ms + DT)
    t, v = sim.recorded_state("n", "v")
    return t, v[:, 0], sim.spikes("n")[0] + DT


@pytest.mark.parametrize("size", ["small", "large"])
def test_delta_synapse_arrival_matches_nest(size):
    """A spike sent at 10 ms with a delay of 1.5 ms into NEST's iaf_psc_delta: the jump shows
    in the sample at 11.5 ms, and a large one makes the target spike at 11.5 ms (NEST's
    stamps), as in NEST: the same V at every sample."""
    case = NEST["delta_arrival"][size]
    t, v, spikes = arrival(nb.DeltaLIF(), "exc", case["weight_mv"], 20.0)
    nest_t, nest_v = np.array(case["t_ms"]), np.array(case["v_mv"])
    np.testing.assert_allclose(t[1:], nest_t, atol=1e-9)
    np.testing.assert_allclose(v[1:], nest_v, atol=1e-4)
    if size == "large":  # it spikes, and is reset, in the arrival step: v never shows the jump
        np.testing.assert_allclose(spikes, case["target_spikes_ms"], atol=1e-9)
    else:
        first = np.flatnonzero(np.abs(v + 70.0) > 1e-6)[0]
        assert math.isclose(t[first], 11.5) and spikes.size == 0


def test_exponential_synapse_arrival_matches_nest():
    """The same spike into NEST's iaf_psc_exp (tau_syn 2 ms, 100 pA): the current starts in
    the arrival step and moves the membrane from the next (the first change at 11.6 ms);
    the PSP follows NEST's sample for sample."""
    case = NEST["exp_arrival"]
    p = case["params"]
    model = nb.CurrentLIF(c_m_pf=p["C_m"], g_leak_ns=p["C_m"] / p["tau_m"], e_leak_mv=p["E_L"],
                          v_thresh_mv=p["V_th"], v_reset_mv=p["V_reset"], t_ref_ms=p["t_ref"],
                          tau_exc_ms=p["tau_syn_ex"], tau_inh_ms=p["tau_syn_in"])  # fmt: skip
    t, v, _ = arrival(model, "exc", case["weight_pa"], 50.0, unit="weight_pa")
    np.testing.assert_allclose(t[1:], case["t_ms"], atol=1e-9)
    np.testing.assert_allclose(v[1:], case["v_mv"], atol=1e-4)
    first = np.flatnonzero(np.abs(v + 70.0) > 1e-6)[0]
    assert math.isclose(t[first], 11.6)


def test_current_lif_under_dc_matches_nest():
    case = NEST["iaf_psc_exp_dc"]
    p = case["params"]
    model = nb.CurrentLIF(c_m_pf=p["C_m"], g_leak_ns=p["C_m"] / p["tau_m"], e_leak_mv=p["E_L"],
                          v_thresh_mv=p["V_th"], v_reset_mv=p["V_reset"], t_ref_ms=p["t_ref"],
                          i_bias_pa=p["I_e"])  # fmt: skip
    sim = one_neuron(model, 200.0, record_every_ms=1.0)
    np.testing.assert_allclose(nest_stamps(sim, 200.0), case["spikes_ms"], atol=1e-9)
    _, v = sim.recorded_state("n", "v")
    np.testing.assert_allclose(v[1:201, 0], case["v_mv"], atol=1e-3)


# ---- ConductanceLIF: spike-triggered adaptation ---------------------------------------------
def test_spike_triggered_adaptation_is_exact():
    """``g_adapt`` jumps by ``delta_g_adapt_ns`` at each spike and decays with
    ``tau_adapt_ms`` in between; it lengthens the intervals, and without it (the default)
    the population runs without the channel."""
    cell = dict(i_bias_pa=400.0, t_ref_ms=1.0)
    adapting = nb.ConductanceLIF(**cell, delta_g_adapt_ns=5.0, tau_adapt_ms=50.0)
    sim = one_neuron(adapting, 300.0, record_every_ms=DT, var="g_adapt")
    t, g = sim.recorded_state("n", "g_adapt")
    steps = np.round(sim.spikes("n")[0] / DT).astype(int)
    assert steps.size > 4
    for s in steps[:4]:
        assert g[s + 1, 0] == pytest.approx(g[s, 0] * math.exp(-DT / 50.0) + 5.0, rel=1e-5)
        assert g[s + 2, 0] == pytest.approx(g[s + 1, 0] * math.exp(-DT / 50.0), rel=1e-5)
    plain = one_neuron(nb.ConductanceLIF(**cell), 300.0)
    assert np.diff(steps)[-1] > np.diff(np.round(plain.spikes("n")[0] / DT))[-1]
    assert "g_adapt" not in plain.net.variants[0].active
    assert "g_adapt" in sim.net.variants[0].active


def _alpha_reference(p, w_pa, arrive_step, n_steps, dt, sub=200):
    """``iaf_psc_alpha`` by RK4 on a fine grid, from the raw parameters: one spike of weight
    ``w_pa`` arriving at step ``arrive_step`` (the current jumps in slope by ``w e / tau``);
    the membrane at the start of each step."""
    tau_m = p["c_m_pf"] / p["g_leak_ns"]

    def f(y):
        v, i, di = y
        return np.array([(p["g_leak_ns"] * (p["e_leak_mv"] - v) + i) / p["c_m_pf"], di,
                         -2.0 * di / p["tau_exc_ms"] - i / p["tau_exc_ms"] ** 2])  # fmt: skip

    assert tau_m > 0
    y = np.array([p["e_leak_mv"], 0.0, 0.0])
    h = dt / sub
    out = []
    for step in range(n_steps):
        out.append(y[0])
        for _ in range(sub):
            k1 = f(y)
            k2 = f(y + h / 2 * k1)
            k3 = f(y + h / 2 * k2)
            k4 = f(y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if step == arrive_step:  # (arrives at the end of this step's update, as in NEST)
            y[2] += w_pa * np.e / p["tau_exc_ms"]
    return np.array(out)


def test_alpha_current_lif_matches_its_equations():
    p = dict(c_m_pf=250.0, g_leak_ns=25.0, e_leak_mv=-70.0, tau_exc_ms=1.5, tau_inh_ms=2.0)
    brain = nb.Brain(dt_ms=0.1, seed=1)
    brain.add_population("src", 1, nb.SpikeSource(times_ms=[1.0], indices=[0]))
    brain.add_population("n", 1, nb.CurrentAlphaLIF(v_thresh_mv=0.0, **p))
    brain.connect("src", "n", nb.AllToAll(), weight_pa=300.0, delay_ms=1.0, receptor="exc")
    brain.record_state("n", "v")
    brain.record_state("n", "i_exc")
    sim = brain.build()
    sim.run(n_steps=300)
    _t, v = sim.recorded_state("n", "v")
    # the spike leaves at step 10 and arrives at step 20
    want = _alpha_reference(p, 300.0, 20, 300, 0.1)
    np.testing.assert_allclose(v[:, 0], want, atol=2e-4)
    _t, i = sim.recorded_state("n", "i_exc")
    peak = int(np.argmax(i[:, 0]))
    assert peak == 21 + 15 and abs(i[peak, 0] - 300.0) < 0.01  # (w at tau after arrival)
