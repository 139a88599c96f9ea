"""Spike-train statistics for comparing simulators, as Dasbach et al. (2021) compare them.

Dasbach, Tetzlaff, Diesmann & Senk (2021), "Dynamical characteristics of recurrent neuronal
networks are robust against low synaptic weight resolution", Front. Neurosci. 15:757790,
compare implementations of a network by the distributions, per population, of

- time-averaged single-neuron firing rates (:func:`rates_hz`),
- coefficients of variation of the inter-spike intervals (:func:`cv_isi`),
- pairwise correlation coefficients of binned spike counts in a random subset of the neurons
  (:func:`spike_count_correlations`),

and measure the difference between two distributions by the two-sample Kolmogorov-Smirnov
statistic (:func:`ks_distance`). The same analysis is implemented in the PD14 microcircuit
repository (https://github.com/INM-6/microcircuit-PD14-model, commit fd40046e,
``PyNEST/reference_data/``, whose README says it "closely follows" Dasbach et al.): its
``helpers.py`` (l. 794-972) has the three statistics and ``params.py`` the analysis
parameters. The defaults here are taken from there.

Spikes are given as two arrays of equal length: ``times_ms`` (spike times, ms) and ``idx``
(the spiking neuron's index in its population, ``0 <= idx < n``), in any order, as
``Simulation.spikes(name)`` returns them. Plain numpy only.
"""

from __future__ import annotations

import numpy as np


def _spikes(times_ms, idx, n):
    """``times_ms`` as float64 and ``idx`` as int64, checked against each other and ``n``."""
    t = np.asarray(times_ms, dtype=np.float64).ravel()
    i = np.asarray(idx).ravel()
    if t.shape != i.shape:
        raise ValueError(f"times_ms and idx differ in length: {t.size} and {i.size}")
    if i.size and not np.issubdtype(i.dtype, np.integer):
        raise ValueError(f"idx must hold integers, got dtype {i.dtype}")
    i = i.astype(np.int64)
    if i.size and (i.min() < 0 or i.max() >= n):
        raise ValueError(f"idx must lie in [0, {n}), got {i.min()} .. {i.max()}")
    return t, i


def _window(t, i, t0_ms, t1_ms):
    """The spikes with ``t0_ms <= t < t1_ms``."""
    if not t1_ms > t0_ms:
        raise ValueError(f"need t1_ms > t0_ms, got {t0_ms} and {t1_ms}")
    keep = (t >= t0_ms) & (t < t1_ms)
    return t[keep], i[keep]


def rates_hz(times_ms, idx, n: int, t0_ms: float, t1_ms: float) -> np.ndarray:
    """Firing rate (spikes/s) of each of the ``n`` neurons over ``[t0_ms, t1_ms)``: its spike
    count divided by the window length. Silent neurons count, with rate 0 (as in the PD14
    repository's ``time_averaged_single_neuron_firing_rates``, ``helpers.py`` l. 794)."""
    t, i = _window(*_spikes(times_ms, idx, n), t0_ms, t1_ms)
    return np.bincount(i, minlength=n) / ((t1_ms - t0_ms) * 1e-3)


def cv_isi(times_ms, idx, n: int, min_spikes: int = 3) -> np.ndarray:
    """Coefficient of variation (standard deviation / mean, population sd) of the inter-spike
    intervals of each neuron with at least ``min_spikes`` spikes, in increasing neuron order;
    the others are left out. The default 3 is the PD14 repository's (``single_neuron_isi_cvs``,
    ``helpers.py`` l. 831: more than two spikes). Restrict the spikes to a time window
    before the call. A regular train gives 0, a Poisson train about 1."""
    if min_spikes < 3:
        raise ValueError(f"min_spikes must be >= 3 (two intervals), got {min_spikes}")
    t, i = _spikes(times_ms, idx, n)
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    same = i[1:] == i[:-1]  # consecutive spikes of one neuron
    isi, owner = np.diff(t)[same], i[1:][same]
    counts = np.bincount(i, minlength=n)
    n_isi = np.bincount(owner, minlength=n)
    mean = np.bincount(owner, isi, minlength=n) / np.maximum(n_isi, 1)
    var = np.bincount(owner, (isi - mean[owner]) ** 2, minlength=n) / np.maximum(n_isi, 1)
    keep = counts >= min_spikes
    return np.sqrt(var[keep]) / mean[keep]


