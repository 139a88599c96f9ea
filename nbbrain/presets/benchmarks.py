"""The COBA and CUBA benchmarks of Brette et al. (2007), benchmarks 1 and 2, and COBA cut
into many small populations.

Both are the balanced network of Vogels & Abbott (2005): 4,000 LIF neurons, 80 %
excitatory, random connectivity with p = 0.02, membrane time constant 20 ms, threshold
-50 mV, reset -60 mV, refractory period 5 ms, dt = 0.1 ms, synaptic delay one step.

- COBA: conductance-based exponential synapses, 6 nS (E = 0 mV, tau 5 ms) and 67 nS
  (E = -80 mV, tau 10 ms); leak reversal -60 mV. Initial state as in Brian2's benchmark:
  ``v ~ N(-65, 5) mV``, ``g_ampa ~ N(40, 15) nS``, ``g_gaba_a ~ N(200, 120) nS`` (clipped at 0),
  which starts the self-sustained asynchronous irregular activity.
- CUBA: current-based exponential synapses of 1.62 mV and -9 mV (Brian2's ``we``, ``wi``:
  jumps of ``i / g_leak``), leak reversal -49 mV (above threshold: the neurons fire
  without input), ``v ~ U(-60, -50) mV``.
- ``many_populations``: COBA with fixed in-degrees cut into many populations, each with its
  own threshold and its own projections (the brains of many small regions).
"""

from __future__ import annotations

import numpy as np

from ..model.brain import Brain
from ..model.connectivity import FixedIndegree, FixedProbability
from ..model.values import Normal, Uniform
from ..neurons import ConductanceLIF, CurrentLIF
from ..synapses import STDP

#: COBA's STDP (``coba(stdp=True)``): additive, NEST's ``stdp_synapse``, the weights free
#: between 0 and twice COBA's
COBA_STDP = dict(tau_plus_ms=20.0, tau_minus_ms=20.0, lambda_=0.01, alpha=1.05, mu_plus=0.0,
                 mu_minus=0.0, w_max=12.0)  # fmt: skip


def _network(brain, model, n_neurons, connectivity, plasticity=None, fraction=1.0, **weights):
    n_exc = n_neurons * 4 // 5
    brain.add_population("exc", n_exc, model)
    brain.add_population("inh", n_neurons - n_exc, model)
    if connectivity == "probability":
        rule = FixedProbability(0.02)
    elif connectivity == "indegree":  # 80 inputs per neuron at any size, for scaling
        rule = None
    else:
        raise ValueError(f"connectivity must be 'probability' or 'indegree', got {connectivity!r}")
    for pre, share, (receptor, key, value) in (("exc", 0.8, weights["exc"]),
                                               ("inh", 0.2, weights["inh"])):  # fmt: skip
        r = rule or FixedIndegree(int(round(80 * share)), allow_multapses=True)
        if pre == "exc" and plasticity is not None:
            for post, rule_ in (("exc", plasticity), ("inh", None)):
                brain.connect(pre, post, r, receptor=receptor, delay_ms=brain.dt_ms,
                              plasticity=rule_, dendritic_fraction=fraction,
                              **{key: value})  # fmt: skip
            continue
        brain.connect(pre, ["exc", "inh"], r, receptor=receptor, delay_ms=brain.dt_ms,
                      **{key: value})  # fmt: skip
    return brain


