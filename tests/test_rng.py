"""The counter-based random numbers: the Poisson table's guided lookup is exact, and the
32-bit streams of the Poisson inputs are uniform and independent between indices and steps."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from nbbrain.backends.cpu.kernel import _few_poisson_counts
from nbbrain.rng import (
    POISSON_GUIDE_SIZE,
    POISSON_TABLE_SIZE,
    poisson_count,
    poisson_table,
    stream32,
    word32,
)


def table(lam):
    thr = np.zeros(POISSON_TABLE_SIZE, np.uint64)
    guide = np.zeros(POISSON_GUIDE_SIZE, np.int32)
    poisson_table(lam, thr, guide)
    return thr, guide


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 64.0), st.integers(0, 2**32 - 1))
def test_guided_lookup_is_the_first_threshold_above(lam, seed):
    thr, guide = table(lam)
    rng = np.random.default_rng(seed)
    edges = thr[thr < 2**32].astype(np.int64)  # each threshold, and its neighbours
    bucket = np.arange(POISSON_GUIDE_SIZE, dtype=np.int64) << 20
    u = np.concatenate([rng.integers(0, 2**32, 2000), edges, edges - 1, bucket, bucket - 1])
    u = u[(u >= 0) & (u < 2**32)]
    want = np.searchsorted(thr, u.astype(np.uint64), side="right")
    got = [poisson_count(np.uint64(x), thr, guide) for x in u]  # (the Python function)
    np.testing.assert_array_equal(got, want)


@njit
def stream_words(key, steps, n, d):
    out = np.empty((steps, n), np.float64)
    for t in range(steps):
        lo, hi = stream32(key, t, d)
        for i in range(n):
            out[t, i] = word32(lo, hi, i) / 2**32
    return out


def test_stream_words_are_uniform_and_independent():
    words = stream_words(np.uint64(11), 64, 4096, 0)
    # uniform: 16 bins, chi-square with 15 degrees of freedom (p ~ 1e-6 at 50)
    counts = np.histogram(words, bins=16, range=(0, 1))[0]
    expected = words.size / 16
    assert np.sum((counts - expected) ** 2 / expected) < 50
    # no correlation between neighbouring indices, between steps, or between draws d
    z = words - 0.5
    limit = 5 / np.sqrt(words.size)
    assert abs(np.mean(z[:, 1:] * z[:, :-1]) / np.var(z)) < limit
    assert abs(np.mean(z[1:] * z[:-1]) / np.var(z)) < limit
    other = stream_words(np.uint64(11), 64, 4096, 1) - 0.5
    assert abs(np.mean(z * other) / np.var(z)) < limit


@njit
def few_counts(key, step, n, thr, guide):
    lo, hi = stream32(key, step, 0)
    buf = np.empty(n, np.uint32)
    _few_poisson_counts(lo, hi, 5, n, thr, guide, buf)
    words = np.empty(n, np.uint64)
    for j in range(n):
        words[j] = word32(lo, hi, 5 + j)
    return buf, words


@settings(max_examples=30, deadline=None)
@given(st.floats(0.0, 7.0), st.integers(0, 2**32 - 1))
def test_vectorised_small_mean_counts_are_the_table_lookup(lam, seed):
    """The CPU kernel's Poisson counts for small means (the first 12 thresholds compared,
    the rest searched) equal ``poisson_count`` word for word."""
    thr, guide = table(lam)
    buf, words = few_counts(np.uint64(seed), 3, 20_000, thr, guide)
    want = [poisson_count(np.uint64(x), thr, guide) for x in words]
    np.testing.assert_array_equal(buf, want)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_vectorised_counts_at_their_thresholds(seed, n_edges):
    """Thresholds that are the stream's own words (and their neighbours): a word equal to a
    threshold counts it, one below does not; words past the twelfth are searched."""
    key = np.uint64(seed)
    _, words = few_counts(key, 3, 2_000, table(1.0)[0], table(1.0)[1])
    rng = np.random.default_rng(seed)
    picked = rng.choice(words, n_edges, replace=False).astype(np.int64)
    edges = np.concatenate([picked, picked + rng.integers(-1, 2, n_edges)])
    edges = np.unique(np.clip(edges, 1, 2**32 - 1))[: POISSON_TABLE_SIZE - 1]
    thr = np.full(POISSON_TABLE_SIZE, 2**32, np.uint64)
    thr[: edges.size] = edges
    guide = np.full(POISSON_GUIDE_SIZE, -1, np.int32)  # (every search starts at 0)
    buf, words = few_counts(key, 3, 2_000, thr, guide)
    np.testing.assert_array_equal(buf, np.searchsorted(thr, words, side="right"))
