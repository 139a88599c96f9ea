"""Inputs that the kernels generate themselves: Poisson input into neurons
(``Brain.add_poisson_input``), noise currents (``Brain.add_noise_current``), spike trains
at given times (``SpikeSource(times_ms=...)``) and Poisson sources whose rates follow a
``TimedArray``. Each is a table of *segments* (an input, a range of neurons, the index of
the range's first neuron in the input's targets) plus the input's parameters; random
draws are keyed by (input, copy, step, neuron index in the input's targets), so they do not
depend on how the neurons are cut into blocks or threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.values import TimedArray, whole_steps
from ..neurons.sources import PoissonSource, SpikeSource
from ..rng import POISSON_GUIDE_SIZE, POISSON_TABLE_SIZE, poisson_split, poisson_table
from .keys import copy_parts, numpy_rng, stable_key


@dataclass
class Segments:
    """Ranges of neurons an input covers: input ``q[s]``, neurons ``lo[s]:hi[s]``, the first
    of which is number ``off[s]`` among the input's targets."""

    q: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    off: np.ndarray

    @classmethod
    def of(cls, inputs, start_of):
        q, lo, hi, off = [], [], [], []
        for k, inp in enumerate(inputs):
            pos = 0
            for p in inp.targets:
                q.append(k)
                lo.append(start_of[p.name])
                hi.append(start_of[p.name] + p.n)
                off.append(pos)
                pos += p.n
        return cls(*(np.array(x, np.int64) for x in (q, lo, hi, off)))


@dataclass
class PoissonInputs:
    """The Poisson inputs: per input its channel, weight (internal units; per neuron where
    the unit's factor varies: ``w_off`` into ``w_pn``, else -1), draws per neuron and step
    (``m``, each of mean ``lam / m``), the rates (``lam`` per value of the rate table,
    already ``n_sources * rate * dt / m``: ``r_off``, ``r_len``, ``r_div`` steps per value,
    ``delay`` in steps), and the inversion tables of the first value."""

    seg: Segments
    chan: np.ndarray
    weight: np.ndarray
    w_off: np.ndarray
    w_pn: np.ndarray
    m: np.ndarray
    lam: np.ndarray
    r_off: np.ndarray
    r_len: np.ndarray
    r_div: np.ndarray
    delay: np.ndarray
    thr: np.ndarray
    guide: np.ndarray
    names: list

    @property
    def timed(self) -> np.ndarray:
        return self.r_len > 1

    def keys(self, seed, copy=0) -> np.ndarray:
        return np.array([stable_key(seed, "poisson input", name, *copy_parts(copy))
                         for name in self.names], np.uint64).reshape(-1)  # fmt: skip


def poisson_inputs(brain, start_of, raw_of) -> PoissonInputs:
    inputs = brain.poisson_inputs
    dt = brain.dt_ms
    chan, weight, w_off, pieces, m, lam, r_off, r_len, r_div, delay = ([] for _ in range(10))
    pos_w = pos_r = 0
    for inp in inputs:
        model = type(inp.targets[0].model)
        chan.append(model.channel(inp.receptor))
        factors = []
        for p in inp.targets:
            f = p.model.receptors[inp.receptor].units[inp.weight_unit]
            value = raw_of[p.name][f] if isinstance(f, str) else f
            factors.append(np.broadcast_to(np.asarray(value, np.float64), (p.n,)))
        w = inp.weight * np.concatenate(factors)
        if np.all(w == w[0]):
            weight.append(w[0])
            w_off.append(-1)
        else:
            weight.append(0.0)
            w_off.append(pos_w)
            pieces.append(w.astype(np.float32))
            pos_w += w.size
        if isinstance(inp.rate_hz, TimedArray):
            rates = inp.rate_hz.values
            r_div.append(inp.rate_hz.steps_per_value(dt, f"poisson input {inp.name}"))
        else:
            rates = np.array([inp.rate_hz])
            r_div.append(1)
        mean = inp.n_sources * rates * dt * 1e-3
        draws = poisson_split(float(mean.max()))
        m.append(draws)
        lam.append(mean / draws)
        r_off.append(pos_r)
        r_len.append(rates.size)
        pos_r += rates.size
        delay.append(whole_steps(inp.delay_ms, dt, f"poisson input {inp.name}: delay_ms"))
    q = len(inputs)
    thr = np.zeros((q, POISSON_TABLE_SIZE), np.uint64)
    guide = np.zeros((q, POISSON_GUIDE_SIZE), np.int32)
    for k in range(q):
        poisson_table(float(lam[k][0]), thr[k], guide[k])
    f64, i64 = np.float64, np.int64
    return PoissonInputs(
        Segments.of(inputs, start_of), np.array(chan, i64), np.array(weight, np.float32),
        np.array(w_off, i64), np.concatenate(pieces) if pieces else np.zeros(1, np.float32),
        np.array(m, i64), np.concatenate(lam).astype(f64) if lam else np.zeros(1, f64),
        np.array(r_off, i64), np.array(r_len, i64), np.array(r_div, i64),
        np.array(delay, i64), thr, guide, [inp.name for inp in inputs],
    )  # fmt: skip


