"""The cortical microcircuit of Potjans & Diesmann (2014), as in the published PyNEST model.

Reference implementation: https://github.com/INM-6/microcircuit-PD14-model (commit fd40046e),
``PyNEST/src/microcircuit/``. Line numbers below refer to that commit.

Network (``network_params.py``):

- Populations ``L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I`` (l. 66) with the full-scale sizes
  ``20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948`` (l. 69, 77,169 neurons), scaled by
  ``scale`` and rounded (``network.py`` l. 230).
- Connection probabilities ``conn_probs[target, source]`` (l. 81-92), turned into total
  synapse numbers ``K = log(1 - p) / log((N_pre N_post - 1) / (N_pre N_post))`` with the
  full-scale sizes (``helpers.py`` l. 66-67), then ``round(K * scale * k_scale)``
  (``network.py`` l. 231-233), drawn with NEST's ``fixed_total_number`` (multapses and
  autapses allowed; ``network.py`` l. 498): here :class:`FixedTotalNumber`.
- Weights: mean PSP 0.15 mV (l. 94) converted to a PSC amplitude with
  ``postsynaptic_potential_to_current(C_m, tau_m, tau_syn)`` (``helpers.py`` l. 115-120), which
  gives 585.4 pA/mV, so 87.81 pA; relative inhibitory weight g = -4 (l. 98), i.e. -351.2 pA;
  L4E -> L23E doubled, 175.6 pA (l. 149); normal with relative sd 0.1 (l. 96). NEST *redraws*
  weights of the wrong sign (``network.py`` l. 500-516), as ``Normal(..., low=0,
  truncate=True)`` does here (it matters with probability ~1e-23 per synapse).
- Delays: normal with means 1.5 ms (excitatory sources) and 0.75 ms (inhibitory sources)
  (l. 100-102), relative sd 0.5 (l. 104). NEST redraws values below 0.5 dt and rounds to the
  grid, so the shortest delay is one step (``network.py`` l. 484-494); so does the truncated
  normal here (``Normal(mean, sd, low=0.5 dt, truncate=True)``). nbbrain's delays mean what
  NEST's do: an input arriving at step t enters the synaptic current after that step's
  update and first moves the membrane at step t + 1, in both.
- Neurons: ``iaf_psc_exp`` (l. 64) = :class:`CurrentLIF` with ``C_m = 250 pF``,
  ``tau_m = 10 ms`` (so ``g_leak = 25 nS``), ``E_L = -65 mV``, ``V_th = -50 mV``,
  ``V_reset = -65 mV``, ``t_ref = 2 ms``, ``tau_syn = 0.5 ms`` for both receptors (l. 128-140).
  (``network.py`` l. 348-356 sets neither C_m nor tau_m, so NEST's iaf_psc_exp defaults apply,
  which are the same 250 pF and 10 ms.)
- Initial membrane potentials: the "optimized" per-population normal distributions (l. 120,
  124, 126), unclipped as in ``network.py`` l. 358-364.
- Background (l. 106-113): ``"dc"`` gives every neuron a constant current
  ``bg_rate * K_ext * PSC_ext * tau_syn * 0.001`` pA (``helpers.py`` l. 142) with
  ``K_ext = 1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100`` (l. 109) and ``bg_rate = 8 Hz``
  (l. 111); ``"poisson"`` gives every neuron an independent Poisson train at
  ``K_ext * 8 Hz`` with the excitatory weight 87.81 pA and delay 1.5 ms (l. 113;
  ``network.py`` l. 421-422, 532-546): here ``Brain.add_poisson_input`` (a Poisson count
  of mean ``K_ext * 8 Hz * dt`` per neuron and step, drawn in the kernel; no synapses).
- In-degree scaling ``k_scale < 1`` (``helpers.py`` l. 203-216, ``network.py`` l. 258-271):
  synapse numbers and external in-degrees times ``k_scale``, all weights divided by
  ``sqrt(k_scale)``, and a DC current of
  ``0.001 tau_syn (1 - sqrt(k_scale)) sum_j PSC_ij K_ij r_j`` added (``K_ij`` the full-scale
  in-degree, ``r_j`` the published full-scale rates, l. 78), plus
  ``0.001 tau_syn (1 - sqrt(k_scale)) PSC_ext K_ext bg_rate`` with Poisson background.

Simulation defaults (``sim_params.py``): ``dt = 0.1 ms`` (l. 41), seed 55 (l. 49). The model
records spikes of all populations; the reference rates (``network_params.py`` l. 78) are
:data:`FULL_MEAN_RATES`.
"""

