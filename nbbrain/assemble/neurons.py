"""The neurons of a brain as arrays: parameters, constants, groups and the state layout.

- Parameters are resolved per population (distributions drawn from the brain's seed, each
  value checked against its range), then the model derives its constants. A constant is
  stored once for its group where all its neurons share it, per neuron only where it varies.
- A *group* is a run of consecutive populations of one model that one compiled loop
  updates: the same *variant* (which optional state variables are in use, which constants
  are per neuron) and the same rhythm. Populations with equal constants always share a
  group; runs of small populations (fewer than ``config.MERGE_NEURONS`` neurons, at least
  ``config.MERGE_POPULATIONS`` of them) share one even where their constants differ (those
  become per-neuron), so that many small populations cost about what few large ones cost;
  a few such populations keep a loop each (a loop with per-neuron constants is one more
  to compile, where theirs is likely compiled anyway).
- A *balance unit* is a population, or a run of consecutive small populations of one model
  and rhythm: each is cut evenly between the threads' parts (``neuron_parts``), so that every
  thread has a like share of each step's work however the populations' activity differs.
- State: ``st[R, N]`` float32, row k holding the k-th state variable of each neuron's model
  (R the largest number of state variables); refractory counts ``ref[N]``; Poisson rates
  ``rate[N]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .. import config
from ..model.values import Distribution, resolve, whole_steps
from ..neurons.base import check_range, float32_problem
from ..neurons.sources import PoissonSource, Source, SpikeSource

#: unit kinds: a group of neurons, a Poisson source population, a SpikeSource population
U_NEURONS, U_POISSON, U_GIVEN = 0, 1, 2
#: the engine's constant of models with a refractory period: the period in steps
REF_STEPS = "ref_steps"


def constant_names(model_cls, dt_ms: float) -> tuple:
    """The constants the compiled functions see, in order: every parameter, the derived
    constants, and ``ref_steps`` for models with a refractory period."""
    defaults = {k: p.default for k, p in model_cls.parameters.items()}
    names = list(model_cls.parameters) + list(model_cls.derive(defaults, dt_ms))
    if model_cls.refractory_parameter is not None:
        names.append(REF_STEPS)
    return tuple(names)


def resolve_parameters(pop, seed: int, numpy_rng, dt_ms: float) -> dict:
    """name -> float or float64 array [n]: the population's parameters, distributions drawn
    (from the seed, the population and the parameter; a refractory period so drawn is
    rounded to whole steps, as drawn delays are), each checked against its range and the
    model's cross-checks."""
    model, who = pop.model, f"population {pop.name!r}"
    out = {}
    for name, value in model.params.items():
        param = model.parameters[name]
        if isinstance(value, Distribution):
            x = resolve(value, pop.n, numpy_rng(seed, "param", pop.name, name), f"{who}: {name}")
            check_range(x, param, f"{who}: {name} (drawn from {value})")
            if name == model.refractory_parameter:  # drawn periods: whole steps, as delays
                x = np.floor(x / dt_ms + 0.5) * dt_ms
        elif isinstance(value, np.ndarray):
            if value.shape[0] != pop.n:
                raise ValueError(f"{who}: {name} must have length {pop.n}, got {value.shape[0]}")
            x = value
        else:
            x = float(value)
        out[name] = x
    model.check(out, who)
    return out


def population_constants(pop, raw: dict, dt_ms: float) -> dict:
    """name -> float or float64 array: the constants of a population (``constant_names``),
    arrays only where the values differ between neurons."""
    model, who = pop.model, f"population {pop.name!r}"
    consts = dict(raw)
    consts.update(model.derive(raw, dt_ms))
    if model.refractory_parameter is not None:
        consts[REF_STEPS] = refractory_steps(raw[model.refractory_parameter], dt_ms, who)
    out = {}
    for name, x in consts.items():
        x = np.asarray(x, np.float64)
        bad = float32_problem(x, underflow=name in raw)
        if bad is not None and name in raw:  # (the kernels hold it as a float32)
            raise ValueError(f"{who}: {name} = {bad:g} does not fit a float32 (finite, at "
                             f"most 3.4e38 in size, and 0 or at least 1.4e-45)")  # fmt: skip
        if bad is not None:
            raise ValueError(f"{who}: the constant {name} = {bad:g} derived from its "
                             "parameters is not a finite float32")  # fmt: skip
        if x.ndim and x.size and np.all(x == x.flat[0]):
            x = x.flat[0]
        out[name] = float(x) if x.ndim == 0 else np.broadcast_to(x, (pop.n,)).copy()
    return out


def refractory_steps(t_ref_ms, dt_ms: float, who: str):
    """The refractory period in whole steps (per neuron where it varies)."""
    values = np.atleast_1d(np.asarray(t_ref_ms, np.float64))
    uniq = np.unique(values)
    steps = {float(t): whole_steps(t, dt_ms, f"{who}: t_ref_ms", minimum=0) for t in uniq}
    out = np.array([steps[float(t)] for t in values], np.float64)
    return out[0] if np.ndim(t_ref_ms) == 0 else out