@dataclass
class NoiseInputs:
    """The noise currents: per current its stationary mean, the decay ``e = exp(-dt /
    tau)`` and the amplitude ``sd sqrt(1 - e^2)`` of a step's fresh noise."""

    seg: Segments
    mean: np.ndarray
    decay: np.ndarray
    amp: np.ndarray
    sd: np.ndarray
    names: list

    def keys(self, seed, copy=0) -> np.ndarray:
        return np.array([stable_key(seed, "noise", name, *copy_parts(copy))
                         for name in self.names], np.uint64).reshape(-1)  # fmt: skip

    def initial(self, seed, n, copy=0) -> np.ndarray:
        """The noise state at the start (its stationary distribution), float32 [N]."""
        out = np.zeros(n, np.float32)
        for s in range(self.seg.q.size):
            z = self.seg.q[s]
            lo, hi, off = self.seg.lo[s], self.seg.hi[s], self.seg.off[s]
            rng = numpy_rng(seed, "noise init", self.names[z], int(off), *copy_parts(copy))
            out[lo:hi] = self.mean[z] + self.sd[z] * rng.standard_normal(hi - lo)
        return out


def noise_inputs(brain, start_of) -> NoiseInputs:
    currents = brain.noise_currents
    e = np.array([np.exp(-brain.dt_ms / z.tau_ms) for z in currents], np.float64)
    sd = np.array([z.sd_pa for z in currents], np.float64)
    return NoiseInputs(
        Segments.of(currents, start_of), np.array([z.mean_pa for z in currents], np.float64),
        e, sd * np.sqrt(1.0 - e * e), sd, [z.name for z in currents],
    )  # fmt: skip


@dataclass
class SpikeTrains:
    """Spikes at given times (``SpikeSource(times_ms=...)``): for population p, entries
    ``ptr[p]:ptr[p + 1]`` of ``step`` and ``idx`` (global neuron), sorted by step, then
    neuron."""

    step: np.ndarray
    idx: np.ndarray
    ptr: np.ndarray

    def cursors(self, step0) -> np.ndarray:
        """Per population, the first entry at or after ``step0``."""
        out = np.empty(self.ptr.size - 1, np.int64)
        for p in range(out.size):
            a, b = self.ptr[p], self.ptr[p + 1]
            out[p] = a + np.searchsorted(self.step[a:b], step0)
        return out


def spike_trains(pops, lo, dt_ms) -> SpikeTrains:
    steps, idx = [], []
    for k, p in enumerate(pops):
        if isinstance(p.model, SpikeSource) and p.model.timed:
            s, i = train_steps(p.name, p.model.times_ms, p.model.indices, dt_ms)
        else:
            s = i = np.zeros(0, np.int64)
        steps.append(s)
        idx.append(lo[k] + i)
    return _joined(steps, idx)


def train_steps(name, times_ms, indices, dt_ms):
    """(steps, indices) of a SpikeSource's spikes, sorted by step, then neuron; checked: at
    most one spike per neuron and step."""
    s = np.round(np.asarray(times_ms, np.float64) / dt_ms).astype(np.int64)
    i = np.asarray(indices, np.int64)
    order = np.lexsort((i, s))
    s, i = s[order], i[order]
    dup = (np.diff(s) == 0) & (np.diff(i) == 0)
    if np.any(dup):
        j = int(np.flatnonzero(dup)[0])
        raise ValueError(f"population {name!r}: SpikeSource neuron {i[j]} spikes twice at "
                         f"{s[j] * dt_ms:g} ms (at most once per step)")  # fmt: skip
    return s, i


def replaced_train(trains, p, steps, idx) -> SpikeTrains:
    """``trains`` with population p's spikes replaced by these (global neuron indices)."""
    ptr = trains.ptr
    parts = [(trains.step[ptr[q] : ptr[q + 1]], trains.idx[ptr[q] : ptr[q + 1]])
             for q in range(ptr.size - 1)]  # fmt: skip
    parts[p] = (steps, idx)
    return _joined(*zip(*parts))


def _joined(steps, idx) -> SpikeTrains:
    ptr = np.concatenate([[0], np.cumsum([s.size for s in steps])]).astype(np.int64)
    cat = (lambda a: np.concatenate(a).astype(np.int64)) if steps else (
        lambda a: np.zeros(0, np.int64))  # fmt: skip
    return SpikeTrains(cat(steps), cat(idx), ptr)


@dataclass
class TimedRates:
    """Poisson sources whose rates follow a TimedArray: per population the offset of its
    table in ``values`` (-1: none), rows, columns (1 or n) and steps per row."""

    off: np.ndarray
    rows: np.ndarray
    width: np.ndarray
    div: np.ndarray
    values: np.ndarray


def timed_rates(pops, dt_ms) -> TimedRates:
    off, rows, width, div, pieces, pos = [], [], [], [], [], 0
    for p in pops:
        model = p.model
        if isinstance(model, PoissonSource) and model.timed:
            v = model.rate_hz.values
            v2 = v[:, None] if v.ndim == 1 else v
            off.append(pos)
            rows.append(v2.shape[0])
            width.append(v2.shape[1])
            div.append(model.rate_hz.steps_per_value(dt_ms, f"population {p.name!r}"))
            pieces.append(v2.astype(np.float32).ravel())
            pos += v2.size
        else:
            off.append(-1)
            rows.append(0)
            width.append(0)
            div.append(1)
    values = np.concatenate(pieces) if pieces else np.zeros(1, np.float32)
    return TimedRates(*(np.array(x, np.int64) for x in (off, rows, width, div)), values)
