"""The CPU kernel: advance a whole brain by many steps in one compiled call.

One step (DESIGN.md section 1):
  0. state monitors sample the state at the start of the step;
  1. synaptic input that arrives now (the inbox, filled at the end of the last step) is
     added to the channel state and cleared; every neuron integrates (``equations``);
  2. threshold, reset, refractoriness; Poisson and user-given sources emit;
  3. spike counts and spike monitors accumulate; each spike joins the spikes in flight,
     and the synapses of spikes in flight whose delay ends at the next step add their
     weights into the inbox (DESIGN.md's ring buffer, read the other way round: see
     ``run_chunk``).
Arrays only: the Python side (``nbbrain.engine``) validates and packs everything.
"""

import functools
import types

import numpy as np
from numba import njit, prange
from numba.extending import register_jitable

from .. import layout as L
from ..equations import cond_lif_v, cur_lif_v, decay, mg_block, oscillation
from ..rng import uniform32
from .prefetch import prefetch

_F0, _F1 = np.float32(0.0), np.float32(1.0)
_I0, _I1 = np.int32(0), np.int32(1)
_AHEAD = 8  # spikes in flight between a run's prefetch and its delivery
_MS_TO_S = np.float32(1e-3)

# error_model="numpy": float division by zero gives inf instead of raising, so the loops
# carry no exception branches (with them, they neither vectorise nor inline well).
# fastmath={"contract"}: a * b + c may fuse into one FMA, as CUDA does by default; no
# reassociation, so results stay deterministic.
kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
# the per-population loops: compiled into the kernels that call them (no dispatcher, no
# Python wrapper, no cache entry of their own: a shorter first compilation)
inner = register_jitable(error_model="numpy", fastmath={"contract"})
kernel_parallel = njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"},
                       parallel=True)  # fmt: skip


# The per-block functions take the whole arrays and loop over the block's neurons with
# unsigned indices: numba then adds no negative-index wraparound, and LLVM vectorises the
# loops (with signed indices from a runtime start they ran ~7x slower; slices of each
# array for each block cost ~10% more than this).


@inner
def _above(count, v, vth):
    """``count`` plus one where ``v > vth``: int32 throughout (numba widens int32 sums to
    int64, which halves the width of the vectorised loops that count)."""
    return np.int32(count + (_I1 if v > vth else _I0))


@inner
def _i_in(ib, i_ext, k, ext, drive):
    """The constant input current of a neuron over the step: bias plus external current
    ``i_ext[k]`` (where ``ext``; without, the loops neither read ``i_ext`` nor divide per
    neuron), scaled by a rhythm's ``drive``."""
    return (ib + i_ext[k]) * drive if ext else ib * drive


@inner
def _cond_lif(f, drive, vth, lo, hi, v, ga, gg, ra, rg, ref, i_ext, ext):
    """Integrate neurons ``lo:hi`` (conductance LIF with AMPA and GABA_A input) over one
    step: add the input arriving now (``r*``: the inbox, cleared here), integrate, decay.
    ``i_ext[i - lo]``: external current (``_i_in``). Returns how many end above ``vth``."""
    gl, el, ib, dt_cm = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DT_CM]
    ea, eg, da, dg = f[L.F_E0], f[L.F_E0 + 1], f[L.F_DEC0], f[L.F_DEC0 + 1]
    above, ulo = _I0, np.uint64(lo)
    for i in range(ulo, np.uint64(hi)):
        vi, a, b = v[i], ga[i] + ra[i], gg[i] + rg[i]
        ra[i], rg[i] = _F0, _F0
        i_in = _i_in(ib, i_ext, i - ulo, ext, drive)
        vn = cond_lif_v(vi, a, b, _F0, _F0, i_in, gl, el, ea, eg, _F0, _F0, dt_cm)
        r = ref[i]
        vn = vi if r > 0 else vn
        v[i] = vn
        above = _above(above, vn, vth)
        ref[i] = r - 1 if r > 0 else 0
        ga[i], gg[i] = decay(a, da), decay(b, dg)
    return above


