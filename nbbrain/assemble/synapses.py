"""The synapses of a brain: every static projection in one CSR by presynaptic neuron.

- ``indptr`` (int64; each row cut into ``n_parts`` parts by target, one per propagation
  thread, ``indptr`` pointing at the parts), ``syn`` (the delay in steps and the target
  ``channel * N + post`` packed into one unsigned integer, ``delay << shift | target``: uint32
  while they fit in 32 bits, as they do up to millions of neurons, else uint64) and
  ``weight`` (float32, in the target's internal unit): 8 bytes per synapse.
- Projections fill their rows in name order, each row is then ordered by part and delay
  (stably), so each projection's synapses can be found again (``locate``): by the
  populations of their row and target and by their channel, and where two projections
  share those, by a per-synapse projection tag (``tag``, uint16; only then stored).
- Weights and delays are drawn per projection from the brain's seed; rules generate their
  pairs in ``connect.py`` (and ``FixedTotalNumber`` row by row, in compiled code,
  ``rows.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..model.brain import MAX_DELAY_STEPS, delay_steps
from ..model.connectivity import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedProbability,
    FixedTotalNumber,
    FromArrays,
    OneToOne,
)
from ..model.values import resolve
from ..neurons.base import float32_problem
from . import connect as C
from . import rows as rows_mod
from .keys import numpy_rng, stable_key
from .plastic import build_plastic, local_index

#: arrays of synapses larger than this are written once in order before they are filled
#: (``rows.first_touch``); smaller ones cost few page faults either way
FIRST_TOUCH_BYTES = 64 << 20


@dataclass
class ProjectionInfo:
    """Where a projection's synapses are, and how to read them back in user units."""

    index: int
    name: str
    pre: list  # population indices, in the projection's order
    post: list
    channel: int
    receptor: str
    unit: str
    factor: np.ndarray  # per post neuron (concatenation): internal weight per user unit
    sign: int
    n_synapses: int
    tag: int  # the tag of its synapses where tags are stored, else -1
    group: int = -1  # its plastic group (its synapses are in ``Plastic``), or -1: static


def _self_map(pres, posts):
    """For each index of the concatenated pre list, the index of the same neuron in the
    concatenated post list, or -1."""
    post_start, start = {}, 0
    for p in posts:
        post_start[p.name] = start
        start += p.n
    out = np.full(sum(p.n for p in pres), -1, np.int64)
    start = 0
    for p in pres:
        if p.name in post_start:
            out[start : start + p.n] = post_start[p.name] + np.arange(p.n)
        start += p.n
    return out


def generate(rule, key, n_pre, n_post, self_post):
    """Local (pre, post) int32 arrays of one projection."""
    if isinstance(rule, FromArrays):
        return rule.pre.astype(np.int32), rule.post.astype(np.int32)
    if isinstance(rule, OneToOne):
        idx = np.arange(n_pre, dtype=np.int32)
        return idx, idx.copy()
    if isinstance(rule, AllToAll):
        return C.all_to_all(n_pre, n_post, self_post, rule.allow_autapses)
    if isinstance(rule, FixedProbability):
        return C.fixed_probability(key, n_pre, n_post, rule.p, self_post, rule.allow_autapses)
    if isinstance(rule, FixedOutdegree):
        return C.fixed_degree(key, n_pre, n_post, rule.k, self_post, rule.allow_autapses,
                              rule.allow_multapses)  # fmt: skip
    if isinstance(rule, FixedTotalNumber):
        return C.fixed_total_number(key, n_pre, n_post, rule.n, self_post, rule.allow_autapses)
    if isinstance(rule, FixedIndegree):
        self_pre = np.full(n_post, -1, np.int64)
        has = self_post >= 0
        self_pre[self_post[has]] = np.flatnonzero(has)
        post, pre = C.fixed_degree(key, n_post, n_pre, rule.k, self_pre, rule.allow_autapses,
                                   rule.allow_multapses)  # fmt: skip
        return pre, post
    raise TypeError(f"unknown connectivity rule {rule!r}")  # pragma: no cover


def _values(value, pre, post, rng, what):
    """A weight or delay value for the pairs (pre, post): a matrix read at each pair, an
    array as given (one per synapse), a distribution drawn, a scalar repeated."""
    if isinstance(value, np.ndarray) and value.ndim == 2:
        return value[pre, post]
    return resolve(value, pre.size, rng, what)


