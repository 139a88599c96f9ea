"""Monitors on the Python side: buffers handed to the kernel, and what they collected.

The kernels write spikes as (step, global index) pairs and state samples into one flat
buffer per chunk; here they are split per population and kept as lists of chunks
(concatenated on read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import config


def record_capacity(max_per_step, n_steps, dt_ms):
    """Spikes a record buffer holds for ``n_steps``: every recorded neuron at 50 Hz, plus
    one step's worth (the kernels stop early, and the buffers grow, when that is short)."""
    return max_per_step * (1 + int(n_steps * dt_ms * 1e-3 * 50)) + max_per_step


def _before(parts, step):
    """Chunks ``(steps, values)`` (time-ordered) cut to what lies before ``step``."""
    kept = [(s[s < step], v[s < step]) for s, v in parts if s[0] < step]
    return [(s, v) for s, v in kept if s.size]


def _within(parts, first):
    """The chunks with something at or after step ``first`` (a window's start)."""
    if parts and parts[0][0][-1] < first:
        return [p for p in parts if p[0][-1] >= first]
    return parts


class SpikeRecorder:
    """Spikes of the recorded populations (``specs``: name -> SpikeMonitorSpec): of every
    neuron or of a subset, all of them or those of the last ``window_steps``."""

    def __init__(self, names, lo, hi, rows, specs):
        self.names, self.lo, self.rows = names, lo, rows
        self.names_recorded = {names[k] for k in rows}
        self.max_per_step = int(sum(hi[k] - lo[k] for k in rows))  # all recorded neurons
        self._chunks = {names[k]: [] for k in rows}
        self._window = {names[k]: specs[names[k]].window_steps for k in rows}
        self._keep = None  # by global index: the neurons kept (None: every one recorded)
        if any(specs[names[k]].indices is not None for k in rows):
            self._keep = np.zeros(int(hi[-1]) if len(hi) else 0, bool)
            for k in rows:
                sel = specs[names[k]].indices
                self._keep[lo[k] + (np.arange(hi[k] - lo[k]) if sel is None else sel)] = True
        self._capacity = 0
        self._buf = (np.zeros(0, np.int64), np.zeros(0, np.int32))
        self._end = 0  # the step the last chunk collected ended at

    def buffers(self, n_steps, dt_ms):
        """Record buffers large enough for ``n_steps`` at 50 Hz (grown when exceeded)."""
        want = record_capacity(self.max_per_step, n_steps, dt_ms)
        if want > self._capacity:
            self._capacity = want
            self._buf = (np.empty(want, np.int64), np.empty(want, np.int32))
        return self._buf

    def grow(self):
        self._capacity *= 2
        self._buf = (np.empty(self._capacity, np.int64), np.empty(self._capacity, np.int32))

    def collect(self, steps, idx):
        """Keep the spikes (time-ordered) of one kernel call."""
        if self._keep is not None and steps.size:
            keep = self._keep[idx]
            steps, idx = steps[keep], idx[keep]
        if not steps.size:
            return
        which = np.searchsorted(self.lo, idx, side="right") - 1
        for k in self.rows:
            sel = which == k
            if sel.any():
                local = (idx[sel] - self.lo[k]).astype(np.int32)
                self._chunks[self.names[k]].append((steps[sel].copy(), local))

    def advanced(self, end_step):
        """The run reached ``end_step``: windowed monitors drop the chunks wholly before
        their window (what is left of a chunk that straddles it goes on ``get``)."""
        self._end = end_step
        for name, window in self._window.items():
            if window is not None:
                self._chunks[name] = _within(self._chunks[name], end_step - window)

    def get(self, name, since_step=0):
        """The spikes of ``name`` at or after ``since_step`` (and within the window): only
        the chunks that hold some are joined."""
        if self._window[name] is not None:
            since_step = max(since_step, self._end - self._window[name])
        parts = self._chunks[name]
        first = len(parts)
        while first > 0 and parts[first - 1][0][-1] >= since_step:
            first -= 1
        parts = parts[first:]
        if parts and since_step > 0:
            keep = parts[0][0] >= since_step
            parts = [(parts[0][0][keep], parts[0][1][keep])] + parts[1:]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def replace(self, name, steps, idx, end_step):
        """Hold these spikes of ``name`` (a file's) instead of those collected."""
        self._chunks[name] = [(steps.astype(np.int64), idx.astype(np.int32))] if steps.size \
            else []  # fmt: skip
        self._end = end_step

    def truncate(self, step):
        """Drop the spikes at or after ``step`` (a restore to an earlier step)."""
        for name, parts in self._chunks.items():
            self._chunks[name] = _before(parts, step)
        self._end = step

    @property
    def nbytes(self):
        return sum(a.nbytes + b.nbytes for parts in self._chunks.values() for a, b in parts)


