"""Values a user may give for a parameter, an initial state or a synaptic property.

A value is a scalar, an array of the right length, or a distribution drawn once at build
time (``Normal``, ``Uniform``, ``LogNormal``, each with optional clipping to ``[low, high]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: the least share of a distribution that ``truncate=True`` may keep
MIN_KEPT = 1e-3


def _finite(x, what):
    """A finite number (not a bool, not a string), as a float."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)):
        raise TypeError(f"{what} must be a number, got {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x}")
    return float(x)


def check_int(x, what: str, lo: int, hi: int | None = None, why: str = "") -> int:
    """An integer (not a bool) in ``[lo, hi]``; ``why`` explains the range in the error."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{what} must be an integer, got {x!r}")
    if x < lo or (hi is not None and x > hi):
        bounds = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{what} must be {bounds}{why}, got {x}")
    return int(x)


def whole_steps(ms, dt_ms: float, what: str, minimum: int = 1) -> int:
    """A duration in ms as a whole number of steps of ``dt_ms`` (within 1e-6 of one), at
    least ``minimum``; otherwise a clear error naming ``what``."""
    if isinstance(ms, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{what} must be a number, got {ms!r}")
    try:
        ms = float(ms)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a number, got {ms!r}") from None
    steps = ms / dt_ms
    n = round(steps) if math.isfinite(steps) else 0
    if not math.isfinite(steps) or abs(steps - n) > 1e-6 * max(1.0, abs(steps)) or n < minimum:
        raise ValueError(f"{what}={ms:g} must be a whole number (>= {minimum}) of steps of "
                         f"dt_ms={dt_ms:g}")  # fmt: skip
    return int(n)


class Distribution:
    """A distribution to draw values from at build time (seeded by the brain's seed).
    Values outside ``[low, high]`` are clipped to the bound, or, with ``truncate=True``,
    drawn again (NEST's redraw: the distribution truncated to the bounds)."""

    low: float | None = None
    high: float | None = None
    truncate: bool = False

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        x = self._draw(rng, n)
        if self.low is None and self.high is None:
            return x
        if not self.truncate:
            return np.clip(x, self.low, self.high)
        lo = -np.inf if self.low is None else self.low
        hi = np.inf if self.high is None else self.high
        bad = np.flatnonzero((x < lo) | (x > hi))
        while bad.size:  # each redraw is kept with probability >= MIN_KEPT
            x[bad] = self._draw(rng, bad.size)
            bad = bad[(x[bad] < lo) | (x[bad] > hi)]
        return x

    def _check_truncation(self, cdf):
        """With ``truncate``, refuse bounds that keep almost nothing (redraws would not end)."""
        if not self.truncate:
            return
        if self.low is None and self.high is None:
            raise ValueError(f"{type(self).__name__}: truncate=True needs low or high")
        lo = 0.0 if self.low is None else cdf(self.low)
        hi = 1.0 if self.high is None else cdf(self.high)
        if hi - lo < MIN_KEPT:
            raise ValueError(
                f"{self}: truncating to [{self.low}, {self.high}] keeps {hi - lo:.2g} of the "
                f"distribution (at least {MIN_KEPT} needed); clip instead (truncate=False)"
            )

    def _check_bounds(self):
        name = type(self).__name__
        if self.low is not None:
            self.low = _finite(self.low, f"{name}: low")
        if self.high is not None:
            self.high = _finite(self.high, f"{name}: high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"{name}: low ({self.low}) must not exceed high ({self.high})")


@dataclass
class Normal(Distribution):
    """Normal distribution ``N(mean, sd)``, clipped to ``[low, high]`` where given (or, with
    ``truncate=True``, truncated: values outside are drawn again)."""

    mean: float
    sd: float
    low: float | None = None
    high: float | None = None
    truncate: bool = False

    def __post_init__(self):
        self.mean = _finite(self.mean, "Normal: mean")
        self.sd = _finite(self.sd, "Normal: sd")
        if self.sd < 0:
            raise ValueError(f"Normal: sd must be >= 0, got {self.sd}")
        self._check_bounds()
        self._check_truncation(self.cdf)

    def cdf(self, x: float) -> float:
        """P(X < x) before clipping or truncation."""
        if self.sd == 0:
            return float(self.mean < x)
        return 0.5 * (1.0 + math.erf((x - self.mean) / (self.sd * math.sqrt(2.0))))

    def _draw(self, rng, n):
        return rng.normal(self.mean, self.sd, n)


@dataclass
class Uniform(Distribution):
    """Uniform distribution on ``[low, high)``."""

    low: float
    high: float

    def __post_init__(self):
        self._check_bounds()

    def _draw(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    def sample(self, rng, n):  # no clipping needed: the bounds are the support
        return self._draw(rng, n)

    def cdf(self, x: float) -> float:
        """P(X < x)."""
        return min(1.0, max(0.0, (x - self.low) / (self.high - self.low)))


@dataclass
class LogNormal(Distribution):
    """Log-normal: ``exp(N(mu, sigma))`` (numpy's parametrisation), clipped where given."""

    mu: float
    sigma: float
    low: float | None = None
    high: float | None = None
    truncate: bool = False

    def __post_init__(self):
        self.mu = _finite(self.mu, "LogNormal: mu")
        self.sigma = _finite(self.sigma, "LogNormal: sigma")
        if self.sigma < 0:
            raise ValueError(f"LogNormal: sigma must be >= 0, got {self.sigma}")
        self._check_bounds()
        self._check_truncation(self.cdf)

    def cdf(self, x: float) -> float:
        """P(X < x) before clipping or truncation."""
        if x <= 0:
            return 0.0
        if self.sigma == 0:
            return float(math.exp(self.mu) < x)
        return 0.5 * (1.0 + math.erf((math.log(x) - self.mu) / (self.sigma * math.sqrt(2.0))))

    def _draw(self, rng, n):
        return rng.lognormal(self.mu, self.sigma, n)


def check_value(x, n: int | None, what: str):
    """Validate a user's value before anything is built: finite scalars, arrays of length
    ``n`` (where ``n`` is known) without NaN, or a distribution. Returns a normalised value."""
    if isinstance(x, Distribution):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{what} must be a number, array or distribution, got {x!r}")
    if isinstance(x, (int, float, np.number)):
        return _finite(x, what)
    if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must hold numbers, got {x!r:.80}") from None
        if arr.ndim != 1:
            raise ValueError(f"{what} must be a 1-D array, got shape {arr.shape}")
        if n is not None and arr.shape[0] != n:
            raise ValueError(f"{what} must have length {n}, got {arr.shape[0]}")
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise ValueError(f"{what} must be finite, got {arr[bad]} at index {bad}")
        return arr
    raise TypeError(f"{what} must be a number, array or distribution, got {type(x).__name__}")


def resolve(x, n: int, rng: np.random.Generator | None, what: str) -> np.ndarray:
    """Turn a checked value into a float64 array of length ``n``."""
    if isinstance(x, Distribution):
        out = x.sample(rng, n)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{what}: {x} drew non-finite values")
        return out
    if isinstance(x, np.ndarray):
        if x.shape[0] != n:
            raise ValueError(f"{what} must have length {n}, got {x.shape[0]}")
        return x
    return np.full(n, float(x))


class TimedArray:
    """Values that change with time, like Brian2's ``TimedArray``: ``values[k]`` holds from
    ``k * dt_ms`` to ``(k + 1) * dt_ms``, and the last value holds after the end.
    ``values`` is ``[n_times]`` (the same for every neuron) or ``[n_times, n]`` (one column
    per neuron, where the user of the table allows it). ``dt_ms`` must be a whole multiple
    of the brain's ``dt_ms`` (checked where the table is used).

    Used for Poisson rates: ``nb.PoissonSource(rate_hz=nb.TimedArray(rates, dt_ms=10.0))``,
    ``brain.add_poisson_input(..., rate_hz=nb.TimedArray(...))``.
    """

    def __init__(self, values, dt_ms: float):
        arr = np.asarray(values, dtype=np.float64) if not isinstance(values, np.ndarray) \
            else values.astype(np.float64)  # fmt: skip
        if arr.ndim not in (1, 2) or arr.shape[0] == 0 or 0 in arr.shape:
            raise ValueError(f"TimedArray: values must be [n_times] or [n_times, n] with "
                             f"n_times >= 1, got shape {arr.shape}")  # fmt: skip
        if not np.all(np.isfinite(arr)):
            raise ValueError("TimedArray: values must be finite")
        self.values = arr
        self.dt_ms = _finite(dt_ms, "TimedArray: dt_ms")
        if self.dt_ms <= 0:
            raise ValueError(f"TimedArray: dt_ms must be > 0, got {self.dt_ms}")

    @property
    def n_times(self) -> int:
        return self.values.shape[0]

    def steps_per_value(self, dt_ms: float, what: str) -> int:
        """Steps of ``dt_ms`` each value holds (the table's ``dt_ms`` must be a multiple)."""
        return whole_steps(self.dt_ms, dt_ms, f"{what}: TimedArray dt_ms")

    def __repr__(self):
        return f"TimedArray(<{self.values.shape} values>, dt_ms={self.dt_ms:g})"
