"""NIR (the Neuromorphic Intermediate Representation: snnTorch, Norse, Lava, Sinabs, Rockpool
and neuromorphic hardware exchange networks in it) into and out of nbbrain.

``from_nir(graph, dt_ms)`` makes a :class:`~nbbrain.Brain`: each neuron node a population
named after the node, each ``Input`` a ``SpikeSource`` population (its spikes given to each
run: ``sim.run(inputs={name: spikes})``), each path ``source -> [Affine | Linear] [Delay] ->
target`` a projection (synapses where the weight is nonzero; an Affine's bias becomes the
target's ``i_bias_pa``), and each ``Output`` a monitor of what feeds it (spikes; the
membrane of an ``LI``). ``to_nir(brain_or_sim)`` writes the reverse.

=========  ===================================================================
NIR        nbbrain
=========  ===================================================================
Input      ``SpikeSource`` (spikes given per run)
LIF        ``EulerLIF`` with ``tau_syn_ms = 0``
CubaLIF    ``EulerLIF`` with ``tau_syn_ms > 0``
IF         ``EulerIF`` (``c_m_pf`` = time unit / ``r``)
LI         ``EulerLI``
Affine     a projection's weights and the target's ``i_bias_pa``
Linear     a projection's weights
Delay      a projection's delays (one per target or per source neuron)
Output     ``record_spikes`` (``record_state(..., "v")`` of an LI)
=========  ===================================================================

NIR's equations are in continuous time and carry no units: potentials are read as mV,
currents as pA, resistances as GOhm and times in units of ``time_unit_ms`` (1000: seconds,
as snnTorch and Norse write them). The neurons are stepped by forward Euler, as snnTorch
and Norse step them. What the clock adds: an edge without a Delay takes one step (the
shortest delay nbbrain has; in NIR it takes no time), so each layer of a feed-forward
network answers one step after the one before it; a Delay of ``tau`` takes ``tau`` rounded
to whole steps, at least one.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from ..model.brain import Brain, valid_name
from ..model.connectivity import FromArrays
from ..model.units import UnitWarning
from ..neurons import EulerIF, EulerLI, EulerLIF, SpikeSource

_NEURONS = ("LIF", "CubaLIF", "IF", "LI")
_WEIGHTS = ("Affine", "Linear")
_EXPORTED = (EulerLIF, EulerIF, EulerLI, SpikeSource)


def _nir():
    try:
        import nir
    except ImportError:  # pragma: no cover - the test extra installs it
        raise ImportError("NIR import and export need the nir package: pip install "
                          "'nbbrain[nir]'") from None  # fmt: skip
    return nir


def from_nir(graph, dt_ms: float, *, time_unit_ms: float = 1000.0, seed: int = 1) -> Brain:
    """The brain of a NIR graph (a ``nir.NIRGraph`` or the path of a ``.nir`` file), stepped
    at ``dt_ms``; NIR's times are in units of ``time_unit_ms`` (1000: seconds)."""
    nir = _nir()
    if not isinstance(graph, nir.NIRGraph):
        graph = nir.read(graph)
    if not (isinstance(dt_ms, (int, float)) and dt_ms > 0 and np.isfinite(dt_ms)):
        raise ValueError(f"from_nir: dt_ms must be a positive number, got {dt_ms!r}")
    if not (isinstance(time_unit_ms, (int, float)) and time_unit_ms > 0):
        raise ValueError(f"from_nir: time_unit_ms must be a positive number, got "
                         f"{time_unit_ms!r}")  # fmt: skip
    names = _names(graph.nodes)
    nodes = {names[k]: v for k, v in graph.nodes.items()}
    edges = [(names[a], names[b]) for a, b in graph.edges]
    for name, node in nodes.items():
        kind = type(node).__name__
        if kind not in _NEURONS + _WEIGHTS + ("Delay", "Input", "Output"):
            raise ValueError(f"from_nir: node {name!r} is a {kind}, which nbbrain does not "
                             f"run; supported: Input, Output, {', '.join(_NEURONS)}, "
                             f"Affine, Linear, Delay")  # fmt: skip
    out = {a: [b for x, b in edges if x == a] for a in nodes}
    paths = [p for a in nodes if _is_source(nodes[a]) for p in _paths(a, nodes, out)]
    sizes = _sizes(nodes, paths)
    brain = Brain(dt_ms=float(dt_ms), seed=seed)
    bias = {name: np.zeros(n) for name, n in sizes.items()}
    for path in paths:
        for w in path[1:-1]:
            if type(nodes[w]).__name__ == "Affine":
                bias[path[-1]] = bias[path[-1]] + _array(nodes[w].bias, sizes[path[-1]])
    for name, node in nodes.items():
        if type(node).__name__ == "Input":
            brain.add_population(name, sizes[name], SpikeSource())
        elif type(node).__name__ in _NEURONS:
            with warnings.catch_warnings():  # (NIR's numbers have no units to have slipped)
                warnings.simplefilter("ignore", UnitWarning)
                model = _model(name, node, sizes[name], bias[name], time_unit_ms)
            brain.add_population(name, sizes[name], model)
    for path in paths:
        _add_path(brain, nodes, sizes, path, time_unit_ms)
    return brain