class RateRecorder:
    """Population rates in bins of ``bin_steps`` from the kernels' spike counts per step:
    per bin, the spikes and the steps counted (8 bytes a bin). A bin that a restore cut, or
    one never run (a restore to a later step), has counted fewer steps, or none."""

    def __init__(self, name, column, n, bin_steps):
        self.name, self.column, self.n, self.bin_steps = name, column, n, bin_steps
        dtype = np.int32 if n * bin_steps < 2**31 else np.int64  # (a bin's most spikes)
        self.counts = np.zeros(0, dtype)
        self.covered = np.zeros(0, np.int32)  # steps counted per bin

    def add(self, step0, step_counts):
        """Count the spikes of the steps from ``step0`` (``step_counts`` [n_steps, P])."""
        n_steps = step_counts.shape[0]
        if not n_steps:
            return
        first, last = step0 // self.bin_steps, (step0 + n_steps - 1) // self.bin_steps
        if last >= self.counts.size:
            size = max(last + 1, 2 * self.counts.size)
            self.counts, self.covered = _grown(self.counts, size), _grown(self.covered, size)
        edges = np.arange(first, last + 1) * self.bin_steps - step0
        edges[0] = 0
        col = step_counts[:, self.column].astype(np.int64)
        self.counts[first : last + 1] += np.add.reduceat(col, edges).astype(self.counts.dtype)
        self.covered[first : last + 1] += np.diff(np.append(edges, n_steps)).astype(np.int32)

    def get(self, dt_ms, end_step):
        """(bin start times in ms, rates in Hz over the steps counted in each bin) up to
        ``end_step``; NaN in a bin no step was counted in."""
        n_bins = -(-end_step // self.bin_steps)
        counts, covered = _grown(self.counts, n_bins), _grown(self.covered, n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = counts[:n_bins] / (self.n * covered[:n_bins] * dt_ms * 1e-3)
        rate[covered[:n_bins] == 0] = np.nan
        return np.arange(n_bins) * self.bin_steps * dt_ms, rate

    def truncate(self, step):
        """Forget the steps at or after ``step``: the bin it falls in loses what it had
        counted (the counts per step are not kept) and counts again from ``step``."""
        b = step // self.bin_steps
        self.counts[b:] = 0
        self.covered[b:] = 0

    def saved(self):
        """What a file keeps."""
        return [self.counts, self.covered]

    def replace(self, counts, covered):
        self.counts, self.covered = counts.astype(self.counts.dtype), covered.astype(np.int32)

    @property
    def nbytes(self):
        return self.counts.nbytes + self.covered.nbytes


def _grown(a, size):
    """``a`` with zeros appended up to ``size`` (``a`` itself where it is that long)."""
    if a.size >= size:
        return a
    out = np.zeros(size, a.dtype)
    out[: a.size] = a
    return out


_NONE_I, _NONE_F = np.zeros(0, np.int64), np.zeros(0, np.float32)
_ZERO_PTR = np.zeros(1, np.int64)


@dataclass
class _Packed:
    var: np.ndarray
    every: np.ndarray
    ptr: np.ndarray
    idx: np.ndarray
    out: np.ndarray
    pos: np.ndarray
    start: np.ndarray  # where each monitor's samples begin in ``out``
    n_samples: np.ndarray
    first_step: int


class StateRecorder:
    """Samples of one state variable of some neurons of one population."""

    def __init__(self, spec, net):
        self.spec = spec
        pop_index = net.index(spec.population)
        self.global_idx = (net.lo[pop_index] + spec.indices).astype(np.int64)
        self.code = net.state_row(pop_index, spec.var)  # a row of the state, or the noise
        self._chunks = []  # (steps [n], values [n, k])
        self._end = 0

    @staticmethod
    def pack(recorders, step0, n_steps):
        """Buffers for ``n_steps`` from ``step0``: the sampled steps are multiples of each
        monitor's ``every_steps``."""
        m = len(recorders)
        if m == 0:
            return _Packed(_NONE_I, _NONE_I, _ZERO_PTR, _NONE_I, _NONE_F, _NONE_I.copy(),
                           _NONE_I, _NONE_I, step0)  # fmt: skip
        every = np.array([r.spec.every_steps for r in recorders], np.int64)
        first = -(-step0 // np.maximum(every, 1)) * every  # first multiple >= step0
        n_samples = np.where(
            first < step0 + n_steps, (step0 + n_steps - 1 - first) // np.maximum(every, 1) + 1, 0
        )
        sizes = np.array([r.global_idx.size for r in recorders], np.int64)
        start = np.concatenate([[0], np.cumsum(n_samples * sizes)])[:m]
        ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        idx = (np.concatenate([r.global_idx for r in recorders]) if m
               else np.zeros(0, np.int64))  # fmt: skip
        return _Packed(
            var=np.array([r.code for r in recorders], np.int64), every=np.maximum(every, 1),
            ptr=ptr, idx=idx, out=np.empty(int((n_samples * sizes).sum()), np.float32),
            pos=start.astype(np.int64).copy(), start=start, n_samples=n_samples,
            first_step=step0,
        )  # fmt: skip

    @staticmethod
    def unpack(recorders, packed):
        for k, r in enumerate(recorders):
            ns, size = int(packed.n_samples[k]), r.global_idx.size
            if ns == 0:
                continue
            s = int(packed.start[k])
            every = r.spec.every_steps
            first = -(-packed.first_step // every) * every
            r._chunks.append(
                (
                    first + every * np.arange(ns, dtype=np.int64),
                    packed.out[s : s + ns * size].reshape(ns, size).copy(),
                )
            )

    def truncate(self, step):
        """Drop the samples at or after ``step`` (a restore to an earlier step)."""
        self._chunks = _before(self._chunks, step)
        self._end = step

    def advanced(self, end_step):
        """The run reached ``end_step``: a windowed monitor drops the chunks wholly before
        its window."""
        self._end, window = end_step, self.spec.window_steps
        if window is not None:
            self._chunks = _within(self._chunks, end_step - window)

    def get(self, dt_ms):
        steps, values = self.get_steps()
        return steps * dt_ms, values

    def get_steps(self):
        """(steps [n_samples], values [n_samples, k]), within the window if there is one."""
        if not self._chunks:
            return np.zeros(0, np.int64), np.zeros((0, self.global_idx.size), np.float32)
        steps = np.concatenate([c[0] for c in self._chunks])
        values = np.concatenate([c[1] for c in self._chunks])
        if self.spec.window_steps is not None:
            keep = steps >= self._end - self.spec.window_steps
            steps, values = steps[keep], values[keep]
        return steps, values

    def replace(self, steps, values, end_step):
        """Hold these samples (a file's) instead of those collected."""
        self._chunks = [(steps.astype(np.int64), values)] if steps.size else []
        self._end = end_step

    def bytes_for(self, n_steps):
        """Bytes ``n_steps`` more of sampling add (at most the window's)."""
        every = self.spec.every_steps
        if self.spec.window_steps is not None:
            n_steps = min(n_steps, self.spec.window_steps + config.get("CHUNK_STEPS"))
        return 4 * self.global_idx.size * (n_steps // every + 1)

    @property
    def nbytes(self):
        return sum(v.nbytes for _s, v in self._chunks)
