"""The CPU kernel: advance a whole brain by many steps in one compiled call.

One step (docs/architecture.md, "One step"):
  0. state monitors sample the state at the start of the step;
  1. block by block (a thread per part of the neurons): Poisson inputs add their spikes to
     the input arriving now (the inbox, filled at the end of the last step) and noise
     currents advance; every neuron integrates, takes its input and is checked against its
     threshold (the generated loops, ``backends/codegen.py``); sources emit;
  2. spike counts and spike monitors accumulate; each spike joins the spikes in flight;
  3. the synapses of spikes in flight whose delay ends at the next step add their weights
     into the inbox (a ring buffer read the other way round: see ``run_chunk``).
Over MPI ranks (``exchange.py``), each rank runs 1 and 3 for its own part of the neurons
and lists every rank's spikes in 2, for the steps of an exchange interval at its end.
Arrays only: the Python side (``backends/cpu/backend.py``) validates and packs everything.
"""

import pickle
import traceback

import numpy as np
from numba import njit, prange
from numba.core.caching import NullCache

from ...assemble.neurons import U_GIVEN, U_NEURONS, U_POISSON
from ...jit import OPTS, bind, cached_njit, forced_inline, inner
from ...rhythms import oscillation
from ...rng import mixed32, normal, poisson_count, poisson_table, stream32, uniform32, word32
from . import plastic as pl
from .bundles import CTR_ACT, CTR_PACT, CTR_PEND, CTR_POST, CTR_REC, Chunk, State
from .prefetch import prefetch

_F0, _F1 = np.float32(0.0), np.float32(1.0)
_AHEAD = 8  # spikes in flight between a run's prefetch and its delivery
_MS_TO_S = np.float32(1e-3)

_OPTS = OPTS


def kernel(fn, parallel=False, cache=True):
    """``fn`` compiled as a kernel (``cache``: kept in numba's disk cache)."""
    jit = cached_njit if cache else njit
    return jit(nogil=True, parallel=parallel, **_OPTS)(fn)


def call(kernel_fn, *args):
    """Call a kernel; where its entry in numba's disk cache cannot be loaded (written by
    another version of nbbrain or of a user's model, whose classes or modules are gone),
    compile it afresh instead, without the cache."""
    try:
        return kernel_fn(*args)
    except (ImportError, AttributeError, EOFError, pickle.UnpicklingError) as err:
        if not any("caching" in f.filename for f in traceback.extract_tb(err.__traceback__)):
            raise
        kernel_fn._cache = NullCache()
        return kernel_fn(*args)


@inner
def _poisson(key, step, p_scale, lo, hi, off, rate, spikes, n_spikes):
    """Neuron ``lo + i`` (``i < hi - lo``) spikes with probability ``rate[lo + i] * dt``
    (rate in Hz), drawn from (key, step, neuron index in its population: ``off + i``)."""
    for i in range(hi - lo):
        if uniform32(key, step, off + i) < rate[lo + i] * p_scale:
            spikes[n_spikes] = lo + i
            n_spikes += 1
    return n_spikes


