"""Compile a Brain description into the flat arrays the backends run (docs/architecture.md).

- Populations occupy contiguous ranges of one global neuron index, in name order (so the
  layout does not depend on the order in which they were added).
- Neurons (``neurons.py``): groups of populations that one compiled loop updates, their
  constants, the state layout ``st[R, N]`` (float32), refractory counts ``ref[N]``.
- Synapses (``synapses.py``): one CSR of 8 bytes per synapse, rows cut into thread parts.
- Inputs generated in the kernels (``inputs.py``): Poisson inputs, noise currents, spike
  trains, timed Poisson rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..memory import check_fits, size
from ..model.values import Distribution, resolve
from ..neurons.base import float32_problem
from ..neurons.sources import PoissonSource, Source
from . import inputs as inp
from . import neurons as nrn
from .keys import copy_parts, numpy_rng, stable_key
from .synapses import MAX_DELAY_STEPS, _row_wise, build_synapses, channel_of

#: state-monitor codes beyond the state rows (``st``): the noise current
NOISE_CODE = -1


@dataclass
class Network:
    """Everything a backend needs, plus the names to read it back."""

    dt_ms: float
    names: list  # population names, in global index order
    lo: np.ndarray
    hi: np.ndarray
    models: list
    raw: list  # per population: resolved parameters (neurons) or None (sources)
    kinds: np.ndarray  # per population: neurons.U_*
    record: np.ndarray  # per population: 1 where its spikes are recorded
    pop_of: np.ndarray  # int32 [N]: population of each neuron
    groups: list
    variants: list
    tables: nrn.ConstantTables
    unit_lo: np.ndarray  # balance units
    unit_hi: np.ndarray
    part_of: np.ndarray  # uint8 [N]
    n_parts: int
    n_rows: int  # R: rows of st
    st: np.ndarray  # float32 [R, N] (copy 0)
    ref: np.ndarray  # int32 [N]
    noise: np.ndarray  # float32 [N]
    indptr: np.ndarray
    syn: np.ndarray
    weight: np.ndarray
    tag: np.ndarray
    shift: int
    n_slots: int
    n_channels: int
    projections: list
    plastic: object  # plastic.Plastic: the plastic projections' groups and the modulators
    poisson: inp.PoissonInputs
    noise_inputs: inp.NoiseInputs
    trains: inp.SpikeTrains
    timed: inp.TimedRates
    seed: int = 0
    noise_seed: int = 0  # (the Poisson sources, Poisson inputs and noise currents)
    osc_names: list = field(default_factory=list)
    osc_freq: np.ndarray = field(default_factory=lambda: np.zeros(0))
    osc_phase: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pop_rhythm: list = field(default_factory=list)  # (osc or -1, depth, threshold_mv)
    desc: nrn.Populations | None = None  # what the groups were made from (``activate``)
    # a batch whose copies have parameters of their own (``Simulation.set_parameter``):
    # per copy, the constants of each population, and the tables [B, ...] made from them;
    # the static weights [B, S] where a projection's differ between copies
    copy_constants: list | None = None
    copy_cpar: np.ndarray | None = None
    copy_pn: np.ndarray | None = None
    copy_weight: np.ndarray | None = None
    rank: int | None = None  # MPI: the part this process owns (its neurons, their synapses)
    exchange_every: int = 1  # MPI: the steps between exchanges of spikes (``engine/ranks.py``)

    @property
    def n(self) -> int:
        return int(self.pop_of.shape[0])

    @property
    def n_synapses(self) -> int:
        """Static and plastic synapses."""
        return self.syn.shape[0] + self.plastic.n_synapses

    def out_degree(self) -> np.ndarray:
        """Synapses per presynaptic neuron, static and plastic."""
        pl = self.plastic
        return np.diff(self.row_ptr) + np.diff(pl.indptr[:: pl.parts])

    @property
    def row_ptr(self) -> np.ndarray:
        """``[N + 1]``: row r (all its parts) is ``syn[row_ptr[r]:row_ptr[r + 1]]``."""
        return self.indptr[:: self.n_parts]

    def syn_codes(self):
        """``(shift, mask)`` to unpack ``syn``, as scalars of its dtype (for the kernels)."""
        t = self.syn.dtype.type
        return t(self.shift), t((1 << self.shift) - 1)

    @property
    def target(self) -> np.ndarray:
        """Targets ``channel * N + post`` (int64; unpacked from ``syn``: a new array)."""
        return (self.syn & self.syn.dtype.type((1 << self.shift) - 1)).astype(np.int64)

    @property
    def delay(self) -> np.ndarray:
        """Delays in steps (int64; unpacked from ``syn``: a new array)."""
        return (self.syn >> self.syn.dtype.type(self.shift)).astype(np.int64)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def state_row(self, k: int, var: str) -> int:
        """The row of ``st`` (or ``NOISE_CODE``) holding ``var`` of population ``k``."""
        model = self.models[k]
        if var in model.state:
            return list(model.state).index(var)
        return NOISE_CODE

    def pop_keys(self, copy=0) -> np.ndarray:
        """The Poisson source keys (one per population) of copy ``copy`` of a batch."""
        return np.array([stable_key(self.noise_seed, "neurons", n, *copy_parts(copy))
                         for n in self.names], np.uint64)  # fmt: skip


def estimate_bytes(brain, batch: int = 1) -> dict:
    """Memory the build will need (bytes), from sizes and expected synapse counts: the
    CSR (8 bytes per synapse), temporaries for projections drawn as pairs (pair indices,
    drawn values, sort keys and order; ``FixedTotalNumber`` rows need none), and each of
    the ``batch`` copies' state and spikes in flight."""
    n = sum(p.n for p in brain.populations.values())
    n_syn = int(sum(p.n_expected for p in brain.projections))
    n_pairs = int(sum(p.n_expected for p in brain.projections if not _row_wise(p)))
    rows = max((len(p.model.state) for p in brain.populations.values()), default=1)
    return {
        "synapses": n_syn * 8 + (n + 1) * 8,
        "build_temporaries": n_pairs * 64,
        # the inbox (one step's input) and the list of spikes in flight; the delays cost
        # no memory on the CPU (the cuda backend estimates its ring buffer itself)
        "in_flight": batch * (4 * n * 4 + (n + 1024) * 4 * 8),
        "state": batch * n * (4 * rows + 12),
    }


