"""Compile a Brain description into the flat arrays of DESIGN.md section 2.

- Populations occupy contiguous ranges of one global neuron index, in name order (so the
  layout does not depend on the order in which they were added).
- State is a struct of arrays: ``v[N]``, channel state ``g[4, N]``, refractory counts
  ``ref[N]``, Poisson rates ``rate[N]``; parameters are one row per population.
- All synapses of all projections form one CSR by presynaptic neuron: ``indptr`` (int64;
  with ``n_parts`` > 1, each row is cut into that many parts by target neuron range, one per
  propagation thread, and ``indptr`` points at the parts),
  ``syn`` (the delay in steps and the target ``channel * N + post`` packed into one
  unsigned integer, ``delay << shift | target``: uint32 while they fit in 32 bits, as they
  do up to millions of neurons, else uint64) and ``weight`` (float32): 8 bytes per
  synapse. A float16 weight would save two more but keeps only 11 bits of a weight drawn
  with a 10 % spread; a 16-bit target would not reach beyond 16,384 neurons in 4 channels.
- Delayed input goes to one ring ``float32[D, C * N]`` (D = max delay + 1, C channels used).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import numba
import numpy as np

from ..kernels import layout as L
from ..model.brain import delay_steps
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
from . import connect as C
from . import rows as rows_mod


def stable_key(*parts) -> np.uint64:
    """A 64-bit key from strings and integers, the same in every process and platform."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def numpy_rng(seed, *parts) -> np.random.Generator:
    return np.random.default_rng([seed, int(stable_key(*parts))])


@dataclass
class Network:
    """Everything a kernel needs, plus the names to read it back."""

    dt_ms: float
    names: list  # population names, in global index order
    lo: np.ndarray
    hi: np.ndarray
    fpar: np.ndarray
    ipar: np.ndarray
    pop_key: np.ndarray
    v: np.ndarray
    g: np.ndarray
    ref: np.ndarray
    rate: np.ndarray
    indptr: np.ndarray  # [N * n_parts + 1]: part p of row r is indptr[r*n_parts + p] on
    syn: np.ndarray  # delay << shift | target, uint32 or uint64
    weight: np.ndarray
    shift: int
    n_parts: int
    n_slots: int
    n_channels: int
    osc_names: list = field(default_factory=list)
    osc_freq: np.ndarray = field(default_factory=lambda: np.zeros(0))
    osc_phase: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mod_osc: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    mod_depth: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    mod_thr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    projection_sizes: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.v.shape[0]

    @property
    def n_synapses(self) -> int:
        return self.syn.shape[0]

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


def _available_bytes() -> int:
    """Memory available to a new allocation (Linux: MemAvailable, which counts the page
    cache as free; elsewhere the free pages)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:  # pragma: no cover
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):  # pragma: no cover
        return 1 << 62


def estimate_bytes(brain) -> dict:
    """Memory the build will need (bytes), from sizes and expected synapse counts: the
    CSR (8 bytes per synapse), and temporaries for projections drawn as pairs (pair
    indices, drawn values, sort keys and order); ``FixedTotalNumber`` rows need none."""
    n = sum(p.n for p in brain.populations.values())
    n_syn = int(sum(p.n_expected for p in brain.projections))
    n_pairs = int(sum(p.n_expected for p in brain.projections if not _row_wise(p)))
    return {
        "synapses": n_syn * 8 + (n + 1) * 8,
        "build_temporaries": n_pairs * 64,
        # the inbox (one step's input) and the list of spikes in flight; the delays cost
        # no memory on the CPU (the cuda backend estimates its ring buffer itself)
        "in_flight": L.N_CHANNELS * n * 4 + (n + 1024) * 4 * 8,
        "state": n * (4 + 4 * L.N_CHANNELS + 4 + 4),
    }


def check_memory(brain):
    need = estimate_bytes(brain)
    total, avail = sum(need.values()), _available_bytes()
    if total > 0.9 * avail:
        detail = ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in need.items())
        raise MemoryError(
            f"the model needs about {total / 2**30:.2f} GiB ({detail}) but only "
            f"{avail / 2**30:.2f} GiB of memory is available; make it smaller"
        )


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


def _delays_steps(proj, pre_pop_of, rng, dt_ms, n_syn):
    """Delays of a projection's synapses in whole steps (>= 1)."""
    out = np.empty(n_syn, np.int64)
    for k, value in enumerate(proj.delay.values()):
        sel = pre_pop_of == k
        m = int(sel.sum())
        if isinstance(value, np.ndarray):
            ms = value[sel]
        else:
            ms = resolve(value, m, rng, f"connection {proj.name}: delay_ms")
        steps = delay_steps(ms, dt_ms, proj.delay_rounding or "round")
        out[sel] = np.maximum(steps, 1)
    return out


