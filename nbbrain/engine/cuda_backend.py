"""The CUDA backend's runtime: a built network's arrays on the GPU, advanced there.

``Simulation`` (``backend="cuda"``) checks first that a GPU can be used
(``check_available``), builds the network on the host as for the CPU, then hands it to a
``CudaBackend``: it estimates the device memory the model needs and refuses what does
not fit, copies the network to the device once, and from then on the state (v, channel
state, refractory counts, Poisson rates, the ring of delayed input) stays there. Each
chunk of a run is one launch of ``kernels/cuda/run.py``'s kernel; the inputs of a chunk
are copied in before it (inputs already on the GPU are read in place or copied there:
``device_inputs.py``), the per-step spike counts, the recorded spikes and the state
samples are copied out after it; nothing crosses per step. The host copy of the state
(``sim.net.v`` etc.) is refreshed only when ``Simulation.state`` or ``set_state`` asks.

Tunables (environment variables, read at import; tests patch the attributes):
``NBBRAIN_CUDA_PATH`` ("auto", "block" or "grid"), ``NBBRAIN_CUDA_BLOCK_MAX_NEURONS``
(brains up to this size take the one-block path), ``NBBRAIN_CUDA_THREADS`` (threads per
block, block path), ``NBBRAIN_CUDA_GRID_THREADS`` (threads per block, grid path),
``NBBRAIN_CUDA_SIM_THREADS`` (threads per block under ``NUMBA_ENABLE_CUDASIM=1``, where
every thread is a Python thread); ``NBBRAIN_CUDA_CACHE=1`` caches compiled kernels on disk
(``kernels/cuda/run.py``).
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ..monitors.recorders import StateRecorder, record_capacity
from .device_inputs import DevicePack, is_device_array

# One block runs a step's phase A on one multiprocessor, a grid on all of them but pays
# about 1.6 us per grid barrier (two per step): the block path is the faster for small
# brains. 8192 is an estimate of the crossover, to be measured (docs/benchmarks/gpu_bench.py
# times COBA 4k on both paths).
PATH = os.environ.get("NBBRAIN_CUDA_PATH", "auto")
BLOCK_MAX_NEURONS = int(os.environ.get("NBBRAIN_CUDA_BLOCK_MAX_NEURONS", "8192"))
THREADS = int(os.environ.get("NBBRAIN_CUDA_THREADS", "1024"))
GRID_THREADS = int(os.environ.get("NBBRAIN_CUDA_GRID_THREADS", "256"))
SIM_THREADS = int(os.environ.get("NBBRAIN_CUDA_SIM_THREADS", "8"))

_INSTALL = "pip install 'nbbrain[cuda]' (numba-cuda[cu12]==0.30.4)"
_INSTEAD = (
    "Use backend='cpu', or set NUMBA_ENABLE_CUDASIM=1 before numba is imported to run "
    "the CUDA kernels on the CPU (very slow: for tests)"
)


def _import_cuda():
    from numba import cuda

    return cuda


def _simulated() -> bool:
    from numba.cuda.core import config

    return bool(config.ENABLE_CUDASIM)


def check_available(threads=1):
    """``numba.cuda``, once it is known to be usable here: numba-cuda installed, and a
    CUDA driver and a GPU present (or the simulator switched on). Otherwise a
    RuntimeError that names what is missing."""
    if threads != 1:
        raise ValueError(f"threads={threads}: threads are for backend='cpu'; the cuda "
                         "backend runs on the GPU's own threads")  # fmt: skip
    try:
        cuda = _import_cuda()
    except ImportError as e:
        raise RuntimeError(f"backend='cuda' needs numba-cuda, which does not import here "
                           f"({e}); install it: {_INSTALL}. {_INSTEAD}.") from None  # fmt: skip
    if getattr(cuda, "implementation", None) != "NVIDIA":
        raise RuntimeError(f"backend='cuda' needs numba-cuda, which is not installed (numba's "
                           f"own numba.cuda is not supported); install it: {_INSTALL}. "
                           f"{_INSTEAD}.")  # fmt: skip
    if _simulated():
        return cuda
    try:
        n_gpus = len(cuda.gpus)
    except Exception as e:  # numba's CudaSupportError, raised when the driver fails
        msg = " ".join(str(e).split())
        if "cannot be found" in msg or "driver library" in msg:
            what = "no CUDA driver: the NVIDIA driver library (libcuda) cannot be found"
        elif "NO_DEVICE" in msg:
            what = "no GPU: the CUDA driver finds no NVIDIA GPU"
        else:
            what = f"the CUDA driver failed to start ({msg})"
        raise RuntimeError(f"backend='cuda' cannot run here: {what}. {_INSTEAD}.") from None
    if n_gpus == 0:
        raise RuntimeError(f"backend='cuda' cannot run here: no GPU: the CUDA driver finds "
                           f"no NVIDIA GPU. {_INSTEAD}.")  # fmt: skip
    return cuda


def _free_device_bytes(cuda) -> float:
    """Free memory on the current GPU (bytes; infinite under the simulator)."""
    return float(cuda.current_context().get_memory_info()[0])


def device_bytes(sim, chunk_steps) -> dict:
    """Device memory (bytes) a simulation needs, with chunks of ``chunk_steps``: network,
    state, ring, and the buffers of a chunk (per-step counts, spike records, samples)."""
    net, max_per_step, B = sim.net, sim._spikes.max_per_step, sim.batch
    n, n_pop = net.n, len(net.names)
    samples = sum((chunk_steps // r.spec.every_steps + 1) * r.global_idx.size
                  for r in sim._states)  # fmt: skip
    return {
        "synapses": net.syn.nbytes + net.weight.nbytes + net.indptr.nbytes,
        "ring": B * net.n_slots * net.n_channels * n * 4,
        "state": B * (net.v.nbytes + net.g.nbytes + net.ref.nbytes + net.rate.nbytes + n * 4),
        "per_chunk": B * (chunk_steps * n_pop * 4
        + record_capacity(max_per_step, chunk_steps, net.dt_ms) * 12 + samples * 4),
    }  # fmt: skip


def check_device_memory(cuda, sim, chunk_steps):
    """Refuse, before anything is allocated, a model the GPU's free memory cannot hold."""
    need = device_bytes(sim, chunk_steps)
    total, free = sum(need.values()), _free_device_bytes(cuda)
    if total > 0.9 * free:
        detail = ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in need.items())
        raise MemoryError(
            f"the model needs about {total / 2**30:.2f} GiB of GPU memory ({detail}) but "
            f"only {free / 2**30:.2f} GiB is free on the GPU; make it smaller or use "
            "backend='cpu'"
        )