def check_memory(brain, batch: int = 1, generate: bool = True, share: float = 1.0):
    """Refuse a build (a MemoryBudgetError with the numbers) that would not fit;
    ``generate=False``: the connectivity is already in memory; ``share``: the part of the
    synapses this process keeps (an MPI rank's: 1 / R; the temporaries of a projection
    drawn as pairs are whole on every rank)."""
    need = estimate_bytes(brain, batch)
    need["synapses"] = int(need["synapses"] * share)
    if not generate:
        del need["synapses"], need["build_temporaries"]
    detail = ", ".join(f"{k} {size(v)}" for k, v in need.items())
    hint = "make the brain smaller" + (" or build fewer copies (batch)" if batch > 1 else "")
    check_fits(f"the model{f' with batch={batch}' if batch > 1 else ''} ({detail})",
               sum(need.values()), hint)  # fmt: skip


def _targeted(brain) -> dict:
    """Population name -> the state variables projections and Poisson inputs add to."""
    out: dict = {}
    for proj in brain.projections:
        for p in proj.post:
            out.setdefault(p.name, set()).add(p.model.receptors[proj.receptor].target)
    for q in brain.poisson_inputs:
        for p in q.targets:
            out.setdefault(p.name, set()).add(p.model.receptors[q.receptor].target)
    return out


def _rhythm(brain, name, osc_names):
    if name not in brain.modulations:
        return (-1, 0.0, 0.0)
    osc, depth, thr = brain.modulations[name]
    return (osc_names.index(osc), float(depth), float(thr))


