"""The CUDA backend: a built network's arrays on the GPU, advanced there.

``check_available`` says first whether a GPU can be used. The network is built on the host
as for the CPU, then ``CudaBackend`` estimates the device memory the model needs and
refuses what does not fit, copies the network to the device once, and from then on the
state (every state variable, refractory counts, noise currents, the ring of delayed input)
stays there. Each chunk of a run is one launch of ``kernel.py``'s kernel; the inputs of a
chunk are copied in before it (inputs already on the GPU are read in place or copied
there: ``device_inputs.py``), the per-step spike counts, the recorded spikes and the state
samples are copied out after it; nothing crosses per step. The host copy of the state is
refreshed only when it is read (``read_state``).

Tunables (``nbbrain.config``): ``CUDA_PATH`` ("auto", "block" or "grid"),
``CUDA_BLOCK_MAX_NEURONS`` (brains up to this size take the one-block path),
``CUDA_THREADS`` (threads per block, block path), ``CUDA_GRID_THREADS`` (grid path),
``CUDA_SIM_THREADS`` (under ``NUMBA_ENABLE_CUDASIM=1``, where every thread is a Python
thread), ``CUDA_CACHE`` (cache compiled kernels on disk).
"""

from __future__ import annotations

import sys
import warnings
from collections import namedtuple

import numpy as np
from numba.extending import register_jitable

from ... import config
from ...assemble.network import NOISE_CODE
from ...assemble.neurons import U_GIVEN, U_NEURONS, U_POISSON
from ...memory import MemoryBudgetError
from ...monitors.recorders import record_capacity
from ..base import FEATURES, REF, Backend, state_row
from ..codegen import generate_cuda
from ..cpu.backend import plastic_net
from ..cpu.bundles import CTR_PACT, CTR_POST, PlasticNet, PlasticState
from ..cpu.plastic import NO_RULES, rule_flags
from ..plastic_host import PlasticHost
from .device_inputs import (
    DevicePack,
    check_device_input,
    chunk_input,
    device_interface,
    is_device_array,
)

_INSTALL = "pip install 'nbbrain[cuda]' (numba-cuda[cu12]==0.30.4)"
_INSTEAD = (
    "Use backend='cpu', or set NUMBA_ENABLE_CUDASIM=1 before numba is imported to run "
    "the CUDA kernels on the CPU (very slow: for tests)"
)

#: what the kernel reads of the network (device arrays and scalars)
DNet = namedtuple("DNet", [
    "dt_ms", "n", "n_slots", "rec_max", "pop_lo", "pop_rec", "pop_of",
    "u_kind", "u_ref", "u_lo", "u_hi", "u_osc", "u_depth", "u_thr",
    "grp_slot", "pn_off", "indptr", "syn", "weight", "shift", "mask",
    "osc_freq", "osc_phase",
    "pin_q", "pin_lo", "pin_hi", "pin_off", "pin_chan", "pin_w", "pin_woff", "pin_wpn", "pin_m",
    "pin_lam", "pin_roff", "pin_rlen", "pin_rdiv", "pin_delay",
    "nz_q", "nz_lo", "nz_hi", "nz_off", "nz_mean", "nz_decay", "nz_amp",
    "tr_step", "tr_idx", "tr_ptr", "tm_off", "tm_rows", "tm_width", "tm_div", "tm_values",
])  # fmt: skip
#: one copy's state per row of the leading axis
DState = namedtuple("DState", [
    "st", "ref", "noise", "ring", "spikes", "fired", "ctr", "pop_key", "pin_key", "nz_key",
    "pin_thr", "pin_guide", "pin_row", "tr_cur",
    "cpar", "pn", "weight",  # (each copy's constant tables; its own static weights, if any)
])  # fmt: skip
#: a chunk's inputs and outputs
DChunk = namedtuple("DChunk", [
    "cur_in", "cur_vary", "ext_col", "spk_in", "spk_vary", "spk_off", "step_counts",
    "rec_step", "rec_idx", "mon_var", "mon_every", "mon_ptr", "mon_idx", "mon_out",
    "mon_start", "mon_step0", "mod_in", "mod_vary",
])  # fmt: skip


def _import_cuda():
    from numba import cuda

    return cuda


def _simulated() -> bool:
    from numba.cuda.core import config as cuda_config

    return bool(cuda_config.ENABLE_CUDASIM)


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


