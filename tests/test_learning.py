"""The classic results of plasticity, and a brain that learns a task."""

import numpy as np
import pytest

import nbbrain as nb
from nbbrain.presets.cue_action import cue_action, run_task
from nbbrain.presets.distal_reward import distal_reward, reinforce


def song_abbott(seconds=100.0, seed=1):
    """Song, Miller and Abbott (2000) as Brian2's ``STDP.py`` example: 1000 Poisson inputs
    at 15 Hz onto one conductance-based neuron, additive STDP with depression slightly
    stronger than potentiation (Brian2's gmax 0.01 relative to the leak; Brian2's delays
    are axonal: ``dendritic_fraction=0``)."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("inputs", 1000, nb.PoissonSource(rate_hz=15.0))
    cell = nb.ConductanceLIF(c_m_pf=100.0, g_leak_ns=10.0, e_leak_mv=-74.0,
                             v_thresh_mv=-54.0, v_reset_mv=-60.0, t_ref_ms=0.0,
                             tau_ampa_ms=5.0, e_ampa_mv=0.0)  # fmt: skip
    brain.add_population("cell", 1, cell)
    g_max = 0.01 * 10.0  # nS
    proj = brain.connect("inputs", "cell", nb.AllToAll(), receptor="ampa",
                         weight_ns=nb.Uniform(0.0, g_max), delay_ms=0.1, dendritic_fraction=0.0,
                         plasticity=nb.STDP(tau_plus_ms=20.0, tau_minus_ms=20.0, lambda_=0.01,
                                            alpha=1.05, mu_plus=0.0, mu_minus=0.0,
                                            w_max=g_max))  # fmt: skip
    sim = brain.build()
    start = sim.connections(proj).weight / g_max
    sim.run(seconds * 1000.0)
    return start, sim.connections(proj).weight / g_max


def test_song_miller_abbott_bimodal_weights():
    """The uniform initial weights become bimodal: crowded at 0 and at the maximum, thin in
    between."""
    start, end = song_abbott()
    h0 = np.histogram(start, bins=10, range=(0, 1))[0]
    h = np.histogram(end, bins=10, range=(0, 1))[0]
    assert h0.max() < 2 * h0.min()  # uniform to begin with
    middle = h[3:7].mean()
    assert h[0] > 3 * middle and h[-1] > 2.5 * middle, h


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cue_action_task_is_learned(seed):
    """Reward after the right action: accuracy at least 90 % over the last 50 of 300 trials;
    without reward the same brain stays at chance."""
    _cues, _choices, correct = run_task(cue_action(seed).build(), seed=seed)
    assert correct[-50:].mean() >= 0.9
    _cues, _choices, control = run_task(cue_action(seed).build(), reward=0.0, seed=seed)
    assert 0.35 <= control.mean() <= 0.65


def test_distal_reward_rewards_follow_pairings_and_grow_their_synapse():
    """Izhikevich (2007)'s experiment, its first 4 minutes (the hour is in
    ``docs/plasticity.md``): each reward comes 1-3 s after a firing of the synapse's target
    within 20 ms after its source, the rewarded synapse grows from 0 while the mean of the
    other synapses, which see the same dopamine, falls."""
    sim = distal_reward(seed=1).build()
    res = reinforce(sim, duration_s=240.0, every_s=10.0)
    t, i = sim.spikes("exc")
    t1, t2 = t[i == res.pre], t[i == res.post]
    # (the presynaptic neuron's last spike at or before the postsynaptic one's)
    paired = [b for b in t2 if 0 < b - t1[t1 <= b].max(initial=-1e9) < 20.0]
    for r in res.reward_s * 1e3:
        assert any(1000.0 < r - b <= 3000.0 for b in paired)
    end = 240e3
    assert sum(b + 3000.0 < end for b in paired) <= len(res.reward_s)
    assert len(res.reward_s) <= sum(b + 1000.0 < end for b in paired)
    assert len(res.reward_s) >= 3
    assert res.rewarded[0] == 0.0 and res.rewarded[-1] > 0.15
    assert np.all(np.diff(res.others_mean) <= 1e-6) and res.others_mean[-1] < 0.99
