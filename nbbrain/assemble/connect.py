"""Connectivity generation.

Each generator returns synapses as local (pre, post) int32 pairs, seeded by the
projection's key. Fixed in- and out-degrees are drawn by compiled code (numba) from the
counter-based generator keyed by (row, draw number), so rows are independent of each other;
the Bernoulli and all-to-all rules are whole-array numpy operations (no compilation).
``self_post[i]`` is the post index that is the same neuron as pre ``i`` (-1 if none):
with ``autapses=False`` that pair is never made.
"""

import functools
import math

import numpy as np
from numba.extending import register_jitable

from ..cache import package_hash
from ..jit import cached_njit
from ..rng import uniform64


def fixed_probability(key, n_pre, n_post, p, self_post, autapses):
    """Every pair with probability p: the gaps between connected pairs, in row-major order,
    are geometric (numpy's generator, seeded by ``key``): no compilation, and a run of C
    over the synapses only. Rows come out sorted; more rows leave earlier rows unchanged."""
    total = n_pre * n_post
    rng = np.random.default_rng(int(key))
    if p <= 0.0 or total == 0:
        pos = np.zeros(0, np.int64)
    elif p >= 1.0:
        pos = np.arange(total, dtype=np.int64)
    elif p < 1e-12:  # geometric gaps would overflow; the count is almost surely tiny
        pos = np.sort(rng.choice(total, rng.binomial(total, p), replace=False))
    else:
        parts, last = [], -1
        while last < total - 1:
            left = (total - 1 - last) * p
            gaps = rng.geometric(p, int(left + 6 * math.sqrt(left) + 64))
            pos = last + np.cumsum(gaps)
            parts.append(pos[pos < total])
            last = pos[-1]
        pos = np.concatenate(parts)
    pre, post = pos // n_post, pos % n_post
    if not autapses:
        keep = post != self_post[pre]
        pre, post = pre[keep], post[keep]
    return pre.astype(np.int32), post.astype(np.int32)


@register_jitable
def _choose(key, row, n, k, exclude, multapses, mark, out, pos):
    """``k`` indices from ``[0, n)`` without ``exclude`` (-1 for none): uniform with
    replacement, or a uniform k-subset (Floyd's algorithm) without multapses."""
    m = n - 1 if exclude >= 0 else n  # candidates; index >= exclude maps to index + 1
    if multapses:
        for d in range(k):
            c = min(int(uniform64(key, row, d) * m), m - 1)
            out[pos + d] = c + 1 if exclude >= 0 and c >= exclude else c
        return
    d = 0
    for top in range(m - k, m):
        c = min(int(uniform64(key, row, d) * (top + 1)), top)
        if mark[c]:
            c = top
        mark[c] = True
        out[pos + d] = c
        d += 1
    for d in range(k):  # clear the marks, then map past the excluded index
        c = out[pos + d]
        mark[c] = False
        out[pos + d] = c + 1 if exclude >= 0 and c >= exclude else c


@functools.cache
def _fixed_degree_kernel():
    """The compiled ``fixed_degree``, keyed on nbbrain's sources too (it inlines
    ``rng.py``: see ``nbbrain/cache.py``)."""
    source = package_hash()

    @cached_njit(nogil=True)
    def fixed_degree(key, n_rows, n_other, k, self_other, autapses, multapses):
        assert source == source  # the cache key
        rows = np.empty(n_rows * k, np.int32)
        other = np.empty(n_rows * k, np.int32)
        mark = np.zeros(n_other, np.bool_)
        for r in range(n_rows):
            exclude = -1 if autapses else self_other[r]
            rows[r * k : (r + 1) * k] = r
            _choose(key, r, n_other, k, exclude, multapses, mark, other, r * k)
        return rows, other

    return fixed_degree


def fixed_degree(key, n_rows, n_other, k, self_other, autapses, multapses):
    """Each of ``n_rows`` neurons gets exactly ``k`` partners among ``n_other``; returns
    (row index, partner index) pairs, rows in order."""
    return _fixed_degree_kernel()(key, n_rows, n_other, k, self_other, autapses, multapses)


def fixed_total_number(key, n_pre, n_post, n, self_post, autapses):
    """``n`` (pre, post) pairs drawn uniformly with replacement (numpy's generator seeded by
    ``key``); pairs that are autapses are drawn again when ``autapses`` is False. Sorted by
    row later, like every projection."""
    rng = np.random.default_rng(int(key))
    pre = rng.integers(0, n_pre, n)
    post = rng.integers(0, n_post, n)
    if not autapses:
        bad = np.flatnonzero(post == self_post[pre])
        while bad.size:  # each redraw is an autapse with probability n_shared / pairs < 1
            pre[bad] = rng.integers(0, n_pre, bad.size)
            post[bad] = rng.integers(0, n_post, bad.size)
            bad = bad[post[bad] == self_post[pre[bad]]]
    return pre.astype(np.int32), post.astype(np.int32)


def all_to_all(n_pre, n_post, self_post, autapses):
    pre = np.repeat(np.arange(n_pre, dtype=np.int32), n_post)
    post = np.tile(np.arange(n_post, dtype=np.int32), n_pre)
    if not autapses:
        keep = post != self_post[pre]
        pre, post = pre[keep], post[keep]
    return pre, post


def sort_synapses(rows, delay, target, n_rows):
    """Order synapses by row, then by delay, then by target (ties keep their order):
    returns indptr and the permutation. A spike's synapses then arrive one run per step,
    each at increasing addresses, which the caches prefer to a random walk."""
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    span = int(target.max()) + 1 if target.size else 1
    slots = int(delay.max()) + 1 if delay.size else 1
    if n_rows * slots * span < 2**62:
        key = (rows * slots + delay) * span + target
    else:  # pragma: no cover - beyond int64: rows only
        key = rows
    return indptr, np.argsort(key, kind="stable")
