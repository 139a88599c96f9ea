"""Compile a Brain description into the flat arrays of DESIGN.md section 2.

- Populations occupy contiguous ranges of one global neuron index, in name order (so the
  layout does not depend on the order in which they were added).
- State is a struct of arrays: ``v[N]``, channel state ``g[4, N]``, refractory counts
  ``ref[N]``, Poisson rates ``rate[N]``; parameters are one row per population.
- All synapses of all projections form one CSR by presynaptic neuron: ``indptr`` (int64),
  ``target`` (int32, ``channel * N + post``), ``weight`` (float32), ``delay`` (uint8, or
  uint16 beyond 255 steps): 9 bytes per synapse.
- Delayed input goes to one ring ``float32[D, C * N]`` (D = max delay + 1, C channels used).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

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
from ..model.values import Distribution, Normal, resolve
from . import connect as C


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
    indptr: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
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
        return self.target.shape[0]

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


def _max_ms(d) -> float:
    """A value no draw of ``d`` exceeds in practice (its bound, else 6 sd above)."""
    if not isinstance(d, Distribution):
        return float(np.max(d))
    if d.high is not None:
        return d.high
    if isinstance(d, Normal):
        return d.mean + 6 * d.sd
    return float(np.exp(d.mu + 6 * d.sigma))  # LogNormal


def estimate_bytes(brain) -> dict:
    """Memory the build will need (bytes), from sizes and expected synapse counts."""
    n = sum(p.n for p in brain.populations.values())
    n_syn = int(sum(p.n_expected for p in brain.projections))
    max_delay = 1
    for proj in brain.projections:
        for d in proj.delay.values():
            max_delay = max(max_delay, int(round(_max_ms(d) / brain.dt_ms)))
    return {
        "synapses": n_syn * 9,
        "build_temporaries": n_syn * 28,  # local pairs, global rows, order, drawn values
        "ring": (max_delay + 1) * L.N_CHANNELS * n * 4,
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


def _projection_arrays(brain, proj, copy, start_of, n_total):
    """Global (pre, target, weight, delay-steps) of one projection; ``copy`` counts earlier
    projections of the same name and receptor, so that repeated ones differ."""
    pres, posts = proj.pre, proj.post
    n_pre, n_post = sum(p.n for p in pres), sum(p.n for p in posts)
    key = stable_key(brain.seed, "connect", proj.name, proj.receptor, copy)
    rng = numpy_rng(brain.seed, "values", proj.name, proj.receptor, copy)
    pre, post = generate(proj.rule, key, n_pre, n_post, _self_map(pres, posts))
    pre_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in pres])
    post_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in posts])
    pre_pop = np.repeat(np.arange(len(pres)), [p.n for p in pres])[pre]
    # weight_mv of a current-based target is a jump of i / g_leak: convert to pA
    scale = np.ones(len(posts))
    if proj.weight_unit == "weight_mv":
        scale = np.array([p.model.params["g_leak_ns"] for p in posts])
    post_pop = np.repeat(np.arange(len(posts)), [p.n for p in posts])[post]
    weight = _weights(proj, scale[post_pop], rng, pre.size)
    delay = _delays_steps(proj, pre_pop, rng, brain.dt_ms, pre.size)
    channel = posts[0].model.receptors[proj.receptor].channel
    target = channel * n_total + post_global[post]
    return pre_global[pre], target, weight, delay, channel


def build_network(brain) -> Network:
    """Generate connectivity and pack the brain into a Network."""
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

    parts, channels_used, copies = [], {}, {}
    order = sorted(
        range(len(brain.projections)),
        key=lambda k: (brain.projections[k].name, brain.projections[k].receptor),
    )
    for k in order:
        proj = brain.projections[k]
        copy = copies[proj.name, proj.receptor] = copies.get((proj.name, proj.receptor), -1) + 1
        pre, target, weight, delay, ch = _projection_arrays(brain, proj, copy, start_of, n)
        parts.append((pre, target, weight, delay))
        for p in proj.post:
            channels_used.setdefault(p.name, set()).add(ch)
    if parts:
        pre = np.concatenate([q[0] for q in parts])
        target = np.concatenate([q[1] for q in parts]).astype(np.int32)
        weight = np.concatenate([q[2] for q in parts]).astype(np.float32)
        delay = np.concatenate([q[3] for q in parts])
    else:
        pre = target = np.zeros(0, np.int32)
        weight, delay = np.zeros(0, np.float32), np.zeros(0, np.int64)
    max_delay = int(delay.max()) if delay.size else 1
    if max_delay > 65535:
        raise ValueError(f"a delay of {max_delay} steps exceeds the 65535 steps supported")
    indptr, perm = C.sort_synapses(pre.astype(np.int64), delay, target, n)
    delay_dtype = np.uint8 if max_delay <= 255 else np.uint16
    n_channels = 1 + max((c for s in channels_used.values() for c in s), default=0)

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
        indptr=indptr, target=target[perm], weight=weight[perm],
        delay=delay[perm].astype(delay_dtype), n_slots=max_delay + 1, n_channels=n_channels,
        projection_sizes={(brain.projections[k].name, brain.projections[k].receptor):
                          parts[j][0].size for j, k in enumerate(order)},
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