def _weights(proj, posts_model_scale, rng, n_syn):
    where = f"connection {proj.name}: {proj.weight_unit}"
    w = resolve(proj.weight, n_syn, rng, where)
    sign = proj.post[0].model.receptors[proj.receptor].sign
    if sign and np.any(w * sign < 0):
        want = ">= 0" if sign > 0 else "<= 0"
        raise ValueError(
            f"{where} for receptor {proj.receptor!r} must be {want}; the "
            f"distribution {proj.weight} drew {w[w * sign < 0][0]:g} (clip it)"
        )
    return w * posts_model_scale


def _projection_arrays(brain, proj, key, copy, start_of, n_total):
    """Global (pre, target, weight, delay-steps) of one projection drawn as pairs."""
    pres, posts = proj.pre, proj.post
    n_pre, n_post = sum(p.n for p in pres), sum(p.n for p in posts)
    rng = numpy_rng(brain.seed, "values", proj.name, proj.receptor, copy)
    pre, post = generate(proj.rule, key, n_pre, n_post, _self_map(pres, posts))
    pre_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in pres])
    post_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in posts])
    pre_pop = np.repeat(np.arange(len(pres)), [p.n for p in pres])[pre]
    weight = _weights(proj, _post_scale(proj)[post], rng, pre.size)
    delay = _delays_steps(proj, pre_pop, rng, brain.dt_ms, pre.size)
    target = _channel(proj) * n_total + post_global[post]
    return pre_global[pre], target, weight, delay


def _post_scale(proj):
    """Per post neuron, the factor of the weight: ``weight_mv`` onto a current-based target
    is a jump of ``i / g_leak``, so pA = mV * g_leak (nS); otherwise 1."""
    if proj.weight_unit != "weight_mv":
        return np.ones(sum(p.n for p in proj.post))
    return np.concatenate([np.full(p.n, p.model.params["g_leak_ns"]) for p in proj.post])


def _channel(proj) -> int:
    return proj.post[0].model.receptors[proj.receptor].channel


def _row_wise(proj) -> bool:
    """Projections generated row by row in compiled code (``rows.py``): the
    ``FixedTotalNumber`` rule with scalar or distributed weights and delays."""
    values = [proj.weight, *proj.delay.values()]
    return isinstance(proj.rule, FixedTotalNumber) and not any(
        isinstance(v, np.ndarray) for v in values
    )


class _Pairs:
    """A projection drawn as (pre, post) pairs, sorted by (pre, delay, target)."""

    def __init__(self, brain, proj, key, copy, start_of, n):
        pre, target, weight, delay = _projection_arrays(brain, proj, key, copy, start_of, n)
        rows, perm = C.sort_synapses(pre.astype(np.int64), delay, target, n)
        self.first = rows[:-1]
        self.counts = np.diff(rows)
        self.pre = pre[perm].astype(np.int64)
        self.target, self.weight, self.delay = target[perm], weight[perm], delay[perm]
        self.max_delay = int(delay.max()) if delay.size else 1

    def fill(self, cursor, shift, syn, weight):
        pos = cursor[self.pre] + (np.arange(self.pre.size) - self.first[self.pre])
        syn[pos] = (self.delay.astype(syn.dtype) << shift) | self.target.astype(syn.dtype)
        weight[pos] = self.weight
        cursor += self.counts


class _Rows:
    """A ``FixedTotalNumber`` projection: multinomial row sizes now, rows drawn in ``fill``."""

    def __init__(self, brain, proj, key, copy, start_of, n):
        pres, posts = proj.pre, proj.post
        self.proj, self.n = proj, n
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
        tables = [rows_mod.delay_cdf(v, brain.dt_ms, rounding, 65535) for v in proj.delay.values()]
        self.max_delay = max(t.size - 1 for t in tables)
        cdf = np.ones((len(tables), self.max_delay + 1))
        for k, t in enumerate(tables):
            cdf[k, : t.size] = t
        guides = [rows_mod.delay_guide(c) for c in cdf]
        self.thr = np.array([g[0] for g in guides])
        self.guide = np.array([g[1] for g in guides])
        self.src = np.repeat(np.arange(len(pres)), [p.n for p in pres])

    def fill(self, cursor, shift, syn, weight):
        proj = self.proj
        bad = np.zeros(self.counts.size)
        sign = proj.post[0].model.receptors[proj.receptor].sign
        wpar = rows_mod.weight_params(proj.weight)
        rows_mod.make_fill_rows(int(wpar[0]))(
            self.keys, self.counts, cursor[self.pre_global], self.post_global,
            _post_scale(proj), self.self_post, proj.rule.allow_autapses,
            _channel(proj) * self.n, wpar, float(sign),
            self.thr, self.guide, self.src, shift, syn, weight, bad,
        )  # fmt: skip
        if np.any(bad != 0):
            _bad_weight(proj, bad[bad != 0][0])
        cursor[self.pre_global] += self.counts