def _names(keys):
    """Population names for NIR's node names: the same where nbbrain takes them, else
    ``node_<name>`` (with ``_`` for characters other than letters, digits, ``_``, ``-``)."""
    out = {}
    for k in keys:
        name = k if valid_name(k) else "node_" + re.sub(r"[^A-Za-z0-9_-]", "_", k)
        if name in out.values():
            raise ValueError(f"from_nir: nodes {k!r} and another both become {name!r}")
        out[k] = name
    return out


def _is_source(node):
    return type(node).__name__ in ("Input",) + _NEURONS


def _paths(a, nodes, out):
    """The paths from source ``a`` through weights and delays to a neuron or an Output."""
    done, stack = [], [[a]]
    while stack:
        path = stack.pop()
        for b in out[path[-1]]:
            kind = type(nodes[b]).__name__
            if kind in _NEURONS or kind == "Output":
                done.append(path + [b])
            elif kind == "Input":
                raise ValueError(f"from_nir: edge {path[-1]!r} -> {b!r} ends at an Input")
            elif b in path:
                raise ValueError(f"from_nir: the edges through {b!r} form a loop without a "
                                 f"neuron")  # fmt: skip
            else:
                stack.append(path + [b])
    return done


def _sizes(nodes, paths):
    """The number of neurons of each Input and neuron node: from its parameters, its type or
    the weights next to it."""
    nir = _nir()
    sizes = {}
    for name, node in nodes.items():
        kind = type(node).__name__
        if kind == "Input":
            sizes[name] = int(np.prod(next(iter(node.input_type.values()))))
        elif kind in _NEURONS:
            arrays = [v for k, v in vars(node).items()
                      if isinstance(v, np.ndarray) and not k.endswith("_type")]  # fmt: skip
            sizes[name] = int(max(np.size(v) for v in arrays))
    for path in paths:
        for w in path[1:-1]:
            if isinstance(nodes[w], (nir.Affine, nir.Linear)) and sizes.get(path[-1]) == 1:
                sizes[path[-1]] = int(np.shape(nodes[w].weight)[0])
    return sizes


def _array(x, n, what="value"):
    a = np.zeros(n) if x is None else np.asarray(x, np.float64).ravel()
    if a.size == 1:
        return np.full(n, float(a[0]))
    if a.size != n:
        raise ValueError(f"from_nir: {what} has {a.size} values for {n} neurons")
    return a


def _model(name, node, n, bias, unit):
    """The nbbrain model of neuron node ``name``."""
    kind = type(node).__name__

    def p(field):
        return _array(getattr(node, field), n, f"{kind} {name!r}: {field}")

    if kind == "IF":
        r = p("r")
        if np.any(r <= 0):
            raise ValueError(f"from_nir: IF {name!r}: r must be > 0, got {r[r <= 0][0]:g}")
        return EulerIF(c_m_pf=unit / r, v_thresh_mv=p("v_threshold"), v_reset_mv=p("v_reset"),
                       i_bias_pa=bias)  # fmt: skip
    if kind == "LI":
        return EulerLI(tau_ms=p("tau") * unit, r_gohm=p("r"), v_leak_mv=p("v_leak"),
                       i_bias_pa=bias)  # fmt: skip
    syn = dict(tau_syn_ms=p("tau_syn") * unit, w_in=p("w_in")) if kind == "CubaLIF" else {}
    return EulerLIF(tau_mem_ms=p("tau_mem" if syn else "tau") * unit, r_gohm=p("r"),
                    v_leak_mv=p("v_leak"), v_thresh_mv=p("v_threshold"),
                    v_reset_mv=p("v_reset"), i_bias_pa=bias, **syn)  # fmt: skip


