"""The state of a PyNN session on nbbrain: the populations and projections PyNN creates, and
the nbbrain Simulation built from them at the first ``run`` (and again after a ``reset``
that follows a change)."""

import numpy as np
from pyNN import common

from ..model.brain import Brain
from ..model.connectivity import FromArrays
from ..model.values import TimedArray
from ..neurons import PoissonSource, SpikeSource

name = "nbbrain"


class ID(int, common.IDMixin):
    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank, self.num_processes = 0, 1
        self.dt, self.min_delay, self.max_delay = 0.1, 0.1, 10.0
        self.threads, self.seed, self.off_grid = 1, 1, False
        self.clear()

    def clear(self):
        self.populations, self.projections = [], []
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.sim = None
        self.reset()

    def reset(self):
        """Back to t = 0: the next run starts from the initial values (rebuilt where the
        network changed)."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        if self.sim is not None:
            self.sim.reset()
            self._initialize(self.sim)

    def locate(self, ids):
        """(index into ``populations``, index within it) of the cells ``ids`` (their ranges
        of IDs follow one another in the order of creation)."""
        first = np.array([p.first_id for p in self.populations], np.int64)
        k = np.searchsorted(first, ids, side="right") - 1
        return k, ids - first[k]

    def changed(self, what):
        """The network changed: rebuilt at the next run (refused in the middle of one)."""
        if self.sim is not None and self.t > 0:
            raise RuntimeError(f"nbbrain.pynn: {what} after run(): call reset() first (the "
                               f"network is rebuilt at t = 0)")  # fmt: skip
        self.sim = None

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        steps = int(round((tstop - self.t) / self.dt))
        if steps < 0:
            raise ValueError(f"nbbrain.pynn: run_until({tstop}) is before now ({self.t} ms)")
        if self.sim is None:
            self.sim = self._build()
        if steps:
            self.sim.run(n_steps=steps)
        self.t = self.sim.t_ms
        self.running = True

    # ---- the nbbrain brain ------------------------------------------------------------------
    def _build(self):
        brain = Brain(dt_ms=self.dt, seed=self.seed)
        for pop in self.populations:
            brain.add_population(pop.nb_name, pop.size, _model(pop, self.dt))
        for prj in self.projections:
            _connect(brain, prj)
        for pop in self.populations:
            pop.recorder.declare(brain)
        sim = brain.build(threads=self.threads)
        self._initialize(sim)
        if self.min_delay == "auto":
            delays = [prj._arrays()[3] for prj in self.projections]
            self.min_delay = float(min((d.min() for d in delays if d.size), default=self.dt))
        return sim

    def _initialize(self, sim):
        if self.segment_counter > 0:  # (each run after a reset draws new noise, as in NEST)
            sim.reseed((self.seed * 1_000_003 + self.segment_counter) % 2**63)
        for pop in self.populations:
            for var, values in pop.initial.items():
                if var in pop.celltype.variables:
                    native, factor = pop.celltype.variables[var]
                    sim.set_state(pop.nb_name, native, np.asarray(values, float) / factor)


#: PyNN's default duration of a Poisson source (1e10 ms): for ever
_FOREVER_MS = 1e9


def _connect(brain, prj):
    """The nbbrain projections of a PyNN projection: one for each pair of populations it
    joins and each set of synaptic parameters (a rule's parameters are the projection's)."""
    c, groups = prj.groups()
    prj._built = []
    for k, ((a, b, *params), (idx, pre, post)) in enumerate(groups.items()):
        p = dict(params)
        unit, factor = b.celltype.weight
        order = np.lexsort((np.arange(idx.size), post, pre))  # (how nbbrain stores them)
        idx, pre, post = idx[order], pre[order], post[order]
        name = f"{prj.nb_name}_{k}"
        fraction = float(p.get("dendritic_delay_fraction", 1.0))
        rule = prj.synapse_type.nb_rule(p, factor)
        brain.connect(a.nb_name, b.nb_name, FromArrays(pre, post),
                      receptor=b.celltype.receptors[prj.receptor_type],
                      delay_ms=c["delay"][idx], delay_rounding="round", name=name,
                      plasticity=rule, **({"dendritic_fraction": fraction} if rule else {}),
                      **{unit: c["weight"][idx] * factor})  # fmt: skip
        prj._built.append((name, idx, factor))


def spike_table(sequences, dt):
    """(times in ms, neuron indices) of a SpikeSourceArray's spikes (one PyNN Sequence a
    neuron), each time off the grid moved to the end of its step, as NEST does."""
    times = [np.ceil(np.asarray(s.value, float) / dt - 1e-9) * dt for s in sequences]
    idx = np.concatenate([np.full(len(t), i) for i, t in enumerate(times)] or [[]])
    return np.concatenate(times or [[]]), idx.astype(np.int64)


def given_times(sequences, dt, steps, idx):
    """The given times (``sequences``, as in ``spike_table``) of the spikes that a
    SpikeSourceArray sent at ``steps`` from neurons ``idx`` (the step's time for a spike of
    times given before the last ``set``)."""
    out = steps * dt
    t = [np.asarray(s.value, float) for s in sequences]
    own = np.concatenate(t) if t else np.zeros(0)
    if not own.size or not steps.size:
        return out
    cells = np.concatenate([np.full(len(x), i) for i, x in enumerate(t)]).astype(np.int64)
    span = int(max(steps.max(), np.ceil(own.max() / dt)) + 2)
    keys = cells * span + np.ceil(own / dt - 1e-9).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    want = idx.astype(np.int64) * span + steps
    at = np.minimum(np.searchsorted(keys[order], want), keys.size - 1)
    found = keys[order[at]] == want
    out[found] = own[order[at[found]]]
    return out


def _model(pop, dt):
    """The nbbrain model of a PyNN population (its native parameters, one value a neuron)."""
    p = pop.native
    kind = type(pop.celltype).__name__
    if kind == "SpikeSourceArray":
        return SpikeSource(*spike_table(p["times_ms"], dt))
    if kind == "SpikeSourcePoisson":
        rate, start, duration = p["rate_hz"], p["start_ms"], p["duration_ms"]
        end = start + duration
        if np.all(start == 0) and np.all(end >= _FOREVER_MS):
            return PoissonSource(rate_hz=rate)
        # a table of rates, one row per stretch between the starts and ends (in whole steps)
        bounds = np.round(np.concatenate([start, end[end < _FOREVER_MS]]) / dt).astype(np.int64)
        unit = int(np.gcd.reduce(bounds[bounds > 0])) if np.any(bounds > 0) else 1
        t = np.arange(int(bounds.max()) // unit + 1)[:, None] * unit * dt
        on = (t >= start - dt / 2) & ((t < end - dt / 2) | (end >= _FOREVER_MS))
        return PoissonSource(rate_hz=TimedArray(np.where(on, rate, 0.0), dt_ms=unit * dt))
    if "t_ref_ms" in p:  # (NEST rounds the refractory period to whole steps; so do we)
        p = dict(p, t_ref_ms=np.round(np.asarray(p["t_ref_ms"], float) / dt) * dt)
    return pop.celltype.nb_model(**p)


state = State()