def _at_least_one(x):
    """Zero-length arrays as length-1 placeholders (the kernel never reads them)."""
    return x if x.size else np.zeros(1, x.dtype)


def _per_copy(a, B):
    """A chunk's input ``[B, rows, width]`` (a host array of an unbatched run has no copy
    axis; device inputs always have one)."""
    return a.reshape((B,) + a.shape[-2:]) if isinstance(a, np.ndarray) else a


class CudaBackend:
    """The device arrays of one Simulation, and the launches that advance them."""

    def __init__(self, sim, cuda, chunk_steps):
        self.sim, self.cuda = sim, cuda
        self.simulated = _simulated()
        net = sim.net
        if PATH not in ("auto", "block", "grid"):
            raise ValueError(f"NBBRAIN_CUDA_PATH must be 'auto', 'block' or 'grid', got {PATH!r}")
        #: the cooperative-grid kernel (else one block), chosen once, by size
        self.grid_path = PATH == "grid" or (PATH == "auto" and net.n > BLOCK_MAX_NEURONS)
        B = self.batch = sim.batch
        if self.grid_path and B > 1:
            raise NotImplementedError(
                f"batch={B} on the cuda backend's cooperative-grid path (brains of more than "
                f"{BLOCK_MAX_NEURONS} neurons, or NBBRAIN_CUDA_PATH=grid) is not implemented: "
                "batches run on the one-block path (one thread block per copy); use "
                "batch=1, or backend='cpu'"
            )
        check_device_memory(cuda, sim, chunk_steps)
        to = cuda.to_device
        self.d = {
            "lo": to(net.lo), "hi": to(net.hi), "fpar": to(net.fpar), "ipar": to(net.ipar),
            "pop_key": to(sim._pop_key), "v": to(sim._v), "g": to(sim._g.reshape(B, -1)),
            "ref": to(sim._ref), "rate": to(sim._rate), "indptr": to(net.row_ptr),
            "syn": to(_at_least_one(net.syn)), "weight": to(_at_least_one(net.weight)),
            "ring": to(np.zeros((B, net.n_slots * net.n_channels * net.n), np.float32)),
            "osc_freq": to(_at_least_one(net.osc_freq)),
            "osc_phase": to(_at_least_one(net.osc_phase)),
            "mod_osc": to(net.mod_osc), "mod_depth": to(net.mod_depth),
            "mod_thr": to(net.mod_thr),
            "spikes": cuda.device_array((B, net.n), np.int32),
            "ctr": cuda.device_array((B, 4), np.int64),
        }  # fmt: skip
        mon = StateRecorder.pack(sim._states, 0, 0)
        for name in ("var", "every", "ptr", "idx"):
            self.d["mon_" + name] = to(_at_least_one(getattr(mon, name)))
        self.ring_bytes = self.d["ring"].nbytes
        self._buffers = {}  # name -> device array reused across chunks while large enough
        self._rec_capacity = 0
        self._kernels = {}  # features -> (kernel, blocks, threads per block)
        self.host_stale = False

    # ---- state between the host and the device ------------------------------------------
    def pull(self):
        """Copy the state to the host arrays of ``sim.net`` if a run has changed it."""
        if self.host_stale:
            sim, d = self.sim, self.d
            d["v"].copy_to_host(sim._v)
            d["g"].copy_to_host(sim._g.reshape(self.batch, -1))
            d["ref"].copy_to_host(sim._ref)
            d["rate"].copy_to_host(sim._rate)
            self.host_stale = False

    def push(self):
        """Copy the host state (and the parameter flags it may have changed) to the device."""
        sim, d = self.sim, self.d
        d["v"].copy_to_device(sim._v)
        d["g"].copy_to_device(sim._g.reshape(self.batch, -1))
        d["ref"].copy_to_device(sim._ref)
        d["rate"].copy_to_device(sim._rate)
        d["ipar"].copy_to_device(sim.net.ipar)

    def state_view(self, k, array, row, copy):
        """The device array of state ``array`` (row ``row`` of ``g``) of population ``k`` in
        copy ``copy``: a view, live across runs (the device arrays are never replaced)."""
        net = self.sim.net
        base = row * net.n if array == "g" else 0  # g is [B, rows * N] on the device
        return self.d[array][copy, base + int(net.lo[k]) : base + int(net.hi[k])]

    def read_ring(self):
        """The spikes in flight: a host copy of the ring, shaped as the CPU's
        ``[n_slots, channels * N]`` (for a checkpoint)."""
        net = self.sim.net
        return self.d["ring"].copy_to_host().reshape(-1, net.n_slots, net.n_channels * net.n)

    def write_ring(self, ring):
        """Replace the spikes in flight by ``ring`` (shaped as ``read_ring`` returns it:
        ``[B, n_slots, channels * N]``)."""
        ring = np.ascontiguousarray(ring, np.float32).reshape(self.batch, -1)
        self.d["ring"].copy_to_device(ring)

    def _buffer(self, name, shape, dtype):
        """A device array of at least ``shape[0]`` rows, reused while large enough."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:]:
            buf = self.cuda.device_array((max(shape[0], 1),) + tuple(shape[1:]), dtype)
            self._buffers[name] = buf
        return buf

    def _upload(self, name, host):
        """``host`` copied into a reused device buffer (once per chunk); input already on
        the device is taken as it is, or packed into the buffer there."""
        if is_device_array(host):
            return host
        if isinstance(host, DevicePack):
            return host.fill(self._buffer(name, host.shape, host.dtype))
        buf = self._buffer(name, host.shape, host.dtype)
        if host.size:
            buf[: host.shape[0]].copy_to_device(host)
        return buf

    # ---- running ------------------------------------------------------------------------
    def advance(self, n_steps, packed, counts):
        """As ``Simulation._advance``: ``n_steps`` steps in one launch (more when the spike
        records outgrow their buffers); returns the per-step counts [n_steps, n_pop]."""
        sim, net, d, B = self.sim, self.sim.net, self.d, self.batch
        n_pop = len(net.names)
        if counts is None:
            counts = np.zeros((B, n_pop), np.int64)
        no_input = (np.zeros((B, 1, 1), np.float32), np.zeros(n_pop, np.int64),
                    np.full(n_pop, -1, np.int64))  # fmt: skip
        cur = packed.get("current") or no_input
        spk = packed.get("spikes") or (no_input[0].astype(np.uint8),) + no_input[1:]
        cur_in, spk_in = _per_copy(cur[0], B), _per_copy(spk[0], B)
        mon = StateRecorder.pack(sim._states, sim.step, n_steps)
        chunk = (self._upload("cur_in", cur_in), self._upload("cur_tmul", cur[1]),
                 self._upload("cur_off", cur[2]), self._upload("spk_in", spk_in),
                 self._upload("spk_tmul", spk[1]), self._upload("spk_off", spk[2]))  # fmt: skip
        step_counts = self._buffer("step_counts", (B, n_steps, n_pop), np.int32)
        mon_out = self._buffer("mon_out", (B, max(mon.out.size, 1)), np.float32)
        mon_start = self._upload("mon_start", _at_least_one(mon.start.astype(np.int64)))
        max_per_step = sim._spikes.max_per_step
        want = record_capacity(max_per_step, n_steps, sim.dt_ms)
        self._rec_capacity = max(self._rec_capacity, want)
        done = np.zeros(B, np.int64)
        while True:
            rec_step = self._buffer("rec_step", (B, self._rec_capacity), np.int64)
            rec_idx = self._buffer("rec_idx", (B, self._rec_capacity), np.int32)
            args = (
                sim.step, n_steps, self.cuda.to_device(done), net.n_slots, net.dt_ms, d["lo"],
                d["hi"],
                d["fpar"], d["ipar"], d["pop_key"], d["v"], d["g"], d["ref"], d["rate"],
                d["indptr"], d["syn"], d["weight"], *net.syn_codes(), d["ring"], *chunk,
                step_counts, rec_step, rec_idx, max_per_step,
                d["osc_freq"], d["osc_phase"], d["mod_osc"], d["mod_depth"], d["mod_thr"],
                d["mon_var"], d["mon_every"], d["mon_ptr"], d["mon_idx"], mon_out, mon_start,
                mon.first_step, d["spikes"], d["ctr"],
            )  # fmt: skip
            self._launch(sim._features(), args)
            ctr = d["ctr"].copy_to_host()
            for c in range(B):
                n_rec = int(ctr[c, 2])
                if n_rec:
                    st = rec_step[c, :n_rec].copy_to_host()
                    idx = rec_idx[c, :n_rec].copy_to_host()
                    order = np.lexsort((idx, st))  # as the CPU lists them: by step, then neuron
                    sim._spike_recs[c].collect(st[order], idx[order])
            done += ctr[:, 3]
            if done.min() >= n_steps:
                break
            self._rec_capacity *= 2
        sim.step += n_steps
        self.host_stale = True
        per_step = np.zeros((B, 0, n_pop), np.int32)
        if n_steps:
            per_step = step_counts.copy_to_host()[:, :n_steps]
        counts += per_step.sum(axis=1)
        out = mon_out.copy_to_host() if mon.out.size else None
        for c in range(B):
            if out is not None:
                mon.out[...] = out[c, : mon.out.size]
            StateRecorder.unpack(sim._state_recs[c], mon)
        return per_step

    def _launch(self, features, args):
        """Launch the kernel for ``features`` (compiled and sized on first use)."""
        grid_path = self.grid_path
        key = (features, grid_path)
        from ..kernels.cuda.run import make_run_chunk

        with warnings.catch_warnings():
            # one block is meant; the simulator's uint64 hashing overflows on purpose
            warnings.filterwarnings("ignore", message=".*(occupancy|overflow encountered)")
            if key not in self._kernels:
                kernel = make_run_chunk(*features, grid_sync=grid_path)
                if self.simulated:  # every thread a Python thread; one block per copy
                    self._kernels[key] = (kernel, self.batch, SIM_THREADS)
                else:
                    kernel = kernel.specialize(*args)  # compiles now
                    limit = kernel.get_max_threads_per_block()
                    tpb = min(GRID_THREADS if grid_path else THREADS, limit)
                    tpb = max(32, tpb // 32 * 32)
                    blocks = self.batch  # block path: one block per copy
                    if grid_path:
                        compiled = next(iter(kernel.overloads.values()))
                        most = compiled.max_cooperative_grid_blocks(tpb)
                        blocks = max(1, min(most, -(-self.sim.net.n // tpb)))
                    self._kernels[key] = (kernel, blocks, tpb)
            kernel, blocks, tpb = self._kernels[key]
            switch = sys.getswitchinterval()
            if self.simulated:  # its block manager busy-waits: let the threads in sooner
                sys.setswitchinterval(1e-4)
            try:
                kernel[blocks, tpb](*args)
            finally:
                sys.setswitchinterval(switch)
