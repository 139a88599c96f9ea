"""The network of Izhikevich (2007), "Solving the distal reward problem through linkage of
STDP and dopamine signaling": 800 regular-spiking and 200 fast-spiking Izhikevich neurons,
100 random targets per neuron, excitatory delays of 1-20 ms and inhibitory ones of 1 ms,
dopamine-gated STDP on the excitatory synapses, random thalamic input, dt = 1 ms.

Differences from the paper: the synapses are exponential currents with a 1 ms time
constant (the model's ``Izhikevich``, NEST's integration) instead of a jump of the input
current for one step, and the thalamic input is a Poisson input of 1 Hz into every neuron
(about one neuron a millisecond, as in the paper). Dopamine (``"dopamine"``) is released by
nothing: give it with ``sim.reward("dopamine", amount)`` or as a run input.
"""

from __future__ import annotations

from ..model.brain import Brain
from ..model.connectivity import FixedOutdegree
from ..model.values import Uniform
from ..neurons import Izhikevich
from ..synapses import DopamineSTDP

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
    brain.add_modulator("dopamine", tau_ms=200.0)
    rule = dict(DISTAL_REWARD)
    rule["w_max"] *= weight_scale_pa
    brain.connect("exc", ["exc", "inh"], FixedOutdegree(100), receptor="exc",
                  weight_pa=w_exc_pa * weight_scale_pa,
                  delay_ms=Uniform(1.0, 20.0), delay_rounding="round",
                  plasticity=DopamineSTDP(modulator="dopamine", **rule))  # fmt: skip
    brain.connect("inh", "exc", FixedOutdegree(100), receptor="inh",
                  weight_pa=w_inh_pa * weight_scale_pa, delay_ms=1.0)  # fmt: skip
    brain.add_poisson_input(["exc", "inh"], rate_hz=1.0, weight_pa=20.0, receptor="exc")
    brain.record_spikes(["exc", "inh"])
    return brain
