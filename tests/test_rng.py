"""The counter-based random numbers: the Poisson table's guided lookup is exact, and the
32-bit streams of the Poisson inputs are uniform and independent between indices and steps."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

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
