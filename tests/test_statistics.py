"""Known answers for nbbrain.monitors.statistics (rates, ISI CVs, count correlations, KS)."""

import numpy as np
import pytest

from nbbrain.monitors.statistics import (
    binned_counts,
    cv_isi,
    ks_distance,
    rates_hz,
    spike_count_correlations,
)


def poisson_train(rng, rate_hz, t1_ms):
    """Spike times (ms) of a Poisson train on [0, t1_ms)."""
    t = np.cumsum(rng.exponential(1e3 / rate_hz, size=int(2 * rate_hz * t1_ms * 1e-3) + 100))
    return t[t < t1_ms]


def trains(*ts):
    """(times, idx) of several trains, neuron k being ts[k], shuffled together."""
    t = np.concatenate(ts)
    i = np.concatenate([np.full(len(x), k) for k, x in enumerate(ts)])
    order = np.random.default_rng(0).permutation(len(t))
    return t[order], i[order]


def test_rates_count_the_half_open_window():
    t, i = trains(np.array([0.0, 10.0, 99.9, 100.0]), np.array([50.0]), np.array([]))
    # window [0, 100) ms holds 3 spikes of neuron 0 and 1 of neuron 1; neuron 2 is silent
    np.testing.assert_allclose(rates_hz(t, i, 3, 0.0, 100.0), [30.0, 10.0, 0.0])
    np.testing.assert_allclose(rates_hz(t, i, 3, 10.0, 60.0), [20.0, 20.0, 0.0])


def test_rates_reject_bad_input():
    with pytest.raises(ValueError, match="idx must lie"):
        rates_hz([1.0], [3], 3, 0.0, 10.0)
    with pytest.raises(ValueError, match="t1_ms > t0_ms"):
        rates_hz([1.0], [0], 3, 10.0, 10.0)
    with pytest.raises(ValueError, match="differ in length"):
        rates_hz([1.0, 2.0], [0], 3, 0.0, 10.0)


def test_cv_of_regular_train_is_zero_and_of_poisson_trains_about_one():
    rng = np.random.default_rng(1)
    regular = np.arange(0.0, 1000.0, 7.0)
    t, i = trains(regular, poisson_train(rng, 50.0, 200_000.0), poisson_train(rng, 5.0, 2e6))
    cv = cv_isi(t, i, 3)
    assert cv[0] == pytest.approx(0.0, abs=1e-12)
    assert cv[1] == pytest.approx(1.0, abs=0.03)  # ~10,000 intervals: sd of the CV ~0.01
    assert cv[2] == pytest.approx(1.0, abs=0.03)


def test_cv_by_hand_and_min_spikes():
    # intervals 1, 3: mean 2, population sd 1, so CV 0.5; neuron 1 has 2 spikes only
    t, i = trains(np.array([0.0, 1.0, 4.0]), np.array([5.0, 6.0]))
    np.testing.assert_allclose(cv_isi(t, i, 2), [0.5])
    assert cv_isi(t, i, 2, min_spikes=4).size == 0
    with pytest.raises(ValueError, match="min_spikes"):
        cv_isi(t, i, 2, min_spikes=2)


def test_binned_counts():
    t, i = trains(np.array([0.0, 1.9, 2.0, 7.9, 8.0]), np.array([3.0]))
    # bins [0, 2), [2, 4), [4, 6), [6, 8); t = 8 is outside
    np.testing.assert_array_equal(binned_counts(t, i, 2, 0.0, 8.0, 2.0, [1, 0]),
                                  [[0, 1, 0, 0], [2, 1, 0, 1]])  # fmt: skip


def test_identical_trains_correlate_fully_and_opposite_ones_negatively():
    rng = np.random.default_rng(2)
    a = poisson_train(rng, 20.0, 10_000.0)
    t, i = trains(a, a, a)
    np.testing.assert_allclose(spike_count_correlations(t, i, 3, 0.0, 10_000.0), [1, 1, 1])
    # alternating 2-ms bins: counts (1, 0, 1, 0, ...) and (0, 1, 0, 1, ...) give -1
    even, odd = np.arange(0.5, 1000.0, 4.0), np.arange(2.5, 1000.0, 4.0)
    t, i = trains(even, odd)
    np.testing.assert_allclose(spike_count_correlations(t, i, 2, 0.0, 1000.0), [-1.0])


def test_independent_trains_correlate_weakly_and_silent_neurons_are_left_out():
    rng = np.random.default_rng(3)
    ts = [poisson_train(rng, 10.0, 100_000.0) for _ in range(10)]
    t, i = trains(*ts, np.array([]))  # neuron 10 is silent
    cc = spike_count_correlations(t, i, 11, 0.0, 100_000.0, n_neurons=11)
    assert cc.size == 45  # the pairs of the 10 active neurons
    # 50,000 bins: sd of one coefficient ~ 1/sqrt(50,000) = 0.0045
    assert np.abs(cc).max() < 0.025
    assert abs(cc.mean()) < 0.003


def test_correlation_subset_is_seeded_and_without_replacement():
    rng = np.random.default_rng(4)
    ts = [poisson_train(rng, 20.0, 5000.0) for _ in range(30)]
    t, i = trains(*ts)
    a = spike_count_correlations(t, i, 30, 0.0, 5000.0, n_neurons=8, seed=1)
    b = spike_count_correlations(t, i, 30, 0.0, 5000.0, n_neurons=8, seed=1)
    c = spike_count_correlations(t, i, 30, 0.0, 5000.0, n_neurons=8, seed=2)
    assert a.size == 28
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert spike_count_correlations(t, i, 30, 0.0, 5000.0, n_neurons=100).size == 435


def test_ks_of_identical_and_disjoint_samples():
    x = np.random.default_rng(5).normal(size=100)
    assert ks_distance(x, x) == 0.0
    assert ks_distance(x, np.random.default_rng(6).permutation(x)) == 0.0
    assert ks_distance(x, x + 100.0) == 1.0
    assert ks_distance([1.0], [2.0]) == 1.0


def test_ks_by_hand():
    # ECDFs: at 2: a 0.5, b 0 -> 0.5; at 3: 0.75 vs 0.2 -> 0.55; at 4: 1.0 vs 0.4 -> 0.6;
    # at 5: 1.0 vs 0.6 -> 0.4. Largest: 0.6.
    assert ks_distance([1, 2, 3, 4], [3, 4, 5, 6, 7]) == pytest.approx(0.6)
    # ties across samples: at 1: 2/3 vs 1/3, at 2: 1 vs 2/3 -> 1/3
    assert ks_distance([1, 1, 2], [1, 2, 3]) == pytest.approx(1 / 3)


def test_ks_rejects_empty_and_nan():
    with pytest.raises(ValueError, match="need values"):
        ks_distance([], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        ks_distance([np.nan], [1.0])