def _add_path(brain, nodes, sizes, path, unit):
    """The projection (or monitor) of one path ``source, wires..., target``."""
    src, wires, tgt = path[0], path[1:-1], path[-1]
    where = f"from_nir: path {' -> '.join(map(repr, path))}"
    kinds = [type(nodes[w]).__name__ for w in wires]
    if type(nodes[tgt]).__name__ == "Output":
        if wires:
            raise ValueError(f"{where}: an Output must be fed by a neuron node directly")
        if type(nodes[src]).__name__ == "LI":
            brain.record_state(src, "v")
        else:
            brain.record_spikes(src)
        return
    if sum(k in _WEIGHTS for k in kinds) > 1 or kinds.count("Delay") > 1:
        raise ValueError(f"{where}: nbbrain takes at most one Affine or Linear and one Delay "
                         f"between two neuron nodes")  # fmt: skip
    n_pre, n_post = sizes[src], sizes[tgt]
    weight = np.eye(n_post, n_pre)
    if any(k in _WEIGHTS for k in kinds):
        weight = np.asarray(nodes[wires[[k in _WEIGHTS for k in kinds].index(True)]].weight,
                            np.float64)  # fmt: skip
    if weight.shape != (n_post, n_pre):
        raise ValueError(f"{where}: weights of shape {weight.shape} between {n_pre} and "
                         f"{n_post} neurons (expected {(n_post, n_pre)})")  # fmt: skip
    post, pre = np.nonzero(weight)
    steps = np.ones(pre.size)
    if "Delay" in kinds:
        i = kinds.index("Delay")
        after = any(k in _WEIGHTS for k in kinds[:i])  # (the weights come before the delay)
        d = _array(nodes[wires[i]].delay, n_post if after else n_pre, f"{where}: delay")
        steps = np.maximum(np.round(d * unit / brain.dt_ms), 1.0)[post if after else pre]
    brain.connect(src, tgt, FromArrays(pre, post), weight_pa=weight[post, pre],
                  delay_ms=steps * brain.dt_ms, receptor="in", name=f"{src}->{tgt}")  # fmt: skip


