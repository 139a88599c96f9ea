"""Row-wise generation of ``FixedTotalNumber`` projections straight into the packed CSR.

The rule draws ``n`` (pre, post) pairs uniformly (NEST's ``fixed_total_number``). Drawn
row by row instead: the number of synapses of each pre neuron is multinomial (numpy, one
call), and a row's targets are then independent uniform draws, each with its own weight and
delay. That is the same distribution of connectivity, but every row can be generated on its
own (threads, no sort, no temporaries): compiled code writes each synapse once, into its
final place. Random numbers come from the counter-based generator keyed by (row, synapse).

Delays are drawn from their exact distribution on whole steps (``delay_cdf``: the
distribution in ms, clipped or truncated, rounded as ``delay_steps`` rounds, at least one
step), which gives the same steps as drawing milliseconds and rounding, from 32 random bits
(probabilities are resolved to 2**-32).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import prange
from numba.extending import register_jitable

from ..cache import package_hash
from ..jit import cached_njit
from ..model.brain import delay_steps
from ..model.values import LogNormal, Normal, Uniform
from ..rng import hash3, normal, uniform53

#: weight kinds of ``fill_rows`` (``wpar[0]``)
W_CONST, W_NORMAL, W_UNIFORM, W_LOGNORMAL = 0, 1, 2, 3


def weight_params(value) -> np.ndarray:
    """``[kind, a, b, low, high, truncate]`` of a scalar or a distribution (``low``/``high``
    +-inf where not bounded; ``truncate`` 1 to draw again outside them, 0 to clip)."""
    lo = -np.inf if getattr(value, "low", None) is None else value.low
    hi = np.inf if getattr(value, "high", None) is None else value.high
    cut = float(getattr(value, "truncate", False))
    if isinstance(value, Normal):
        return np.array([W_NORMAL, value.mean, value.sd, lo, hi, cut])
    if isinstance(value, Uniform):
        return np.array([W_UNIFORM, value.low, value.high, -np.inf, np.inf, 0.0])
    if isinstance(value, LogNormal):
        return np.array([W_LOGNORMAL, value.mu, value.sigma, lo, hi, cut])
    return np.array([W_CONST, float(value), 0.0, -np.inf, np.inf, 0.0])


def _top_ms(value) -> float:
    """A value the distribution exceeds with probability far below 2**-32 (the resolution
    of the 32 random bits that draw a delay), the largest delay the table needs (at least
    ``low``, where clipping puts an atom)."""
    if value.high is not None:
        return value.high
    if isinstance(value, Normal):
        top = value.mean + 9.0 * value.sd
    else:
        top = math.exp(value.mu + 9.0 * value.sigma)
    return top if value.low is None else max(top, value.low)


def delay_cdf(value, dt_ms: float, rounding: str, max_steps: int) -> np.ndarray:
    """``cdf[k] = P(delay <= k steps)`` for k = 0 .. K (``cdf[0] = 0``, ``cdf[K] = 1``) of
    a scalar delay or a distribution in ms, clipped to its ``[low, high]`` (or truncated,
    with ``truncate``), rounded by ``rounding`` (as ``delay_steps``) and raised to one step.
    A clipped distribution has atoms at its bounds: they go to the step of the bound."""
    if not hasattr(value, "low"):
        top = max(1, int(delay_steps(float(value), dt_ms, rounding)))
        _check_steps(top, max_steps)
        cdf = np.zeros(top + 1)
        cdf[top] = 1.0
        return cdf
    top = max(1, int(delay_steps(_top_ms(value), dt_ms, rounding)))
    _check_steps(top, max_steps)
    bounded = not isinstance(value, Uniform)  # a uniform's bounds are its support
    lo = value.low if bounded and value.low is not None else -np.inf
    hi = value.high if bounded and value.high is not None else np.inf
    f_lo = value.cdf(lo) if np.isfinite(lo) else 0.0
    f_hi = value.cdf(hi) if np.isfinite(hi) else 1.0
    # atoms at the bounds (clipping) or none (truncation: the rest scaled up)
    scale, atom_lo, atom_hi = 1.0, f_lo, 1.0 - f_hi
    if value.truncate:
        scale, atom_lo, atom_hi = 1.0 / (f_hi - f_lo), 0.0, 0.0
    step_lo = max(1, int(delay_steps(lo, dt_ms, rounding))) if np.isfinite(lo) else 0
    step_hi = max(1, int(delay_steps(hi, dt_ms, rounding))) if np.isfinite(hi) else top + 1
    edge = {"round": 0.5, "floor": 1.0, "ceil": 0.0}[rounding]
    cdf = np.empty(top + 1)
    for k in range(top + 1):
        x = (k + edge) * dt_ms  # steps <= k exactly when the value is below x
        cont = max(0.0, value.cdf(min(max(x, lo), hi)) - f_lo) if x > lo else 0.0
        cdf[k] = cont * scale + atom_lo * (step_lo <= k) + atom_hi * (step_hi <= k)
    cdf[0] = 0.0  # at least one step: the mass below it counts at step 1
    cdf = np.minimum(np.maximum.accumulate(cdf), 1.0)
    cdf[top] = 1.0
    return cdf


def _check_steps(steps, max_steps):
    if steps > max_steps:
        raise ValueError(f"a delay of {steps} steps exceeds the {max_steps} steps supported")


def delay_guide(cdf: np.ndarray):
    """A delay table for the kernel: thresholds ``thr[k] = cdf[k] * 2**32`` (a 32-bit
    uniform ``u`` gives the first ``k`` with ``thr[k] > u``) and a guide of 256 entries,
    the answer for ``u = g * 2**24``, where the search starts (one or two steps, not a
    bisection)."""
    thr = np.floor(cdf * 2.0**32).astype(np.uint64)
    thr[-1] = 1 << 32
    guide = np.searchsorted(thr, np.arange(256, dtype=np.uint64) << 24, side="right")
    return thr, guide.astype(np.int64)


_LO32 = np.uint64(0xFFFFFFFF)
_S32, _S24 = np.uint64(32), np.uint64(24)
_F32_MAX = float(np.finfo(np.float32).max)


@register_jitable
def _delay(u32, thr, guide):
    """Steps of a synapse from 32 random bits: the first k with ``thr[k] > u32``."""
    k = guide[u32 >> _S24]
    while thr[k] <= u32:
        k += 1
    return k


@register_jitable
def _weight(kind, wpar, key, row, j):
    """Weight of synapse ``j`` of ``row`` (``kind``: a ``W_*`` constant of the caller, so
    that each kind compiles to its own loop), clipped to ``wpar[3:5]``."""
    a, b = wpar[1], wpar[2]
    if kind == W_CONST:
        return a
    if kind == W_UNIFORM:
        return a + (b - a) * uniform53(hash3(key, row, j))
    w = _from_normal(kind, a, b, normal(key, row, j))
    attempt = 0  # truncated: draw again (counters (row, j + attempt * 2**40))
    while wpar[5] and (w < wpar[3] or w > wpar[4]) and attempt < (1 << 14):
        attempt += 1
        w = _from_normal(kind, a, b, normal(key, row, j + (attempt << 40)))
    return min(max(w, wpar[3]), wpar[4])


@register_jitable
def _from_normal(kind, a, b, z):
    return a + b * z if kind == W_NORMAL else math.exp(a + b * z)


@functools.cache
def make_fill_rows(kind):
    """``fill_rows`` for weights of kind ``kind`` (a compile-time constant), keyed on
    nbbrain's sources too (it inlines ``rng.py``: see ``nbbrain/cache.py``)."""
    source = package_hash()

    @cached_njit(nogil=True, parallel=True, error_model="numpy")
    def fill_rows(keys, counts, cursor, post_global, post_scale, self_post, autapses,
                  chan_off, wpar, sign, thr, guide, src_of_row, shift, syn, weight, bad,
                  part_of, part):  # fmt: skip
        """Write ``counts[r]`` synapses of each local pre row ``r`` from ``cursor[r]`` on:
        targets uniform over the post neurons (without ``self_post[r]`` unless
        ``autapses``), weights from ``wpar`` times ``post_scale[post]``, delays from the
        table ``thr``, ``guide`` of ``src_of_row[r]``; packed as ``syn = delay << shift |
        (chan_off + post_global[post])``. ``keys``: the (target, delay) and weight
        streams; one 64-bit draw gives a synapse's target (low 32 bits) and delay (high 32
        bits). ``bad[r]``: a drawn weight of the wrong ``sign`` or not a finite float32
        (0 if none), for the caller. ``part`` >= 0: only the synapses onto neurons of that
        part (``part_of[neuron]``; an MPI rank's), in the same order."""
        assert source == source  # the cache key (see make_fill_rows)
        for r in prange(counts.shape[0]):
            th, gd = thr[src_of_row[r]], guide[src_of_row[r]]
            exclude, m = _row_targets(r, post_global.shape[0], self_post, autapses)
            k = cursor[r]
            for j in range(counts[r]):
                h = hash3(keys[0], r, j)
                t = _target(h, exclude, m)
                if part >= 0 and part_of[post_global[t]] != part:
                    continue
                d = _delay(h >> _S32, th, gd)
                w = _weight(kind, wpar, keys[1], r, j) * post_scale[t]
                if (w * sign < 0 or not abs(w) <= _F32_MAX) and bad[r] == 0:
                    bad[r] = w
                syn[k] = (d << shift) | (chan_off + post_global[t])
                weight[k] = w
                k += 1

    return fill_rows