def _bad_weight(proj, w):
    where = f"connection {proj.name}: {proj.weight_unit}"
    if not np.isfinite(w):
        raise ValueError(f"{where}: {proj.weight} drew non-finite values")
    sign = proj.post[0].model.receptors[proj.receptor].sign
    want = ">= 0" if sign > 0 else "<= 0"
    raise ValueError(
        f"{where} for receptor {proj.receptor!r} must be {want}; the "
        f"distribution {proj.weight} drew {w:g} (clip it)"
    )


def neuron_parts(lo, hi, parts: int) -> np.ndarray:
    """uint8 ``[N]``: the part of each neuron. A thread owns a part: it updates those
    neurons and adds their synaptic input, so that their state and input stay in its
    core's cache. Each population is cut into ``parts`` nearly equal pieces, piece p in
    part p, so that every part holds a like share of every population, and hence of each
    step's work however the populations' activity varies."""
    out = np.empty(int(hi[-1]) if len(hi) else 0, np.uint8)
    for a, b in zip(lo, hi):
        out[a:b] = np.arange(b - a) * parts // max(b - a, 1)
    return out


def build_network(brain, parts: int = 1) -> Network:
    """Generate connectivity and pack the brain into a Network: each projection first
    says how many synapses each of its pre neurons has, then writes them into their rows
    of the one CSR (projections in name order within a row); rows are then ordered by
    target part (``parts``: one per propagation thread) and delay."""
    if not brain.populations:
        raise ValueError("the brain has no populations: add some with brain.add_population")
    check_memory(brain)
    pops = sorted(brain.populations.values(), key=lambda p: p.name)
    names = [p.name for p in pops]
    sizes = np.array([p.n for p in pops], np.int64)
    hi = np.cumsum(sizes)
    lo = hi - sizes
    n = int(hi[-1])
    start_of = {p.name: int(s) for p, s in zip(pops, lo)}

    order = sorted(brain.projections, key=lambda q: (q.name, q.receptor))
    channels_used, copies, plans = {}, {}, []
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the build uses every core
    for proj in order:
        copy = copies[proj.name, proj.receptor] = copies.get((proj.name, proj.receptor), -1) + 1
        key = stable_key(brain.seed, "connect", proj.name, proj.receptor, copy)
        plan = (_Rows if _row_wise(proj) else _Pairs)(brain, proj, key, copy, start_of, n)
        plans.append(plan)
        for p in proj.post:
            channels_used.setdefault(p.name, set()).add(_channel(proj))
    n_channels = 1 + max((c for s in channels_used.values() for c in s), default=0)
    max_delay = max((q.max_delay for q in plans), default=1)
    if max_delay > 65535:
        raise ValueError(f"a delay of {max_delay} steps exceeds the 65535 steps supported")
    shift = max(1, (n_channels * n - 1).bit_length())
    syn_dtype = np.uint32 if shift + max_delay.bit_length() <= 32 else np.uint64
    per_row = np.zeros(n, np.int64)
    for q in plans:
        per_row[q.pre_global if isinstance(q, _Rows) else slice(None)] += q.counts
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(per_row, out=indptr[1:])
    syn = np.empty(indptr[-1], syn_dtype)
    weight = np.empty(indptr[-1], np.float32)
    rows_mod.first_touch(syn, weight)
    cursor = indptr[:-1].copy()
    for q in plans:
        q.fill(cursor, syn_dtype(shift), syn, weight)
    seg = np.empty(n * parts + 1, np.int64)
    mask = syn_dtype((1 << shift) - 1)
    # targets channel * N + post belong to the part that holds post
    part_of = np.tile(neuron_parts(lo, hi, parts), n_channels)
    rows_mod.sort_rows(indptr, syn, weight, syn_dtype(shift), mask, max_delay + 1, part_of, seg)

    fpar = np.zeros((len(pops), L.N_FPAR), np.float32)
    ipar = np.zeros((len(pops), L.N_IPAR), np.int32)
    for k, p in enumerate(pops):
        f, i = p.model.kernel_params(brain.dt_ms, channels_used.get(p.name, set()))
        fpar[k], ipar[k] = f, i
        ipar[k, L.I_RECORD] = int(p.name in brain.spike_monitors)
    pop_key = pop_keys(brain.seed, names)

    net = Network(
        dt_ms=brain.dt_ms, names=names, lo=lo, hi=hi, fpar=fpar, ipar=ipar, pop_key=pop_key,
        v=np.zeros(n, np.float32), g=np.zeros((L.N_CHANNELS, n), np.float32),
        ref=np.zeros(n, np.int32), rate=np.zeros(n, np.float32),
        indptr=seg, syn=syn, weight=weight, shift=shift, n_parts=parts,
        n_slots=max_delay + 1, n_channels=n_channels,
        projection_sizes={(q.name, q.receptor): int(p.counts.sum())
                          for q, p in zip(order, plans)},
    )  # fmt: skip
    for p in pops:
        init_state(net, brain.seed, p)
    update_slow_flags(net)
    _rhythms(net, brain)
    return net