def active_state(pop, raw: dict, targeted: set) -> tuple:
    """The state variables in use in a population: all but the optional ones that no
    projection targets, no initial value sets and no parameter needs."""
    model = pop.model
    on = set(targeted) | model.activates(raw)
    for var, value in pop.initial.items():
        if isinstance(value, Distribution) or np.any(np.asarray(value) != 0):
            on.add(var)
    return tuple(k for k, s in model.state.items() if not s.optional or k in on)


def share_optional(models, active) -> list:
    """The state in use per population after pooling: populations of one model that use
    any optional state variable all use every optional one in use among them (unused,
    a variable stays 0 and changes nothing), so that a model compiles at most two loops
    of its own (without and with its optional state), not one per combination."""
    pooled: dict = {}
    for model, on in zip(models, active):
        pooled.setdefault(type(model), set()).update(k for k in on if model.state[k].optional)
    out = []
    for model, on in zip(models, active):
        if any(model.state[k].optional for k in on):
            on = tuple(k for k in model.state if k in on or k in pooled[type(model)])
        out.append(on)
    return out


@dataclass(frozen=True)
class Variant:
    """One compiled form of a model: the state variables in use, the constants stored per
    neuron, and the constants that are 0 because only unused optional state needs them."""

    model: type
    active: tuple
    per_neuron: tuple
    zero: tuple

    @property
    def name(self) -> str:
        return self.model.__name__


@dataclass
class Group:
    """A run of consecutive populations that one compiled loop updates."""

    lo: int
    hi: int
    pops: list  # population indices
    variant: Variant
    rhythm: tuple  # (oscillator index or -1, depth, threshold_mv)
    constants: dict  # name -> float, or float64 array [hi - lo]
    slot: int = -1  # index of its variant among the brain's variants


@dataclass
class Populations:
    """Per population, what the layout needs (indexed like ``names``)."""

    names: list
    lo: np.ndarray
    hi: np.ndarray
    models: list
    raw: list  # resolved parameters (dicts) of neuron populations, None for sources
    constants: list
    active: list
    rhythm: list  # (oscillator index or -1, depth, threshold_mv)

    def size(self, k):
        return int(self.hi[k] - self.lo[k])


def _zero_constants(model_cls, active) -> tuple:
    unused = [s for k, s in model_cls.state.items() if s.optional and k not in active]
    return tuple(sorted({c for s in unused for c in s.constants}))


def _variant(pops: Populations, ks: list, names: tuple) -> Variant:
    """The variant of a group of populations ``ks``: constants that vary within one of them
    or between them are per neuron."""
    model = type(pops.models[ks[0]])
    active = pops.active[ks[0]]
    zero = _zero_constants(model, active)
    per = []
    for name in names:
        if name in zero:
            continue
        values = [pops.constants[k][name] for k in ks]
        if any(isinstance(v, np.ndarray) for v in values) or len({float(v) for v in values}) > 1:
            per.append(name)
    return Variant(model, active, tuple(per), zero)


def _same_kind(pops, a, b) -> bool:
    return (type(pops.models[a]) is type(pops.models[b]) and pops.active[a] == pops.active[b]
            and pops.rhythm[a] == pops.rhythm[b])  # fmt: skip


def _equal_constants(pops, a, b) -> bool:
    ca, cb = pops.constants[a], pops.constants[b]
    return all(
        not isinstance(ca[n], np.ndarray)
        and not isinstance(cb[n], np.ndarray)
        and np.float32(ca[n]) == np.float32(cb[n])
        for n in ca
    )


def _small(pops, k) -> bool:
    return pops.size(k) < config.get("MERGE_NEURONS")


def _split_few(pops, runs) -> list:
    """``runs``, with those of fewer than ``config.MERGE_POPULATIONS`` populations whose
    constants differ cut where they differ."""
    out = []
    for ks in runs:
        if len(ks) >= config.get("MERGE_POPULATIONS"):
            out.append(ks)
            continue
        sub = [ks[0]]
        for k in ks[1:]:
            if _equal_constants(pops, sub[0], k):
                sub.append(k)
            else:
                out.append(sub)
                sub = [k]
        out.append(sub)
    return out


def make_groups(pops: Populations, dt_ms: float) -> list:
    """The groups of the neuron populations, in neuron order (see the module docstring)."""
    runs, run = [], []
    same = small = False  # whether all of ``run`` have equal constants, are small
    for k, model in enumerate(pops.models):
        if isinstance(model, Source):
            runs, run = runs + ([run] if run else []), []
            continue
        if run and _same_kind(pops, run[-1], k):
            still_same = same and _equal_constants(pops, run[0], k)
            still_small = small and _small(pops, k)
            if still_same or still_small:
                run.append(k)
                same, small = still_same, still_small
                continue
        if run:
            runs.append(run)
        run, same, small = [k], True, _small(pops, k)
    if run:
        runs.append(run)
    groups = []
    for ks in _split_few(pops, runs):
        model = pops.models[ks[0]]
        variant = _variant(pops, ks, constant_names(type(model), dt_ms))
        consts = group_constants(pops, ks, variant, dt_ms)
        groups.append(Group(int(pops.lo[ks[0]]), int(pops.hi[ks[-1]]), ks, variant,
                            pops.rhythm[ks[0]], consts))  # fmt: skip
    return groups