def device_bytes(net, batch, rec_max, n_monitored, chunk_steps) -> dict:
    """Device memory (bytes) a simulation needs, with chunks of ``chunk_steps``: network,
    state, ring, and the buffers of a chunk (per-step counts, spike records, samples); plastic
    synapses: their connectivity and, per copy, records and ring of plastic input."""
    n, n_pop, pl = net.n, len(net.names), net.plastic
    plastic = 0
    if pl.n_synapses:
        layout = (pl.syn, pl.dd, pl.grp, pl.fac, pl.indptr, pl.csc_ptr, pl.csc_syn, pl.csc_dd)
        plastic = sum(a.nbytes for a in layout)
        plastic += batch * pl.n_synapses * 8 * (pl.x0.shape[0] + 2)  # (the records)
        plastic += batch * pl.n_ring * net.n_channels * n * 4  # (the ring of plastic input)
        plastic += batch * pl.n_deferring * n * 4 * 8  # (deferred STDP's numbers)
    return {
        "synapses": net.syn.nbytes + net.weight.nbytes + net.row_ptr.nbytes,
        "plastic": plastic,
        "ring": batch * net.n_slots * net.n_channels * n * 4,
        "state": batch * n * (4 * net.n_rows + 4 + 4 + 4 + 1),
        "per_chunk": batch * (chunk_steps * n_pop * 4
        + record_capacity(rec_max, chunk_steps, net.dt_ms) * 12 + n_monitored * 4),
    }  # fmt: skip


def _at_least_one(x):
    """Zero-length arrays as length-1 placeholders (the kernel never reads them)."""
    x = np.ascontiguousarray(x)
    return x if x.size else np.zeros((1,) + x.shape[1:], x.dtype)


def _units(net):
    """The kernel's units in neuron order: (kind, group or population, lo, hi, rhythm)."""
    rows = [(U_NEURONS, gi, g.lo, g.hi, g.rhythm) for gi, g in enumerate(net.groups)]
    rows += [(int(k), p, int(net.lo[p]), int(net.hi[p]), net.pop_rhythm[p])
             for p, k in enumerate(net.kinds) if k in (U_POISSON, U_GIVEN)]  # fmt: skip
    rows.sort(key=lambda r: r[2])
    i64 = np.int64
    return (np.array([r[0] for r in rows], i64), np.array([r[1] for r in rows], i64),
            np.array([r[2] for r in rows], i64), np.array([r[3] for r in rows], i64),
            np.array([r[4][0] for r in rows], i64),
            np.array([r[4][1] for r in rows], np.float32),
            np.array([r[4][2] for r in rows], np.float32))  # fmt: skip