from __future__ import annotations

import math

import numpy as np

from ..model.brain import Brain
from ..model.connectivity import FixedTotalNumber
from ..model.values import Normal
from ..neurons import CurrentLIF

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
FULL_NUM_NEURONS = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: Published full-scale rates (spikes/s) with DC input, one NEST run (network_params.py l. 78).
FULL_MEAN_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
#: Connection probabilities, rows = targets, columns = sources (network_params.py l. 81-92).
CONN_PROBS = np.array(
    [
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
    ]
)
PSP_EXC_MEAN_MV = 0.15
WEIGHT_REL_SD = 0.1
G = -4.0
DELAY_EXC_MEAN_MS = 1.5
DELAY_INH_MEAN_MS = 0.75
DELAY_REL_SD = 0.5
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE_HZ = 8.0
DELAY_POISSON_MS = 1.5
V0_MEAN_MV = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_SD_MV = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
NEURON = dict(c_m_pf=250.0, tau_m_ms=10.0, e_l_mv=-65.0, v_th_mv=-50.0, v_reset_mv=-65.0,
              t_ref_ms=2.0, tau_syn_ms=0.5)  # fmt: skip


def psc_over_psp(c_m_pf: float, tau_m_ms: float, tau_syn_ms: float) -> float:
    """pA per mV of PSP peak for an exponential PSC (helpers.py l. 115-120)."""
    sub = 1.0 / (tau_syn_ms - tau_m_ms)
    pre = tau_m_ms * tau_syn_ms / c_m_pf * sub
    frac = (tau_m_ms / tau_syn_ms) ** sub
    return 1.0 / (pre * (frac**tau_m_ms - frac**tau_syn_ms))


def full_num_synapses() -> np.ndarray:
    """Full-scale total synapse numbers ``[target, source]`` (helpers.py l. 66-67), not rounded."""
    prod = np.outer(FULL_NUM_NEURONS, FULL_NUM_NEURONS).astype(float)
    return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def parameters(scale: float = 1.0, k_scale: float = 1.0, background: str = "dc") -> dict:
    """The derived parameters, as ``network.py`` ``__derive_parameters`` (l. 218-290) computes
    them: neuron and synapse numbers, mean weights (pA), external weight and in-degrees, and
    the DC current per population (pA)."""
    if background not in ("dc", "poisson"):
        raise ValueError(f"background must be 'dc' or 'poisson', got {background!r}")
    if not scale > 0 or not 0 < k_scale <= 1:
        raise ValueError(f"need scale > 0 and 0 < k_scale <= 1, got {scale}, {k_scale}")
    k_full = full_num_synapses()
    num_neurons = np.round(FULL_NUM_NEURONS * scale).astype(int)
    num_synapses = np.round(k_full * scale * k_scale).astype(int)
    ext_indegrees = np.round(K_EXT * k_scale).astype(int)
    factor = psc_over_psp(NEURON["c_m_pf"], NEURON["tau_m_ms"], NEURON["tau_syn_ms"])
    psp = np.zeros((8, 8))
    psp[:, 0::2] = PSP_EXC_MEAN_MV
    psp[:, 1::2] = PSP_EXC_MEAN_MV * G
    psp[0, 2] = 2.0 * PSP_EXC_MEAN_MV  # L4E -> L23E doubled (network_params.py l. 149)
    psc = psp * factor
    psc_ext = PSP_EXC_MEAN_MV * factor
    tau = NEURON["tau_syn_ms"]
    if background == "dc":
        dc = BG_RATE_HZ * K_EXT * psc_ext * tau * 0.001  # helpers.py l. 142
    else:
        dc = np.zeros(8)
    if k_scale != 1:  # helpers.py l. 203-216
        indegree = k_full / FULL_NUM_NEURONS[:, None]
        input_rec = np.sum(psc * indegree * FULL_MEAN_RATES, axis=1)
        dc = dc + 0.001 * tau * (1.0 - math.sqrt(k_scale)) * input_rec
        if background == "poisson":
            dc = dc + 0.001 * tau * (1.0 - math.sqrt(k_scale)) * psc_ext * K_EXT * BG_RATE_HZ
        psc = psc / math.sqrt(k_scale)
        psc_ext = psc_ext / math.sqrt(k_scale)
    return dict(num_neurons=num_neurons, num_synapses=num_synapses, psc_pa=psc,
                psc_ext_pa=psc_ext, ext_indegrees=ext_indegrees, dc_pa=dc)  # fmt: skip


