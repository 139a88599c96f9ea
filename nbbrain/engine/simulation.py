"""The runtime: owns a built network's arrays and advances them in compiled chunks.

Python runs once per chunk (to feed inputs, collect monitors and draw the progress bar),
never per step or per neuron.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numba
import numpy as np

from .. import config
from ..build.network import (
    build_network,
    check_modulated_rates,
    init_state,
    neuron_parts,
    pop_keys,
    update_slow_flags,
)
from ..kernels import layout as L
from ..kernels.cpu.run import in_flight_ring, make_run_batch, make_run_chunk
from ..kernels.equations import oscillator_cycles
from ..model.values import check_int, whole_steps
from ..monitors.recorders import SpikeRecorder, StateRecorder, record_capacity
from .inputs import check_inputs, pack_inputs
from .result import RunResult

BACKENDS = ("cpu", "cuda")


class Simulation:
    """A built brain, ready to run. Made by ``Brain.build``.

    ``batch`` B > 1: B independent copies of the brain (DESIGN.md section 2, "Batches"):
    the connectivity shared, each copy with its own state, noise and inputs. The state
    arrays have a leading copy axis (``[B, N]``; ``net.v`` etc. are copy 0's rows); copy 0
    equals the unbatched build bit for bit, copy c > 0 draws its initial values and
    Poisson spikes from keys that add the copy to copy 0's.
    """

    def __init__(self, brain, backend="cpu", threads=1, batch=1):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; available: {list(BACKENDS)}")
        self.threads = _check_threads(threads)
        self.batch = _check_batch(batch)
        cuda = None
        if backend == "cuda":  # cuda: fail here, before any work, if no GPU can be used
            from .cuda_backend import check_available

            cuda = check_available(self.threads)
        t0 = time.perf_counter()
        self.backend, self.dt_ms = backend, brain.dt_ms
        # one part of the targets per thread, except where copies share the threads
        self.net = build_network(brain, self.threads if batch == 1 and cuda is None else 1)
        self._populations = {p.name: p for p in brain.populations.values()}
        self._display_order = list(brain.populations)
        self.step = 0
        net, B = self.net, self.batch
        self._batch_state(brain)
        check_modulated_rates(self.net, self._rate)
        self._record_rows = np.flatnonzero(net.ipar[:, L.I_RECORD])
        self._spike_recs = [SpikeRecorder(net.names, net.lo, net.hi, self._record_rows)
                            for _ in range(B)]  # fmt: skip
        self._spikes = self._spike_recs[0]
        self._rec_capacity, self._rec_buf = 0, None  # batch: record buffers [B, capacity]
        self._state_recs = [[StateRecorder(s, net, self._populations[s.population].model)
                             for s in brain.state_monitors] for _ in range(B)]  # fmt: skip
        self._states = self._state_recs[0]
        self._device = None  # cuda: the state lives on the GPU (engine/cuda_backend.py)
        if cuda is not None:
            from .cuda_backend import CudaBackend

            self._device = CudaBackend(self, cuda, config.CHUNK_STEPS)  # (its own ring)
        else:
            self._in_flight(np.zeros((B, 0, net.n_channels * net.n), np.float32), 0)
        self._scratch = np.empty((B, net.n), np.int32)
        self._no_ring = np.zeros(net.n, np.float32)  # the kernels' stand-in (run_chunk)
        self._blocks = _blocks(net, B)
        self.build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self._advance(0, {}, None)  # compiles the kernel (or loads it from the cache)
        self.compile_s = time.perf_counter() - t0

    def _batch_state(self, brain):
        """The state with a leading copy axis (``_v`` [B, N], ``_g`` [B, 4, N], ``_ref``,
        ``_rate``; Poisson keys ``_pop_key`` [B, P]); ``net.v`` etc. become copy 0's rows.
        B = 1: views of the network's own arrays (nothing is copied)."""
        net, B = self.net, self.batch
        if B == 1:
            self._v, self._g, self._ref = net.v[None], net.g[None], net.ref[None]
            self._rate, self._pop_key = net.rate[None], net.pop_key[None]
            return
        # zeros: init_state writes only the variables each model has (a Poisson source has
        # no v or g), and the rest must be what an unbatched build holds there
        self._v = np.zeros((B,) + net.v.shape, net.v.dtype)
        self._g = np.zeros((B,) + net.g.shape, net.g.dtype)
        self._ref = np.zeros((B,) + net.ref.shape, net.ref.dtype)
        self._rate = np.zeros((B,) + net.rate.shape, net.rate.dtype)
        self._v[0], self._g[0], self._ref[0], self._rate[0] = net.v, net.g, net.ref, net.rate
        self._pop_key = np.empty((B, len(net.names)), np.uint64)
        self._pop_key[0] = net.pop_key
        pops = sorted(brain.populations.values(), key=lambda p: p.name)
        for c in range(1, B):
            for p in pops:
                init_state(net, brain.seed, p, c, out=(self._v[c], self._g[c], self._rate[c]))
            self._pop_key[c] = pop_keys(brain.seed, net.names, c)
        net.v, net.g, net.ref, net.rate = self._v[0], self._g[0], self._ref[0], self._rate[0]
        update_slow_flags(net, self._g)

    def _in_flight(self, ring, step):
        """Set the spikes in flight (CPU): the input of ``ring`` [B, D, C * N] (slot ``t %
        D``: what arrives at step t; or no slots, for none) and no spikes in the list
        (``_act``, ``_n_act``; see ``make_run_chunk``)."""
        net, B = self.net, self.batch
        cn = net.n_channels * net.n
        self._inbox = np.zeros((B, cn), np.float32)
        self._act_max_new = int(np.count_nonzero(np.diff(net.row_ptr)))
        self._act = np.zeros((B, 2 + 3 * net.n_parts, self._act_max_new + 1024), np.int64)
        self._n_act = np.zeros(B, np.int64)
        self._pending, self._pend_until = np.zeros((B, 0, cn), np.float32), 0
        if ring.shape[1] and ring.any():
            slot = step % net.n_slots
            self._inbox[...] = ring[:, slot]
            self._pending = ring.copy()
            self._pending[:, slot] = 0
            self._pend_until = step + net.n_slots

    def _ring(self):
        """The spikes in flight as a ring [B, D, C * N] (what a checkpoint holds): the input
        of the next step, the pending input, the spikes in the list, summed in the order
        the kernel would sum them."""
        net = self.net
        if self._device is not None:
            return self._device.read_ring()
        ring = np.zeros((self.batch, net.n_slots, net.n_channels * net.n), np.float32)
        if self._pending.shape[1]:
            ring += self._pending
        ring[:, self.step % net.n_slots] = self._inbox
        for c in range(self.batch):
            in_flight_ring(net.n_slots, self._act[c], self._n_act[c], net.syn, net.weight,
                           *net.syn_codes(), ring[c])  # fmt: skip
        return ring

    def _grow_in_flight(self):
        """Double the list of spikes in flight where the kernel stopped for room."""
        if int(self._n_act.max()) + self._act_max_new > self._act.shape[2]:
            act = np.zeros(self._act.shape[:2] + (2 * self._act.shape[2],), np.int64)
            act[:, :, : self._act.shape[2]] = self._act
            self._act = act
            return True
        return False

    def _one(self, a):
        """``a`` (with a leading copy axis) as the caller sees it: B = 1 without the axis."""
        return a[0] if self.batch == 1 else a

    def _check_copy(self, copy, what):
        return check_int(copy, f"{what}: copy", 0, self.batch - 1,
                         why=f" (the simulation has {self.batch} copies)")  # fmt: skip

    # ---- running ------------------------------------------------------------------------
    @property
    def t_ms(self) -> float:
        """Simulated time so far (ms)."""
        return self.step * self.dt_ms

    def run(self, duration_ms=None, *, n_steps=None, inputs=None, progress=False) -> RunResult:
        """Advance by ``duration_ms`` (a whole number of steps) or ``n_steps``.

        ``inputs`` maps population names to arrays: for a SpikeSource, spikes as booleans
        ``[n_steps, n]`` (one row per step) or ``[n]`` (every step); for an LIF population,
        an injected current in pA, ``[n_steps, n]`` or ``[n]``. With a batch, these go to
        every copy; ``[B, n_steps, n]`` or ``[B, n]`` give each copy its own (a 2-D array
        whose first axis could be either, ``B == n_steps``, is read as ``[n_steps, n]``).
        Arrays are numpy arrays (or anything ``np.asarray`` takes, CPU tensors read in place)
        or, on the CUDA backend, GPU arrays (``__cuda_array_interface__``: torch CUDA
        tensors, CuPy, numba device arrays: bool or uint8 spikes, float32 or float64
        currents), which never cross to the host (``engine/device_inputs.py``).
        Returns a RunResult with the spike counts of this call. May be called again to
        continue.
        """
        n_steps = self._n_steps(duration_ms, n_steps)
        inputs = check_inputs(self, inputs or {}, n_steps)
        counts, per_step = np.zeros((self.batch, len(self.net.names)), np.int64), []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, unit="step", desc="nbbrain", leave=False)
        t0 = time.perf_counter()
        done = 0
        try:
            while done < n_steps:
                chunk = min(config.CHUNK_STEPS, n_steps - done)
                packed = pack_inputs(self, inputs, done, chunk)
                per_step.append(self._advance(chunk, packed, counts))
                done += chunk
                if bar is not None:
                    bar.update(chunk)
        finally:
            if bar is not None:
                bar.close()
        wall = time.perf_counter() - t0
        n_pop = len(self.net.names)
        per_step = (np.concatenate(per_step, axis=1) if per_step
                    else np.zeros((self.batch, 0, n_pop), np.int32))  # fmt: skip
        return RunResult(self, n_steps, self._one(counts), self._one(per_step), wall)

    def _n_steps(self, duration_ms, n_steps):
        if (duration_ms is None) == (n_steps is None):
            raise TypeError("run: give exactly one of duration_ms or n_steps")
        if n_steps is None:
            try:
                duration_ms = float(duration_ms)
            except (TypeError, ValueError):
                raise TypeError(f"run: duration_ms must be a number, got {duration_ms!r}") from None
            if not np.isfinite(duration_ms) or duration_ms < 0:
                raise ValueError(
                    f"run: duration_ms must be a finite number >= 0, got {duration_ms}"
                )
            return whole_steps(duration_ms, self.dt_ms, "run: duration_ms", minimum=0)
        if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, (int, np.integer)):
            raise TypeError(f"run: n_steps must be an integer, got {n_steps!r}")
        if n_steps < 0:
            raise ValueError(f"run: n_steps must be >= 0, got {n_steps}")
        return int(n_steps)

    def _advance(self, n_steps, packed, counts):
        """Run ``n_steps`` in as many kernel calls as the spike buffers need; ``counts``
        [B, P] accumulates the spikes; returns the per-step counts [B, n_steps, P]."""
        if counts is None:
            counts = np.zeros((self.batch, len(self.net.names)), np.int64)
        if self._device is not None:  # cuda: one launch per chunk, on the device
            return self._device.advance(n_steps, packed, counts)
        if self.batch > 1:
            return self._advance_batch(n_steps, packed, counts)
        net = self.net
        counts = counts[0]
        cur, spk = packed.get("current"), packed.get("spikes")
        cur = cur or _no_input(len(net.names), np.float32)
        spk = spk or _no_input(len(net.names), np.uint8)
        mon = StateRecorder.pack(self._states, self.step, n_steps)
        step_counts = np.zeros((n_steps, len(net.names)), np.int32)
        run_chunk = make_run_chunk(*self._features(), self.threads > 1)
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        done = 0
        while True:
            rec_step, rec_idx = self._spikes.buffers(n_steps - done, self.dt_ms)
            steps, n_rec, n_act = run_chunk(
                self.step, n_steps - done, net.n_slots, net.dt_ms, net.lo, net.fpar,
                net.ipar, net.pop_key, *self._blocks[:5], self._blocks[5][0], net.v,
                net.g.reshape(-1), net.ref, net.rate,
                net.indptr, net.syn, net.weight, *net.syn_codes(), self._inbox[0],
                self._act[0], self._n_act[0], self._act_max_new, self._pending[0],
                self._pend_until,
                cur[0][done:] if cur[1].any() else cur[0], cur[1], cur[2],
                spk[0][done:] if spk[1].any() else spk[0], spk[1], spk[2],
                counts, step_counts[done:], rec_step, rec_idx, 0, self._spikes.max_per_step,
                net.osc_freq, net.osc_phase, net.mod_osc, net.mod_depth, net.mod_thr,

                mon.var, mon.every, mon.ptr, mon.idx, mon.out, mon.pos, self._scratch[0],
                self._no_ring,
            )  # fmt: skip
            self._n_act[0] = n_act
            self._spikes.collect(rec_step[:n_rec], rec_idx[:n_rec])
            self.step += steps
            done += steps
            if done >= n_steps:
                break
            if not self._grow_in_flight():
                self._spikes.grow()
        self._drop_pending()
        StateRecorder.unpack(self._states, mon)
        if self.threads > 1 and n_steps > 0:
            _warn_if_slow_threading()
        return step_counts[None]

    def _drop_pending(self):
        if self._pending.shape[1] and self.step + 1 >= self._pend_until:
            self._pending = self._pending[:, :0]

    def _advance_batch(self, n_steps, packed, counts):
        """``_advance`` for B > 1: one call of the batch kernel runs all copies (a copy
        whose record buffer fills stops early; the next call continues it)."""
        net, B = self.net, self.batch
        n_pop = len(net.names)
        cur = packed.get("current") or _no_input(n_pop, np.float32, B)
        spk = packed.get("spikes") or _no_input(n_pop, np.uint8, B)
        mon = StateRecorder.pack(self._states, self.step, n_steps)
        mon_out = np.empty((B,) + mon.out.shape, np.float32)
        mon_pos = np.repeat(mon.pos[None], B, axis=0)
        step_counts = np.zeros((B, n_steps, n_pop), np.int32)
        run_batch = make_run_batch(self._features())
        numba.set_num_threads(self.threads)
        done = np.zeros(B, np.int64)
        max_per_step = self._spikes.max_per_step
        while True:
            rec_step, rec_idx = self._rec_buffers(n_steps - int(done.min()))
            n_rec = np.zeros(B, np.int64)
            run_batch(
                self.step, n_steps, done, net.n_slots, net.dt_ms, net.lo, net.fpar, net.ipar,
                self._pop_key, *self._blocks, self._v, self._g.reshape(B, -1), self._ref,
                self._rate, net.indptr, net.syn, net.weight, *net.syn_codes(),
                self._inbox, self._act, self._n_act, self._act_max_new, self._pending,
                self._pend_until, cur[0], cur[1], cur[2], int(cur[1].any()),
                spk[0], spk[1], spk[2], int(spk[1].any()),
                counts, step_counts, rec_step, rec_idx, n_rec, max_per_step,
                net.osc_freq, net.osc_phase, net.mod_osc, net.mod_depth, net.mod_thr,
                mon.var, mon.every, mon.ptr, mon.idx, mon_out, mon_pos, self._scratch,
                self._no_ring,
            )  # fmt: skip
            for c in range(B):
                self._spike_recs[c].collect(rec_step[c, : n_rec[c]], rec_idx[c, : n_rec[c]])
            if done.min() >= n_steps:
                break
            if not self._grow_in_flight():
                self._rec_capacity *= 2
                self._rec_buf = None
        self.step += n_steps
        self._drop_pending()
        for c in range(B):
            StateRecorder.unpack(self._state_recs[c], dataclasses.replace(mon, out=mon_out[c]))
        return step_counts

    def _rec_buffers(self, n_steps):
        """Spike record buffers [B, capacity] for ``n_steps`` (``SpikeRecorder``'s rule)."""
        want = record_capacity(self._spikes.max_per_step, n_steps, self.dt_ms)
        if want > self._rec_capacity or self._rec_buf is None:
            self._rec_capacity = max(want, self._rec_capacity)
            shape = (self.batch, self._rec_capacity)
            self._rec_buf = (np.empty(shape, np.int64), np.empty(shape, np.int32))
        return self._rec_buf

    def _features(self):
        """Which parts of the kernel this brain uses (see ``make_run_chunk``)."""
        kinds, ipar = set(self.net.ipar[:, L.I_KIND]), self.net.ipar
        return (L.COND_LIF in kinds, bool(ipar[:, L.I_SLOW].any()), L.CUR_LIF in kinds,
                L.POISSON in kinds, L.SPIKE_SOURCE in kinds, bool(self._states),
                bool((self.net.mod_osc >= 0).any()))  # fmt: skip

    def oscillator_phase(self, name) -> float:
        """Phase (radians, in [0, 2 pi)) of oscillator ``name`` at the current time."""
        net = self.net
        if name not in net.osc_names:
            raise ValueError(f"unknown oscillator {name!r}; known: {net.osc_names}")
        k = net.osc_names.index(name)
        cycles = oscillator_cycles(net.osc_freq[k], net.osc_phase[k], self.step, self.dt_ms)
        return float(2 * np.pi * cycles)

    # ---- reading back -------------------------------------------------------------------
    def _pop(self, name):
        if name not in self._populations:
            raise ValueError(f"unknown population {name!r}; known: {sorted(self._populations)}")
        return self._populations[name]

    def spikes(self, name, copy=0):
        """All recorded spikes of population ``name`` so far: (times in ms, local indices);
        of copy ``copy`` of a batch."""
        self._pop(name)
        copy = self._check_copy(copy, f"spikes({name!r})")
        if name not in self._spikes.names_recorded:
            raise ValueError(f"spikes of {name!r} are not recorded: call "
                             f"brain.record_spikes({name!r}) before build")  # fmt: skip
        steps, idx = self._spike_recs[copy].get(name)
        return steps * self.dt_ms, idx

    def recorded_state(self, name, var, copy=0):
        """Samples of ``var`` of ``name``: (times in ms [n_samples], values [n_samples, k]);
        of copy ``copy`` of a batch."""
        copy = self._check_copy(copy, f"recorded_state({name!r}, {var!r})")
        for rec in self._state_recs[copy]:
            if rec.spec.population == name and rec.spec.var == var:
                return rec.get(self.dt_ms)
        self._pop(name)
        raise ValueError(f"state {var!r} of {name!r} is not recorded: call "
                         f"brain.record_state({name!r}, {var!r}) before build")  # fmt: skip

    def _state_var(self, name, var):
        """(population index, state array, row of ``g``) of ``var`` of ``name``."""
        pop = self._pop(name)
        if var not in pop.model.state_vars:
            raise ValueError(
                f"population {name!r}: unknown state variable {var!r}; "
                f"{type(pop.model).__name__} has {sorted(pop.model.state_vars)}"
            )
        array, row, _unit = pop.model.state_vars[var]
        return self.net.index(name), array, row

    def _state_view(self, name, var):
        k, array, row = self._state_var(name, var)
        if self._device is not None:  # cuda: fetch the state if a run has changed it
            self._device.pull()
        lo, hi = self.net.lo[k], self.net.hi[k]
        if array == "g":
            return self._one(self._g[:, row, lo:hi])
        return self._one(getattr(self, "_" + array)[:, lo:hi])

    def state(self, name, var) -> np.ndarray:
        """A copy of the current values of state variable ``var`` of population ``name``:
        ``[n]``, or ``[B, n]`` for a batch."""
        return self._state_view(name, var).copy()

    def set_state(self, name, var, value) -> None:
        """Set state variable ``var`` of population ``name`` (a scalar or an array of its
        size; for a batch also ``[B, n]``, one row per copy) between runs."""
        view = self._state_view(name, var)
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"set_state({name!r}, {var!r}): expected numbers, got {type(value).__name__}"
            ) from None
        if value.shape not in ((), view.shape, view.shape[-1:]):
            raise ValueError(f"set_state({name!r}, {var!r}): expected a scalar or shape "
                             f"{view.shape}, got {value.shape}")  # fmt: skip
        if not np.all(np.isfinite(value)):
            raise ValueError(f"set_state({name!r}, {var!r}): values must be finite")
        if var == "rate_hz":
            k = self.net.index(name)
            depth = float(self.net.mod_depth[k]) if self.net.mod_osc[k] >= 0 else 0.0
            top = 1e3 / self.dt_ms / (1.0 + depth)
            if np.any(value < 0) or np.any(value > top):
                raise ValueError(
                    f"set_state({name!r}, 'rate_hz'): rates must lie in [0, "
                    f"{top:g}] Hz (one spike per step at the rhythm's peak)"
                )
        if self._populations[name].model.state_vars[var][2] == "nS" and np.any(value < 0):
            raise ValueError(f"set_state({name!r}, {var!r}): a conductance must be >= 0")
        view[...] = value
        update_slow_flags(self.net, self._g)
        if self._device is not None:  # cuda: and back to the device
            self._device.push()

    def checkpoint(self) -> dict:
        """Everything that determines the simulation's future, copied: the step, the state
        of every neuron and the spikes still in flight (as a ring buffer ``[D, C * N]``:
        slot ``t % D`` holds what arrives at step t, on either backend). ``restore`` it
        later, into this simulation or another built from the same brain, to continue
        bit for bit. Recorded spikes and samples are not part of it. A batch's arrays have
        a leading copy axis: all copies are saved (and restored) together."""
        net = self.net
        if self._device is not None:  # cuda: state and ring from the device
            self._device.pull()
        ring = self._ring()
        return {
            "step": self.step,
            "v": self._one(self._v).copy(),
            "g": self._one(self._g).copy(),
            "ref": self._one(self._ref).copy(),
            "rate": self._one(self._rate).copy(),
            "ring": self._one(ring),
            "n_synapses": net.n_synapses,
        }

    def restore(self, checkpoint: dict) -> None:
        """Return to a ``checkpoint`` (see there); checked before anything changes."""
        net = self.net
        if self._device is not None:  # cuda: the host copy is refreshed, then pushed
            self._device.pull()
        ring_shape = ((self.batch,) if self.batch > 1 else ()) + (
            net.n_slots,
            net.n_channels * net.n,
        )
        mine = {"v": self._one(self._v), "g": self._one(self._g), "ref": self._one(self._ref),
                "rate": self._one(self._rate)}  # fmt: skip
        missing = sorted((set(mine) | {"ring", "step", "n_synapses"}) - set(checkpoint))
        if missing:
            raise ValueError(f"restore: not a checkpoint of this simulation (missing {missing})")
        bad = [k for k, a in mine.items() if np.shape(checkpoint[k]) != a.shape]
        bad += ["ring"] if np.shape(checkpoint["ring"]) != ring_shape else []
        if bad or checkpoint["n_synapses"] != net.n_synapses:
            raise ValueError(f"restore: the checkpoint is of another brain (shapes of {bad} or "
                             "the synapse count differ)")  # fmt: skip
        # every value is converted and checked before anything is written
        new = {k: np.asarray(checkpoint[k], a.dtype) for k, a in mine.items()}
        new["ring"] = np.asarray(checkpoint["ring"], np.float32)
        step = checkpoint["step"]
        if (
            isinstance(step, (bool, np.bool_))
            or not isinstance(step, (int, np.integer))
            or step < 0
        ):
            raise ValueError(f"restore: step must be an integer >= 0, got {step!r}")
        for k in ("v", "g", "rate", "ring"):
            if not np.all(np.isfinite(new[k])):
                raise ValueError(f"restore: {k} holds non-finite values")
        cond = np.zeros(net.n, bool)  # neurons whose channel state is conductances
        for k in np.flatnonzero(net.ipar[:, L.I_KIND] == L.COND_LIF):
            cond[net.lo[k] : net.hi[k]] = True
        if np.any(new["ref"] < 0) or np.any(new["rate"] < 0) or np.any(new["g"][..., cond] < 0):
            raise ValueError("restore: negative refractory counts, rates or conductances")
        for k, a in mine.items():
            a[...] = new[k]
        self.step = int(step)
        update_slow_flags(net, self._g)
        if self._device is None:
            self._in_flight(np.reshape(new["ring"], (self.batch,) + ring_shape[-2:]), self.step)
        else:
            self._device.write_ring(np.reshape(new["ring"], (self.batch,) + ring_shape[-2:]))
            self._device.push()

    def memory(self) -> dict:
        """Bytes held by the simulation, and bytes per synapse of connectivity.
        ``ring_bytes``: what holds the spikes in flight (CPU: the next step's input and
        the list of spikes in flight; CUDA: the ring buffer on the device)."""
        net = self.net
        syn = net.syn.nbytes + net.weight.nbytes + net.indptr.nbytes
        state = self._v.nbytes + self._g.nbytes + self._ref.nbytes + self._rate.nbytes
        return {
            "batch": self.batch,
            "n_neurons": net.n,
            "n_synapses": net.n_synapses,
            "connectivity_bytes": syn,
            "bytes_per_synapse": syn / max(1, net.n_synapses),
            "ring_bytes": (
                self._inbox.nbytes + self._act.nbytes + self._pending.nbytes
                if self._device is None
                else self._device.ring_bytes
            ),
            "state_bytes": state,
            "recorded_bytes": sum(r.nbytes for r in self._spike_recs)
            + sum(r.nbytes for recs in self._state_recs for r in recs),
        }

    def __repr__(self):
        batch = f", batch={self.batch}" if self.batch > 1 else ""
        return (f"Simulation(backend={self.backend!r}{batch}, n_neurons={self.net.n}, "
                f"n_synapses={self.net.n_synapses}, t_ms={self.t_ms:g})")  # fmt: skip