@register_jitable
def _row_targets(r, n_post, self_post, autapses):
    """Row ``r``'s targets: the post neuron it skips (``self_post[r]`` unless ``autapses``;
    -1: none) and how many it draws from."""
    exclude = -1 if autapses else self_post[r]
    return exclude, (n_post - 1 if exclude >= 0 else n_post)


@register_jitable
def _target(h, exclude, m):
    """The target (an index into the post neurons) of the synapse drawn as ``h``: uniform
    over ``m`` of them, skipping ``exclude``."""
    t = (np.int64(h & _LO32) * m) >> 32  # uniform in [0, m): multiply-shift
    if exclude >= 0 and t >= exclude:
        t += 1
    return t


@functools.cache
def _count_rows_in_part():
    source = package_hash()

    @cached_njit(nogil=True, parallel=True, error_model="numpy")
    def count_rows_in_part(keys, counts, post_global, self_post, autapses, part_of, part, out):
        """``out[r]``: how many of the ``counts[r]`` synapses ``fill_rows`` draws in row
        ``r`` go to neurons of ``part``."""
        assert source == source  # the cache key (it inlines ``rng.py``)
        for r in prange(counts.shape[0]):
            exclude, m = _row_targets(r, post_global.shape[0], self_post, autapses)
            c = 0
            for j in range(counts[r]):
                t = _target(hash3(keys[0], r, j), exclude, m)
                c += part_of[post_global[t]] == part
            out[r] = c

    return count_rows_in_part