def group_constants(pops: Populations, ks: list, variant: Variant, dt_ms: float) -> dict:
    """The constants of the group of populations ``ks``: per neuron those the variant
    stores so, else one value."""
    consts = {}
    for name in constant_names(variant.model, dt_ms):
        if name in variant.per_neuron:
            consts[name] = np.concatenate(
                [np.broadcast_to(pops.constants[k][name], (pops.size(k),)) for k in ks]
            )
        elif name not in variant.zero:
            consts[name] = float(pops.constants[ks[0]][name])
    return consts


def copy_tables(pops: Populations, copies: list, groups: list, dt_ms: float):
    """The constant tables of each copy of a batch whose copies have parameters of their
    own: ``copies[c]`` holds copy c's constants per population (as ``pops.constants``).
    The groups keep their populations; a constant is per neuron in a group's variant where
    it varies in any copy (one compiled loop serves all copies). Returns (cpar [B, G, W],
    pn [B, P]) and sets the groups' variants (and slots)."""
    for g in groups:
        names = constant_names(g.variant.model, dt_ms)
        per = set(g.variant.per_neuron)
        for consts in copies:
            per |= set(_variant(replace(pops, constants=consts), g.pops, names).per_neuron)
        g.variant = replace(g.variant, per_neuron=tuple(n for n in names if n in per))
        g.constants = group_constants(pops, g.pops, g.variant, dt_ms)
    tables = []
    for consts in copies:
        of_copy = replace(pops, constants=consts)
        gs = [replace(g, constants=group_constants(of_copy, g.pops, g.variant, dt_ms))
              for g in groups]  # fmt: skip
        tables.append(constant_tables(gs, dt_ms))
    return np.stack([t.cpar for t in tables]), np.stack([t.pn for t in tables])


def variants_of(groups) -> list:
    """The distinct variants, in order of first use; each group's ``slot`` is set."""
    out = []
    for g in groups:
        if g.variant not in out:
            out.append(g.variant)
        g.slot = out.index(g.variant)
    return out


def balance_units(pops: Populations) -> tuple:
    """(lo, hi) of the balance units (see the module docstring), in neuron order."""
    lo, hi = [], []
    prev = None
    for k, model in enumerate(pops.models):
        small = _small(pops, k)
        if prev is not None and small and _small(pops, prev) and _same_kind(pops, prev, k) \
                and not isinstance(model, Source):  # fmt: skip
            hi[-1] = int(pops.hi[k])
        else:
            lo.append(int(pops.lo[k]))
            hi.append(int(pops.hi[k]))
        prev = k
    return np.array(lo, np.int64), np.array(hi, np.int64)


def neuron_parts(unit_lo, unit_hi, parts: int) -> np.ndarray:
    """uint8 ``[N]``: the part of each neuron. A thread owns a part: it updates those
    neurons and adds their synaptic input, so that their state and input stay in its core's
    cache. Each balance unit is cut into ``parts`` nearly equal pieces, piece p in part p."""
    out = np.empty(int(unit_hi[-1]) if len(unit_hi) else 0, np.uint8)
    for a, b in zip(unit_lo, unit_hi):
        out[a:b] = np.arange(b - a) * parts // max(b - a, 1)
    return out


@dataclass
class ConstantTables:
    """The groups' constants for the kernels: ``cpar[g, j]`` (the j-th constant of group g's
    variant, where it is shared) and ``pn[pn_off[g, j] + i - lo_g]`` (where it is per
    neuron; ``pn_off`` -1 elsewhere)."""

    cpar: np.ndarray
    pn: np.ndarray
    pn_off: np.ndarray
    names: list = field(default_factory=list)  # per group: its constant names, in order


def constant_tables(groups, dt_ms: float) -> ConstantTables:
    names = [constant_names(g.variant.model, dt_ms) for g in groups]
    width = max((len(n) for n in names), default=1)
    cpar = np.zeros((len(groups), width), np.float32)
    pn_off = np.full((len(groups), width), -1, np.int64)
    pieces, pos = [], 0
    for gi, (g, ns) in enumerate(zip(groups, names)):
        for j, name in enumerate(ns):
            if name in g.variant.per_neuron:
                pn_off[gi, j] = pos
                pieces.append(g.constants[name].astype(np.float32))
                pos += g.hi - g.lo
            elif name in g.constants:
                cpar[gi, j] = g.constants[name]
    pn = np.concatenate(pieces) if pieces else np.zeros(1, np.float32)
    return ConstantTables(cpar, pn, pn_off, list(names))


def state_rows(models) -> int:
    """R: the most state variables of any model (rows of ``st``)."""
    return max((len(m.state) for m in models), default=1) or 1


def source_kind(model) -> int:
    if isinstance(model, PoissonSource):
        return U_POISSON
    if isinstance(model, SpikeSource):
        return U_GIVEN
    return U_NEURONS
