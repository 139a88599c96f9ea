"""The CUDA kernel: advance a whole brain by many steps in one launch.

The step is the CPU kernel's (``kernels/cpu/run.py``), computed by the same functions
(``kernels/equations.py`` and ``kernels/rng.py``, called here as device functions) under
the same names: ``_cond_lif``, ``_cond_lif_slow``, ``_cur_lif``, ``_threshold``,
``_poisson``, ``_given``, ``_sample``, ``_deliver``. Where a CPU function loops over a
population, its CUDA twin handles one neuron (or, for ``_sample`` and ``_deliver``, one
thread's share of the work).

One launch runs a persistent kernel that loops over the steps of a chunk. Its threads
split each step into two phases, separated by barriers:
  A. (each thread over its neurons) input arriving now (ring slot ``step % D``, cleared),
     integration, threshold, reset, refractoriness; Poisson and given spikes. A spike is
     appended to the step's spike list (an atomic counter), counted for its population
     and, if monitored, recorded;
  B. (a group of 32 threads per spike, one thread per synapse) the spike's weights are
     added with atomics into ring slot ``(step + delay) % D`` of their targets
     (``target = channel * N + post``); state monitors sample the state that the next step
     starts from.
A barrier separates A from B (B reads the spike list) and B from the next A (which reads
the ring slot that B may have filled with delay-1 input). The barrier is one of two:
  - block path (small brains): one thread block, ``cuda.syncthreads()``: the cheapest, and
    it runs under the CUDA simulator;
  - grid path (large brains): a cooperative grid of as many blocks as the GPU holds at
    once, ``cuda.cg.this_grid().sync()`` (the simulator runs it only with one block).
Batches (B copies of the brain, DESIGN.md section 2): the per-copy arrays have a leading
copy axis; on the block path block ``c`` of B runs copy ``c`` (the blocks never wait for
each other: the copies are independent); the grid path runs one copy (B = 1).
Everything the kernel reads and writes is on the device; the host copies the inputs of a
chunk in before a launch, and the counts, records and samples out after it.

Where the results can differ from the CPU kernel's, in the last bit of a float32:
  - atomics add the weights of a step's spikes into a ring slot in whatever order the
    threads get there, and float addition is not associative: the sum can differ from the
    CPU's (which adds in spike order), and from one GPU run to the next;
  - NVVM fuses ``a * b + c`` into FMAs, as the CPU kernel allows (fastmath "contract"), but
    not necessarily the same ones as LLVM does on the CPU (the CUDA simulator, plain numpy,
    fuses none);
  - ``oscillation`` uses the GPU's float64 ``cos`` (libdevice), not the C library's.
A spike differs only where such a last bit decides a threshold crossing; in a chaotic
network the difference then spreads, as any perturbation does.
"""

import functools
import os

import numpy as np
from numba import cuda
from numba.extending import register_jitable

from .. import layout as L
from ..equations import cond_lif_v, cur_lif_v, decay, mg_block, oscillation
from ..rng import uniform32

_F0 = np.float32(0.0)
_MS_TO_S = np.float32(1e-3)
_WARP = 32
# Compiled kernels cached on disk (as the CPU's are) only on request: numba-cuda supports
# it, cooperative kernels included, but it is not yet checked on a GPU here.
_CACHE = os.environ.get("NBBRAIN_CUDA_CACHE", "0") == "1"

# Device functions come in two kinds. Those that use ``cuda`` (atomics, barriers) are
# ``cuda.jit(device=True)``; the others, like the equations, are ``register_jitable``:
# compiled as device functions all the same, but plain Python calls under the simulator,
# which would otherwise wrap every call in its fake-``cuda`` module swap (4x slower).
device = cuda.jit(device=True)


@register_jitable
def _params(fpar, p):
    """Population ``p``'s row of the parameter table as a tuple: read once per population
    and step (into registers) rather than once per neuron."""
    return (fpar[p, 0], fpar[p, 1], fpar[p, 2], fpar[p, 3], fpar[p, 4], fpar[p, 5],
            fpar[p, 6], fpar[p, 7], fpar[p, 8], fpar[p, 9], fpar[p, 10], fpar[p, 11],
            fpar[p, 12], fpar[p, 13], fpar[p, 14], fpar[p, 15], fpar[p, 16], fpar[p, 17],
            fpar[p, 18])  # fmt: skip


assert L.N_FPAR == 19, "update _params"


@register_jitable
def _take(ring, k):
    """The input waiting at ring index ``k``, which is cleared for its next use."""
    x = ring[k]
    ring[k] = _F0
    return x


