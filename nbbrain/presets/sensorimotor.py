"""The sensorimotor brain: six regions of conductance LIF neurons at dt = 1 ms.

Thalamus (relay and reticular nucleus), a layered sensory cortex (L4, L2/3, L5, L6a, L6b),
hippocampus (DG, CA3, CA2, CA1), prefrontal cortex, striatum (D1 and D2 medium spiny neurons,
fast-spiking interneurons) and cerebellum (granule, Golgi, molecular-layer interneurons,
Purkinje cells, deep nuclei): 26,384 neurons, at the scale of the design nbbrain replaces.
A sensory spike source (``"sensory"``, 128 neurons) drives the thalamic relay; the "motor
readout" is the population rate of ``MOTOR_POPULATIONS``. A theta rhythm (8 Hz) modulates
the hippocampus, a gamma rhythm (40 Hz) the cortical interneurons.

Each region is a template (``thalamus``, ``cortex``, ``hippocampus``, ``prefrontal``,
``striatum``, ``cerebellum``): it adds a Region with its populations, its local circuit and
its own background drive (a constant bias current per population plus a pool of Poisson
sources, the top-level population ``"<region>_background"``), and returns the Region.
``sensorimotor`` builds all six and wires them together (``PROJECTIONS``). The circuits are
simplified canonical circuits after textbook accounts, not models fitted to data; the bias
currents were tuned (iteratively, seed 0) so that every population fires at a sane rate,
asynchronously and irregularly, with and without sensory input. See docs/sensorimotor.md.
"""

from __future__ import annotations

from ..model.brain import Brain, Region
from ..model.connectivity import FixedIndegree
from ..model.values import Uniform
from ..neurons import ConductanceLIF, PoissonSource, SpikeSource

#: The populations whose rates form the "motor readout": the striatal projection neurons of
#: the direct (D1) and indirect (D2) pathways and the cerebellar output (deep nuclei).
MOTOR_POPULATIONS = ["striatum.D1", "striatum.D2", "cerebellum.deep_nuclei"]

#: Name of the sensory input population (an ``nb.SpikeSource``, outside every region).
SENSORY = "sensory"
N_SENSORY = 128

#: Cell types (ConductanceLIF parameters without the bias). Receptors keep their defaults:
#: AMPA 5 ms / 0 mV, GABA_A 10 ms / -80 mV, NMDA 100 ms / 0 mV (Mg block), GABA_B 150 ms /
#: -95 mV.
CELLS = {
    # regular-spiking pyramidal / principal cell: tau_m 20 ms
    "pyr": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-70.0, v_thresh_mv=-50.0,
                v_reset_mv=-60.0, t_ref_ms=2.0),
    # fast-spiking interneuron: tau_m 10 ms, short refractory period
    "fs": dict(c_m_pf=100.0, g_leak_ns=10.0, e_leak_mv=-70.0, v_thresh_mv=-50.0,
               v_reset_mv=-60.0, t_ref_ms=1.0),
    # thalamocortical relay cell
    "relay": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-65.0, v_thresh_mv=-50.0,
                  v_reset_mv=-55.0, t_ref_ms=2.0),
    # dentate granule cell: hyperpolarised rest, sparse firing
    "dg_granule": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-75.0, v_thresh_mv=-50.0,
                       v_reset_mv=-65.0, t_ref_ms=2.0),
    # medium spiny neuron: very hyperpolarised rest (the "down state"), 30 mV below threshold
    "msn": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-80.0, v_thresh_mv=-50.0,
                v_reset_mv=-65.0, t_ref_ms=2.0),
    # cerebellar granule cell: small and fast (tau_m 10 ms)
    "cb_granule": dict(c_m_pf=100.0, g_leak_ns=10.0, e_leak_mv=-70.0, v_thresh_mv=-50.0,
                       v_reset_mv=-60.0, t_ref_ms=2.0),
    # Purkinje cell and deep-nuclear cell: pacemakers (the bias alone is above threshold)
    "purkinje": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-65.0, v_thresh_mv=-50.0,
                     v_reset_mv=-58.0, t_ref_ms=2.0),
    "dcn": dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-65.0, v_thresh_mv=-50.0,
                v_reset_mv=-58.0, t_ref_ms=2.0),
}  # fmt: skip

