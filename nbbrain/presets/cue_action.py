"""A brain that learns which of two actions a cue calls for, through dopamine-gated
plasticity in the striatum (Izhikevich 2007's scheme in a two-choice task).

Two cue populations (Poisson sources) project onto two striatal action populations with
``DopamineSTDP``; the action populations inhibit each other, and a background Poisson input
makes their choice noisy at first. A trial shows one cue for ``cue_ms``; the action whose
population fired more during the cue is the choice. A correct choice is followed by
dopamine (``sim.reward("dopamine", +reward)``), a wrong one by a dip (``-reward``): the
eligibility that the cue's spikes and the chosen population's spikes left on their synapses
turns into a weight change, and the cue comes to call for its action.
"""

from __future__ import annotations

import numpy as np

from ..model.brain import Brain
from ..model.connectivity import AllToAll, FixedProbability
from ..neurons import DeltaLIF, PoissonSource
from ..synapses import DopamineSTDP

N_CUE, N_ACTION = 40, 20
CUE_HZ, IDLE_HZ = 40.0, 2.0
A, B = "striatum.action_a", "striatum.action_b"


def cue_action(seed: int = 1, inhibition_mv: float = -3.0, p_inhibition: float = 0.5) -> Brain:
    """The task's brain: cues ``cue_a``, ``cue_b``; actions ``action_a``, ``action_b``
    (``striatum`` region); dt = 1 ms."""
    brain = Brain(dt_ms=1.0, seed=seed)
    for name in ("cue_a", "cue_b"):
        brain.add_population(name, N_CUE, PoissonSource(rate_hz=IDLE_HZ))
    striatum = brain.add_region("striatum")
    cell = DeltaLIF(c_m_pf=250.0, g_leak_ns=25.0, t_ref_ms=2.0)  # tau_m 10 ms
    for name in ("action_a", "action_b"):
        striatum.add_population(name, N_ACTION, cell)
    brain.add_modulator("dopamine", tau_ms=50.0, released_by=None)
    rule = DopamineSTDP(a_plus=1.0, a_minus=0.5, tau_plus_ms=20.0, tau_minus_ms=20.0,
                        tau_c_ms=300.0, b=0.0, w_min=0.0, w_max=2.0)  # fmt: skip
    for cue in ("cue_a", "cue_b"):
        for action in (A, B):
            brain.connect(cue, action, AllToAll(), weight_mv=0.5, receptor="exc",
                          delay_ms=1.0, plasticity=rule, name=f"{cue} -> {action}")  # fmt: skip
    for a, b in ((A, B), (B, A)):  # each action inhibits the other
        brain.connect(a, b, FixedProbability(p_inhibition), weight_mv=inhibition_mv,
                      receptor="inh", delay_ms=1.0)  # fmt: skip
    brain.add_poisson_input("striatum", rate_hz=600.0, weight_mv=0.8, receptor="exc")
    brain.record_spikes("striatum")
    return brain


def run_task(sim, n_trials=300, cue_ms=100.0, rest_ms=200.0, reward=0.005, seed=0):
    """Run ``n_trials`` trials on ``sim`` (built from ``cue_action``): returns per trial
    the cue (0: a, 1: b), the choice (the action that fired more; -1 on a tie) and whether
    it was correct (the correct action for cue a is action a)."""
    rng = np.random.default_rng(seed)
    n_cue = sim.steps(cue_ms)
    cues, choices = rng.integers(0, 2, n_trials), np.empty(n_trials, np.int64)
    idle = np.full(N_CUE, IDLE_HZ)
    for trial, cue in enumerate(cues):
        rates = {"cue_a": idle, "cue_b": idle}
        rates[("cue_a", "cue_b")[cue]] = np.full(N_CUE, CUE_HZ)
        for name, r in rates.items():
            sim.set_state(name, "rate_hz", r)
        res = sim.run(n_steps=n_cue)
        counts = [res.spike_counts[A], res.spike_counts[B]]
        choice = int(np.argmax(counts)) if counts[0] != counts[1] else -1
        choices[trial] = choice
        if reward:
            sim.reward("dopamine", reward if choice == cue else -reward)
        for name in rates:
            sim.set_state(name, "rate_hz", idle)
        sim.run(rest_ms)
    return cues, choices, choices == cues