@register_jitable
def _cond_lif(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext):
    """Integrate conductance LIF neuron ``i`` with AMPA and GABA_A input over one step: add
    the input arriving now (ring slot at ``base``), integrate, decay. ``g`` is the channel
    state, flat and channel-major; a channel no projection targets (``>= n_ch``) gets none."""
    gl, el, ib, dt_cm = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DT_CM]
    ea, eg, da, dg = f[L.F_E0], f[L.F_E0 + 1], f[L.F_DEC0], f[L.F_DEC0 + 1]
    vi = v[i]
    a = g[i] + _take(ring, base + i)
    b = g[n + i] + (_take(ring, base + n + i) if n_ch > 1 else _F0)
    i_in = (ib + i_ext) * drive
    vn = cond_lif_v(vi, a, b, _F0, _F0, i_in, gl, el, ea, eg, _F0, _F0, dt_cm)
    r = ref[i]
    v[i] = vi if r > 0 else vn
    ref[i] = r - 1 if r > 0 else 0
    g[i] = decay(a, da)
    g[n + i] = decay(b, dg)


@register_jitable
def _cond_lif_slow(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext):
    """As ``_cond_lif``, with the NMDA (magnesium-blocked) and GABA_B channels too."""
    gl, el, ib, dt_cm = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DT_CM]
    ea, eg, en, eb = f[L.F_E0], f[L.F_E0 + 1], f[L.F_E0 + 2], f[L.F_E0 + 3]
    da, dg, dn, db = f[L.F_DEC0], f[L.F_DEC0 + 1], f[L.F_DEC0 + 2], f[L.F_DEC0 + 3]
    mg = f[L.F_MG]
    vi = v[i]
    a = g[i] + _take(ring, base + i)
    b = g[n + i] + (_take(ring, base + n + i) if n_ch > 1 else _F0)
    c = g[2 * n + i] + (_take(ring, base + 2 * n + i) if n_ch > 2 else _F0)
    d = g[3 * n + i] + (_take(ring, base + 3 * n + i) if n_ch > 3 else _F0)
    i_in = (ib + i_ext) * drive
    vn = cond_lif_v(vi, a, b, c * mg_block(vi, mg), d, i_in, gl, el, ea, eg, en, eb, dt_cm)
    r = ref[i]
    v[i] = vi if r > 0 else vn
    ref[i] = r - 1 if r > 0 else 0
    g[i] = decay(a, da)
    g[n + i] = decay(b, dg)
    g[2 * n + i] = decay(c, dn)
    g[3 * n + i] = decay(d, db)


@register_jitable
def _cur_lif(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext):
    """Integrate current LIF neuron ``i`` over one step (arrivals as above)."""
    gl, el, ib, dec_m = f[L.F_GL], f[L.F_EL], f[L.F_IBIAS], f[L.F_DEC_M]
    de, di, pe, pi = f[L.F_DEC0], f[L.F_DEC0 + 1], f[L.F_P21], f[L.F_P21 + 1]
    vi = v[i]
    a = g[i] + _take(ring, base + i)
    b = g[n + i] + (_take(ring, base + n + i) if n_ch > 1 else _F0)
    vn = cur_lif_v(vi, (ib + i_ext) * drive, a, b, gl, el, dec_m, pe, pi)
    r = ref[i]
    v[i] = vi if r > 0 else vn
    ref[i] = r - 1 if r > 0 else 0
    g[i] = decay(a, de)
    g[n + i] = decay(b, di)


@register_jitable
def _threshold(vth, vreset, ref_steps, i, v, ref):
    """Spike where ``v > vth`` (the threshold, shifted by any rhythm): reset, start the
    refractory count. Returns whether neuron ``i`` spiked."""
    if v[i] > vth:
        v[i] = vreset
        ref[i] = ref_steps
        return True
    return False


@register_jitable
def _poisson(key, step, p_scale, j, rate):
    """Whether Poisson neuron ``j`` (index in its population) spikes now: with probability
    ``rate_hz * dt``, drawn from (key, step, j), as on the CPU."""
    return uniform32(key, step, j) < rate * p_scale


@register_jitable
def _given(x):
    """User-given spike: nonzero means the neuron spikes now."""
    return x != 0


