"""The CPU backend: a built network's state in host arrays, advanced by ``kernel.py``.

Each copy of a batch has its own state (``st`` [B, R * N], refractory counts, noise),
inbox, list of spikes in flight and scratch; the connectivity and the constants are shared.
One kernel call runs a chunk of steps; ``threads`` > 1 runs it over the threads' parts of
the neurons (one copy) or shares the copies among the threads (a batch).
"""

from __future__ import annotations

import warnings

import numba
import numpy as np

from ..base import FEATURES, Backend, state_row
from ..codegen import generate_cpu
from ..plastic_host import PlasticHost, doubled
from .blocks import make_blocks
from .bundles import (
    CHUNK_OPTIONAL,
    CTR_ACT,
    CTR_PEND,
    CTR_REC,
    NET_OPTIONAL,
    STATE_OPTIONAL,
    Chunk,
    Exchange,
    Net,
    PlasticNet,
    State,
    bundle,
)
from .kernel import call, in_flight_ring, inner, make_run_batch, make_run_chunk
from .plastic import NO_RULES, rule_flags


def _net_bundle(net, rec_max, act_max_new, features) -> Net:
    """The Net bundle; the parts of absent features ``None``."""
    shift, mask = net.syn_codes()
    pin, nz, tr, tm = net.poisson, net.noise_inputs, net.trains, net.timed
    return bundle(
        Net, NET_OPTIONAL, dict(zip(FEATURES, features)),
        dt_ms=net.dt_ms, n=net.n, n_slots=net.n_slots, act_max_new=act_max_new,
        rec_max=rec_max, pop_lo=net.lo, pop_rec=net.record, pop_of=net.pop_of,
        grp_lo=np.array([g.lo for g in net.groups], np.int64), cpar=net.tables.cpar,
        pn=net.tables.pn, pn_off=net.tables.pn_off, indptr=net.indptr, syn=net.syn,
        weight=net.weight, shift=shift, mask=mask,
        osc_freq=net.osc_freq.astype(np.float64), osc_phase=net.osc_phase.astype(np.float64),
        pin_q=pin.seg.q, pin_lo=pin.seg.lo, pin_hi=pin.seg.hi, pin_off=pin.seg.off,
        pin_chan=pin.chan, pin_w=pin.weight, pin_woff=pin.w_off, pin_wpn=pin.w_pn,
        pin_m=pin.m, pin_lam=pin.lam, pin_roff=pin.r_off, pin_rlen=pin.r_len,
        pin_rdiv=pin.r_div, pin_delay=pin.delay,
        nz_q=nz.seg.q, nz_lo=nz.seg.lo, nz_hi=nz.seg.hi, nz_off=nz.seg.off,
        nz_mean=nz.mean, nz_decay=nz.decay, nz_amp=nz.amp,
        tr_step=tr.step, tr_idx=tr.idx, tr_ptr=tr.ptr,
        tm_off=tm.off, tm_rows=tm.rows, tm_width=tm.width, tm_div=tm.div, tm_values=tm.values,
    )  # fmt: skip


def plastic_net(net) -> PlasticNet:
    """The PlasticNet bundle of the network."""
    pl, mods = net.plastic, net.plastic.modulators
    t = pl.syn.dtype.type
    return PlasticNet(
        pl_indptr=pl.indptr, pl_syn=pl.syn, pl_shift=t(net.shift),
        pl_mask=t((1 << net.shift) - 1), pl_dd=pl.dd, pl_grp=pl.grp, pl_fac=pl.fac,
        pl_kind=pl.kind, pl_par=pl.par, pl_tab=pl.tab, pl_rate=pl.rate, pl_mod=pl.mod,
        pl_nring=np.int64(pl.n_ring),
        pl_max_new=np.int64(pl.max_new), post_max_new=np.int64(pl.post_max_new),
        csc_ptr=pl.csc_ptr, csc_syn=pl.csc_syn, csc_dd=pl.csc_dd, part_of=net.part_of,
        pl_run_ptr=pl.run_ptr, pl_run_lo=pl.run_lo, pl_run_hi=pl.run_hi, pl_slot=pl.slot,
        pl_coff=pl.coff, pl_epoch=np.int64(pl.epoch), pl_stp=pl.stp,
        pl_hpost_ptr=pl.hpost_ptr,
        pl_hpost=pl.hpost, pl_hcount=pl.hcount, pl_every=np.int64(pl.every),
        mod_tau=mods.tau_ms, mod_amount=mods.amount, mod_ptr=mods.pop_ptr, mod_pops=mods.pops,
    )  # fmt: skip


