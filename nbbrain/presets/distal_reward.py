"""The network of Izhikevich (2007), "Solving the distal reward problem through linkage of
STDP and dopamine signaling": 800 regular-spiking and 200 fast-spiking Izhikevich neurons,
100 random targets per neuron, excitatory delays of 1-20 ms and inhibitory ones of 1 ms,
dopamine-gated STDP on the excitatory synapses, random thalamic input, dt = 1 ms.

Differences from the paper: the synapses are exponential currents with a 1 ms time
constant (the model's ``Izhikevich``, NEST's integration) instead of a jump of the input
current for one step, and the thalamic input is a Poisson input of 1 Hz into every neuron
(about one neuron a millisecond, as in the paper). Dopamine (``"dopamine"``) is released by
nothing: give it with ``sim.reward("dopamine", amount)`` or as a run input.

``reinforce`` runs the paper's first experiment (its Fig. 1): one excitatory synapse is
chosen and set to 0; whenever its postsynaptic neuron fires within ``interval_ms`` after
its presynaptic one, dopamine is given 1-3 s later. The rewarded synapse grows to the
largest weight; the other synapses, which see the same rewards, do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.brain import Brain
from ..model.connectivity import FixedOutdegree
from ..model.values import Uniform
from ..neurons import Izhikevich
from ..synapses import DopamineSTDP

EXCITATORY = "excitatory"  # the plastic projection

#: the eligibility and dopamine time constants (ms), and the STDP amplitudes of the paper
DISTAL_REWARD = dict(a_plus=1.0, a_minus=1.5, tau_plus_ms=20.0, tau_minus_ms=20.0,
                     tau_c_ms=1000.0, b=0.0, w_min=0.0, w_max=4.0)  # fmt: skip


def distal_reward(seed: int = 1, w_exc_pa: float = 1.0, w_inh_pa: float = -1.0,
                  weight_scale_pa: float = 1.0) -> Brain:  # fmt: skip
    """The brain of Izhikevich (2007). Weights are in the paper's units (initial 1, at most
    4 for the excitatory synapses, -1 for the inhibitory ones) times ``weight_scale_pa``
    (pA per unit)."""
    brain = Brain(dt_ms=1.0, seed=seed)
    rs = Izhikevich(a=0.02, b=0.2, c_mv=-65.0, d=8.0, tau_exc_ms=1.0, tau_inh_ms=1.0)
    fs = Izhikevich(a=0.1, b=0.2, c_mv=-65.0, d=2.0, tau_exc_ms=1.0, tau_inh_ms=1.0)
    brain.add_population("exc", 800, rs)
    brain.add_population("inh", 200, fs)
    brain.add_modulator("dopamine", tau_ms=200.0, released_by=None)
    rule = dict(DISTAL_REWARD)
    rule["w_max"] *= weight_scale_pa
    brain.connect("exc", ["exc", "inh"], FixedOutdegree(100), receptor="exc",
                  weight_pa=w_exc_pa * weight_scale_pa,
                  delay_ms=Uniform(1.0, 20.0), delay_rounding="round",
                  plasticity=DopamineSTDP(modulator="dopamine", **rule),
                  name=EXCITATORY)  # fmt: skip
    brain.connect("inh", "exc", FixedOutdegree(100), receptor="inh",
                  weight_pa=w_inh_pa * weight_scale_pa, delay_ms=1.0)  # fmt: skip
    brain.add_poisson_input(["exc", "inh"], rate_hz=1.0, weight_pa=20.0, receptor="exc")
    brain.record_spikes(["exc", "inh"])
    return brain


#: a dopamine reward of the paper (0.5 added to its ``DA``, of which 1/10 per ms reaches
#: the weight, with the eligibility 10 times the paper code's for ``a_plus = 1``), in units
#: of the modulator's concentration for weights of 1 pA per unit
REWARD = 0.005


@dataclass
class Reinforcement:
    """What ``reinforce`` returns: the rewarded synapse (``pre`` -> ``post``, indices into
    ``exc``), the times of the rewards (s), and, every ``every_s``, the time (s), the
    rewarded synapse's weight and the mean weight of the other excitatory-to-excitatory
    synapses; ``weights``: the final weights of those others."""

    pre: int
    post: int
    reward_s: np.ndarray
    t_s: np.ndarray
    rewarded: np.ndarray
    others_mean: np.ndarray
    weights: np.ndarray


def reinforce(sim, duration_s=3600.0, interval_ms=20.0, reward=REWARD, every_s=10.0,
              seed=0) -> Reinforcement:  # fmt: skip
    """Izhikevich (2007)'s Fig. 1 on ``sim`` (built from ``distal_reward``, spikes of
    ``exc`` recorded): the first excitatory-to-excitatory synapse with a delay of one step
    is set to 0 and rewarded (``reward``, for a ``weight_scale_pa`` of 1, added to
    ``dopamine`` 1-3 s after each firing of its target within ``interval_ms`` after its
    source), for ``duration_s``. Runs in chunks of 1 s: Python once a second."""
    rng = np.random.default_rng(seed)
    conn = sim.connections(EXCITATORY)
    n_exc = sim.populations["exc"].n
    exc = conn.post < n_exc
    pick = int(np.flatnonzero(exc & (conn.delay_ms <= sim.dt_ms))[0])
    n1, n2 = int(conn.pre[pick]), int(conn.post[pick])
    w = conn.weight.copy()
    w[pick] = 0.0
    sim.set_weights(EXCITATORY, w)
    chunk = sim.steps(1000.0)
    every = max(1, round(every_s * 1000.0 / (chunk * sim.dt_ms)))
    rewards, given, last_n1 = [], [], -np.inf
    t_s, rewarded, others = [], [], []
    for k in range(int(round(duration_s))):
        start = sim.step
        amounts = np.zeros(chunk)
        due = [r for r in rewards if r < start + chunk]
        for r in due:
            amounts[r - start] += reward
        rewards = [r for r in rewards if r >= start + chunk]
        given += due
        sim.run(n_steps=chunk, inputs={"dopamine": amounts})
        t, i = sim.spikes("exc", since_ms=start * sim.dt_ms)
        steps = np.round(t / sim.dt_ms).astype(np.int64)
        for s, who in zip(steps, i):  # a few spikes of two neurons a second
            if who == n1:
                last_n1 = s
            elif who == n2 and 0 < (s - last_n1) * sim.dt_ms < interval_ms:
                rewards.append(int(s + sim.steps(1000.0) + rng.integers(1, sim.steps(2000.0) + 1)))
        if (k + 1) % every == 0:
            w = sim.connections(EXCITATORY).weight
            t_s.append(sim.t_ms * 1e-3)
            rewarded.append(w[pick])
            others.append(np.delete(w[exc], np.sum(exc[:pick])).mean())
    final = sim.connections(EXCITATORY).weight
    return Reinforcement(n1, n2, np.array(given) * sim.dt_ms * 1e-3, np.array(t_s),
                         np.array(rewarded), np.array(others),
                         np.delete(final[exc], np.sum(exc[:pick])))  # fmt: skip