def to_nir(brain_or_sim, *, time_unit_ms: float = 1000.0):
    """The NIR graph of a brain (built first, with its seed) or a simulation: each
    population a node (its name), each projection a ``Linear`` (``Affine`` where the target
    has a bias), with a ``Delay`` where its delays exceed one step, each recorded population
    an ``Output`` (``output_<name>``). Only ``EulerLIF``, ``EulerIF``, ``EulerLI`` and
    ``SpikeSource`` populations have NIR nodes; times are written in units of
    ``time_unit_ms`` (1000: seconds)."""
    nir = _nir()
    brain = brain_or_sim if isinstance(brain_or_sim, Brain) else brain_or_sim.brain
    for pop in brain.populations.values():  # (checked before a build)
        if not isinstance(pop.model, _EXPORTED):
            raise ValueError(f"to_nir: population {pop.name!r} is {type(pop.model).__name__}, "
                             f"which NIR has no node for; NIR takes EulerLIF, EulerIF, "
                             f"EulerLI and SpikeSource")  # fmt: skip
    for proj in brain.projections:
        _check_projection(proj)
    sim = brain.build() if isinstance(brain_or_sim, Brain) else brain_or_sim
    nodes, edges = {}, []
    for pop in brain.populations.values():
        nodes[pop.name] = _node(nir, sim, pop, time_unit_ms)
    biased = set()
    for proj in brain.projections:
        _export_projection(nir, sim, proj, nodes, edges, biased, time_unit_ms)
    for pop in brain.populations.values():
        bias = _values(sim, pop, "i_bias_pa") if "i_bias_pa" in pop.model.params else None
        if bias is not None and np.any(bias != 0) and pop.name not in biased:
            raise ValueError(f"to_nir: population {pop.name!r} has a bias current but no "
                             f"projection onto it: NIR keeps a bias in an Affine")  # fmt: skip
    for name in _recorded(brain):
        nodes[f"output_{name}"] = nir.Output(output_type=np.array([brain.populations[name].n]))
        edges.append((name, f"output_{name}"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _values(sim, pop, key):
    """Parameter ``key`` of ``pop`` per neuron, as built (distributions drawn)."""
    return sim.parameters(pop.name)[key]


def _node(nir, sim, pop, unit):
    m = pop.model
    if isinstance(m, SpikeSource):
        return nir.Input(input_type=np.array([pop.n]))

    def p(key):
        return _values(sim, pop, key)

    if isinstance(m, EulerIF):
        return nir.IF(r=unit / p("c_m_pf"), v_threshold=p("v_thresh_mv"),
                      v_reset=p("v_reset_mv"))  # fmt: skip
    if isinstance(m, EulerLI):
        return nir.LI(tau=p("tau_ms") / unit, r=p("r_gohm"), v_leak=p("v_leak_mv"))
    common = dict(r=p("r_gohm"), v_leak=p("v_leak_mv"), v_threshold=p("v_thresh_mv"),
                  v_reset=p("v_reset_mv"))  # fmt: skip
    tau_syn = p("tau_syn_ms")
    if np.all(tau_syn == 0):
        return nir.LIF(tau=p("tau_mem_ms") / unit, **common)
    if np.any(tau_syn == 0):
        raise ValueError(f"to_nir: population {pop.name!r} mixes LIF (tau_syn_ms = 0) and "
                         f"CubaLIF neurons; NIR takes one kind a node")  # fmt: skip
    return nir.CubaLIF(tau_syn=tau_syn / unit, tau_mem=p("tau_mem_ms") / unit, w_in=p("w_in"),
                       **common)  # fmt: skip


def _check_projection(proj):
    if len(proj.pre) != 1 or len(proj.post) != 1:
        raise ValueError(f"to_nir: projection {proj.name!r} joins several populations; "
                         f"NIR's edges join one node to one")  # fmt: skip
    if proj.plasticity is not None:
        raise ValueError(f"to_nir: projection {proj.name!r} is plastic; NIR has static "
                         f"weights only")  # fmt: skip


def _export_projection(nir, sim, proj, nodes, edges, biased, unit):
    """The nodes and edges of one projection (between two single populations)."""
    pre, post = proj.pre[0], proj.post[0]
    c = sim.connections(proj)
    weight = np.zeros((post.n, pre.n))
    np.add.at(weight, (c.post, c.pre), c.weight)
    name = f"{proj.name.replace('/', '_')}:weights"
    bias = None
    if post.name not in biased and "i_bias_pa" in post.model.params:
        bias = _values(sim, post, "i_bias_pa")
        biased.add(post.name)
    if bias is not None and np.any(bias != 0):
        nodes[name] = nir.Affine(weight=weight, bias=bias)
    else:
        nodes[name] = nir.Linear(weight=weight)
    steps = np.round(c.delay_ms / sim.dt_ms).astype(np.int64)
    if not np.any(steps > 1):
        edges += [(pre.name, name), (name, post.name)]
        return
    per_post = np.full(post.n, -1)
    per_post[c.post] = steps
    if np.any(per_post[c.post] != steps):
        raise ValueError(f"to_nir: projection {proj.name!r} has different delays onto one "
                         f"neuron; NIR's Delay holds one per target")  # fmt: skip
    per_post[per_post < 0] = 1
    delay = f"{proj.name.replace('/', '_')}:delay"
    nodes[delay] = nir.Delay(delay=per_post * sim.dt_ms / unit)
    edges += [(pre.name, name), (name, delay), (delay, post.name)]


def _recorded(brain):
    """The populations whose spikes (or, for an EulerLI, membrane) are recorded, in the
    brain's order."""
    names = set(brain.spike_monitors) | {m.population for m in brain.state_monitors
                                         if m.var == "v"}  # fmt: skip
    return [p for p in brain.populations if p in names]