#: Populations of each template: name -> (size at scale 1, cell type, bias current in pA).
#: The biases are the tuned background drive (see docs/sensorimotor.md).
POPULATIONS = {
    "thalamus": {
        "relay": (200, "relay", 122.0),
        "reticular": (81, "fs", 90.0),
    },
    "cortex": {  # Potjans & Diesmann (2014) layer sizes, scaled to 3,153 neurons
        "L23_exc": (846, "pyr", 106.0),
        "L23_inh": (238, "fs", 80.0),
        "L4_exc": (895, "pyr", 32.0),
        "L4_inh": (224, "fs", 42.0),
        "L5_exc": (198, "pyr", 112.0),
        "L5_inh": (44, "fs", 51.0),
        "L6a_exc": (470, "pyr", 107.0),
        "L6a_inh": (96, "fs", 72.0),
        "L6b_exc": (118, "pyr", 123.0),
        "L6b_inh": (24, "fs", 76.0),
    },
    "hippocampus": {
        "DG_exc": (6000, "dg_granule", 151.0),
        "DG_inh": (350, "fs", 93.0),
        "CA3_exc": (2400, "pyr", 107.0),
        "CA3_inh": (300, "fs", 90.0),
        "CA2_exc": (400, "pyr", 135.0),
        "CA2_inh": (80, "fs", 88.0),
        "CA1_exc": (1800, "pyr", 116.0),
        "CA1_inh": (320, "fs", 74.0),
    },
    "prefrontal": {
        "exc": (240, "pyr", 132.0),
        "inh": (60, "fs", 76.0),
    },
    "striatum": {
        "D1": (2200, "msn", 172.0),
        "D2": (2200, "msn", 185.0),
        "FSI": (100, "fs", 56.0),
    },
    "cerebellum": {
        "granule": (5900, "cb_granule", 4.0),
        "golgi": (100, "fs", 54.0),
        "mli": (100, "fs", 105.0),
        "purkinje": (300, "purkinje", 154.0),
        "deep_nuclei": (100, "dcn", 178.0),
    },
}

#: Background drive of each template: (Poisson sources in the pool, their rate in Hz,
#: inputs per neuron, AMPA weight in nS). Each neuron thus receives ``k * rate`` background
#: events per second on top of its bias current.
BACKGROUND = {
    "thalamus": (200, 50.0, 4, 1.5),
    "cortex": (500, 50.0, 4, 1.5),
    "hippocampus": (500, 50.0, 3, 1.8),
    "prefrontal": (200, 50.0, 4, 1.5),
    "striatum": (500, 50.0, 3, 1.8),
    "cerebellum": (500, 50.0, 2, 2.5),
}

#: Local synaptic delays: 1 or 2 ms (uniform, rounded to whole steps).
LOCAL_DELAY = Uniform(1.0, 2.0)
#: Inter-region conduction delay where the model's description gives none.
LONG_DELAY_MS = 2.0


# ---- helpers ------------------------------------------------------------------------------
def _size(n, scale):
    return max(1, int(round(n * scale)))


def _indegree(brain, k, pre):
    """``FixedIndegree(k)`` from the populations ``pre``, at most as many as they hold (so
    that small ``scale`` still builds)."""
    n_pre = sum(p.n for p in brain.resolve(pre))
    return FixedIndegree(min(k, n_pre))


def _syn(brain, pre, post, k, weight_ns, receptor="ampa", delay_ms=LOCAL_DELAY):
    """One local projection: each neuron of ``post`` gets ``k`` synapses from ``pre``."""
    return brain.connect(pre, post, _indegree(brain, k, pre), weight_ns=weight_ns,
                         receptor=receptor, delay_ms=delay_ms)  # fmt: skip


def _region(brain, template, name, scale):
    """Add region ``name`` with the populations of ``template`` and their background
    drive (bias current and a Poisson pool)."""
    region = brain.add_region(name)
    for pop, (n, cell, bias) in POPULATIONS[template].items():
        params = CELLS[cell]
        p = region.add_population(pop, _size(n, scale), ConductanceLIF(**params, i_bias_pa=bias))
        p.init(v=Uniform(params["e_leak_mv"], params["v_thresh_mv"]))
    n_pool, rate_hz, k, weight_ns = BACKGROUND[template]
    pool = brain.add_population(f"{name}_background", _size(n_pool, scale),
                                PoissonSource(rate_hz))  # fmt: skip
    for p in region.populations:
        _syn(brain, pool, p, k, weight_ns, delay_ms=brain.dt_ms)
    return region