@register_jitable
def _sample(step, tid, nth, n, v, g, rate, mon_var, mon_every, mon_ptr, mon_idx, mon_out,
            mon_start, mon_step0):  # fmt: skip
    """State monitors: this thread's share of the sampled neurons' values where
    ``step % every == 0`` (variable code 0: v, 1..4: channel state, 5: Poisson rate).
    Sample ``j`` of monitor ``m`` lies at ``mon_start[m] + j * size``; the first is the
    first multiple of ``every`` from ``mon_step0`` (the chunk's first step), as in
    ``StateRecorder.pack``. Writing a sample twice writes the same values."""
    for m in range(mon_var.shape[0]):
        every = mon_every[m]
        if step % every != 0:
            continue
        a, b = mon_ptr[m], mon_ptr[m + 1]
        first = (mon_step0 + every - 1) // every * every
        pos = mon_start[m] + (step - first) // every * (b - a) - a
        var = mon_var[m]
        for k in range(a + tid, b, nth):
            i = mon_idx[k]
            if var == 0:
                mon_out[pos + k] = v[i]
            elif var <= L.N_CHANNELS:
                mon_out[pos + k] = g[(var - 1) * n + i]
            else:
                mon_out[pos + k] = rate[i]


@device
def _deliver(tid, nth, spikes, n_spikes, indptr, syn, weight, shift, mask, ring, slot,
             n_slots, stride):  # fmt: skip
    """This thread's share of the step's spike propagation: groups of 32 threads take the
    spikes in turn, the threads of a group the spike's synapses (consecutive, so that the
    loads coalesce). Each weight is added into the ring ``delay`` slots ahead with an
    atomic add: several spikes may reach one target in the same step (``syn = delay <<
    shift | target``, as on the CPU)."""
    width = min(_WARP, nth)
    group, lane, n_groups = tid // width, tid % width, nth // width
    if group >= n_groups:  # a last, partial group (threads per block not a multiple of 32)
        return
    for k in range(group, n_spikes, n_groups):
        pre = spikes[k]
        for j in range(indptr[pre] + lane, indptr[pre + 1], width):
            sj = syn[j]
            t = slot + np.int64(sj >> shift)
            t = t - n_slots if t >= n_slots else t
            cuda.atomic.add(ring, t * stride + np.int64(sj & mask), weight[j])


@device
def _sync_grid():
    """Barrier over the whole cooperative grid (it also orders the memory accesses)."""
    cuda.cg.this_grid().sync()


