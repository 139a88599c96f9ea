"""Monitors on the Python side: buffers handed to the kernel, and what they collected.

The kernels write spikes as (step, global index) pairs and state samples into one flat
buffer per chunk; here they are split per population and kept as lists of chunks
(concatenated on read).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def record_capacity(max_per_step, n_steps, dt_ms):
    """Spikes a record buffer holds for ``n_steps``: every recorded neuron at 50 Hz, plus
    one step's worth (the kernels stop early, and the buffers grow, when that is short)."""
    return max_per_step * (1 + int(n_steps * dt_ms * 1e-3 * 50)) + max_per_step


class SpikeRecorder:
    """Spikes of the recorded populations."""

    def __init__(self, names, lo, hi, rows):
        self.names, self.lo, self.rows = names, lo, rows
        self.names_recorded = {names[k] for k in rows}
        self.max_per_step = int(sum(hi[k] - lo[k] for k in rows))  # all recorded neurons
        self._chunks = {names[k]: [] for k in rows}
        self._capacity = 0
        self._buf = (np.zeros(0, np.int64), np.zeros(0, np.int32))

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
        if not steps.size:
            return
        which = np.searchsorted(self.lo, idx, side="right") - 1
        for k in self.rows:
            sel = which == k
            if sel.any():
                local = (idx[sel] - self.lo[k]).astype(np.int32)
                self._chunks[self.names[k]].append((steps[sel].copy(), local))

    def get(self, name, since_step=0):
        """The spikes of ``name`` at or after ``since_step``: only the chunks that hold
        some are joined."""
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

    def truncate(self, step):
        """Drop the spikes at or after ``step`` (a restore to an earlier step)."""
        for name, parts in self._chunks.items():
            kept = [(s[s < step], i[s < step]) for s, i in parts if s[0] < step]
            self._chunks[name] = [(s, i) for s, i in kept if s.size]

    @property
    def nbytes(self):
        return sum(a.nbytes + b.nbytes for parts in self._chunks.values() for a, b in parts)


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
        self._values, self._steps = [], []

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
            r._values.append(packed.out[s : s + ns * size].reshape(ns, size).copy())
            every = r.spec.every_steps
            first = -(-packed.first_step // every) * every
            r._steps.append(first + every * np.arange(ns, dtype=np.int64))

    def truncate(self, step):
        """Drop the samples at or after ``step`` (a restore to an earlier step)."""
        kept = [(s < step, s, v) for s, v in zip(self._steps, self._values)]
        self._steps = [s[k] for k, s, _v in kept if k.any()]
        self._values = [v[k] for k, _s, v in kept if k.any()]

    def get(self, dt_ms):
        steps, values = self.get_steps()
        return steps * dt_ms, values

    def get_steps(self):
        """(steps [n_samples], values [n_samples, k])."""
        if not self._values:
            return np.zeros(0, np.int64), np.zeros((0, self.global_idx.size), np.float32)
        return np.concatenate(self._steps), np.concatenate(self._values)

    @property
    def nbytes(self):
        return sum(v.nbytes for v in self._values)