def _delays_steps(proj, pre, post, pre_pop_of, rng, dt_ms):
    """Delays of a projection's synapses in whole steps (>= 1). Source populations that
    share one delay value (one object: a scalar, array or distribution given for all) take
    it together, in one draw."""
    out = np.empty(pre.size, np.int64)
    shared: dict = {}
    for k, value in enumerate(proj.delay.values()):
        shared.setdefault(id(value), (value, []))[1].append(k)
    for value, ks in shared.values():
        sel = slice(None) if len(shared) == 1 else np.isin(pre_pop_of, ks)
        if isinstance(value, np.ndarray):
            ms = value[pre[sel], post[sel]] if value.ndim == 2 else value[sel]
        else:
            n = pre.size if len(shared) == 1 else int(np.count_nonzero(sel))
            ms = resolve(value, n, rng, f"connection {proj.name}: delay_ms")
        out[sel] = np.maximum(delay_steps(ms, dt_ms, proj.delay_rounding or "round"), 1)
    return out


def _weights(proj, scale, pre, post, rng):
    where = f"connection {proj.name}: {proj.weight_unit}"
    w = _values(proj.weight, pre, post, rng, where)
    sign = proj.post[0].model.receptors[proj.receptor].sign
    if sign and np.any(w * sign < 0):
        _bad_weight(proj, w[w * sign < 0][0])
    w = w * scale[post]
    bad = float32_problem(w)
    if bad is not None:
        _bad_weight(proj, bad)
    return w


def weight_factor(proj, raw_of) -> np.ndarray:
    """Per post neuron (the concatenation), the internal weight per unit of the user's
    weight: the receptor's factor for the unit (1, or a parameter of the target neuron,
    such as ``g_leak_ns`` for ``weight_mv`` onto a current synapse)."""
    parts = []
    for p in proj.post:
        f = p.model.receptors[proj.receptor].units[proj.weight_unit]
        value = raw_of[p.name][f] if isinstance(f, str) else f
        parts.append(np.broadcast_to(np.asarray(value, np.float64), (p.n,)))
    return np.concatenate(parts)


def channel_of(proj) -> int:
    return type(proj.post[0].model).channel(proj.receptor)


def _row_wise(proj) -> bool:
    """Projections generated row by row in compiled code (``rows.py``): the
    ``FixedTotalNumber`` rule with scalar or distributed weights and delays."""
    values = [proj.weight, *proj.delay.values()]
    return isinstance(proj.rule, FixedTotalNumber) and not any(
        isinstance(v, np.ndarray) for v in values
    )


def _bad_weight(proj, w):
    where = f"connection {proj.name}: {proj.weight_unit}"
    if not abs(w) <= float(np.finfo(np.float32).max):
        raise ValueError(f"{where}: a weight of {w:g} in the kernel's unit (after the "
                         f"receptor's factor) does not fit a float32 (finite, at most "
                         f"3.4e38 in size)")  # fmt: skip
    sign = proj.post[0].model.receptors[proj.receptor].sign
    want = ">= 0" if sign > 0 else "<= 0"
    raise ValueError(
        f"{where} for receptor {proj.receptor!r} must be {want}; the "
        f"distribution {proj.weight} drew {w:g} (clip it)"
    )


def _global_index(pops, start_of) -> np.ndarray:
    """The network index of each neuron of the concatenation of ``pops``."""
    starts = np.array([start_of[p.name] for p in pops], np.int64)
    sizes = np.array([p.n for p in pops], np.int64)
    return np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())