@functools.cache
def make_run_chunk(cond, cond_slow, cur, poisson, given, monitors, oscillators, grid_sync=False):
    """The kernel for brains with the given features (the CPU kernel's flags, same order):
    numba prunes the branches of absent features before typing. ``grid_sync`` selects
    the barrier: a cooperative grid's (any number of blocks) or a block's (one block)."""

    @cuda.jit(cache=_CACHE)
    def run_chunk(step0, n_chunk, done, n_slots, dt_ms, pop_lo, pop_hi, fpar, ipar, pop_keys,
                  v_b, g_b, ref_b, rate_b, indptr, syn, weight, shift, mask, ring_b,
                  cur_b, cur_tmul, cur_off, spk_b, spk_tmul, spk_off,
                  step_counts_b, rec_step_b, rec_idx_b, rec_max_per_step,
                  osc_freq, osc_phase, mod_osc, mod_depth, mod_thr,
                  mon_var, mon_every, mon_ptr, mon_idx, mon_out_b, mon_start, mon_step0,
                  spikes_b, ctr_b):  # fmt: skip
        """Advance copy ``c`` (the block on the block path; 0 on the grid path) by
        ``n_steps = n_chunk - done[c]`` steps from ``step0 + done[c]``; the steps are rows
        ``s_off + s`` (``s_off = done[c]``) of this chunk's inputs (``*_in``, as on the
        CPU: ``*_tmul`` 1 for one row per step, 0 for one row for all steps; ``*_off`` -1
        for none) and of ``step_counts``. The ``*_b`` arrays have a leading copy axis.

        ``ctr`` (int64[4] per copy) is the kernel's own bookkeeping: [0], [1] the lengths of the
        spike lists of even and odd steps (one is cleared while the other is read),
        [2] the spikes recorded, [3] the steps done, which is less than ``n_steps`` when
        the record buffers could overflow: then the kernel stops at a step boundary, the
        host grows the buffers and launches again (a run is the same whatever its
        chunking). All threads take that decision from the same value, read in phase B,
        so that none waits at a barrier that the others have left.
        """
        if grid_sync:
            c, tid, nth = 0, cuda.grid(1), cuda.gridsize(1)
        else:
            c, tid, nth = cuda.blockIdx.x, cuda.threadIdx.x, cuda.blockDim.x
        s_off = done[c]
        n_steps = n_chunk - s_off
        step0 = step0 + s_off
        v, g, ref, rate, ring = v_b[c], g_b[c], ref_b[c], rate_b[c], ring_b[c]
        cur_in, spk_in, pop_key = cur_b[c], spk_b[c], pop_keys[c]
        step_counts, rec_step, rec_idx = step_counts_b[c], rec_step_b[c], rec_idx_b[c]
        mon_out, spikes, ctr = mon_out_b[c], spikes_b[c], ctr_b[c]
        n = v.shape[0]
        n_pop = pop_lo.shape[0]
        stride = ring.shape[0] // n_slots  # channels * N: one slot
        n_ch = stride // n
        p_scale = np.float32(dt_ms) * _MS_TO_S
        cap = rec_step.shape[0]
        if tid == 0:
            ctr[0], ctr[1], ctr[2], ctr[3] = 0, 0, 0, n_steps
        for k in range(tid, n_steps * n_pop, nth):
            step_counts[s_off + k // n_pop, k % n_pop] = 0
        if monitors and n_steps > 0:
            _sample(step0, tid, nth, n, v, g, rate, mon_var, mon_every, mon_ptr, mon_idx,
                    mon_out, mon_start, mon_step0)  # fmt: skip
        if grid_sync:
            _sync_grid()
        else:
            cuda.syncthreads()
        for s in range(n_steps):
            step = step0 + s
            slot = step % n_slots
            base = slot * stride
            par = s % 2
            if tid == 0:
                ctr[1 - par] = 0  # the next step's list: its last reader was phase B of s - 1
            # ---- phase A: neurons ----------------------------------------------------
            for p in range(n_pop):
                lo, hi, kind = pop_lo[p], pop_hi[p], ipar[p, L.I_KIND]
                f = _params(fpar, p)
                drive, dv_th = np.float32(1.0), _F0
                if oscillators and mod_osc[p] >= 0:
                    c = oscillation(osc_freq[mod_osc[p]], osc_phase[mod_osc[p]], step, dt_ms)
                    # float64 products, as in the CPU kernel (and in the simulator, where
                    # a plain float32 * float would stay float32)
                    drive = np.float32(1.0 + np.float64(mod_depth[p]) * c)
                    dv_th = np.float32(-np.float64(mod_thr[p]) * c)
                record = ipar[p, L.I_RECORD] != 0
                n_fired = 0
                for i in range(lo + tid, hi, nth):
                    fired = False
                    if kind == L.COND_LIF or kind == L.CUR_LIF:
                        i_ext = _F0
                        if cur_off[p] >= 0:
                            i_ext = cur_in[(s_off + s) * cur_tmul[p], cur_off[p] + i - lo]
                        if kind == L.COND_LIF:
                            if cond_slow:
                                if ipar[p, L.I_SLOW]:
                                    _cond_lif_slow(f, drive, i, n, base, n_ch, v, g, ring, ref,
                                                   i_ext)  # fmt: skip
                                else:
                                    _cond_lif(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext)
                            elif cond:
                                _cond_lif(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext)
                        elif cur:
                            _cur_lif(f, drive, i, n, base, n_ch, v, g, ring, ref, i_ext)
                        fired = _threshold(f[L.F_VTH] + dv_th, f[L.F_VRESET],
                                           ipar[p, L.I_REF_STEPS], i, v, ref)  # fmt: skip
                    elif poisson and kind == L.POISSON:
                        fired = _poisson(pop_key[p], step, p_scale * drive, i - lo, rate[i])
                    elif given and spk_off[p] >= 0:
                        fired = _given(spk_in[(s_off + s) * spk_tmul[p], spk_off[p] + i - lo])
                    if fired:
                        n_fired += 1
                        spikes[cuda.atomic.add(ctr, par, 1)] = i
                        if record:
                            r = cuda.atomic.add(ctr, 2, 1)
                            rec_step[r] = step
                            rec_idx[r] = i
                if n_fired > 0:
                    cuda.atomic.add(step_counts, (s_off + s, p), n_fired)
            if grid_sync:
                _sync_grid()
            else:
                cuda.syncthreads()
            # ---- phase B: propagation, monitors ---------------------------------------
            _deliver(tid, nth, spikes, ctr[par], indptr, syn, weight, shift, mask, ring, slot,
                     n_slots, stride)  # fmt: skip
            if monitors and s + 1 < n_steps:
                _sample(step + 1, tid, nth, n, v, g, rate, mon_var, mon_every, mon_ptr,
                        mon_idx, mon_out, mon_start, mon_step0)  # fmt: skip
            stop = ctr[2] + rec_max_per_step > cap  # the same value for every thread
            if grid_sync:
                _sync_grid()
            else:
                cuda.syncthreads()
            if stop and s + 1 < n_steps:
                if tid == 0:
                    ctr[3] = s + 1
                return

    return run_chunk