def _no_input(n_pop, dtype, batch=None):
    rows = np.zeros((1, 1) if batch is None else (batch, 1, 1), dtype)
    return rows, np.zeros(n_pop, np.int64), np.full(n_pop, -1, np.int64)


def _check_batch(batch):
    return check_int(batch, "batch", 1, why=" (the number of copies of the brain)")


_WARNED_THREADING = []


def _warn_if_slow_threading():
    """Warn once if numba's threads come from its fallback ``workqueue`` layer: starting a
    parallel section cost ~180 us there against ~2 us with OpenMP (numba's ``omp`` layer,
    libgomp) on the development VM, and the kernel starts two per step."""
    if _WARNED_THREADING:
        return
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel section has run yet
        return
    _WARNED_THREADING.append(layer)
    if layer == "workqueue":
        warnings.warn("numba runs threads on its 'workqueue' layer here, which adds ~0.4 ms "
                      "to every step on several threads; install OpenMP (libgomp) or tbb "
                      "(pip install tbb) for threads=2 and more to pay", RuntimeWarning,
                      stacklevel=3)  # fmt: skip


def _check_threads(threads):
    # at most 255: each synapse's part (a thread's neurons) is a byte during the build
    n = min(numba.config.NUMBA_NUM_THREADS, 255)
    return check_int(threads, "threads", 1, n, why=" (the cores numba may use, 255 at most)")