def _rhythms(net, brain):
    """Oscillator table and, per population, the oscillator it follows (-1: none)."""
    net.osc_names = sorted(brain.oscillators)
    net.osc_freq = np.array([brain.oscillators[o].freq_hz for o in net.osc_names])
    net.osc_phase = np.array([brain.oscillators[o].phase_rad for o in net.osc_names])
    n_pop = len(net.names)
    net.mod_osc = np.full(n_pop, -1, np.int64)
    net.mod_depth = np.zeros(n_pop, np.float32)
    net.mod_thr = np.zeros(n_pop, np.float32)
    for k, name in enumerate(net.names):
        if name in brain.modulations:
            osc, depth, thr = brain.modulations[name]
            net.mod_osc[k] = net.osc_names.index(osc)
            net.mod_depth[k], net.mod_thr[k] = depth, thr


def update_slow_flags(net, g=None):
    """Conductance populations whose NMDA or GABA_B state is nonzero must integrate those
    channels even without a projection onto them (``I_SLOW``; it is never cleared).
    ``g``: the channel state to look at, ``[4, N]`` or, for a batch, ``[B, 4, N]`` (all
    copies share the flags); by default ``net.g``."""
    g = net.g if g is None else g
    for k in range(len(net.names)):
        if net.ipar[k, L.I_KIND] == L.COND_LIF:
            if np.any(g[..., 2:, net.lo[k] : net.hi[k]] != 0):
                net.ipar[k, L.I_SLOW] = 1


def copy_parts(copy):
    """What copy ``copy`` of a batch adds to the parts of its random keys: nothing for copy
    0 (which so equals the unbatched build bit for bit), ``("copy", c)`` for the others."""
    return () if copy == 0 else ("copy", int(copy))


def pop_keys(seed, names, copy=0):
    """The Poisson keys (one per population) of copy ``copy`` of a batch."""
    return np.array([stable_key(seed, "neurons", n, *copy_parts(copy)) for n in names], np.uint64)


def init_state(net, seed, pop, copy=0, out=None):
    """Write a population's initial state (defaults, then the user's ``init`` values) into
    ``out`` = (v, g, rate) (by default the network's own arrays); distributions are drawn
    from (seed, population, variable) and, for copy ``copy`` > 0 of a batch, the copy."""
    k = net.index(pop.name)
    lo, hi = net.lo[k], net.hi[k]
    v, g, rate = (net.v, net.g, net.rate) if out is None else out
    for var, (array, row, _unit) in pop.model.state_vars.items():
        value = pop.initial.get(var, pop.model.default_state(var))
        rng = numpy_rng(seed, "init", pop.name, var, *copy_parts(copy))
        x = resolve(value, pop.n, rng, f"population {pop.name!r}: {var}")
        if array == "v":
            v[lo:hi] = x
        elif array == "g":
            g[row, lo:hi] = x
        else:
            if np.any(x < 0):
                raise ValueError(f"population {pop.name!r}: rate_hz must be >= 0")
            rate[lo:hi] = x
    if pop.model.kind == L.POISSON and np.any(rate[lo:hi] * net.dt_ms * 1e-3 > 1):
        raise ValueError(
            f"population {pop.name!r}: rate_hz above {1e3 / net.dt_ms:g} Hz "
            f"(one spike per step at dt_ms={net.dt_ms}) cannot be represented"
        )


def check_modulated_rates(net, rate):
    """A rhythm scales a Poisson rate by up to ``1 + depth``: refuse a rate whose peak would
    exceed one spike per step (it would be clipped there, silently)."""
    for k in np.flatnonzero(net.mod_osc >= 0):
        if net.ipar[k, L.I_KIND] != L.POISSON:
            continue
        peak = float(rate[..., net.lo[k] : net.hi[k]].max()) * (1.0 + float(net.mod_depth[k]))
        if peak * net.dt_ms * 1e-3 > 1:
            raise ValueError(
                f"population {net.names[k]!r}: rate_hz up to {peak:g} Hz at the peak of its "
                f"rhythm exceeds one spike per step ({1e3 / net.dt_ms:g} Hz at "
                f"dt_ms={net.dt_ms:g}); lower the rate or the depth"
            )