@inner
def _cond_lif_slow(f, drive, vth, lo, hi, v, ga, gg, gn, gb, ra, rg, rn, rb, ref, i_ext, ext):
    """As ``_cond_lif``, with the NMDA (magnesium-blocked) and GABA_B channels too."""
    gl, el, ib, dt_cm = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DT_CM]
    ea, eg, en, eb = f[L.F_E0], f[L.F_E0 + 1], f[L.F_E0 + 2], f[L.F_E0 + 3]
    da, dg, dn, db = f[L.F_DEC0], f[L.F_DEC0 + 1], f[L.F_DEC0 + 2], f[L.F_DEC0 + 3]
    mg = f[L.F_MG]
    above, ulo = _I0, np.uint64(lo)
    for i in range(ulo, np.uint64(hi)):
        vi, a, b = v[i], ga[i] + ra[i], gg[i] + rg[i]
        c, d = gn[i] + rn[i], gb[i] + rb[i]
        ra[i], rg[i], rn[i], rb[i] = _F0, _F0, _F0, _F0
        i_in = _i_in(ib, i_ext, i - ulo, ext, drive)
        vn = cond_lif_v(vi, a, b, c * mg_block(vi, mg), d, i_in, gl, el, ea, eg, en, eb, dt_cm)
        r = ref[i]
        vn = vi if r > 0 else vn
        v[i] = vn
        above = _above(above, vn, vth)
        ref[i] = r - 1 if r > 0 else 0
        ga[i], gg[i], gn[i], gb[i] = decay(a, da), decay(b, dg), decay(c, dn), decay(d, db)
    return above


@inner
def _cur_lif(f, drive, vth, lo, hi, v, ie, ii, re, ri, ref, i_ext, ext):
    """Integrate neurons ``lo:hi`` (current LIF) over one step (arguments and result as
    ``_cond_lif``)."""
    gl, el, ib, dec_m = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DEC_M]
    de, di, pe, pi = f[L.F_DEC0], f[L.F_DEC0 + 1], f[L.F_P21], f[L.F_P21 + 1]
    above, ulo = _I0, np.uint64(lo)
    for i in range(ulo, np.uint64(hi)):
        vi, a, b = v[i], ie[i] + re[i], ii[i] + ri[i]
        re[i], ri[i] = _F0, _F0
        vn = cur_lif_v(vi, _i_in(ib, i_ext, i - ulo, ext, drive), a, b, gl, el, dec_m, pe, pi)
        r = ref[i]
        vn = vi if r > 0 else vn
        v[i] = vn
        above = _above(above, vn, vth)
        ref[i] = r - 1 if r > 0 else 0
        ie[i], ii[i] = decay(a, de), decay(b, di)
    return above