@inner
def _poisson_timed(key, step, p_scale, lo, hi, off, div, rows, base, width, values, spikes,
                   n_spikes):  # fmt: skip
    """As ``_poisson``, the rates read from a TimedArray (``rows`` rows of ``width`` rates
    from ``values[base]``, each for ``div`` steps)."""
    base = base + min(step // div, rows - 1) * width
    for i in range(hi - lo):
        rate = values[base + (off + i if width > 1 else 0)]
        if uniform32(key, step, off + i) < rate * p_scale:
            spikes[n_spikes] = lo + i
            n_spikes += 1
    return n_spikes


@inner
def _given(lo, row, spikes, n_spikes):
    """User-given spikes: ``row[i]`` nonzero means neuron ``lo + i`` spikes now."""
    for i in range(row.shape[0]):
        if row[i]:
            spikes[n_spikes] = lo + i
            n_spikes += 1
    return n_spikes


@inner
def _trains(lo, hi, p, step, row, has_row, tr_step, tr_idx, tr_ptr, tr_cur, spikes, n_spikes):
    """Spikes at given times (population ``p``'s train, from its cursor on), merged with the
    run's given spikes ``row`` where ``has_row``."""
    c, end = tr_cur[p], tr_ptr[p + 1]
    if has_row:
        for i in range(lo, hi):
            hit = row[i - lo] != 0
            if c < end and tr_step[c] == step and tr_idx[c] == i:
                hit = True
                c += 1
            if hit:
                spikes[n_spikes] = i
                n_spikes += 1
    else:
        while c < end and tr_step[c] == step:
            spikes[n_spikes] = tr_idx[c]
            n_spikes += 1
            c += 1
    tr_cur[p] = c
    return n_spikes


#: ``_few_poisson_counts`` serves a table whose twelfth threshold is at least this: counts
#: of 12 or more have a probability below 1/64 (means below about 6.5)
_FEW_ABOVE_11 = np.uint64(2**32 - 2**26)


@inner
def _few_poisson_counts(lo, hi, off, n, thr, guide, buf):
    """``buf[j]``: the Poisson counts of words ``off + j`` of the stream ``(lo, hi)`` (as
    ``poisson_count``), for a table of small means: a count below 12 is the number of the
    first 12 thresholds the word reaches, in a loop the compiler vectorises; the few words
    that reach all 12 search the table. (``thr[k] >= 1`` at such means, so ``u >= thr[k]``
    is ``u > thr[k] - 1`` in 32 bits.)"""
    t0, t1, t2, t3, t4, t5 = (np.uint32(thr[0] - 1), np.uint32(thr[1] - 1),
                              np.uint32(thr[2] - 1), np.uint32(thr[3] - 1),
                              np.uint32(thr[4] - 1), np.uint32(thr[5] - 1))  # fmt: skip
    t6, t7, t8, t9, t10, t11 = (np.uint32(thr[6] - 1), np.uint32(thr[7] - 1),
                                np.uint32(thr[8] - 1), np.uint32(thr[9] - 1),
                                np.uint32(thr[10] - 1), np.uint32(thr[11] - 1))  # fmt: skip
    many = False
    first = np.uint32(np.uint32(off) + lo)
    for j in range(np.uint32(n)):
        u = mixed32(np.uint32(first + j), hi)  # (word32(lo, hi, off + j))
        # (numba widens uint32 sums to 64 bits: each is cut back, for 16 lanes a vector)
        c = np.uint32(np.uint32(u > t0) + np.uint32(u > t1))
        c = np.uint32(c + np.uint32(np.uint32(u > t2) + np.uint32(u > t3)))
        c = np.uint32(c + np.uint32(np.uint32(u > t4) + np.uint32(u > t5)))
        c = np.uint32(c + np.uint32(np.uint32(u > t6) + np.uint32(u > t7)))
        c = np.uint32(c + np.uint32(np.uint32(u > t8) + np.uint32(u > t9)))
        c = np.uint32(c + np.uint32(np.uint32(u > t10) + np.uint32(u > t11)))
        buf[j] = c
        many |= c == 12
    if many:
        for j in range(n):
            if buf[j] == 12:
                buf[j] = poisson_count(np.uint64(word32(lo, hi, off + j)), thr, guide)


@forced_inline
def _poisson_input(a, b, off, step, key, m, thr, guide, w, wo, wpn, row, buf):
    """Poisson input into neurons ``a:b`` (number ``off`` on among the input's targets): a
    Poisson count of spikes per neuron (the sum of ``m`` table draws: word ``index`` of the
    stream of (input, step, draw)), added with the weight (``w``, or ``wpn[wo + index]``
    where ``wo`` >= 0) to ``row``, the inbox of its channel. ``buf`` (scratch, at least
    ``b - a`` words): the counts, drawn first (for small means, ``_few_poisson_counts``,
    vectorised; else the words vectorised, then the table searched)."""
    n = b - a
    if m == 1:
        lo, hi = stream32(key, step, 0)
        if thr[11] >= _FEW_ABOVE_11:
            _few_poisson_counts(lo, hi, off, n, thr, guide, buf)
        else:
            for j in range(n):
                buf[j] = word32(lo, hi, off + j)
            for j in range(n):
                buf[j] = poisson_count(np.uint64(buf[j]), thr, guide)
        # (unsigned indices: no negative-index wraparound in these loops)
        ua = np.uint64(a)
        if wo < 0:
            for j in range(np.uint64(n)):
                row[ua + j] += np.float32(buf[j]) * w
        else:
            uw = np.uint64(wo + off)
            for j in range(np.uint64(n)):
                row[ua + j] += np.float32(buf[j]) * wpn[uw + j]
        return
    for j in range(n):  # (means above POISSON_TABLE_MEAN: rare)
        k = 0
        for d in range(m):
            lo, hi = stream32(key, step, d)
            k += poisson_count(np.uint64(word32(lo, hi, off + j)), thr, guide)
        ww = w if wo < 0 else wpn[wo + off + j]
        row[a + j] += np.float32(k) * ww


@inner
def _refresh_poisson_tables(step, delay, rdiv, rlen, roff, lam, thr, guide, now):
    """Inputs whose rate follows a TimedArray: the table of the rate their spikes arriving
    now were sent at (``step - delay``), where it changed (``now``: the row each holds)."""
    for q in range(rlen.shape[0]):
        if rlen[q] > 1:
            row = min(max(step - delay[q], 0) // rdiv[q], rlen[q] - 1)
            if row != now[q]:
                poisson_table(lam[roff[q] + row], thr[q], guide[q])
                now[q] = row


@inner
def _noise(a, b, off, step, key, mean, dec, amp, noise):
    """One exact Ornstein-Uhlenbeck step of the currents of neurons ``a:b`` (number ``off``
    on among the current's targets; a normal draw keyed by (current, step, neuron index))."""
    for i in range(a, b):
        x = mean + (np.float64(noise[i]) - mean) * dec + amp * normal(key, step, off + i - a)
        noise[i] = np.float32(x)


@inner
def _sample(step, n, st, noise, var, every, ptr, idx, out, pos):
    """State monitors: write the sampled neurons' values where ``step % every == 0`` (code
    r >= 0: row r of the state; -1: the noise current)."""
    for m in range(var.shape[0]):
        if step % every[m] != 0:
            continue
        code, p = var[m], pos[m]
        for k in range(ptr[m], ptr[m + 1]):
            i = idx[k]
            out[p] = st[code * n + i] if code >= 0 else noise[i]
            p += 1
        pos[m] = p


@inner
def _join(part, parts, act, n_old, n_act, indptr, syn, shift):
    """Fill in ``part``'s fields of the spikes in flight ``n_old:n_act`` (new this step,
    with neuron and step fired): first synapse, end, and the step it arrives (-1: none).
    Run on the part's thread: the reads of the new rows' starts (cache misses) are then
    shared among the threads rather than made in the step's serial part."""
    for q in range(n_old, n_act):
        r, step = act[0, q], act[1, q]
        j, e = indptr[r * parts + part], indptr[r * parts + part + 1]
        act[2 + part, q], act[2 + parts + part, q] = j, e
        act[2 + 2 * parts + part, q] = step + np.int64(syn[j] >> shift) if j < e else -1


@inner
def _deliver(step, part, parts, act, n_act, syn, weight, shift, mask, inbox):
    """Add into ``inbox`` the synapses in ``part`` of the spikes in flight that arrive at
    ``step`` (``syn = delay << shift | target``), in firing order. Each spike keeps, per
    part, its next synapse, the part's end and the step that synapse arrives, so that a
    spike with nothing arriving costs one read of that step."""
    nxt, cur, end = 2 + 2 * parts + part, 2 + part, 2 + parts + part
    for q in range(n_act):
        # the run of the spike _AHEAD places on, if it has one now: its first line is
        # rarely cached, and asking early lets these misses overlap (``prefetch``)
        if q + _AHEAD < n_act and act[nxt, q + _AHEAD] == step:
            k = np.uint64(act[cur, q + _AHEAD])
            prefetch(syn, k)
            prefetch(weight, k)
        if act[nxt, q] != step:
            continue
        fired, j, e = act[1, q], act[cur, q], act[end, q]
        d, later = step - fired, np.int64(-1)
        while j < e:
            # an unsigned index: numba adds no negative-index wraparound (7 of the loop's
            # 17 instructions; the loop ran ~25% faster without them)
            u = np.uint64(j)
            x = syn[u]
            dj = np.int64(x >> shift)
            if dj != d:
                later = fired + dj
                break
            inbox[np.int64(x & mask)] += weight[u]
            j += 1
        act[cur, q], act[nxt, q] = j, later


@inner
def _drop_delivered(act, n_act, parts, scale):
    """Drop the spikes whose synapses have all arrived, keeping the others in firing
    order (and ``scale``, one value per spike, with them, unless it is None: the list of
    plastic presynaptic events); returns how many are left."""
    kept = 0
    for q in range(n_act):
        for part in range(parts):
            if act[2 + 2 * parts + part, q] >= 0:
                for f in range(act.shape[0]):
                    act[f, kept] = act[f, q]
                if scale is not None:
                    scale[kept] = scale[q]
                kept += 1
                break
    return kept


@cached_njit(nogil=True)
def in_flight_ring(n_slots, act, n_act, syn, weight, shift, mask, ring):
    """Add the spikes in flight into ``ring[D, C * N]`` (slot ``t % D``: what arrives at
    step t), in the order the kernel would deliver them: the ring of a checkpoint."""
    parts = (act.shape[0] - 2) // 3
    for q in range(n_act):
        fired = act[1, q]
        for part in range(parts):
            for k in range(act[2 + part, q], act[2 + parts + part, q]):
                x = syn[k]
                slot = (fired + np.int64(x >> shift)) % n_slots
                ring[slot, np.int64(x & mask)] += weight[k]


_CHUNKS: dict = {}
_BATCHES: dict = {}


def make_run_chunk(gen, features, parallel=False, rules=pl.NO_RULES, ranks=False):
    """The kernel for the generated loops ``gen`` and the brain's ``features`` (flags, in the
    order of ``FEATURES``; each a constant of the compiled function, so numba prunes the
    branches of absent features before typing). ``parallel`` compiles the kernel over
    threads (``prange`` over the parts of the neurons: a thread updates its part's neurons
    and adds the synaptic input into them). ``rules``: the plastic phase's flags
    (``plastic.rule_flags``): only the rules a brain uses are compiled. ``ranks``: one brain
    over MPI ranks (``exchange.py``): the kernel updates the blocks of its rank's part,
    exchanges the step's spikes with the other ranks and delivers into its part (compiled
    without the disk cache)."""
    key = (gen.key, tuple(bool(f) for f in features), bool(parallel), gen.cache,
           tuple(bool(r) for r in rules), bool(ranks))  # fmt: skip
    assert len(features) == 13  # the order of backends.base.FEATURES
    if key in _CHUNKS:
        return _CHUNKS[key]
    (neurons, poisson, given, trains, timed_rates, poisson_inputs, timed_inputs, noise,
     monitors, oscillators, plastic, copy_params, copy_weights) = key[1]  # fmt: skip
    modulated, homeostasis = plastic and key[4][-2], plastic and key[4][-1]

    def run_chunk(step0, n_steps, net, blk, s, ch, pn, ps, ex):
        """Advance ``n_steps`` steps from ``step0``; returns the steps done.

        Stops early, at a step boundary, when the spike record buffers or the list of
        spikes in flight could overflow; the caller grows them and calls again (a run is
        the same whatever its chunking). ``s.ctr`` holds the number of spikes in flight,
        of spikes recorded (from 0 each call) and the step until which ``s.pending``
        (input restored from a checkpoint) is added into the inbox.
        Spikes in flight: ``act[:, q]`` = (neuron, step fired, then for each part of its
        row: next synapse, end, step that synapse arrives or -1 when all have; see
        ``_join``, ``_deliver``) (one row per field, so that each thread's fields are its
        own cache lines), in firing order; spikes whose rows have all arrived are dropped
        every 16 steps. ``indptr`` points at the parts of the rows; a thread owns a part of
        the neurons: it updates them and adds their input.
        Rows are ordered by delay, so that what arrives at step t is, for each spike, the
        run of synapses whose delay is t minus its firing step: at the end of each step,
        those runs are added into ``inbox`` (the next step's input, ``float32[C * N]``,
        which the neurons clear as they read it). Each target so receives its inputs in
        the order a ring buffer of D slots would (by firing step, then spike, then
        synapse), but the writes go to C * N floats instead of D * C * N: for the
        cortical microcircuit, 0.6 MB instead of 37 MB, in cache.
        Neurons are updated in blocks (``blk``: in neuron order; those of part p are
        ``part_blocks[part_ptr[p]:part_ptr[p + 1]]``), each independent of the others;
        block b lists its spikes in ``spikes[blk.lo[b]:]`` and their number in
        ``blk_n[b]``, and the propagation then walks the blocks in neuron order: the same
        order, so the same sums, whatever the threads. A block is searched for spikes only
        when its update counted a neuron above threshold. ``ex``: the rank's Exchange
        bundle (``None`` in one process).
        """
        assert key == key  # the cache key: a closure variable (see ``jit.bind``)
        n = net.n
        parts = blk.part_ptr.shape[0] - 1
        p_scale = np.float32(net.dt_ms) * _MS_TO_S
        cap = ch.rec_step.shape[0]
        act, spikes, blk_n, inbox, indptr = s.act, s.spikes, s.blk_n, s.inbox, net.indptr
        shift, mask, syn = net.shift, net.mask, net.syn
        weight = s.weight if copy_weights else net.weight
        cpar = s.cpar if copy_params else net.cpar
        pn_c = s.pn if copy_params else net.pn
        n_act, n_rec, pend_until = s.ctr[CTR_ACT], s.ctr[CTR_REC], s.ctr[CTR_PEND]
        n_new = n_act  # spikes in flight from n_new on: new this step (``_join``)
        # the lists of plastic events (``plastic.py``), from n_pnew on new this step
        n_pact, n_post = s.ctr[CTR_PACT], s.ctr[CTR_POST]  # (pn, ps: None without them)
        n_pnew = n_pact
        done = n_steps
        p0, p1 = (ex.rank, ex.rank + 1) if ranks else (0, parts)  # the parts updated here
        t_first, n_buf = 0, 0  # (MPI: the interval's first step, the words of its message)
        for t in range(n_steps):
            step = step0 + t
            # room for the next step's spikes (MPI: checked, on every rank together, at the
            # start of each interval, with room for a whole interval's)
            check = True
            if ranks:
                check = t == 0 or step % ex.every == 0
            if check:
                full = n_rec + net.rec_max > cap or n_act + net.act_max_new > act.shape[1]
                if plastic and (n_pact + pn.pl_max_new > ps.pact.shape[1]
                                or n_post + pn.post_max_new > ps.ppost.shape[1]):  # fmt: skip
                    full = True
                if ranks:
                    full = any_rank(full, ex)  # noqa: F821
                if full:
                    done = t
                    break
            if monitors:
                _sample(step, n, s.st, s.noise, ch.mon_var, ch.mon_every, ch.mon_ptr,
                        ch.mon_idx, ch.mon_out, ch.mon_pos)  # fmt: skip
            if timed_inputs:
                _refresh_poisson_tables(step, net.pin_delay, net.pin_rdiv, net.pin_rlen,
                                        net.pin_roff, net.pin_lam, s.pin_thr, s.pin_guide,
                                        s.pin_row)  # fmt: skip
            # 1. the blocks, a thread per part of the neurons
            for part in prange(p0, p1):
                for kb in range(blk.part_ptr[part], blk.part_ptr[part + 1]):
                    b = blk.part_blocks[kb]
                    lo, hi, kind = blk.lo[b], blk.hi[b], blk.kind[b]
                    drive, dv_th = _F1, _F0
                    if oscillators and blk.osc[b] >= 0:
                        o = blk.osc[b]
                        c = oscillation(net.osc_freq[o], net.osc_phase[o], step, net.dt_ms)
                        drive = np.float32(1.0 + blk.depth[b] * c)
                        dv_th = np.float32(-blk.thr[b] * c)
                    m = lo
                    if neurons and kind == U_NEURONS:
                        if poisson_inputs:
                            for e in range(blk.pin_ptr[b], blk.pin_ptr[b + 1]):
                                sg = blk.pin_seg[e]
                                q = net.pin_q[sg]
                                if step < net.pin_delay[q]:  # nothing sent has arrived yet
                                    continue
                                a, z = max(lo, net.pin_lo[sg]), min(hi, net.pin_hi[sg])
                                ch0 = net.pin_chan[q] * n
                                _poisson_input(a, z, net.pin_off[sg] + a - net.pin_lo[sg], step,
                                               s.pin_key[q], net.pin_m[q], s.pin_thr[q],
                                               s.pin_guide[q], net.pin_w[q], net.pin_woff[q],
                                               net.pin_wpn, inbox[ch0 : ch0 + n],
                                               s.pin_buf[part])  # fmt: skip
                        has_noise = False
                        if noise:
                            for e in range(blk.nz_ptr[b], blk.nz_ptr[b + 1]):
                                sg = blk.nz_seg[e]
                                q = net.nz_q[sg]
                                a, z = max(lo, net.nz_lo[sg]), min(hi, net.nz_hi[sg])
                                _noise(a, z, net.nz_off[sg] + a - net.nz_lo[sg], step,
                                       s.nz_key[q], net.nz_mean[q], net.nz_decay[q],
                                       net.nz_amp[q], s.noise)  # fmt: skip
                                has_noise = True
                        col = blk.cur[b]
                        ext = col >= 0
                        # (without an external current, the noise stands in; it is not read)
                        i_ext = ch.cur_in[t * ch.cur_vary, col : col + hi - lo] if ext else s.noise
                        g, slot = blk.unit[b], blk.slot[b]
                        glo = net.grp_lo[g]
                        above = update_group(slot, lo, hi, g, drive, dv_th, n, cpar,  # noqa: F821
                                             pn_c, net.pn_off, glo, s.st, inbox, s.ref,
                                             s.noise, i_ext, _F1 if ext else _F0,
                                             _F1 if has_noise else _F0)  # fmt: skip
                        if above:
                            m = fire_group(slot, lo, hi, g, dv_th, n, cpar, pn_c,  # noqa: F821
                                           net.pn_off, glo, s.st, s.ref, spikes, lo)  # fmt: skip
                    elif poisson and kind == U_POISSON:
                        p = blk.unit[b]
                        off = lo - net.pop_lo[p]
                        if timed_rates and net.tm_off[p] >= 0:
                            m = _poisson_timed(s.pop_key[p], step, p_scale * drive, lo, hi, off,
                                               net.tm_div[p], net.tm_rows[p], net.tm_off[p],
                                               net.tm_width[p], net.tm_values, spikes,
                                               lo)  # fmt: skip
                        else:
                            m = _poisson(s.pop_key[p], step, p_scale * drive, lo, hi, off,
                                         s.st, spikes, lo)  # fmt: skip
                    elif (given or trains) and kind == U_GIVEN:
                        col = blk.spk[b]
                        c0 = max(col, 0)
                        row = ch.spk_in[t * ch.spk_vary, c0 : c0 + hi - lo]
                        if trains and blk.timed[b]:
                            m = _trains(lo, hi, blk.unit[b], step, row, col >= 0, net.tr_step,
                                        net.tr_idx, net.tr_ptr, s.tr_cur, spikes, lo)  # fmt: skip
                        elif given and col >= 0:
                            m = _given(lo, row, spikes, lo)
                    blk_n[b] = m - lo
            # 2. counts, records, the new spikes in flight, block by block in order; over
            # MPI ranks, every rank's, for the steps of an exchange interval at its end
            t_lo = t
            if ranks:
                n_buf = pack(blk, blk_n, spikes, ex, n_buf)  # noqa: F821
                t_lo = t + 1  # (nothing to list before the interval's end)
                if (step + 1) % ex.every == 0 or t == n_steps - 1:
                    exchange(ex, n_buf)  # noqa: F821
                    t_lo, t_first, n_buf = t_first, t + 1, 0
            for tt in range(t_lo, t + 1):
                fired = step0 + tt
                if ranks:
                    unpack(blk, blk_n, spikes, ex)  # noqa: F821
                for b in range(blk.lo.shape[0]):
                    lo, m, p = blk.lo[b], blk_n[b], blk.pop[b]
                    if m == 0:
                        continue
                    if p >= 0:
                        ch.counts[p] += m
                        ch.step_counts[tt, p] += m
                        if net.pop_rec[p]:
                            for k in range(lo, lo + m):
                                ch.rec_step[n_rec] = fired
                                ch.rec_idx[n_rec] = spikes[k]
                                n_rec += 1
                    else:  # a block of several populations
                        for k in range(lo, lo + m):
                            q = net.pop_of[spikes[k]]
                            ch.counts[q] += 1
                            ch.step_counts[tt, q] += 1
                            if net.pop_rec[q]:
                                ch.rec_step[n_rec] = fired
                                ch.rec_idx[n_rec] = spikes[k]
                                n_rec += 1
                    for k in range(lo, lo + m):
                        r = spikes[k]
                        if indptr[r * parts] < indptr[(r + 1) * parts]:  # a row to deliver
                            act[0, n_act], act[1, n_act] = r, fired
                            n_act += 1
                        if plastic:
                            n_pact, n_post = pl.join_spike(r, fired, parts, net.dt_ms, pn, ps,
                                                           n_pact, n_post)  # fmt: skip
            if modulated and pl.modulators(pn, ps, ch.mod_in[t * ch.mod_vary],
                                           ch.step_counts[t]):  # fmt: skip
                for part in prange(parts):
                    pl.catch_up(part, parts, step, net.dt_ms, pn, ps)
            if modulated:
                pl.push_jumps(step, net.dt_ms, pn, ps)
            # 3. propagation: what arrives at the next step, into the inbox (a thread per
            # part of the targets: each writes its own neurons' inputs)
            if s.pending.shape[0] > 0 and step + 1 < pend_until:
                inbox += s.pending[(step + 1) % net.n_slots]
                s.pending[(step + 1) % net.n_slots] = _F0
            if ranks:  # (the other ranks' parts of these rows are empty here: none to come)
                for part in range(parts):
                    if part != ex.rank:
                        _join(part, parts, act, n_new, n_act, indptr, syn, shift)
            for part in prange(p0, p1):
                _join(part, parts, act, n_new, n_act, indptr, syn, shift)
                _deliver(step + 1, part, parts, act, n_act, syn, weight, shift, mask, inbox)
                if plastic:
                    _join(part, parts, ps.pact, n_pnew, n_pact, pn.pl_indptr, pn.pl_syn,
                          pn.pl_shift)  # fmt: skip
                    pl_events(part, parts, step, pn, ps, inbox, n_pact, n_post)  # noqa: F821
                if homeostasis and pn.pl_every > 0 and (step + 1) % pn.pl_every == 0:
                    pl.scale(part, step, pn, ps)
            n_new, n_pnew = n_act, n_pact
            if step % 16 == 0:  # (delivered spikes cost one read per step until dropped)
                n_act = n_new = _drop_delivered(act, n_act, parts, None)
                if plastic:
                    n_pact = n_pnew = _drop_delivered(ps.pact, n_pact, parts, ps.pscale)
                    n_post = pl.drop_post(ps.ppost, n_post)
        s.ctr[CTR_ACT], s.ctr[CTR_REC] = n_act, n_rec
        s.ctr[CTR_PACT], s.ctr[CTR_POST] = n_pact, n_post
        return done

    ns = gen.namespace
    glob = dict(run_chunk.__globals__, update_group=ns["update_group"],
                fire_group=ns["fire_group"], pl_events=pl.make_events(key[4][:-2]))  # fmt: skip
    if ranks:
        from . import exchange as mpi_exchange  # (only here: it needs numba-mpi)

        glob.update(
            pack=mpi_exchange.pack,
            exchange=mpi_exchange.exchange,
            unpack=mpi_exchange.unpack,
            any_rank=mpi_exchange.any_rank,
        )
    compiled = kernel(bind(run_chunk, glob), parallel, gen.cache and not ranks)
    _CHUNKS[key] = compiled
    return compiled


def make_run_batch(gen, features, rules=pl.NO_RULES):
    """The kernel for a batch of B copies of a brain: an outer ``prange`` over the copies
    around the single-copy kernel (``make_run_chunk(gen, features)``, compiled serial), so
    that the threads share the copies; the copies are independent (own state, inbox,
    inputs, counts, records and scratch; the connectivity shared), so they need no
    synchronisation. Copy ``c`` advances ``n_steps - done[c]`` steps from ``step0 +
    done[c]``, its rows of the chunk's inputs and per-step counts starting at ``done[c]``;
    it stops early, as the single-copy kernel does, when its record buffer or its list of
    spikes in flight could overflow. ``done`` is updated in place."""
    key = (gen.key, tuple(bool(f) for f in features), gen.cache, tuple(bool(r) for r in rules))
    if key in _BATCHES:
        return _BATCHES[key]
    (_neurons, _poisson, _given, trains, _timed_rates, poisson_inputs, _timed_inputs, noise,
     monitors, _oscillators, plastic, copy_params, copy_weights) = key[1]  # fmt: skip

    def run_batch(step0, n_steps, done, net, blk, sb, cb, pn, psb):
        """``sb``, ``cb``, ``psb``: a State, a Chunk and a PlasticState whose arrays have a
        leading copy axis (but the monitors' tables and the ``*_vary`` flags, shared)."""
        assert key == key  # the cache key: a closure variable (see ``jit.bind``)
        for c in prange(sb.st.shape[0]):
            d = done[c]
            if d >= n_steps:
                continue
            # (the fields of absent features stay None: the branches are pruned)
            pin_key = sb.pin_key[c] if poisson_inputs else None
            pin_thr = sb.pin_thr[c] if poisson_inputs else None
            pin_guide = sb.pin_guide[c] if poisson_inputs else None
            pin_row = sb.pin_row[c] if poisson_inputs else None
            pin_buf = sb.pin_buf[c] if poisson_inputs else None
            nz_key = sb.nz_key[c] if noise else None
            tr_cur = sb.tr_cur[c] if trains else None
            cpar = sb.cpar[c] if copy_params else None
            pn_c = sb.pn[c] if copy_params else None
            weight = sb.weight[c] if copy_weights else None
            s = State(sb.st[c], sb.ref[c], sb.noise[c], sb.inbox[c], sb.act[c], sb.pending[c],
                      sb.spikes[c], sb.blk_n[c], sb.pop_key[c], sb.ctr[c], pin_key, pin_thr,
                      pin_guide, pin_row, pin_buf, nz_key, tr_cur, cpar, pn_c, weight)  # fmt: skip
            ps = None
            if plastic:
                ps = pl.copy_state(psb, c)
            mon_out = cb.mon_out[c] if monitors else None
            mon_pos = cb.mon_pos[c] if monitors else None
            mod_in = cb.mod_in[c, d * cb.mod_vary :] if plastic else None
            mod_vary = cb.mod_vary if plastic else None
            ch = Chunk(cb.cur_in[c, d * cb.cur_vary :], cb.cur_vary,
                       cb.spk_in[c, d * cb.spk_vary :], cb.spk_vary, cb.counts[c],
                       cb.step_counts[c, d:], cb.rec_step[c], cb.rec_idx[c], cb.mon_var,
                       cb.mon_every, cb.mon_ptr, cb.mon_idx, mon_out, mon_pos, mod_in,
                       mod_vary)  # fmt: skip
            run = _chunk  # noqa: F821
            done[c] = d + run(step0 + d, n_steps - d, net, blk, s, ch, pn, ps, None)

    glob = dict(run_batch.__globals__, _chunk=make_run_chunk(gen, features, rules=rules))
    compiled = kernel(bind(run_batch, glob), True, gen.cache)
    _BATCHES[key] = compiled
    return compiled
