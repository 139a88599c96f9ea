"""Compiled connectivity generation.

Each generator returns synapses as local (pre, post) int32 pairs. Random choices come from
the counter-based generator keyed by the projection's key and (row, draw number), so rows
are independent of each other: the same synapses whatever the order of generation.
``self_post[i]`` is the post index that is the same neuron as pre ``i`` (-1 if none):
with ``autapses=False`` that pair is never made.
"""

import math

import numpy as np
from numba import njit

from ..kernels.rng import uniform64


@njit(cache=True, nogil=True)
def _geometric_row(key, row, n_post, log_q, self_j, autapses, out, pos):
    """Posts of one row of a Bernoulli(p) matrix by geometric skipping (``log_q = log(1-p)``);
    writes them at ``out[pos:]`` when ``out`` is long enough, returns how many."""
    j, k, m = -1, 0, 0
    while True:
        u = uniform64(key, row, k)
        k += 1
        skip = np.floor(math.log(1.0 - u) / log_q)  # a float (math.floor gives an int64)
        if skip >= n_post - j - 1:
            return m
        j += 1 + int(skip)
        if j == self_j and not autapses:
            continue
        if pos + m < out.shape[0]:
            out[pos + m] = j
        m += 1


@njit(cache=True, nogil=True)
def fixed_probability(key, n_pre, n_post, p, self_post, autapses):
    """Every pair with probability p: two passes over the same counter-based draws (count,
    then fill), so no memory beyond the result."""
    log_q = math.log1p(-p) if p < 1.0 else -np.inf
    counts = np.zeros(n_pre, np.int64)
    none = np.zeros(0, np.int32)
    for i in range(n_pre):
        if p > 0.0:
            counts[i] = _geometric_row(key, i, n_post, log_q, self_post[i], autapses, none, 0)
    total = 0
    for i in range(n_pre):
        total += counts[i]
    pre = np.empty(total, np.int32)
    post = np.empty(total, np.int32)
    pos = 0
    for i in range(n_pre):
        m = counts[i]
        if m:
            _geometric_row(key, i, n_post, log_q, self_post[i], autapses, post, pos)
            pre[pos : pos + m] = i
            pos += m
    return pre, post


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def fixed_degree(key, n_rows, n_other, k, self_other, autapses, multapses):
    """Each of ``n_rows`` neurons gets exactly ``k`` partners among ``n_other``; returns
    (row index, partner index) pairs, rows in order."""
    rows = np.empty(n_rows * k, np.int32)
    other = np.empty(n_rows * k, np.int32)
    mark = np.zeros(n_other, np.bool_)
    for r in range(n_rows):
        exclude = -1 if autapses else self_other[r]
        rows[r * k : (r + 1) * k] = r
        _choose(key, r, n_other, k, exclude, multapses, mark, other, r * k)
    return rows, other


@njit(cache=True, nogil=True)
def all_to_all(n_pre, n_post, self_post, autapses):
    total = n_pre * n_post
    if not autapses:
        for i in range(n_pre):
            total -= 1 if self_post[i] >= 0 else 0
    pre = np.empty(total, np.int32)
    post = np.empty(total, np.int32)
    pos = 0
    for i in range(n_pre):
        for j in range(n_post):
            if autapses or j != self_post[i]:
                pre[pos] = i
                post[pos] = j
                pos += 1
    return pre, post


@njit(cache=True, nogil=True)
def sort_by_row(rows, n_rows):
    """Counting sort of synapses by row (stable): returns indptr and the permutation."""
    indptr = np.zeros(n_rows + 1, np.int64)
    for r in rows:
        indptr[r + 1] += 1
    for r in range(n_rows):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].copy()
    order = np.empty(rows.shape[0], np.int64)
    for s in range(rows.shape[0]):
        r = rows[s]
        order[fill[r]] = s
        fill[r] += 1
    return indptr, order