def describe_populations(brain, pops, lo, hi, osc_names) -> nrn.Populations:
    """Resolve every population's parameters and constants (see ``neurons.py``)."""
    targeted = _targeted(brain)
    raw, consts, active = [], [], []
    for p in pops:
        if isinstance(p.model, Source):
            raw.append(None)
            consts.append({})
            active.append(tuple(p.model.state))
            continue
        r = nrn.resolve_parameters(p, brain.seed, numpy_rng, brain.dt_ms)
        raw.append(r)
        consts.append(nrn.population_constants(p, r, brain.dt_ms))
        active.append(nrn.active_state(p, r, targeted.get(p.name, set())))
    rhythm = [_rhythm(brain, p.name, osc_names) for p in pops]
    models = [p.model for p in pops]
    return nrn.Populations([p.name for p in pops], lo, hi, models, raw, consts,
                           nrn.share_optional(models, active), rhythm)  # fmt: skip


def build_network(brain, parts: int = 1, batch: int = 1, synapses=None, rank=None) -> Network:
    """Resolve, generate and pack the brain into a Network; ``parts``: one per thread (or per
    MPI rank); ``batch``: the copies the memory check counts; ``synapses``: the
    connectivity already generated for ``parts`` (a file's), used instead of generating it;
    ``rank``: the part whose neurons this process owns (MPI: only their synapses are kept)."""
    if not brain.populations:
        raise ValueError("the brain has no populations: add some with brain.add_population")
    check_memory(
        brain, batch, generate=synapses is None, share=1 / parts if rank is not None else 1
    )
    pops = sorted(brain.populations.values(), key=lambda p: p.name)
    names = [p.name for p in pops]
    sizes = np.array([p.n for p in pops], np.int64)
    hi = np.cumsum(sizes)
    lo = hi - sizes
    n = int(hi[-1])
    start_of = {p.name: int(s) for p, s in zip(pops, lo)}
    osc_names = sorted(brain.oscillators)

    desc = describe_populations(brain, pops, lo, hi, osc_names)
    groups = nrn.make_groups(desc, brain.dt_ms)
    variants = nrn.variants_of(groups)
    unit_lo, unit_hi = nrn.balance_units(desc)
    part_of = nrn.neuron_parts(unit_lo, unit_hi, parts)
    raw_of = {p.name: r for p, r in zip(pops, desc.raw)}
    if synapses is None:
        synapses = build_synapses(brain, names, lo, part_of, parts, raw_of, rank)
    syn = synapses

    rows = nrn.state_rows(desc.models)
    net = Network(
        dt_ms=brain.dt_ms, names=names, lo=lo, hi=hi, models=desc.models, raw=desc.raw,
        kinds=np.array([nrn.source_kind(m) for m in desc.models], np.int64),
        record=np.array([int(nm in brain.spike_monitors) for nm in names], np.int64),
        pop_of=np.repeat(np.arange(len(pops), dtype=np.int32), sizes),
        groups=groups, variants=variants, tables=nrn.constant_tables(groups, brain.dt_ms),
        unit_lo=unit_lo, unit_hi=unit_hi, part_of=part_of, n_parts=parts, n_rows=rows,
        st=np.zeros((rows, n), np.float32), ref=np.zeros(n, np.int32),
        noise=np.zeros(n, np.float32), indptr=syn.indptr, syn=syn.syn, weight=syn.weight,
        tag=syn.tag, shift=syn.shift, n_slots=syn.n_slots, n_channels=syn.n_channels,
        projections=syn.projections, plastic=syn.plastic,
        poisson=inp.poisson_inputs(brain, start_of, raw_of),
        noise_inputs=inp.noise_inputs(brain, start_of),
        trains=inp.spike_trains(pops, lo, brain.dt_ms), timed=inp.timed_rates(pops, brain.dt_ms),
        seed=brain.seed, noise_seed=brain.noise_seed, osc_names=osc_names,
        osc_freq=np.array([brain.oscillators[o].freq_hz for o in osc_names]),
        osc_phase=np.array([brain.oscillators[o].phase_rad for o in osc_names]),
        pop_rhythm=desc.rhythm, desc=desc, rank=rank,
    )  # fmt: skip
    st, ref, noise = initial_state(net, pops)
    net.st[...], net.ref[...], net.noise[...] = st, ref, noise
    return net


def initial_state(net, pops, copy=0):
    """The initial (st, ref, noise) of copy ``copy`` of a batch: each variable's initial
    value (the user's ``init``, else the model's default) drawn from (seed, population,
    variable) and, for copies > 0, the copy."""
    st = np.zeros((net.n_rows, net.n), np.float32)
    for k, pop in enumerate(pops):
        write_initial(net, pop, k, st, copy)
    return st, np.zeros(net.n, np.int32), net.noise_inputs.initial(net.seed, net.n, copy)