def _chunk(mon, mon_out, mon_pos, plastic, **fields) -> Chunk:
    """The Chunk bundle; the fields of absent monitors and plasticity ``None``."""
    features = {"monitors": mon.var.size > 0, "plastic": plastic}
    return bundle(Chunk, CHUNK_OPTIONAL, features, mon_var=mon.var, mon_every=mon.every,
                  mon_ptr=mon.ptr, mon_idx=mon.idx, mon_out=mon_out, mon_pos=mon_pos,
                  **fields)  # fmt: skip


def _no_input(dtype, B):
    """A chunk's input array where there is none: ``[B, 1, 1]``, never read."""
    return np.zeros((B, 1, 1), dtype)


class CpuBackend(PlasticHost, Backend):
    name = "cpu"

    def __init__(self, net, pops, batch, threads, rec_max):
        super().__init__(net, pops, batch, threads)
        B, cn = batch, net.n_channels * net.n
        st, self.ref, self.noise = self.initial_states()
        self.st = st.reshape(B, -1)
        self.pop_key, self.pin_key, self.nz_key = self.keys()
        # the most spikes one kernel step adds to the list in flight (MPI: an interval's)
        every = net.exchange_every if net.rank is not None else 1
        self.act_max_new = every * int(np.count_nonzero(np.diff(net.row_ptr)))
        q = net.poisson.chan.size
        self.pin_thr = np.repeat(net.poisson.thr[None], B, axis=0)
        self.pin_guide = np.repeat(net.poisson.guide[None], B, axis=0)
        self.pin_row = np.full((B, q), -1, np.int64)
        self.pin_buf = np.zeros((B, net.n_parts, 0), np.uint32)  # per thread part, a block
        self.spikes = np.empty((B, net.n), np.int32)
        self.tr_cur = np.zeros((B, len(net.names)), np.int64)
        self.ctr = np.zeros((B, 5), np.int64)
        self.inbox = np.zeros((B, cn), np.float32)
        self._init_plastic()
        self._empty_flight()
        self.rec_max = every * rec_max
        self._ex = None  # an MPI rank's Exchange bundle (sized for a block layout)
        self.relayout()

    @staticmethod
    def parts(threads, batch):
        """A part of the neurons per thread, except where the copies of a batch share the
        threads (then each copy is one part)."""
        return threads if batch == 1 else 1

    # ---- layout -----------------------------------------------------------------------
    def relayout(self):
        """(Re)generate the loops for the network's variants and reset the block layouts."""
        net = self.net
        self._gen = generate_cpu(net.variants, net.dt_ms, net.n_channels, inner)
        self._netb = _net_bundle(net, self.rec_max, self.act_max_new, self.features(True))
        self._plastic = self.features(True)[FEATURES.index("plastic")]
        self._pnet = plastic_net(net) if self._plastic else None
        self._rules = rule_flags(net) if self._plastic else NO_RULES
        self._blocks = {}
        # (a batch's copies' own tables and weights, where they have them: ``_state``)
        self.cpar, self.pn, self.weight = net.copy_cpar, net.copy_pn, net.copy_weight

    def blocks(self, cur_off=None, spk_off=None):
        """The block layout for a run with inputs at these columns (default: none)."""
        none = np.full(len(self.net.names), -1, np.int64)
        cur = none if cur_off is None else cur_off
        return self._block_layout(cur, none if spk_off is None else spk_off)[0]

    def _block_layout(self, cur_off, spk_off):
        key = (tuple(cur_off.tolist()), tuple(spk_off.tolist()))
        if key not in self._blocks:
            self._blocks[key] = make_blocks(self.net, cur_off, spk_off, self.features(True))
        blk = self._blocks[key]
        width = int((blk.hi - blk.lo).max(initial=0))
        if self.pin_buf.shape[2] < width:
            self.pin_buf = np.zeros(self.pin_buf.shape[:2] + (width,), np.uint32)
        if self.net.rank is not None:
            self._size_exchange(blk)
        return blk, np.zeros((self.batch, blk.lo.size), np.int64)

    def _size_exchange(self, blk):
        """An MPI rank's Exchange bundle, with room for the longest message of any rank in
        this block layout: an interval of steps, each with its blocks' counts and a spike
        of each of its neurons."""
        net = self.net
        parts, every = net.n_parts, net.exchange_every
        neurons = np.bincount(net.part_of, minlength=parts)
        width = every * int((np.diff(blk.part_ptr) + neurons).max(initial=1))
        if self._ex is None or self._ex.buf.size < width:
            self._ex = Exchange(np.int64(net.rank), np.int64(every), np.zeros(width, np.int64),
                                np.zeros(parts * width, np.int64), np.zeros(parts, np.int64),
                                np.zeros(1, np.int64), np.zeros(parts, np.int64))  # fmt: skip

    # ---- spikes in flight ----------------------------------------------------------------
    def _empty_flight(self):
        net, B = self.net, self.batch
        cn = net.n_channels * net.n
        self.inbox[...] = 0
        self.act = np.zeros((B, 2 + 3 * net.n_parts, self.act_max_new + 1024), np.int64)
        self.ctr[:, CTR_ACT] = 0
        self.pending = np.zeros((B, 0, cn), np.float32)
        self.ctr[:, CTR_PEND] = 0
        self._empty_plastic_lists()

    def write_ring(self, ring, step):
        """Set the spikes in flight to the input of ``ring`` [B, D, C * N] (or no slots,
        for none): the slot of ``step`` becomes the inbox, the others pending input."""
        self._empty_flight()
        if ring.shape[1] and ring.any():
            slot = step % self.net.n_slots
            self.inbox[...] = ring[:, slot]
            self.pending = np.ascontiguousarray(ring, np.float32).copy()
            self.pending[:, slot] = 0
            self.ctr[:, CTR_PEND] = step + self.net.n_slots

    def read_ring(self, step):
        """The spikes in flight as a ring [B, D, C * N]: the input of the next step, the
        pending input, the spikes in the list, summed in the order the kernel would."""
        net = self.net
        ring = np.zeros((self.batch, net.n_slots, net.n_channels * net.n), np.float32)
        if self.pending.shape[1]:
            ring += self.pending
        ring[:, step % net.n_slots] = self.inbox
        for c in range(self.batch):
            weight = net.weight if net.copy_weight is None else net.copy_weight[c]
            in_flight_ring(net.n_slots, self.act[c], self.ctr[c, CTR_ACT], net.syn, weight,
                           *net.syn_codes(), ring[c])  # fmt: skip
        return ring

    def _grow_in_flight(self):
        """Double the lists of spikes in flight where the kernel stopped for room."""
        grown = False
        if int(self.ctr[:, CTR_ACT].max()) + self.act_max_new > self.act.shape[2]:
            self.act = doubled(self.act)
            grown = True
        return self._grow_plastic() or grown

    def _drop_pending(self, step):
        if self.pending.shape[1] and step + 1 >= self.ctr[0, CTR_PEND]:
            self.pending = self.pending[:, :0]

    # ---- running ------------------------------------------------------------------------
    def _state(self, c=None):
        """The State bundle of copy ``c`` (or, for ``None``, of all copies)."""
        sel = (lambda a: a) if c is None else (lambda a: None if a is None else a[c])
        names = set(State._fields) - {"blk_n"}
        fields = {name: sel(getattr(self, name)) for name in names}
        return bundle(State, STATE_OPTIONAL, dict(zip(FEATURES, self.features(True))),
                      blk_n=sel(self._blk_n), **fields)  # fmt: skip

    def advance(self, step0, n_steps, inputs, mon, counts, spike_recs):
        """Run ``n_steps`` from ``step0``, in as many kernel calls as the buffers need;
        ``counts`` [B, P] accumulates the spikes; returns the per-step counts [B, n_steps,
        P] and the state samples [B, size]."""
        net, B = self.net, self.batch
        n_pop = len(net.names)
        cur, cur_vary, cur_off = inputs.get("current") or (_no_input(np.float32, B), 0, None)
        spk, spk_vary, spk_off = inputs.get("spikes") or (_no_input(np.uint8, B), 0, None)
        n_mod = self.mod_ht.shape[1]
        mod, mod_vary, _ = inputs.get("modulator") or (np.zeros((B, 1, n_mod)), 0, None)
        none = np.full(n_pop, -1, np.int64)
        blk, self._blk_n = self._block_layout(none if cur_off is None else cur_off,
                                              none if spk_off is None else spk_off)  # fmt: skip
        features = self.features(mon.var.size > 0)
        if features[FEATURES.index("trains")]:
            self.tr_cur[:] = net.trains.cursors(step0)[None]
        step_counts = np.zeros((B, n_steps, n_pop), np.int32)
        mon_out = np.empty((B,) + mon.out.shape, np.float32)
        mon_pos = np.repeat(mon.pos[None], B, axis=0)
        run = self._advance_one if B == 1 else self._advance_batch
        run(step0, n_steps, blk, (cur, cur_vary, spk, spk_vary, mod, mod_vary), counts,
            step_counts, mon, mon_out, mon_pos, spike_recs, features)  # fmt: skip
        self._drop_pending(step0 + n_steps)
        if self.threads > 1 and n_steps > 0:
            _warn_if_slow_threading()
        return step_counts, mon_out

    def _advance_one(self, step0, n_steps, blk, ins, counts, step_counts, mon, mon_out,
                     mon_pos, spike_recs, features):  # fmt: skip
        cur, cur_vary, spk, spk_vary, mod, mod_vary = ins
        plastic = features[FEATURES.index("plastic")]
        ranks = self.net.rank is not None  # (one part per rank, on one thread each)
        run_chunk = make_run_chunk(self._gen, features, self.net.n_parts > 1 and not ranks,
                                   self._rules, ranks)  # fmt: skip
        if self.threads > 1:
            numba.set_num_threads(self.threads)
        rec, done = spike_recs[0], 0
        while True:
            rec_step, rec_idx = rec.buffers(n_steps - done, self.net.dt_ms)
            self.ctr[0, CTR_REC] = 0
            ch = _chunk(mon, mon_out[0], mon_pos[0], plastic, cur_in=cur[0, done * cur_vary :],
                        cur_vary=cur_vary, spk_in=spk[0, done * spk_vary :], spk_vary=spk_vary,
                        counts=counts[0], step_counts=step_counts[0, done:],
                        rec_step=rec_step, rec_idx=rec_idx, mod_in=mod[0, done * mod_vary :],
                        mod_vary=mod_vary)  # fmt: skip
            done += call(run_chunk, step0 + done, n_steps - done, self._netb, blk, self._state(0),
                         ch, self._pnet, self._plastic_state(0), self._ex)  # fmt: skip
            n_rec = self.ctr[0, CTR_REC]
            rec.collect(rec_step[:n_rec], rec_idx[:n_rec])
            if done >= n_steps:
                break
            if not self._grow_in_flight():
                rec.grow()

    def _advance_batch(self, step0, n_steps, blk, ins, counts, step_counts, mon, mon_out,
                       mon_pos, spike_recs, features):  # fmt: skip
        from ...monitors.recorders import record_capacity

        cur, cur_vary, spk, spk_vary, mod, mod_vary = ins
        plastic = features[FEATURES.index("plastic")]
        B = self.batch
        run_batch = make_run_batch(self._gen, features, self._rules)
        numba.set_num_threads(self.threads)
        done = np.zeros(B, np.int64)
        capacity = 0
        while True:
            want = record_capacity(self.rec_max, n_steps - int(done.min()), self.net.dt_ms)
            capacity = max(capacity, want)
            rec_step = np.empty((B, capacity), np.int64)
            rec_idx = np.empty((B, capacity), np.int32)
            self.ctr[:, CTR_REC] = 0
            cb = _chunk(mon, mon_out, mon_pos, plastic, cur_in=cur, cur_vary=cur_vary,
                        spk_in=spk, spk_vary=spk_vary, counts=counts, step_counts=step_counts,
                        rec_step=rec_step, rec_idx=rec_idx, mod_in=mod,
                        mod_vary=mod_vary)  # fmt: skip
            call(run_batch, step0, n_steps, done, self._netb, blk, self._state(), cb, self._pnet,
                 self._plastic_state())  # fmt: skip
            for c in range(B):
                n_rec = self.ctr[c, CTR_REC]
                spike_recs[c].collect(rec_step[c, :n_rec], rec_idx[c, :n_rec])
            if done.min() >= n_steps:
                break
            if not self._grow_in_flight():
                capacity *= 2

    # ---- state ----------------------------------------------------------------------------
    def read_state(self, row):
        """[B, N] view of a state row (``NOISE_CODE``: the noise current, ``REF``: the
        refractory counts)."""
        return state_row(row, self.st, self.ref, self.noise, self.net.n)

    def write_state(self, row, lo, hi, values):
        self.read_state(row)[:, lo:hi] = values

    def live_state(self, row, lo, hi, copy):
        return self.read_state(row)[copy, lo:hi]

    def set_keys(self):
        for have, new in zip((self.pop_key, self.pin_key, self.nz_key), self.keys()):
            have[...] = new  # (in place: the kernels' bundles hold these arrays)

    def state_is_finite(self):
        return bool(np.isfinite(self.st).all())

    def read_poisson_tables(self):
        """The Poisson inputs' inversion tables, per copy: (thr [B, Q, T], guide [B, Q, G])."""
        return self.pin_thr.copy(), self.pin_guide.copy()

    def write_poisson_tables(self, thr, guide):
        self.pin_thr[...], self.pin_guide[...] = thr, guide  # (in place: bundles hold them)

    def memory(self) -> dict:
        net, pl = self.net, self.net.plastic
        return {
            "connectivity_bytes": net.syn.nbytes + net.weight.nbytes + net.indptr.nbytes
            + net.tag.nbytes + _nbytes(net.copy_weight) + (sum(a.nbytes for a in (
                pl.syn, pl.dd, pl.grp, pl.fac, pl.indptr, pl.csc_ptr, pl.csc_syn, pl.csc_dd,
                pl.perm)) if pl.n_synapses else 0),
            "state_bytes": self.st.nbytes + self.ref.nbytes + self.noise.nbytes
            + self.pl_rec.nbytes + self.pl_nrec.nbytes + self.pl_post.nbytes,
            "ring_bytes": self.inbox.nbytes + self.act.nbytes + self.pending.nbytes
            + sum(a.nbytes for a in (self.pl_ring, self.pact, self.pscale, self.ppost)),
        }  # fmt: skip


def _nbytes(a):
    return 0 if a is None else a.nbytes


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
                      stacklevel=4)  # fmt: skip