class _Pairs:
    """A projection drawn as (pre, post) pairs, sorted by (pre, delay, target)."""

    def __init__(self, brain, proj, key, copy, start_of, n, factor):
        pres, posts = proj.pre, proj.post
        rng = numpy_rng(brain.seed, "values", proj.name, proj.receptor, copy)
        pre, post = generate(proj.rule, key, proj.n_pre, proj.n_post, _self_map(pres, posts))
        pre_global, post_global = _global_index(pres, start_of), _global_index(posts, start_of)
        pre_pop = np.repeat(np.arange(len(pres)), [p.n for p in pres])[pre]
        weight = _weights(proj, factor, pre, post, rng)
        delay = _delays_steps(proj, pre, post, pre_pop, rng, brain.dt_ms)
        target = channel_of(proj) * n + post_global[post]
        pre = pre_global[pre]
        rows, perm = C.sort_synapses(pre.astype(np.int64), delay, target, n)
        self.first = rows[:-1]
        self.counts = np.diff(rows)
        self.pre = pre[perm].astype(np.int64)
        self.target, self.weight, self.delay = target[perm], weight[perm], delay[perm]
        self.max_delay = int(delay.max()) if delay.size else 1

    def keep_part(self, part_of, part, n):
        """Keep only the synapses onto the neurons of ``part`` (an MPI rank's)."""
        keep = part_of[self.target % n] == part
        self.pre, self.target = self.pre[keep], self.target[keep]
        self.weight, self.delay = self.weight[keep], self.delay[keep]
        self.counts = np.bincount(self.pre, minlength=n)
        self.first = np.cumsum(self.counts) - self.counts  # (by row: ``pre`` ascends)

    def fill(self, cursor, shift, syn, weight, tag, t):
        pos = cursor[self.pre] + (np.arange(self.pre.size) - self.first[self.pre])
        syn[pos] = (self.delay.astype(syn.dtype) << shift) | self.target.astype(syn.dtype)
        weight[pos] = self.weight
        if tag.size:
            tag[pos] = t
        cursor += self.counts


class _Rows:
    """A ``FixedTotalNumber`` projection: multinomial row sizes now, rows drawn in ``fill``."""

    def __init__(self, brain, proj, key, copy, start_of, n, factor):
        pres, posts = proj.pre, proj.post
        self.proj, self.n, self.factor = proj, n, factor
        self.pre_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in pres])
        self.post_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in posts])
        self.self_post = _self_map(pres, posts)
        # the pairs are uniform over the allowed ones: a row's share is its allowed targets
        allowed = np.full(self.pre_global.size, float(self.post_global.size))
        if not proj.rule.allow_autapses:
            allowed -= self.self_post >= 0
        rng = np.random.default_rng(int(key))
        if proj.rule.n:  # (no synapses, perhaps nothing allowed: no shares to draw)
            self.counts = rng.multinomial(proj.rule.n, allowed / allowed.sum())
        else:
            self.counts = np.zeros(allowed.size, np.int64)
        self.keys = np.array([stable_key(key, s) for s in ("synapse", "weight")])
        rounding = proj.delay_rounding or "round"
        tables = [rows_mod.delay_cdf(v, brain.dt_ms, rounding, MAX_DELAY_STEPS)
                  for v in proj.delay.values()]  # fmt: skip
        self.max_delay = max(t.size - 1 for t in tables)
        cdf = np.ones((len(tables), self.max_delay + 1))
        for k, t in enumerate(tables):
            cdf[k, : t.size] = t
        guides = [rows_mod.delay_guide(c) for c in cdf]
        self.thr = np.array([g[0] for g in guides])
        self.guide = np.array([g[1] for g in guides])
        self.src = np.repeat(np.arange(len(pres)), [p.n for p in pres])
        self.drawn, self.part_of, self.part = self.counts, np.zeros(0, np.uint8), -1

    def keep_part(self, part_of, part, n):
        """Keep only the synapses onto the neurons of ``part`` (an MPI rank's): counted
        now, the others skipped as the rows are drawn."""
        self.part_of, self.part = part_of, part
        self.counts = rows_mod.count_rows_in_part(
            self.keys, self.drawn, self.post_global, self.self_post,
            self.proj.rule.allow_autapses, part_of, part,
        )  # fmt: skip

    def fill(self, cursor, shift, syn, weight, tag, t):
        proj = self.proj
        bad = np.zeros(self.counts.size)
        sign = proj.post[0].model.receptors[proj.receptor].sign
        wpar = rows_mod.weight_params(proj.weight)
        start = cursor[self.pre_global]
        rows_mod.make_fill_rows(int(wpar[0]))(
            self.keys, self.drawn, start, self.post_global, self.factor, self.self_post,
            proj.rule.allow_autapses, channel_of(proj) * self.n, wpar, float(sign),
            self.thr, self.guide, self.src, shift, syn, weight, bad, self.part_of, self.part,
        )  # fmt: skip
        if np.any(bad != 0):
            _bad_weight(proj, bad[bad != 0][0])
        if tag.size:
            for a, c in zip(start, self.counts):
                tag[a : a + c] = t
        cursor[self.pre_global] += self.counts


