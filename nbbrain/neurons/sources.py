"""Spike sources: populations whose neurons spike as they are told, and take no input.

- ``PoissonSource(rate_hz)``: independent Poisson trains, one per neuron; in each step a
  neuron spikes with probability ``rate_hz * dt`` (at most once per step), drawn from the
  counter-based generator. ``rate_hz`` is a scalar, one value per neuron, a distribution or
  a ``TimedArray`` (rates that change with time, for all neurons or per neuron).
- ``SpikeSource(times_ms=None, indices=None)``: spikes at given times (neuron
  ``indices[k]`` at ``times_ms[k]``, stored compactly; ``sim.set_spike_times`` gives new
  ones between runs), and/or spikes given to each run (``sim.run(inputs={name: spikes})``,
  booleans ``[n_steps, n]`` or ``[n]``).

For Poisson input into neurons without any synapses, see ``Brain.add_poisson_input``.
"""

from __future__ import annotations

import numpy as np

from ..model.units import check_units
from ..model.values import Distribution, TimedArray, check_value
from .base import NeuronModel, State


class Source(NeuronModel):
    """Base of spike sources (not neuron models: nothing to integrate, no receptors)."""

    current_input = False

    def __init__(self):
        self.params = {}


class PoissonSource(Source):
    __doc__ = __doc__
    state = {"rate_hz": State("Hz", low=0.0)}

    def __init__(self, rate_hz=10.0):
        super().__init__()
        if isinstance(rate_hz, TimedArray):
            if np.any(rate_hz.values < 0):
                raise ValueError("PoissonSource: rate_hz must be >= 0 everywhere")
            self.rate_hz = rate_hz
            return
        self.rate_hz = check_value(rate_hz, None, "PoissonSource: rate_hz")
        if not isinstance(self.rate_hz, Distribution):
            check_units("rate_hz", self.rate_hz, "PoissonSource")
        if isinstance(self.rate_hz, float) and self.rate_hz < 0:
            raise ValueError(f"PoissonSource: rate_hz must be >= 0, got {self.rate_hz}")
        if isinstance(self.rate_hz, np.ndarray) and np.any(self.rate_hz < 0):
            raise ValueError("PoissonSource: rate_hz must be >= 0 everywhere")

    @property
    def timed(self) -> bool:
        return isinstance(self.rate_hz, TimedArray)

    def default_state(self, var):
        return 0.0 if self.timed else self.rate_hz

    def __repr__(self):
        return f"PoissonSource(rate_hz={self.rate_hz!r})"


class SpikeSource(Source):
    __doc__ = __doc__

    def __init__(self, times_ms=None, indices=None):
        super().__init__()
        if (times_ms is None) != (indices is None) and not (
            times_ms is not None and indices is None and np.ndim(times_ms) == 1
        ):
            raise TypeError("SpikeSource: give times_ms and indices together (neuron "
                            "indices[k] spikes at times_ms[k])")  # fmt: skip
        self.times_ms = self.indices = None
        if times_ms is None:
            return
        t = np.asarray(times_ms, np.float64)
        i = np.zeros(t.shape, np.int64) if indices is None else np.asarray(indices)
        if t.ndim != 1 or i.shape != t.shape:
            raise ValueError(f"SpikeSource: times_ms and indices must be 1-D and of one "
                             f"length, got shapes {t.shape} and {i.shape}")  # fmt: skip
        if i.size and not np.issubdtype(i.dtype, np.integer):
            raise TypeError(f"SpikeSource: indices must be integers, got {i.dtype}")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            bad = t[~np.isfinite(t) | (t < 0)][0]
            raise ValueError(f"SpikeSource: times_ms must be finite and >= 0, got {bad}")
        if np.any(i < 0):
            raise ValueError(f"SpikeSource: indices must be >= 0, got {i[i < 0][0]}")
        self.times_ms, self.indices = t, i.astype(np.int64)

    @property
    def timed(self) -> bool:
        return self.times_ms is not None

    def __repr__(self):
        if self.timed:
            return f"SpikeSource(<{self.times_ms.size} spikes>)"
        return "SpikeSource()"