@inner
def _threshold(vth, vreset, ref_steps, lo, hi, v, ref, spikes, n_spikes):
    """Spike where ``v > vth`` among neurons ``lo:hi``: reset, start the refractory
    count, list the spike."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        if v[i] > vth:
            v[i] = vreset
            ref[i] = ref_steps
            spikes[n_spikes] = i
            n_spikes += 1
    return n_spikes


@inner
def _poisson(key, step, p_scale, lo, off, rate, spikes, n_spikes):
    """Each neuron spikes with probability ``rate_hz * dt``, drawn from (key, step, neuron
    index in its population: ``off + i``)."""
    for i in range(rate.shape[0]):
        if uniform32(key, step, off + i) < rate[i] * p_scale:
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
def _sample(step, v, g, rate, mon_var, mon_every, mon_ptr, mon_idx, mon_out, mon_pos):
    """State monitors: write the sampled neurons' values where ``step % every == 0``
    (variable code 0: v, 1..4: channel state, 5: Poisson rate; ``g`` is flat)."""
    n = v.shape[0]
    for m in range(mon_var.shape[0]):
        if step % mon_every[m] != 0:
            continue
        var, pos = mon_var[m], mon_pos[m]
        for k in range(mon_ptr[m], mon_ptr[m + 1]):
            i = mon_idx[k]
            if var == 0:
                mon_out[pos] = v[i]
            elif var <= L.N_CHANNELS:
                mon_out[pos] = g[(var - 1) * n + i]
            else:
                mon_out[pos] = rate[i]
            pos += 1
        mon_pos[m] = pos


@functools.cache
def make_run_chunk(cond, cond_slow, cur, poisson, given, monitors, oscillators, parallel=False):
    """The kernel for brains with the given features (flags). Each flag is a constant of
    the compiled function: numba prunes the branches of absent features before typing,
    so that a brain compiles (and caches) only the code it uses. ``parallel`` compiles
    the kernel over threads (``prange`` over the parts of the neurons: a thread updates
    its part's neurons and adds the synaptic input into them)."""
    jit = kernel_parallel if parallel else kernel

    @jit
    def run_chunk(step0, n_steps, n_slots, dt_ms, pop_lo, fpar, ipar, pop_key,
                  blk_pop, blk_lo, blk_hi, part_ptr, part_blocks, blk_n,
                  v, g, ref, rate, indptr, syn, weight, shift, mask,
                  inbox, act, n_act, act_max_new, pending, pend_until,
                  cur_in, cur_tmul, cur_off, spk_in, spk_tmul, spk_off,
                  counts, step_counts, rec_step, rec_idx, n_rec, rec_max_per_step,
                  osc_freq, osc_phase, mod_osc, mod_depth, mod_thr,
                  mon_var, mon_every, mon_ptr, mon_idx, mon_out, mon_pos, spikes,
                  no_ring):  # fmt: skip
        """Advance ``n_steps`` steps from ``step0``. Returns (steps done, spikes recorded,
        spikes in flight).

        Stops early, at a step boundary, when the spike record buffers or the list of
        spikes in flight could overflow; the caller grows them and calls again (a run is
        the same whatever its chunking).
        Spikes in flight: ``act[:, q]`` = (neuron, step fired, then for each part of its
        row: next synapse, end, step that synapse arrives or -1 when all have; see
        ``_join``, ``_deliver``) (one row per field, so that each thread's fields are its
        own cache lines) for ``n_act`` spikes in firing order (``act_max_new``: the most a
        step can add); spikes whose rows have all arrived are dropped every 16 steps.
        ``indptr`` points at the parts of the rows; a thread owns a part of the neurons:
        it updates them and adds their input.
        Rows are ordered by delay, so that what arrives at step t is, for each spike, the
        run of synapses whose delay is t minus its firing step: at the end of each step,
        those runs are added into ``inbox`` (the next step's input, ``float32[C * N]``,
        which the neurons clear as they read it). Each target so receives its inputs in
        the order a ring buffer of D slots would (by firing step, then spike, then
        synapse), but the writes go to C * N floats instead of D * C * N: for the
        cortical microcircuit, 0.6 MB instead of 37 MB, in cache.
        ``pending[D, C * N]`` (or no rows): input restored from a checkpoint, added into the
        inbox slot by slot until step ``pend_until``.
        Neurons are updated in blocks (``blk_*``: population, first and end neuron, in
        neuron order; those of part p are ``part_blocks[part_ptr[p]:part_ptr[p + 1]]``),
        each independent of the others; block b lists its spikes in ``spikes[blk_lo[b]:]``
        and their number in ``blk_n[b]``, and the propagation then walks the blocks in
        neuron order: the same order, so the same sums, whatever the threads. A block is
        searched for spikes only when its update counted a neuron above threshold.
        ``g`` is the channel state ``float32[4 * N]`` (channel-major);
        ``syn = delay << shift | target`` with ``target = channel * N + post``
        (``mask`` keeps the target bits). ``g`` is passed flat: 1-D slices
        compile faster than 2-D ones. ``cur_in``/``spk_in`` hold external
        currents (pA) / given spikes, one row per step (``*_tmul = 1``) or one row for all
        steps (``*_tmul = 0``); a population without input has ``*_off = -1``.
        ``step_counts[s, p]``: spikes of population p in step s of this call. A population
        with ``mod_osc[p] >= 0`` follows that oscillator: its drive (bias and external
        current, or Poisson rate) is scaled by ``1 + mod_depth cos(phase)`` and its
        threshold lowered by ``mod_thr cos(phase)`` (mV).
        """
        # ``parallel`` must be a closure variable: numba's disk cache tells closures apart
        # by their closure variables only, and would otherwise hand the serial kernel to a
        # parallel build (or the other way round) as the same function
        assert parallel == parallel
        n = v.shape[0]
        n_ch = inbox.shape[0] // n
        parts = part_ptr.shape[0] - 1
        p_scale = np.float32(dt_ms) * _MS_TO_S
        # each channel's state and input as whole arrays; ``no_ring`` (zeros, float32[N])
        # stands in for the input of a channel no projection targets (arrivals "clear" it,
        # which keeps it zero), and for an absent external current (then never read)
        g0, g1, g2, g3 = g[:n], g[n : 2 * n], g[2 * n : 3 * n], g[3 * n :]
        r0 = inbox[:n]
        r1 = inbox[n : 2 * n] if n_ch > 1 else no_ring
        r2 = inbox[2 * n : 3 * n] if n_ch > 2 else no_ring
        r3 = inbox[3 * n :] if n_ch > 3 else no_ring
        cap = rec_step.shape[0]
        n_new = n_act  # spikes in flight from n_new on: new this step (``_join``)
        for s in range(n_steps):
            if n_rec + rec_max_per_step > cap or n_act + act_max_new > act.shape[1]:
                return s, n_rec, n_act
            step = step0 + s
            if monitors:
                _sample(step, v, g, rate, mon_var, mon_every, mon_ptr, mon_idx, mon_out,
                        mon_pos)  # fmt: skip
            for part in prange(parts):
                for k in range(part_ptr[part], part_ptr[part + 1]):
                    b = part_blocks[k]
                    p, lo, hi = blk_pop[b], blk_lo[b], blk_hi[b]
                    kind, f, off = ipar[p, L.I_KIND], fpar[p], lo - pop_lo[p]
                    drive, dv_th = _F1, _F0
                    if oscillators and mod_osc[p] >= 0:
                        c = oscillation(osc_freq[mod_osc[p]], osc_phase[mod_osc[p]], step,
                                        dt_ms)  # fmt: skip
                        drive = np.float32(1.0 + mod_depth[p] * c)
                        dv_th = np.float32(-mod_thr[p] * c)
                    m = lo
                    if kind == L.COND_LIF or kind == L.CUR_LIF:
                        ext = cur_off[p] >= 0
                        if ext:
                            c0 = cur_off[p] + off
                            i_ext = cur_in[s * cur_tmul[p], c0 : c0 + hi - lo]
                        else:
                            i_ext = no_ring
                        # 1. input arriving now, integration
                        vth = f[L.F_VTH] + dv_th
                        above = _I0
                        if kind == L.COND_LIF:
                            if cond_slow:
                                if ipar[p, L.I_SLOW]:
                                    above = _cond_lif_slow(f, drive, vth, lo, hi, v, g0, g1, g2,
                                                           g3, r0, r1, r2, r3, ref, i_ext,
                                                           ext)  # fmt: skip
                                else:
                                    above = _cond_lif(f, drive, vth, lo, hi, v, g0, g1, r0, r1,
                                                      ref, i_ext, ext)  # fmt: skip
                            elif cond:
                                above = _cond_lif(f, drive, vth, lo, hi, v, g0, g1, r0, r1, ref,
                                                  i_ext, ext)  # fmt: skip
                        elif cur:
                            above = _cur_lif(f, drive, vth, lo, hi, v, g0, g1, r0, r1, ref,
                                             i_ext, ext)  # fmt: skip
                        # 2. threshold, reset, refractoriness (where some neuron is above)
                        if above:
                            m = _threshold(vth, f[L.F_VRESET], ipar[p, L.I_REF_STEPS], lo, hi,
                                           v, ref, spikes, lo)  # fmt: skip
                    elif poisson and kind == L.POISSON:
                        m = _poisson(pop_key[p], step, p_scale * drive, lo, off, rate[lo:hi],
                                     spikes, lo)  # fmt: skip
                    elif given and spk_off[p] >= 0:
                        c0 = spk_off[p] + off
                        m = _given(lo, spk_in[s * spk_tmul[p], c0 : c0 + hi - lo], spikes, lo)
                    blk_n[b] = m - lo
            # counts, records, the new spikes in flight, block by block in order
            for b in range(blk_pop.shape[0]):
                p, lo, m = blk_pop[b], blk_lo[b], blk_n[b]
                counts[p] += m
                step_counts[s, p] += m
                if ipar[p, L.I_RECORD]:
                    for k in range(lo, lo + m):
                        rec_step[n_rec] = step
                        rec_idx[n_rec] = spikes[k]
                        n_rec += 1
                for k in range(lo, lo + m):
                    r = spikes[k]
                    if indptr[r * parts] < indptr[(r + 1) * parts]:  # a row to deliver
                        act[0, n_act], act[1, n_act] = r, step
                        n_act += 1
            # 3. propagation: what arrives at the next step, into the inbox (a thread per
            # part of the targets: each writes its own neurons' inputs)
            if pending.shape[0] > 0 and step + 1 < pend_until:
                inbox += pending[(step + 1) % n_slots]
                pending[(step + 1) % n_slots] = _F0
            for part in prange(parts):
                _join(part, parts, act, n_new, n_act, indptr, syn, shift)
                _deliver(step + 1, part, parts, act, n_act, syn, weight, shift, mask, inbox)
            n_new = n_act
            if step % 16 == 0:  # (delivered spikes cost one read per step until dropped)
                n_act = n_new = _drop_delivered(act, n_act, parts)
        return n_steps, n_rec, n_act

    return run_chunk


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
def _drop_delivered(act, n_act, parts):
    """Drop the spikes whose synapses have all arrived, keeping the others in firing
    order; returns how many are left."""
    kept = 0
    for q in range(n_act):
        for part in range(parts):
            if act[2 + 2 * parts + part, q] >= 0:
                for f in range(act.shape[0]):
                    act[f, kept] = act[f, q]
                kept += 1
                break
    return kept


@njit(cache=True, nogil=True)
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


@functools.cache
def make_run_batch(features):
    """The kernel for a batch of B copies of a brain: an outer ``prange`` over the copies
    around the single-copy kernel (``make_run_chunk(*features)``, compiled serial), so that
    the threads share the copies; the copies are independent (own state, ring, inputs,
    counts, records and scratch; the connectivity shared), so they need no synchronisation.
    Copy ``c`` advances ``n_steps - done[c]`` steps from ``step0 + done[c]``, its rows of the
    chunk's inputs and per-step counts starting at ``done[c]``; it stops early, as the
    single-copy kernel does, when its record buffer or its list of spikes in flight could
    overflow. ``done`` and ``n_rec``
    (spikes recorded, per copy) are updated in place.

    The single-copy kernel is reached as the global ``_chunk`` of a globals dict of its own,
    not as a closure variable: numba keys its disk cache on the pickled closure variables,
    and a pickled dispatcher differs from process to process (the cache would never hit);
    the feature flags, the one closure variable, tell the cached kernels apart."""
    features = tuple(bool(f) for f in features)

    def run_batch(step0, n_steps, done, n_slots, dt_ms, pop_lo, fpar, ipar, pop_key,
                  blk_pop, blk_lo, blk_hi, part_ptr, part_blocks, blk_n,
                  v, g, ref, rate, indptr, syn, weight, shift, mask,
                  inbox, act, n_act, act_max_new, pending, pend_until,
                  cur_in, cur_tmul, cur_off, cur_vary, spk_in, spk_tmul, spk_off, spk_vary,
                  counts, step_counts, rec_step, rec_idx, n_rec, rec_max_per_step,
                  osc_freq, osc_phase, mod_osc, mod_depth, mod_thr,
                  mon_var, mon_every, mon_ptr, mon_idx, mon_out, mon_pos, spikes,
                  no_ring):  # fmt: skip
        """Per-copy arrays have a leading copy axis: ``pop_key`` [B, P], ``blk_n``,
        ``v``, ``g`` (flat per copy), ``ref``, ``rate``, ``inbox``, ``act``, ``n_act``
        (updated in place), ``pending``,
        ``cur_in``/``spk_in`` [B, rows, width] (``*_vary``: 1 when one row per step),
        ``counts`` [B, P], ``step_counts`` [B, n_steps, P], ``rec_*`` [B, capacity],
        ``mon_out`` [B, size], ``mon_pos`` [B, monitors], ``spikes`` [B, N]."""
        assert len(features) == 7  # the flags: a closure variable, for the cache key
        for c in prange(v.shape[0]):
            d = done[c]
            if d >= n_steps:
                continue
            steps, nr, na = _chunk(  # noqa: F821 (a global of run_batch's own, see above)
                step0 + d, n_steps - d, n_slots, dt_ms, pop_lo, fpar, ipar, pop_key[c],
                blk_pop, blk_lo, blk_hi, part_ptr, part_blocks, blk_n[c],
                v[c], g[c], ref[c], rate[c],
                indptr, syn, weight, shift, mask, inbox[c], act[c], n_act[c], act_max_new,
                pending[c], pend_until,
                cur_in[c, d * cur_vary :], cur_tmul, cur_off,
                spk_in[c, d * spk_vary :], spk_tmul, spk_off,
                counts[c], step_counts[c, d:], rec_step[c], rec_idx[c], n_rec[c],
                rec_max_per_step, osc_freq, osc_phase, mod_osc, mod_depth, mod_thr,
                mon_var, mon_every, mon_ptr, mon_idx, mon_out[c], mon_pos[c], spikes[c],
                no_ring,
            )  # fmt: skip
            n_rec[c], n_act[c] = nr, na
            done[c] = d + steps

    glob = dict(run_batch.__globals__, _chunk=make_run_chunk(*features))
    py = types.FunctionType(run_batch.__code__, glob, run_batch.__name__,
                            run_batch.__defaults__, run_batch.__closure__)  # fmt: skip
    py.__qualname__, py.__doc__ = run_batch.__qualname__, run_batch.__doc__
    return kernel_parallel(py)