def coba(n_neurons: int = 4000, seed: int = 1, dt_ms: float = 0.1, record: bool = True,
         connectivity: str = "probability", stdp: bool = False,
         plastic_aside: bool = False, dendritic_fraction: float = 1.0) -> Brain:  # fmt: skip
    """Brette et al. (2007) benchmark 1 (COBA). ``connectivity="indegree"`` gives every
    neuron 64 excitatory and 16 inhibitory inputs (as p = 0.02 does at 4,000 neurons on
    average), for scaling to other sizes. ``stdp=True``: the excitatory-to-excitatory
    synapses learn by additive STDP (``COBA_STDP``; with ``probability`` connectivity, the
    synapses onto excitatory and onto inhibitory neurons are then drawn separately;
    ``dendritic_fraction``: the part of their delay that counts as dendritic, 1 as in NEST,
    0 as in Brian2).
    ``plastic_aside=True``: static COBA in a brain that also has a plastic projection, apart
    from it (20 more of COBA's neurons, with COBA's inputs, the excitatory ones learning by
    STDP, and no outputs): what static synapses cost beside plastic ones."""
    brain = Brain(dt_ms=dt_ms, seed=seed)
    cell = ConductanceLIF(c_m_pf=200, g_leak_ns=10, e_leak_mv=-60, v_thresh_mv=-50,
                          v_reset_mv=-60, t_ref_ms=5, tau_ampa_ms=5, e_ampa_mv=0,
                          tau_gaba_a_ms=10, e_gaba_a_mv=-80)  # fmt: skip
    plasticity = STDP(**COBA_STDP) if stdp else None
    _network(brain, cell, n_neurons, connectivity, plasticity, dendritic_fraction,
             exc=("ampa", "weight_ns", 6.0), inh=("gaba_a", "weight_ns", 67.0))  # fmt: skip
    for pop in brain.populations.values():
        pop.init(v=Normal(-65, 5), g_ampa=Normal(40, 15, low=0), g_gaba_a=Normal(200, 120, low=0))
    if plastic_aside:
        brain.add_population("aside", 20, cell)
        for pre, receptor, w, rule in (("exc", "ampa", 6.0, STDP(**COBA_STDP)),
                                       ("inh", "gaba_a", 67.0, None)):  # fmt: skip
            brain.connect(pre, "aside", FixedProbability(0.02), receptor=receptor, weight_ns=w,
                          delay_ms=dt_ms, plasticity=rule)  # fmt: skip
    if record:
        brain.record_spikes(["exc", "inh"])
    return brain


def cuba(n_neurons: int = 4000, seed: int = 1, dt_ms: float = 0.1, record: bool = True,
         connectivity: str = "probability") -> Brain:  # fmt: skip
    """Brette et al. (2007) benchmark 2 (CUBA)."""
    brain = Brain(dt_ms=dt_ms, seed=seed)
    cell = CurrentLIF(c_m_pf=200, g_leak_ns=10, e_leak_mv=-49, v_thresh_mv=-50,
                      v_reset_mv=-60, t_ref_ms=5, tau_exc_ms=5, tau_inh_ms=10)  # fmt: skip
    _network(brain, cell, n_neurons, connectivity,
             exc=("exc", "weight_mv", 1.62), inh=("inh", "weight_mv", -9.0))  # fmt: skip
    for pop in brain.populations.values():
        pop.init(v=Uniform(-60, -50))
    if record:
        brain.record_spikes(["exc", "inh"])
    return brain


def many_populations(n_populations: int = 500, n_neurons: int = 25_000, seed: int = 1,
                     dt_ms: float = 0.1, record: bool = False) -> Brain:  # fmt: skip
    """COBA (64 excitatory and 16 inhibitory inputs per neuron) cut into ``n_populations``
    populations of equal size (80 % of them excitatory, in the regions ``exc`` and ``inh``),
    each with its own threshold (-50.5 to -49.5 mV) and its own two projections (from
    ``exc`` and from ``inh``): the same neurons, synapse counts and activity at any number
    of populations, to measure what many small populations cost."""
    if n_populations < 5 or n_neurons % n_populations:
        raise ValueError(f"many_populations: n_populations={n_populations} must be >= 5 and "
                         f"divide n_neurons={n_neurons}")  # fmt: skip
    brain = Brain(dt_ms=dt_ms, seed=seed)
    size, n_exc = n_neurons // n_populations, n_populations * 4 // 5
    thresholds = np.linspace(-50.5, -49.5, n_populations)
    exc, inh = brain.add_region("exc"), brain.add_region("inh")
    for k in range(n_populations):
        region = exc if k < n_exc else inh
        cell = ConductanceLIF(v_thresh_mv=float(thresholds[k]), t_ref_ms=5, tau_ampa_ms=5,
                              tau_gaba_a_ms=10, e_gaba_a_mv=-80)  # fmt: skip
        pop = region.add_population(f"p{k:04d}", size, cell)
        pop.init(v=Normal(-65, 5), g_ampa=Normal(40, 15, low=0), g_gaba_a=Normal(200, 120, low=0))
    for pop in list(brain.populations.values()):
        brain.connect("exc", pop, FixedIndegree(64, allow_multapses=True), weight_ns=6.0,
                      receptor="ampa", name=f"exc -> {pop.name}")  # fmt: skip
        brain.connect("inh", pop, FixedIndegree(16, allow_multapses=True), weight_ns=67.0,
                      receptor="gaba_a", name=f"inh -> {pop.name}")  # fmt: skip
    if record:
        brain.record_spikes(["exc", "inh"])
    return brain