def count_rows_in_part(keys, counts, post_global, self_post, autapses, part_of, part):
    """Per row, the synapses of ``make_fill_rows`` onto the neurons of ``part``."""
    out = np.zeros(counts.shape[0], np.int64)
    _count_rows_in_part()(keys, counts, post_global, self_post, autapses, part_of, part, out)
    return out


@cached_njit(nogil=True, parallel=True)
def sort_rows(rows, syn, weight, tag, shift, mask, n_slots, part_of, seg):
    """Order each row by target part, then by delay, keeping the order of equal keys (a
    counting sort); ``seg[r * parts + p]`` is where part ``p`` of row ``r`` starts.
    ``part_of[target]`` (uint8; ``parts`` of them): each thread of the propagation owns one
    part of the neurons. Within a part, a spike's synapses arrive step after step, each
    step's a contiguous run. ``tag`` (one per synapse, or none) moves with its synapse."""
    parts = (seg.shape[0] - 1) // (rows.shape[0] - 1)
    tagged = tag.shape[0] > 0
    for r in prange(rows.shape[0] - 1):
        a, e = rows[r], rows[r + 1]
        pos = np.zeros(parts * n_slots + 1, np.int64)
        for j in range(a, e):
            x = syn[j]
            k = np.int64(x >> shift)
            if parts > 1:
                k += np.int64(part_of[np.int64(x & mask)]) * n_slots
            pos[k + 1] += 1
        for k in range(parts * n_slots):
            pos[k + 1] += pos[k]
        for part in range(parts):
            seg[r * parts + part] = a + pos[part * n_slots]
        if e - a < 2:
            continue
        s, w = syn[a:e].copy(), weight[a:e].copy()
        t = tag[a:e].copy() if tagged else tag[:0]
        for j in range(e - a):
            x = s[j]
            k = np.int64(x >> shift)
            if parts > 1:
                k += np.int64(part_of[np.int64(x & mask)]) * n_slots
            syn[a + pos[k]] = x
            weight[a + pos[k]] = w[j]
            if tagged:
                tag[a + pos[k]] = t[j]
            pos[k] += 1
    seg[seg.shape[0] - 1] = rows[rows.shape[0] - 1]


#: at most this many synapses are ordered by ``sort_rows_small`` (numpy) instead of the
#: compiled ``sort_rows``, whose first compilation (about 1.7 s) a small brain's first
#: build in a fresh process would otherwise wait for
SMALL_SORT = 1 << 22


def sort_rows_small(rows, syn, weight, tag, shift, mask, n_slots, part_of, seg):
    """``sort_rows`` in numpy, for a few million synapses at most: the same order (a stable
    sort on (row, part, delay)) and the same ``seg``."""
    n_rows = rows.shape[0] - 1
    parts = (seg.shape[0] - 1) // n_rows
    row = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(rows))
    part = part_of[(syn & mask).astype(np.int64)].astype(np.int64) if parts > 1 else 0
    key = (row * parts + part) * n_slots + (syn >> shift).astype(np.int64)
    order = np.argsort(key, kind="stable")
    syn[:], weight[:] = syn[order], weight[order]
    if tag.shape[0]:
        tag[:] = tag[order]
    counts = np.bincount(row * parts + part, minlength=n_rows * parts)
    seg[:-1] = rows[0] + np.cumsum(counts) - counts
    seg[-1] = rows[-1]


@cached_njit(nogil=True, parallel=True)
def first_touch(syn, weight):
    """Write every page of the new arrays once, in order and on all threads: the rows are
    then filled projection by projection, and a first write scattered over gigabytes
    (one page fault per 4 KiB where the kernel finds no huge page) was most of the
    build's time."""
    n = syn.shape[0]
    step = 1 << 20
    for b in prange((n + step - 1) // step):
        syn[b * step : min(n, (b + 1) * step)] = 0
        weight[b * step : min(n, (b + 1) * step)] = 0