class CudaBackend(PlasticHost, Backend):
    name = "cuda"

    def __init__(self, net, pops, batch, threads, rec_max):
        super().__init__(net, pops, batch, threads)
        self.cuda = cuda = _import_cuda()
        self.simulated = _simulated()
        self.rec_max = rec_max
        #: the cooperative-grid kernel (else one block per copy), chosen once, by size
        path = config.get("CUDA_PATH")
        self.grid_path = path == "grid" or (
            path == "auto" and net.n > config.get("CUDA_BLOCK_MAX_NEURONS")
        )
        if self.grid_path and batch > 1:
            raise NotImplementedError(
                f"batch={batch} on the cuda backend's cooperative-grid path (brains of more "
                f"than {config.CUDA_BLOCK_MAX_NEURONS} neurons, or NBBRAIN_CUDA_PATH=grid) is "
                "not implemented: batches run on the one-block path (one thread block per "
                "copy); use batch=1, or backend='cpu'"
            )
        self._check_memory(len(pops))
        st, self.h_ref, self.h_noise = self.initial_states()
        self.h_st = st.reshape(batch, -1)
        pop_key, pin_key, nz_key = self.keys()
        to = cuda.to_device
        B = batch
        q = max(1, net.poisson.chan.size)
        self.d = DState(
            to(self.h_st), to(self.h_ref), to(self.h_noise),
            to(np.zeros((B, net.n_slots * net.n_channels * net.n), np.float32)),
            cuda.device_array((B, net.n), np.int32), cuda.device_array((B, net.n), np.uint8),
            cuda.device_array((B, 4), np.int64), to(pop_key),
            to(pin_key if pin_key.shape[1] else np.zeros((B, 1), np.uint64)),
            to(nz_key if nz_key.shape[1] else np.zeros((B, 1), np.uint64)),
            to(np.repeat(_at_least_one(net.poisson.thr)[None], B, axis=0)),
            to(np.repeat(_at_least_one(net.poisson.guide)[None], B, axis=0)),
            to(np.full((B, q), -1, np.int64)), to(np.zeros((B, len(net.names)), np.int64)),
            None, None, None,
        )  # fmt: skip
        self._net_static()
        self._init_plastic_device()
        self.relayout()
        self._buffers = {}  # name -> device array reused across chunks while large enough
        self._rec_capacity = 0
        self._ext = {}  # input layout -> device ext_col
        self.host_stale = False
        self.ring_bytes = self.d.ring.nbytes

    def _check_memory(self, _n_pops):
        need = device_bytes(self.net, self.batch, self.rec_max, 0, config.get("CHUNK_STEPS"))
        total, free = sum(need.values()), _free_device_bytes(self.cuda)
        if total > 0.9 * free:
            detail = ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in need.items())
            raise MemoryBudgetError(
                f"the model needs about {total / 2**30:.2f} GiB of GPU memory ({detail}) but "
                f"only {free / 2**30:.2f} GiB is free on the GPU; make it smaller or use "
                "backend='cpu'"
            )

    def _net_static(self):
        """Device copies of what no layout change alters (connectivity, inputs)."""
        net, to = self.net, self.cuda.to_device
        a = lambda x: to(_at_least_one(x))  # noqa: E731
        pin, nz, tr, tm = net.poisson, net.noise_inputs, net.trains, net.timed
        self._static = dict(
            pop_lo=a(net.lo), pop_rec=a(net.record), pop_of=a(net.pop_of), indptr=a(net.row_ptr),
            syn=a(net.syn), weight=a(net.weight), osc_freq=a(net.osc_freq.astype(np.float64)),
            osc_phase=a(net.osc_phase.astype(np.float64)),
            pin_q=to(pin.seg.q), pin_lo=a(pin.seg.lo), pin_hi=a(pin.seg.hi),
            pin_off=a(pin.seg.off), pin_chan=a(pin.chan), pin_w=a(pin.weight),
            pin_woff=a(pin.w_off), pin_wpn=a(pin.w_pn), pin_m=a(pin.m), pin_lam=a(pin.lam),
            pin_roff=a(pin.r_off), pin_rlen=to(pin.r_len), pin_rdiv=a(pin.r_div),
            pin_delay=a(pin.delay), nz_q=to(nz.seg.q), nz_lo=a(nz.seg.lo), nz_hi=a(nz.seg.hi),
            nz_off=a(nz.seg.off), nz_mean=a(nz.mean), nz_decay=a(nz.decay), nz_amp=a(nz.amp),
            tr_step=a(tr.step), tr_idx=a(tr.idx), tr_ptr=a(tr.ptr), tm_off=a(tm.off),
            tm_rows=a(tm.rows), tm_width=a(tm.width), tm_div=a(tm.div), tm_values=a(tm.values),
        )  # fmt: skip

    # ---- plastic synapses and modulators -----------------------------------------------
    def _init_plastic_device(self):
        """The plastic state (``PlasticHost``'s host arrays) and its device copies, for a
        brain with plastic synapses or modulators."""
        net = self.net
        self.ctr = np.zeros((self.batch, 5), np.int64)  # (the host's list lengths)
        self._plastic = self.features(True)[FEATURES.index("plastic")]
        self._rules, self._pnet, self.dpn, self.dps, self.d_plens = NO_RULES, None, None, None, None
        self.plastic_stale = False
        if not self._plastic:
            return
        self._init_plastic()
        self._empty_plastic_lists()
        self._rules = rule_flags(net)
        self._pnet = plastic_net(net)
        to = self.cuda.to_device
        self.dpn = PlasticNet(*(to(_at_least_one(a)) if isinstance(a, np.ndarray) else a
                                for a in self._pnet))  # fmt: skip
        self._push_plastic()

    def _push_plastic(self):
        """Copy the host's plastic state to the device (new device arrays: the lists may
        have grown)."""
        to, B = self.cuda.to_device, self.batch

        def dev(a):  # (an empty array as a placeholder of one element, never read)
            return to(a if a.size else np.zeros((B, 1) + a.shape[2:], a.dtype))

        self.dps = PlasticState(*(dev(a) for a in self._plastic_state()))
        self.d_plens = to(np.ascontiguousarray(self.ctr[:, [CTR_PACT, CTR_POST]]))

    def _pull_plastic(self):
        """Bring the host's plastic state up to date after a run."""
        if not self.plastic_stale:
            return
        for k in PlasticState._fields:
            host = getattr(self, k)
            if host.size:
                host[...] = getattr(self.dps, k).copy_to_host()
        self.ctr[:, [CTR_PACT, CTR_POST]] = self.d_plens.copy_to_host()
        self.plastic_stale = False

    def read_plastic_state(self):
        self._pull_plastic()
        return super().read_plastic_state()

    def write_plastic_state(self, state, step):
        self._pull_plastic()
        super().write_plastic_state(state, step)
        self._push_plastic()

    def read_plastic(self, pos, step):
        self._pull_plastic()
        return super().read_plastic(pos, step)

    def write_plastic(self, pos, values, step):
        self._pull_plastic()
        super().write_plastic(pos, values, step)
        self._push_plastic()

    def modulator_last(self, m, copy):
        self._pull_plastic()
        return super().modulator_last(m, copy)

    def _grow_plastic_lists(self) -> bool:
        """Grow the lists of plastic events where the kernel stopped for room (their lengths
        read first: the whole state crosses only when one grows)."""
        if not self._plastic:
            return False
        self.ctr[:, [CTR_PACT, CTR_POST]] = self.d_plens.copy_to_host()
        if not any(self._full_lists()):
            return False
        self._pull_plastic()
        self._grow_plastic()
        self._push_plastic()
        return True

    def replace_trains(self, trains) -> None:
        self.net.trains = trains
        self._net_static()
        super().replace_trains(trains)

    def relayout(self):
        """(Re)generate the loops for the network's variants and upload the group tables."""
        net, to = self.net, self.cuda.to_device
        self._gen = generate_cuda(net.variants, net.dt_ms, net.n_channels, register_jitable)
        u_kind, u_ref, u_lo, u_hi, u_osc, u_depth, u_thr = _units(net)
        shift, mask = net.syn_codes()
        self._dnet = DNet(
            dt_ms=net.dt_ms, n=net.n, n_slots=net.n_slots, rec_max=self.rec_max,
            u_kind=to(u_kind), u_ref=to(u_ref), u_lo=to(u_lo), u_hi=to(u_hi), u_osc=to(u_osc),
            u_depth=to(u_depth), u_thr=to(u_thr),
            grp_slot=to(_at_least_one(np.array([g.slot for g in net.groups], np.int64))),
            pn_off=to(_at_least_one(net.tables.pn_off)), shift=shift, mask=mask,
            **self._static,
        )  # fmt: skip
        B = self.batch
        cpar = net.copy_cpar if net.copy_cpar is not None else np.repeat(
            _at_least_one(net.tables.cpar)[None], B, axis=0)  # fmt: skip
        pn = net.copy_pn if net.copy_pn is not None else np.repeat(net.tables.pn[None], B, axis=0)
        weight = net.copy_weight if net.copy_weight is not None else np.zeros((B, 1), np.float32)
        self.d = self.d._replace(cpar=to(_at_least_one(cpar)), pn=to(pn),
                                 weight=to(_at_least_one(weight)))  # fmt: skip
        self._kernels = {}

    # ---- state between the host and the device ------------------------------------------
    def _pull(self):
        if self.host_stale:
            self.d.st.copy_to_host(self.h_st)
            self.d.ref.copy_to_host(self.h_ref)
            self.d.noise.copy_to_host(self.h_noise)
            self.host_stale = False

    def _push(self):
        self.d.st.copy_to_device(self.h_st)
        self.d.ref.copy_to_device(self.h_ref)
        self.d.noise.copy_to_device(self.h_noise)

    def set_keys(self):
        for have, new in zip((self.d.pop_key, self.d.pin_key, self.d.nz_key), self.keys()):
            if new.size:
                have.copy_to_device(np.ascontiguousarray(new))

    def state_is_finite(self):
        from .device_inputs import count_bad_on_device

        st = self.d.st
        return count_bad_on_device(self, st.reshape(st.shape[0], 1, st.shape[1]), False) == 0

    def read_state(self, row):
        self._pull()
        return state_row(row, self.h_st, self.h_ref, self.h_noise, self.net.n)

    def write_state(self, row, lo, hi, values):
        self.read_state(row)[:, lo:hi] = values
        self._push()

    def live_state(self, row, lo, hi, copy):
        """The device array of a state variable of copy ``copy``: a view, live across runs
        (the device arrays are never replaced)."""
        if row == NOISE_CODE:
            return self.d.noise[copy, lo:hi]
        if row == REF:
            return self.d.ref[copy, lo:hi]
        n = self.net.n
        return self.d.st[copy, row * n + lo : row * n + hi]

    def read_ring(self, step):
        net = self.net
        return self.d.ring.copy_to_host().reshape(self.batch, net.n_slots, net.n_channels * net.n)

    def write_ring(self, ring, step):
        ring = np.ascontiguousarray(ring, np.float32).reshape(self.batch, -1)
        self.d.ring.copy_to_device(ring)

    def read_poisson_tables(self):
        return self.d.pin_thr.copy_to_host(), self.d.pin_guide.copy_to_host()

    def write_poisson_tables(self, thr, guide):
        self.d.pin_thr.copy_to_device(np.ascontiguousarray(thr))
        self.d.pin_guide.copy_to_device(np.ascontiguousarray(guide))

    def write_weights(self, pos, values):
        """The host's weights written (``Backend.write_weights``), then uploaded."""
        super().write_weights(pos, values)
        self._static["weight"].copy_to_device(_at_least_one(self.net.weight))
        if self.net.copy_weight is not None:
            self.d.weight.copy_to_device(self.net.copy_weight)

    def memory(self) -> dict:
        net = self.net
        plastic = {k: 0 for k in ("net", "pl_rec", "pl_nrec", "lists")}
        if self._plastic:
            plastic["net"] = sum(a.nbytes for a in self.dpn if hasattr(a, "nbytes"))
            d = self.dps
            plastic["pl_rec"], plastic["pl_nrec"] = d.pl_rec.nbytes, d.pl_nrec.nbytes
            plastic["lists"] = d.pl_ring.nbytes + d.pact.nbytes + d.pscale.nbytes + d.ppost.nbytes
        return {
            "connectivity_bytes": net.syn.nbytes
            + net.weight.nbytes
            + net.row_ptr.nbytes
            + (0 if net.copy_weight is None else net.copy_weight.nbytes)
            + plastic["net"],
            "state_bytes": self.h_st.nbytes
            + self.h_ref.nbytes
            + self.h_noise.nbytes
            + plastic["pl_rec"]
            + plastic["pl_nrec"],
            "ring_bytes": self.ring_bytes + plastic["lists"],
        }

    # ---- inputs on the device --------------------------------------------------------------
    def device_input(self, x, what, spikes, form):
        desc = device_interface(x, what)
        if desc is None:
            return None
        return check_device_input(self, x, desc, what, spikes, form)

    def pack_device(self, pieces, dtype, rows, width, start, chunk):
        return chunk_input(self.batch, pieces, dtype, rows, width, start, chunk)

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

    def _ext_col(self, cur_off):
        """Per neuron, its column in the chunk's current input (-1: none), on the device."""
        key = None if cur_off is None else tuple(cur_off.tolist())
        if key not in self._ext:
            col = np.full(self.net.n, -1, np.int64)
            if cur_off is not None:
                for p in np.flatnonzero(cur_off >= 0):
                    lo, hi = self.net.lo[p], self.net.hi[p]
                    col[lo:hi] = cur_off[p] + np.arange(hi - lo)
            self._ext[key] = self.cuda.to_device(col)
        return self._ext[key]

    # ---- running ------------------------------------------------------------------------
    def advance(self, step0, n_steps, inputs, mon, counts, spike_recs):
        """As the CPU backend's: ``n_steps`` steps in one launch (more when the spike
        records outgrow their buffers)."""
        net, d, B = self.net, self.d, self.batch
        n_pop = len(net.names)
        none = (np.zeros((B, 1, 1), np.float32), 0, None)
        cur, cur_vary, cur_off = inputs.get("current") or none
        spk, spk_vary, spk_off = inputs.get("spikes") or (none[0].astype(np.uint8), 0, None)
        spk_off = np.full(n_pop, -1, np.int64) if spk_off is None else spk_off
        n_mod = max(len(net.plastic.modulators.names), 1)
        mod, mod_vary, _ = inputs.get("modulator") or (np.zeros((B, 1, n_mod)), 0, None)
        self._pull()  # (the trains' cursors are set on the host below)
        d.tr_cur.copy_to_device(np.repeat(net.trains.cursors(step0)[None], B, axis=0))
        step_counts = self._buffer("step_counts", (B, n_steps, n_pop), np.int32)
        mon_out = self._buffer("mon_out", (B, max(mon.out.size, 1)), np.float32)
        chunk = dict(
            cur_in=self._upload("cur_in", cur), cur_vary=int(cur_vary),
            ext_col=self._ext_col(cur_off), spk_in=self._upload("spk_in", spk),
            spk_vary=int(spk_vary), spk_off=self._upload("spk_off", spk_off),
            step_counts=step_counts, mon_var=self._upload("mon_var", _at_least_one(mon.var)),
            mon_every=self._upload("mon_every", _at_least_one(mon.every)),
            mon_ptr=self._upload("mon_ptr", _at_least_one(mon.ptr)),
            mon_idx=self._upload("mon_idx", _at_least_one(mon.idx)), mon_out=mon_out,
            mon_start=self._upload("mon_start", _at_least_one(mon.start.astype(np.int64))),
            mon_step0=int(mon.first_step),
            mod_in=self._upload("mod_in", np.ascontiguousarray(mod, np.float64)),
            mod_vary=int(mod_vary),
        )  # fmt: skip
        self._rec_capacity = max(self._rec_capacity,
                                 record_capacity(self.rec_max, n_steps, net.dt_ms))  # fmt: skip
        done = np.zeros(B, np.int64)
        features = self.features(mon.var.size > 0)
        while True:
            rec_step = self._buffer("rec_step", (B, self._rec_capacity), np.int64)
            rec_idx = self._buffer("rec_idx", (B, self._rec_capacity), np.int32)
            ch = DChunk(rec_step=rec_step, rec_idx=rec_idx, **chunk)
            self._launch(features, (step0, n_steps, self.cuda.to_device(done), self._dnet, d, ch,
                                    self.dpn, self.dps, self.d_plens))  # fmt: skip
            self.plastic_stale = self._plastic
            ctr = d.ctr.copy_to_host()
            for c in range(B):
                n_rec = int(ctr[c, 2])
                if n_rec:
                    st = rec_step[c, :n_rec].copy_to_host()
                    idx = rec_idx[c, :n_rec].copy_to_host()
                    order = np.lexsort((idx, st))  # as the CPU lists them: by step, then neuron
                    spike_recs[c].collect(st[order], idx[order])
            done += ctr[:, 3]
            if done.min() >= n_steps:
                break
            if not self._grow_plastic_lists():
                self._rec_capacity *= 2
        self.host_stale = True
        per_step = np.zeros((B, n_steps, n_pop), np.int32)
        if n_steps:
            per_step = step_counts.copy_to_host()[:, :n_steps]
        counts += per_step.sum(axis=1)
        out = np.empty((B, mon.out.size), np.float32)
        if mon.out.size:
            out[...] = mon_out.copy_to_host()[:, : mon.out.size]
        return per_step, out

    def _launch(self, features, args):
        """Launch the kernel for ``features`` (compiled and sized on first use)."""
        from .kernel import make_run_chunk

        key = features
        with warnings.catch_warnings():
            # one block is meant; the simulator's uint64 hashing overflows on purpose
            warnings.filterwarnings("ignore", message=".*(occupancy|overflow encountered)")
            if key not in self._kernels:
                kernel = make_run_chunk(self._gen, features, self.grid_path, self._rules)
                if self.simulated:  # every thread a Python thread; one block per copy
                    self._kernels[key] = (kernel, self.batch, config.get("CUDA_SIM_THREADS"))
                else:
                    kernel = kernel.specialize(*args)  # compiles now
                    limit = kernel.get_max_threads_per_block()
                    want = config.get("CUDA_GRID_THREADS" if self.grid_path else "CUDA_THREADS")
                    tpb = max(32, min(want, limit) // 32 * 32)
                    blocks = self.batch  # block path: one block per copy
                    if self.grid_path:
                        compiled = next(iter(kernel.overloads.values()))
                        most = compiled.max_cooperative_grid_blocks(tpb)
                        blocks = max(1, min(most, -(-self.net.n // tpb)))
                    self._kernels[key] = (kernel, blocks, tpb)
            kernel, blocks, tpb = self._kernels[key]
            switch = sys.getswitchinterval()
            if self.simulated:  # its block manager busy-waits: let the threads in sooner
                sys.setswitchinterval(1e-4)
            try:
                kernel[blocks, tpb](*args)
            finally:
                sys.setswitchinterval(switch)