@dataclass
class Synapses:
    indptr: np.ndarray  # [N * n_parts + 1]
    syn: np.ndarray
    weight: np.ndarray
    tag: np.ndarray  # uint16 per synapse, or empty
    shift: int
    n_slots: int
    n_channels: int
    projections: list  # ProjectionInfo, in the brain's order
    plastic: object  # assemble.plastic.Plastic


def _needs_tags(order, index_of) -> bool:
    """Whether two projections share a (pre population, post population, channel): only
    then can their synapses not be told apart without a tag."""
    n_pops = len(index_of)
    n_channels = 1 + max((channel_of(proj) for proj in order), default=0)
    keys = []
    for proj in order:
        a = np.array([index_of[p.name] for p in proj.pre], np.int64)
        b = np.array([index_of[p.name] for p in proj.post], np.int64)
        pairs = np.unique((a[:, None] * n_pops + b[None, :]).ravel())
        keys.append(pairs * n_channels + channel_of(proj))
    keys = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return bool(np.unique(keys).size < keys.size)


def _delays_ascend(indptr, syn, shift, chunk=1 << 22) -> bool:
    """Whether every row's delays already ascend (as when all delays are equal), so that
    ``sort_rows`` (one part) would change nothing. Read in chunks: no temporaries the
    size of the synapses."""
    starts = indptr[1:-1]
    s = syn.dtype.type(shift)
    for a in range(0, max(syn.size - 1, 0), chunk):
        b = min(a + chunk, syn.size - 1)
        delay = syn[a : b + 1] >> s
        down = delay[1:] < delay[:-1]  # down[i]: synapse a + i + 1 after a + i
        # rows that start at a + i + 1 (row starts ascend)
        first = starts[np.searchsorted(starts, a, "right") : np.searchsorted(starts, b, "right")]
        down[first - a - 1] = False
        if down.any():
            return False
    return True