def binned_counts(times_ms, idx, n: int, t0_ms: float, t1_ms: float, bin_ms: float,
                  neurons) -> np.ndarray:  # fmt: skip
    """Spike counts ``[len(neurons), n_bins]`` of the given neurons in consecutive bins of
    ``bin_ms`` from ``t0_ms``; ``n_bins = floor((t1_ms - t0_ms) / bin_ms)`` (a last partial
    bin is dropped)."""
    if not bin_ms > 0:
        raise ValueError(f"bin_ms must be > 0, got {bin_ms}")
    n_bins = int(np.floor((t1_ms - t0_ms) / bin_ms + 1e-9))
    if n_bins < 2:
        raise ValueError(f"the window [{t0_ms}, {t1_ms}) holds fewer than 2 bins of {bin_ms} ms")
    t, i = _window(*_spikes(times_ms, idx, n), t0_ms, t0_ms + n_bins * bin_ms)
    row = np.full(n, -1, dtype=np.int64)
    row[np.asarray(neurons, dtype=np.int64)] = np.arange(len(neurons))
    sel = row[i] >= 0
    b = np.minimum(((t[sel] - t0_ms) / bin_ms).astype(np.int64), n_bins - 1)
    flat = row[i[sel]] * n_bins + b
    return np.bincount(flat, minlength=len(neurons) * n_bins).reshape(len(neurons), n_bins)


def spike_count_correlations(times_ms, idx, n: int, t0_ms: float, t1_ms: float,
                             bin_ms: float = 2.0, n_neurons: int = 50,
                             seed: int = 12345) -> np.ndarray:  # fmt: skip
    """Pearson correlation coefficients of the binned spike counts of all pairs in a random
    subset of ``min(n_neurons, n)`` neurons (drawn without replacement with
    ``numpy.random.default_rng(seed)``), as a flat array over the pairs ``j < k``.

    As in the PD14 repository's ``pairwise_spike_count_correlations`` (``helpers.py``
    l. 925) with its ``params.py`` settings: ``bin_ms = 2`` (correlations on a millisecond
    timescale, as its README puts it) and ``n_neurons = 50`` (``params.py`` has 250 commented
    out as the alternative). The subset includes silent neurons, as
    there; pairs with a neuron whose counts do not vary (no spike in the window) have no
    coefficient and are left out (the repository keeps them as NaN)."""
    if n_neurons < 2:
        raise ValueError(f"n_neurons must be >= 2, got {n_neurons}")
    subset = np.sort(np.random.default_rng(seed).choice(n, size=min(n_neurons, n), replace=False))
    counts = binned_counts(times_ms, idx, n, t0_ms, t1_ms, bin_ms, subset).astype(np.float64)
    x = counts - counts.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1))
    x = x[norm > 0] / norm[norm > 0, None]
    cc = x @ x.T
    return cc[np.triu_indices(len(x), k=1)]


def ks_distance(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest absolute difference between the
    empirical distribution functions of ``a`` and ``b`` (0 for equal samples, 1 for
    samples that do not overlap). Same value as ``scipy.stats.ks_2samp(a, b).statistic``."""
    a = np.sort(np.asarray(a, dtype=np.float64).ravel())
    b = np.sort(np.asarray(b, dtype=np.float64).ravel())
    if not a.size or not b.size:
        raise ValueError(f"both samples need values, got sizes {a.size} and {b.size}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("samples contain NaN")
    x = np.concatenate([a, b])  # the ECDFs only jump at sample values
    fa = np.searchsorted(a, x, side="right") / a.size
    fb = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))