# ---- region templates ---------------------------------------------------------------------
def thalamus(brain: Brain, name: str = "thalamus", scale: float = 1.0) -> Region:
    """Thalamic relay cells and the reticular nucleus (Sherman & Guillery): relay cells
    excite the reticular nucleus, which inhibits them (GABA_A and slow GABA_B) and itself."""
    region = _region(brain, "thalamus", name, scale)
    relay, ret = f"{name}.relay", f"{name}.reticular"
    _syn(brain, relay, ret, 20, 0.5)
    _syn(brain, ret, relay, 15, 1.0, "gaba_a")
    _syn(brain, ret, relay, 15, 0.02, "gaba_b")
    _syn(brain, ret, ret, 10, 1.0, "gaba_a")
    return region


def cortex(brain: Brain, name: str = "cortex", scale: float = 1.0) -> Region:
    """A cortical column with layers L2/3, L4, L5, L6a and L6b, each an excitatory and an
    inhibitory population in a local E/I loop (NMDA too on the L2/3 and L5 recurrence), and
    the canonical feed-forward path L4 -> L2/3 -> L5 -> L6a -> L4 (Douglas & Martin;
    Potjans & Diesmann for the layer sizes), with L6b driven by L5 and L6a."""
    region = _region(brain, "cortex", name, scale)
    for layer in ("L23", "L4", "L5", "L6a", "L6b"):
        e, i = f"{name}.{layer}_exc", f"{name}.{layer}_inh"
        _syn(brain, e, e, 40, 0.6)
        _syn(brain, e, i, 40, 0.8)
        _syn(brain, i, e, 15, 3.0, "gaba_a")
        _syn(brain, i, i, 10, 2.0, "gaba_a")
    for layer in ("L23", "L5"):
        _syn(brain, f"{name}.{layer}_exc", f"{name}.{layer}_exc", 20, 0.15, "nmda")
    for src, dst, k in (("L4", "L23", 20), ("L23", "L5", 30), ("L5", "L6a", 20),
                        ("L6a", "L4", 10), ("L6a", "L6b", 20), ("L5", "L6b", 10)):  # fmt: skip
        _syn(brain, f"{name}.{src}_exc", f"{name}.{dst}_exc", k, 0.6)
        _syn(brain, f"{name}.{src}_exc", f"{name}.{dst}_inh", k // 2, 1.0)
    return region


def hippocampus(brain: Brain, name: str = "hippocampus", scale: float = 1.0) -> Region:
    """The trisynaptic loop (Amaral & Witter): dentate granule cells -> CA3 (mossy fibres:
    few, strong synapses, plus feed-forward inhibition) -> CA1 (Schaffer collaterals), CA3
    recurrence (AMPA and NMDA), CA3 -> CA2 -> CA1; each field with its interneurons."""
    region = _region(brain, "hippocampus", name, scale)
    f = {k: f"{name}.{k}" for k in ("DG_exc", "DG_inh", "CA3_exc", "CA3_inh", "CA2_exc",
                                     "CA2_inh", "CA1_exc", "CA1_inh")}  # fmt: skip
    for field in ("DG", "CA3", "CA2", "CA1"):
        e, i = f[f"{field}_exc"], f[f"{field}_inh"]
        _syn(brain, e, i, 30, 1.0)
        _syn(brain, i, e, 10, 5.0, "gaba_a")
        _syn(brain, i, i, 10, 2.0, "gaba_a")
    _syn(brain, f["DG_exc"], f["CA3_exc"], 15, 2.0)  # mossy fibres
    _syn(brain, f["DG_exc"], f["CA3_inh"], 30, 1.0)
    _syn(brain, f["CA3_exc"], f["CA3_exc"], 40, 0.5)  # recurrent collaterals
    _syn(brain, f["CA3_exc"], f["CA3_exc"], 20, 0.15, "nmda")
    _syn(brain, f["CA3_exc"], f["CA2_exc"], 20, 0.6)
    _syn(brain, f["CA3_exc"], f["CA2_inh"], 20, 1.0)
    _syn(brain, f["CA3_exc"], f["CA1_exc"], 40, 0.5)  # Schaffer collaterals
    _syn(brain, f["CA3_exc"], f["CA1_inh"], 40, 1.0)
    _syn(brain, f["CA2_exc"], f["CA1_exc"], 15, 0.5)
    return region


def prefrontal(brain: Brain, name: str = "prefrontal", scale: float = 1.0) -> Region:
    """Prefrontal cortex: one recurrent E/I network with NMDA on the recurrent excitation
    (the slow channel of persistent-activity models, e.g. Compte et al. 2000)."""
    region = _region(brain, "prefrontal", name, scale)
    e, i = f"{name}.exc", f"{name}.inh"
    _syn(brain, e, e, 30, 0.5)
    _syn(brain, e, e, 30, 0.15, "nmda")
    _syn(brain, e, i, 30, 1.0)
    _syn(brain, i, e, 15, 3.0, "gaba_a")
    _syn(brain, i, i, 10, 2.0, "gaba_a")
    return region


def striatum(brain: Brain, name: str = "striatum", scale: float = 1.0) -> Region:
    """Striatum (Gerfen & Surmeier): D1 (direct pathway) and D2 (indirect pathway) medium
    spiny neurons, GABAergic, with weak lateral inhibition among themselves, and a few
    fast-spiking interneurons that inhibit them strongly (feed-forward inhibition)."""
    region = _region(brain, "striatum", name, scale)
    msn, fsi = [f"{name}.D1", f"{name}.D2"], f"{name}.FSI"
    _syn(brain, msn, msn, 20, 0.5, "gaba_a")  # lateral (collateral) inhibition
    _syn(brain, fsi, msn, 10, 2.0, "gaba_a")
    _syn(brain, fsi, fsi, 5, 1.0, "gaba_a")
    return region


def cerebellum(brain: Brain, name: str = "cerebellum", scale: float = 1.0) -> Region:
    """Cerebellar cortex and nuclei (Marr, Albus, Ito; Eccles): granule cells (their
    parallel fibres) excite Purkinje cells, molecular-layer interneurons and Golgi cells;
    Golgi cells inhibit granule cells; interneurons inhibit Purkinje cells; Purkinje cells,
    pacemakers, inhibit the deep nuclei, the output. Mossy fibres come from outside
    (``_wire``)."""
    region = _region(brain, "cerebellum", name, scale)
    g = {k: f"{name}.{k}" for k in ("granule", "golgi", "mli", "purkinje", "deep_nuclei")}
    _syn(brain, g["golgi"], g["granule"], 4, 2.0, "gaba_a")
    _syn(brain, g["granule"], g["golgi"], 50, 0.3)
    _syn(brain, g["granule"], g["purkinje"], 400, 0.1)  # parallel fibres
    _syn(brain, g["granule"], g["mli"], 100, 0.2)
    _syn(brain, g["mli"], g["purkinje"], 10, 1.0, "gaba_a")
    _syn(brain, g["mli"], g["mli"], 5, 1.0, "gaba_a")
    _syn(brain, g["purkinje"], g["deep_nuclei"], 30, 0.3, "gaba_a")
    return region


# ---- the whole brain ----------------------------------------------------------------------
#: The inter-region projections: (sources, targets, inputs per target neuron drawn from the
#: concatenated sources, weight in nS, receptor, delay in ms). 13 connections onto 7 target
#: groups (cortex L4, thalamus, hippocampus, cortex L5/L6a, prefrontal cortex, striatum,
#: cerebellum) from 14 (source population, target group) pairs; docs/sensorimotor.md.
PROJECTIONS = [
    # thalamocortical (and cerebello-thalamo-cortical) drive of L4
    (["thalamus.relay", "cerebellum.deep_nuclei"], ["cortex.L4_exc"], 20, 1.0, "ampa",
     LONG_DELAY_MS),
    (["thalamus.relay", "cerebellum.deep_nuclei"], ["cortex.L4_inh"], 20, 0.3, "ampa",
     LONG_DELAY_MS),
    # corticothalamic feedback: L6a -> reticular nucleus, L6b -> relay cells
    (["cortex.L6a_exc"], ["thalamus.reticular"], 20, 0.5, "ampa", 10.0),
    (["cortex.L6b_exc"], ["thalamus.relay"], 10, 0.5, "ampa", 5.0),
    # cortex -> hippocampus (the perforant path, standing in for the entorhinal cortex)
    (["cortex.L23_exc"], ["hippocampus.DG_exc", "hippocampus.CA3_exc", "hippocampus.CA1_exc"],
     10, 1.0, "ampa", LONG_DELAY_MS),
    # hippocampus -> cortex (CA1 -> deep layers)
    (["hippocampus.CA1_exc"], ["cortex.L5_exc", "cortex.L6a_exc"], 10, 0.3, "ampa",
     LONG_DELAY_MS),
    # cortex -> prefrontal; striatum -> prefrontal (GABAergic MSNs; the return path through
    # pallidum and thalamus is not modelled)
    (["cortex.L23_exc"], ["prefrontal.exc", "prefrontal.inh"], 20, 0.5, "ampa", LONG_DELAY_MS),
    (["striatum.D1", "striatum.D2"], ["prefrontal.exc"], 20, 0.3, "gaba_a", LONG_DELAY_MS),
    # cortex, hippocampus and prefrontal cortex -> striatum (MSNs and interneurons)
    (["cortex.L5_exc"], ["striatum.D1", "striatum.D2", "striatum.FSI"], 20, 0.8, "ampa",
     LONG_DELAY_MS),
    (["hippocampus.CA1_exc"], ["striatum.D1", "striatum.D2", "striatum.FSI"], 10, 0.8, "ampa",
     LONG_DELAY_MS),
    (["prefrontal.exc"], ["striatum.D1", "striatum.D2", "striatum.FSI"], 10, 0.8, "ampa",
     LONG_DELAY_MS),
    # cortex and prefrontal cortex -> cerebellum (mossy fibres, via the pontine nuclei)
    (["cortex.L5_exc", "prefrontal.exc"], ["cerebellum.granule"], 4, 2.0, "ampa",
     LONG_DELAY_MS),
    (["cortex.L5_exc", "prefrontal.exc"], ["cerebellum.golgi", "cerebellum.deep_nuclei"], 10,
     0.5, "ampa", LONG_DELAY_MS),
]  # fmt: skip

#: Sensory input onto the relay cells: inputs per relay cell, AMPA weight (nS), delay (ms).
SENSORY_K, SENSORY_WEIGHT_NS, SENSORY_DELAY_MS = 10, 2.0, 2.0

REGIONS = {
    "thalamus": thalamus,
    "cortex": cortex,
    "hippocampus": hippocampus,
    "prefrontal": prefrontal,
    "striatum": striatum,
    "cerebellum": cerebellum,
}


def _wire(brain):
    """The inter-region projections of ``PROJECTIONS``."""
    for pre, post, k, weight_ns, receptor, delay_ms in PROJECTIONS:
        brain.connect(pre, post, _indegree(brain, k, pre), weight_ns=weight_ns,
                      receptor=receptor, delay_ms=delay_ms)  # fmt: skip


def sensorimotor(seed: int = 0, dt_ms: float = 1.0, scale: float = 1.0,
                 record: bool = True) -> Brain:  # fmt: skip
    """The six-region sensorimotor brain: 26,384 conductance LIF neurons at ``scale=1``,
    plus 2,400 Poisson background sources and the 128-neuron ``"sensory"`` SpikeSource.

    ``scale`` multiplies the size of every region population and background pool (for
    quick tests; the sensory source keeps its 128 neurons); indegrees stay as they are
    (capped by the source size), so the dynamics change little. The biases are tuned for
    ``dt_ms=1.0``. ``record`` records the spikes of all six regions and of ``"sensory"``.

    Input: ``sim.run(..., inputs={"sensory": spikes})`` with booleans of shape
    ``[n_steps, 128]``; without input the brain runs in its asynchronous regime too.
    Motor readout: ``result.rates_hz(p, bin_ms)`` for ``p`` in ``MOTOR_POPULATIONS``.
    """
    brain = Brain(dt_ms=dt_ms, seed=seed)
    for name, template in REGIONS.items():
        template(brain, name, scale)
    brain.add_population(SENSORY, N_SENSORY, SpikeSource())
    _syn(brain, SENSORY, "thalamus.relay", SENSORY_K, SENSORY_WEIGHT_NS,
         delay_ms=SENSORY_DELAY_MS)  # fmt: skip
    _wire(brain)
    brain.add_oscillator("theta", 8.0)
    brain.add_oscillator("gamma", 40.0)
    brain.modulate("hippocampus", "theta", depth=0.3)
    brain.modulate([p for p in brain.resolve("cortex") if p.name.endswith("_inh")], "gamma",
                   depth=0.2)  # fmt: skip
    if record:
        brain.record_spikes(list(REGIONS) + [SENSORY])
    return brain