def build_synapses(brain, names, lo, part_of_neuron, parts, raw_of, rank=None) -> Synapses:
    """Generate every projection and pack them into the CSR (see the module docstring).
    ``part_of_neuron`` (uint8 [N]): the thread part that owns each neuron. ``rank``: keep
    only the synapses onto the neurons of that part (an MPI rank's; the other parts of each
    row are empty)."""
    n = int(len(part_of_neuron))
    start_of = {name: int(s) for name, s in zip(names, lo)}
    index_of = {name: k for k, name in enumerate(names)}
    everything = sorted(brain.projections, key=lambda q: (q.name, q.receptor))
    copies, copy_of, plans, factors = {}, {}, [], {}
    for proj in everything:
        copy = copies[proj.name, proj.receptor] = copies.get((proj.name, proj.receptor), -1) + 1
        copy_of[id(proj)] = copy
        factors[id(proj)] = weight_factor(proj, raw_of)
    order = [q for q in everything if q.plasticity is None]
    plastic = [q for q in everything if q.plasticity is not None]
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the build uses every core
    for proj in order:
        copy = copy_of[id(proj)]
        key = stable_key(brain.seed, "connect", proj.name, proj.receptor, copy)
        try:
            plan = (_Rows if _row_wise(proj) else _Pairs)(brain, proj, key, copy, start_of, n,
                                                          factors[id(proj)])  # fmt: skip
        except ValueError as e:  # (a drawn value out of range: name the connection)
            msg = str(e) if str(e).startswith("connection ") else f"connection {proj.name}: {e}"
            raise ValueError(msg) from None
        if plan.max_delay > MAX_DELAY_STEPS:
            raise ValueError(f"connection {proj.name}: a delay of {plan.max_delay} steps "
                             f"exceeds the {MAX_DELAY_STEPS} steps supported")  # fmt: skip
        plans.append(plan)
    channels = [channel_of(p) for p in brain.projections] + [
        type(q.targets[0].model).channel(q.receptor) for q in brain.poisson_inputs
    ]
    n_channels = 1 + max(channels, default=0)
    max_delay = max((q.max_delay for q in plans), default=1)
    shift = max(1, (n_channels * n - 1).bit_length())
    syn_dtype = np.uint32 if shift + max_delay.bit_length() <= 32 else np.uint64
    if rank is not None:
        for q in plans:
            q.keep_part(part_of_neuron, rank, n)
    per_row = np.zeros(n, np.int64)
    for q in plans:
        per_row[q.pre_global if isinstance(q, _Rows) else slice(None)] += q.counts
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(per_row, out=indptr[1:])
    syn = np.empty(indptr[-1], syn_dtype)
    weight = np.empty(indptr[-1], np.float32)
    tagged = _needs_tags(order, index_of)
    if tagged and len(order) > 65535:
        raise ValueError("more than 65535 projections share populations and receptors")
    tag = np.zeros(indptr[-1] if tagged else 0, np.uint16)
    if syn.nbytes > FIRST_TOUCH_BYTES:
        rows_mod.first_touch(syn, weight)
    cursor = indptr[:-1].copy()
    for t, q in enumerate(plans):
        q.fill(cursor, syn_dtype(shift), syn, weight, tag, t)
    if parts == 1 and _delays_ascend(indptr, syn, shift):
        seg = indptr  # already in order (one part): nothing to sort (nor to compile)
    else:
        seg = np.empty(n * parts + 1, np.int64)
        mask = syn_dtype((1 << shift) - 1)
        # targets channel * N + post belong to the part that holds post
        part_of = np.tile(part_of_neuron, n_channels)
        sort = rows_mod.sort_rows_small if syn.size <= rows_mod.SMALL_SORT else rows_mod.sort_rows
        sort(indptr, syn, weight, tag, syn_dtype(shift), mask, max_delay + 1, part_of, seg)
    infos = []
    for t, (proj, plan) in enumerate(zip(order, plans)):
        sign = proj.post[0].model.receptors[proj.receptor].sign
        infos.append(ProjectionInfo(
            brain.projections.index(proj), proj.name, [index_of[p.name] for p in proj.pre],
            [index_of[p.name] for p in proj.post], channel_of(proj), proj.receptor,
            proj.weight_unit, factors[id(proj)], sign, int(plan.counts.sum()),
            t if tagged else -1,
        ))  # fmt: skip

    def pairs_of(proj, _copy, key):  # (in the projection's unit: factors of one)
        return _Pairs(brain, proj, key, copy_of[id(proj)], start_of, n, np.ones(proj.n_post))

    def info_of(proj, group, n_syn):
        sign = proj.post[0].model.receptors[proj.receptor].sign
        return ProjectionInfo(
            brain.projections.index(proj), proj.name, [index_of[p.name] for p in proj.pre],
            [index_of[p.name] for p in proj.post], channel_of(proj), proj.receptor,
            proj.weight_unit, factors[id(proj)], sign, n_syn, -1, group,
        )  # fmt: skip

    pl, plastic_infos = build_plastic(brain, plastic, pairs_of, start_of, index_of, n, parts,
                                      part_of_neuron, factors, n_channels, shift,
                                      info_of)  # fmt: skip
    infos += plastic_infos
    infos.sort(key=lambda i: i.index)
    return Synapses(seg, syn, weight, tag, shift, max_delay + 1, n_channels, infos, pl)


def locate(net, info: ProjectionInfo):
    """A projection's synapses in the CSR: (positions, pre, post, delay steps), with
    ``pre`` and ``post`` indices into the concatenations of its pre and post populations,
    in the CSR's order (by pre neuron, then by thread part and delay)."""
    n = net.n
    post_local = local_index(net, info.post)
    shift, mask = net.syn_codes()
    out, offset = [], 0
    rp = net.row_ptr
    for k in info.pre:
        a, b = int(rp[net.lo[k]]), int(rp[net.hi[k]])
        words = net.syn[a:b]
        target = (words & mask).astype(np.int64)
        keep = (target // n == info.channel) & (post_local[target % n] >= 0)
        if info.tag >= 0:
            keep &= net.tag[a:b] == info.tag
        pos = a + np.flatnonzero(keep)
        rows = np.searchsorted(rp, pos, side="right") - 1
        out.append((pos, offset + rows - net.lo[k], post_local[target[keep] % n],
                    (words[keep] >> shift).astype(np.int64)))  # fmt: skip
        offset += int(net.hi[k] - net.lo[k])
    return tuple(np.concatenate(parts) for parts in zip(*out))