def microcircuit(scale: float = 1.0, k_scale: float = 1.0, background: str = "dc",
                 seed: int = 55, dt_ms: float = 0.1, record: bool = True) -> Brain:  # fmt: skip
    """Potjans & Diesmann (2014) microcircuit with ``scale`` times the neurons (and synapses,
    at the full in-degrees) and ``k_scale`` times the in-degrees (with the model's weight and
    DC compensation). ``background`` is ``"dc"`` or ``"poisson"``. The full scale has 77,169
    neurons and about 0.3 billion synapses."""
    p = parameters(scale, k_scale, background)
    nrn = NEURON
    brain = Brain(dt_ms=dt_ms, seed=seed)
    pops = []
    for i, name in enumerate(POPULATIONS):
        cell = CurrentLIF(c_m_pf=nrn["c_m_pf"], g_leak_ns=nrn["c_m_pf"] / nrn["tau_m_ms"],
                          e_leak_mv=nrn["e_l_mv"], v_thresh_mv=nrn["v_th_mv"],
                          v_reset_mv=nrn["v_reset_mv"], t_ref_ms=nrn["t_ref_ms"],
                          tau_exc_ms=nrn["tau_syn_ms"], tau_inh_ms=nrn["tau_syn_ms"],
                          i_bias_pa=float(p["dc_pa"][i]))  # fmt: skip
        pop = brain.add_population(name, int(p["num_neurons"][i]), cell)
        pop.init(v=Normal(float(V0_MEAN_MV[i]), float(V0_SD_MV[i])))
        pops.append(pop)
    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            n_syn = int(p["num_synapses"][i, j])
            if n_syn == 0:
                continue
            w = float(p["psc_pa"][i, j])
            sd = abs(w) * WEIGHT_REL_SD
            # NEST draws weights of the wrong sign again, and delays below 0.5 dt
            # (network.py l. 484-516): truncated normals
            if j % 2 == 0:
                receptor, d = "exc", DELAY_EXC_MEAN_MS
                weight = Normal(w, sd, low=0.0, truncate=True)
            else:
                receptor, d = "inh", DELAY_INH_MEAN_MS
                weight = Normal(w, sd, high=0.0, truncate=True)
            delay = Normal(d, d * DELAY_REL_SD, low=0.5 * dt_ms, truncate=True)
            brain.connect(source, target, FixedTotalNumber(n_syn), receptor=receptor,
                          weight_pa=weight, delay_ms=delay)  # fmt: skip
    if background == "poisson":
        for i, target in enumerate(pops):
            brain.add_poisson_input(target, rate_hz=BG_RATE_HZ,
                                    n_sources=int(p["ext_indegrees"][i]), receptor="exc",
                                    weight_pa=float(p["psc_ext_pa"]), delay_ms=DELAY_POISSON_MS,
                                    name=f"background {POPULATIONS[i]}")  # fmt: skip
    if record:
        brain.record_spikes(list(POPULATIONS))
    return brain