def write_initial(net, pop, k, st, copy=0):
    lo, hi, model = net.lo[k], net.hi[k], pop.model
    raw = net.raw[k]
    who = f"population {pop.name!r}"
    for row, (var, spec) in enumerate(model.state.items()):
        if var in pop.initial:
            value = pop.initial[var]
        elif isinstance(model, PoissonSource):
            value = model.default_state(var)
        else:
            value = _default(spec.init, raw)
        rng = numpy_rng(net.seed, "init", pop.name, var, *copy_parts(copy))
        x = resolve(value, pop.n, rng, f"{who}: {var}")
        if spec.low is not None and np.any(x < spec.low):
            bad = x[x < spec.low][0]
            raise ValueError(f"{who}: {var} must be >= {spec.low:g}, got {bad:g}"
                             + (f" (drawn from {value}; clip it with low=)"
                                if isinstance(value, Distribution) else ""))  # fmt: skip
        if isinstance(model, PoissonSource) and np.any(x * net.dt_ms * 1e-3 > 1):
            raise ValueError(
                f"{who}: rate_hz above {1e3 / net.dt_ms:g} Hz (one spike per step at "
                f"dt_ms={net.dt_ms}) cannot be represented"
            )
        bad = float32_problem(x)
        if bad is not None:
            raise ValueError(f"{who}: the initial {var} = {bad:g} does not fit a float32 "
                             "(finite, at most 3.4e38 in size)")  # fmt: skip
        st[row, lo:hi] = x


def _default(init, raw):
    if isinstance(init, str):
        return raw[init]
    if callable(init):
        x = np.asarray(init(raw), np.float64)
        return float(x) if x.ndim == 0 else x
    return float(init)


def activate(net, k, var) -> bool:
    """Put optional state variable ``var`` of population ``k`` in use (a nonzero value was
    set or restored): its group's loop must integrate it. Regroups; returns whether
    anything changed (the backend then regenerates its loops)."""
    model = net.models[k]
    spec = model.state.get(var)
    active = net.desc.active[k]
    if spec is None or not spec.optional or var in active:
        return False
    net.desc.active[k] = tuple(v for v in model.state if v in active or v == var)
    net.desc.active = nrn.share_optional(net.models, net.desc.active)
    regroup(net)
    return True


def regroup(net) -> None:
    """The groups, variants and constant tables again from ``net.desc`` (and, in a batch
    whose copies have parameters of their own, the copies' tables)."""
    net.groups = nrn.make_groups(net.desc, net.dt_ms)
    if net.copy_constants is not None:
        net.copy_cpar, net.copy_pn = nrn.copy_tables(net.desc, net.copy_constants, net.groups,
                                                     net.dt_ms)  # fmt: skip
    net.variants = nrn.variants_of(net.groups)
    net.tables = nrn.constant_tables(net.groups, net.dt_ms)


def check_modulated_rates(net, st):
    """A rhythm scales a Poisson rate by up to ``1 + depth``: refuse a rate whose peak would
    exceed one spike per step (it would be clipped there, silently). ``st``: ``[..., R,
    N]``."""
    for k, (osc, depth, _thr) in enumerate(net.pop_rhythm):
        if osc < 0 or not isinstance(net.models[k], PoissonSource):
            continue
        if net.models[k].timed:
            rates = net.models[k].rate_hz.values
        else:
            rates = st[..., 0, net.lo[k] : net.hi[k]]
        peak = float(np.max(rates)) * (1.0 + depth)
        if peak * net.dt_ms * 1e-3 > 1:
            raise ValueError(
                f"population {net.names[k]!r}: rate_hz up to {peak:g} Hz at the peak of its "
                f"rhythm exceeds one spike per step ({1e3 / net.dt_ms:g} Hz at "
                f"dt_ms={net.dt_ms:g}); lower the rate or the depth"
            )


__all__ = ["MAX_DELAY_STEPS", "Network", "build_network", "channel_of", "estimate_bytes"]