def _blocks(net, batch=1):
    """Blocks of neurons for the kernel: population, first and end neuron of each (in
    neuron order); the blocks of each part (``part_blocks[part_ptr[p]:part_ptr[p + 1]]``);
    spike count scratch [B, blocks]. A block lies in one population and one part
    (``neuron_parts``: the thread of a part updates its blocks) and holds at most
    ``config.BLOCK_NEURONS``: the kernel looks for spikes only in blocks where some neuron
    crossed its threshold."""
    part = neuron_parts(net.lo, net.hi, net.n_parts)
    cuts = set(np.flatnonzero(np.diff(part)) + 1) | set(net.lo) | set(net.hi)
    cuts = sorted(int(c) for c in cuts)
    pop, lo, hi = [], [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        k = int(np.searchsorted(net.hi, a, side="right"))  # the population holding a
        for start in range(a, b, config.BLOCK_NEURONS):
            pop.append(k)
            lo.append(start)
            hi.append(min(start + config.BLOCK_NEURONS, b))
    blk_part = part[lo] if lo else np.zeros(0, np.uint8)
    part_blocks = np.argsort(blk_part, kind="stable").astype(np.int64)
    part_ptr = np.searchsorted(blk_part[part_blocks], np.arange(net.n_parts + 1))
    return (np.array(pop, np.int64), np.array(lo, np.int64), np.array(hi, np.int64),
            part_ptr.astype(np.int64), part_blocks,
            np.zeros((batch, len(pop)), np.int64))  # fmt: skip
