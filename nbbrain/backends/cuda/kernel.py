"""The CUDA kernel: advance a whole brain by many steps in one launch.

The step is the CPU kernel's (``backends/cpu/kernel.py``), computed by the same model
functions (the generated loops of ``backends/codegen.py``, here one thread per neuron) and
the same counter-based random numbers, under the same names: ``_poisson``, ``_given``,
``_trains``, ``_poisson_input``, ``_noise``, ``_sample``, ``_deliver``. Thread ``tid`` of
``nth`` owns the neurons ``i`` with ``i % nth == tid``, in every phase, so that a neuron's
inputs, noise and update need no barrier between them.

One launch runs a persistent kernel that loops over the steps of a chunk. Its threads
split each step into two phases, separated by barriers:
  A. (each thread over its neurons) Poisson inputs and noise currents; integration, the
     input arriving now (ring slot ``step % D``, cleared), threshold, reset,
     refractoriness; Poisson, given and timed spikes. A spike is appended to the step's
     spike list (an atomic counter), counted for its population and, if monitored,
     recorded;
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
Batches: the per-copy arrays have a leading copy axis; on the block path block ``c`` of B
runs copy ``c`` (the copies are independent); the grid path runs one copy (B = 1).
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

import numpy as np
from numba import cuda
from numba.extending import register_jitable

from ... import config
from ...assemble.neurons import U_GIVEN, U_NEURONS, U_POISSON
from ...jit import bind
from ...rhythms import oscillation
from ...rng import normal, poisson_count, poisson_table, stream32, uniform32, word32
from ..cpu.plastic import NO_RULES, copy_state
from .plastic import make_plastic_step

_F0 = np.float32(0.0)
_MS_TO_S = np.float32(1e-3)
_WARP = 32

# Device functions come in two kinds. Those that use ``cuda`` (atomics, barriers) are
# ``cuda.jit(device=True)``; the others, like the models' functions, are
# ``register_jitable``: compiled as device functions all the same, but plain Python calls
# under the simulator, which would otherwise wrap every call in its fake-``cuda`` module
# swap (4x slower).
device = cuda.jit(device=True)


@register_jitable
def _first(lo, tid, nth):
    """The first neuron from ``lo`` on that thread ``tid`` of ``nth`` owns (``i % nth ==
    tid``)."""
    return lo + (tid - lo) % nth


@register_jitable
def _poisson(key, step, p_scale, j, rate):
    """Whether Poisson neuron ``j`` (index in its population) spikes now: with probability
    ``rate_hz * dt``, drawn from (key, step, j), as on the CPU."""
    return uniform32(key, step, j) < rate * p_scale


@register_jitable
def _poisson_input(idx, step, key, m, thr, guide):
    """The Poisson count of input spikes of the neuron that is number ``idx`` among the
    input's targets (``m`` table draws), as on the CPU."""
    k = 0
    for d in range(m):
        lo, hi = stream32(key, step, d)
        k += poisson_count(np.uint64(word32(lo, hi, idx)), thr, guide)
    return k


@register_jitable
def _noise(x, idx, step, key, mean, dec, amp):
    """One exact Ornstein-Uhlenbeck step of a noise current ``x``, as on the CPU."""
    return np.float32(mean + (np.float64(x) - mean) * dec + amp * normal(key, step, idx))


@register_jitable
def _sample(step, tid, nth, n, st, noise, mon_var, mon_every, mon_ptr, mon_idx, mon_out,
            mon_start, mon_step0):  # fmt: skip
    """State monitors: this thread's share of the sampled neurons' values where
    ``step % every == 0`` (code r >= 0: row r of the state; -1: the noise current). Sample
    ``j`` of monitor ``m`` lies at ``mon_start[m] + j * size``; the first is the first
    multiple of ``every`` from ``mon_step0`` (the chunk's first step), as in
    ``StateRecorder.pack``. Writing a sample twice writes the same values."""
    for m in range(mon_var.shape[0]):
        every = mon_every[m]
        if step % every != 0:
            continue
        a, b = mon_ptr[m], mon_ptr[m + 1]
        first = (mon_step0 + every - 1) // every * every
        pos = mon_start[m] + (step - first) // every * (b - a) - a
        code = mon_var[m]
        for k in range(a + tid, b, nth):
            i = mon_idx[k]
            mon_out[pos + k] = st[code * n + i] if code >= 0 else noise[i]


@register_jitable
def _refresh_poisson_tables(step, net, thr, guide, now):
    """The tables of inputs whose rate follows a TimedArray, for ``step`` (as on the CPU)."""
    for q in range(net.pin_rlen.shape[0]):
        if net.pin_rlen[q] > 1:
            r = min(max(step - net.pin_delay[q], 0) // net.pin_rdiv[q], net.pin_rlen[q] - 1)
            if r != now[q]:
                poisson_table(net.pin_lam[net.pin_roff[q] + r], thr[q], guide[q])
                now[q] = r


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
def _emit(i, step, s_row, p, record, spikes, ctr, par, rec_step, rec_idx):
    """List a spike of neuron ``i`` (population ``p``): the step's spike list, its count,
    and the records where its population is recorded."""
    spikes[cuda.atomic.add(ctr, par, 1)] = i
    cuda.atomic.add(s_row, p, 1)
    if record:
        r = cuda.atomic.add(ctr, 2, 1)
        rec_step[r] = step
        rec_idx[r] = i


@device
def _sync_grid():
    """Barrier over the whole cooperative grid (it also orders the memory accesses)."""
    cuda.cg.this_grid().sync()


_KERNELS: dict = {}


def make_run_chunk(gen, features, grid_sync=False, rules=NO_RULES):
    """The kernel for the generated loops ``gen`` and the brain's ``features`` (the CPU
    kernel's flags, same order): numba prunes the branches of absent features before
    typing. ``grid_sync`` selects the barrier: a cooperative grid's (any number of blocks)
    or a block's (one block per copy). ``rules``: the plastic phase's flags
    (``cpu.plastic.rule_flags``)."""
    key = (gen.key, tuple(bool(f) for f in features), bool(grid_sync),
           tuple(bool(r) for r in rules))  # fmt: skip
    if key in _KERNELS:
        return _KERNELS[key]
    # (``copy_params`` is not read: the state holds each copy's constant tables, whether
    # they differ or not)
    (neurons, poisson, given, trains, timed_rates, poisson_inputs, timed_inputs, noise,
     monitors, oscillators, plastic, _copy_params, copy_weights) = key[1]  # fmt: skip

    def run_chunk(step0, n_chunk, done, net, sb, cb, pln, psb, plens):
        """Advance copy ``c`` (the block on the block path; 0 on the grid path) by
        ``n_steps = n_chunk - done[c]`` steps from ``step0 + done[c]``; the steps are rows
        ``s_off + s`` (``s_off = done[c]``) of this chunk's inputs (``cur_vary``/
        ``spk_vary`` 1 for one row per step, 0 for one row for all steps) and of
        ``step_counts``. The ``sb`` (state) and ``cb`` (chunk) arrays have a leading copy
        axis.

        ``ctr`` (int64[4] per copy) is the kernel's own bookkeeping: [0], [1] the lengths of
        the spike lists of even and odd steps (one is cleared while the other is read),
        [2] the spikes recorded, [3] the steps done, which is less than ``n_steps`` when
        the record buffers could overflow: then the kernel stops at a step boundary, the
        host grows the buffers and launches again (a run is the same whatever its
        chunking). All threads take that decision from the same value, read in phase B,
        so that none waits at a barrier that the others have left.

        Plastic brains (``pln``, ``psb``: the PlasticNet bundle and the PlasticState one,
        per copy; ``None`` without plasticity) add phase C after another barrier: thread 0
        runs the copy's plastic phase (``plastic.py``). ``plens[c]`` holds the lengths of
        the copy's lists of plastic events; where the next step's events might not fit,
        every thread stops before it (the host grows the lists).
        """
        if grid_sync:
            c, tid, nth = 0, cuda.grid(1), cuda.gridsize(1)
        else:
            c, tid, nth = cuda.blockIdx.x, cuda.threadIdx.x, cuda.blockDim.x
        s_off = done[c]
        n_steps = n_chunk - s_off
        step0 = step0 + s_off
        st, ref, nz, ring = sb.st[c], sb.ref[c], sb.noise[c], sb.ring[c]
        spikes, fired, ctr = sb.spikes[c], sb.fired[c], sb.ctr[c]
        pop_key, pin_key, nz_key = sb.pop_key[c], sb.pin_key[c], sb.nz_key[c]
        pin_thr, pin_guide, pin_row, tr_cur = sb.pin_thr[c], sb.pin_guide[c], sb.pin_row[c], \
            sb.tr_cur[c]  # fmt: skip
        cur_in, spk_in = cb.cur_in[c], cb.spk_in[c]
        cpar, pn = sb.cpar[c], sb.pn[c]
        weight = sb.weight[c] if copy_weights else net.weight
        step_counts, rec_step, rec_idx = cb.step_counts[c], cb.rec_step[c], cb.rec_idx[c]
        mon_out = cb.mon_out[c]
        if plastic:
            ps = copy_state(psb, c)
            lens, mod_in = plens[c], cb.mod_in[c]
        n = net.n
        n_pop = net.pop_lo.shape[0]
        stride = ring.shape[0] // net.n_slots  # channels * N: one slot
        p_scale = np.float32(net.dt_ms) * _MS_TO_S
        cap = rec_step.shape[0]
        if tid == 0:
            ctr[0], ctr[1], ctr[2], ctr[3] = 0, 0, 0, n_steps
        for k in range(tid, n_steps * n_pop, nth):
            step_counts[s_off + k // n_pop, k % n_pop] = 0
        if monitors and n_steps > 0:
            _sample(step0, tid, nth, n, st, nz, cb.mon_var, cb.mon_every, cb.mon_ptr,
                    cb.mon_idx, mon_out, cb.mon_start, cb.mon_step0)  # fmt: skip
        if timed_inputs and tid == 0 and n_steps > 0:
            _refresh_poisson_tables(step0, net, pin_thr, pin_guide, pin_row)
        if grid_sync:
            _sync_grid()
        else:
            cuda.syncthreads()
        for s in range(n_steps):
            step = step0 + s
            slot = step % net.n_slots
            base = slot * stride
            par = s % 2
            row_s = s_off + s
            if plastic and (lens[0] + pln.pl_max_new > ps.pact.shape[1]
                            or lens[1] + pln.post_max_new > ps.ppost.shape[1]):  # fmt: skip
                if tid == 0:
                    ctr[3] = s
                return
            if tid == 0:
                ctr[1 - par] = 0  # the next step's list: its last reader was phase B of s - 1
            # ---- phase A: inputs, neurons, sources -------------------------------------
            if poisson_inputs:
                for e in range(net.pin_q.shape[0]):
                    q = net.pin_q[e]
                    if step < net.pin_delay[q]:
                        continue
                    thr, guide = pin_thr[q], pin_guide[q]
                    lo, hi = net.pin_lo[e], net.pin_hi[e]
                    ch = net.pin_chan[q] * n
                    for i in range(_first(lo, tid, nth), hi, nth):
                        idx = net.pin_off[e] + i - lo
                        k = _poisson_input(idx, step, pin_key[q], net.pin_m[q], thr, guide)
                        if k > 0:
                            wo = net.pin_woff[q]
                            w = net.pin_w[q] if wo < 0 else net.pin_wpn[wo + idx]
                            ring[base + ch + i] += np.float32(k) * w
            if noise:
                for e in range(net.nz_q.shape[0]):
                    q = net.nz_q[e]
                    lo, hi = net.nz_lo[e], net.nz_hi[e]
                    for i in range(_first(lo, tid, nth), hi, nth):
                        nz[i] = _noise(nz[i], net.nz_off[e] + i - lo, step, nz_key[q],
                                       net.nz_mean[q], net.nz_decay[q], net.nz_amp[q])  # fmt: skip
            cur_row = cur_in[row_s * cb.cur_vary]
            s_row = step_counts[row_s]
            for u in range(net.u_kind.shape[0]):
                kind, ref_u, lo, hi = net.u_kind[u], net.u_ref[u], net.u_lo[u], net.u_hi[u]
                drive, dv_th = np.float32(1.0), _F0
                o = net.u_osc[u]
                if oscillators and o >= 0:
                    cs = oscillation(net.osc_freq[o], net.osc_phase[o], step, net.dt_ms)
                    # float64 products, as in the CPU kernel (and in the simulator, where
                    # a plain float32 * float would stay float32)
                    drive = np.float32(1.0 + np.float64(net.u_depth[u]) * cs)
                    dv_th = np.float32(-np.float64(net.u_thr[u]) * cs)
                first = _first(lo, tid, nth)
                if neurons and kind == U_NEURONS:
                    group_group(net.grp_slot[ref_u], ref_u, first, hi, nth, drive, dv_th, n,  # noqa: F821
                                cpar, pn, net.pn_off, lo, st, ref, ring, base,
                                cur_row, cb.ext_col, nz, fired)  # fmt: skip
                    for i in range(first, hi, nth):
                        if fired[i]:
                            p = net.pop_of[i]
                            _emit(i, step, s_row, p, net.pop_rec[p] != 0, spikes, ctr, par,
                                  rec_step, rec_idx)  # fmt: skip
                elif poisson and kind == U_POISSON:
                    p = ref_u
                    for i in range(first, hi, nth):
                        rate = st[i]
                        if timed_rates and net.tm_off[p] >= 0:
                            row = min(step // net.tm_div[p], net.tm_rows[p] - 1)
                            w = net.tm_width[p]
                            rate = net.tm_values[net.tm_off[p] + row * w + (i - lo if w > 1 else 0)]
                        if _poisson(pop_key[p], step, p_scale * drive, i - lo, rate):
                            _emit(i, step, s_row, p, net.pop_rec[p] != 0, spikes, ctr, par,
                                  rec_step, rec_idx)  # fmt: skip
                elif (given or trains) and kind == U_GIVEN:
                    p = ref_u
                    col = cb.spk_off[p]
                    if given and col >= 0:
                        for i in range(first, hi, nth):
                            if spk_in[row_s * cb.spk_vary, col + i - lo] != 0:
                                _emit(i, step, s_row, p, net.pop_rec[p] != 0, spikes, ctr, par,
                                      rec_step, rec_idx)  # fmt: skip
                    if trains and tid == 0:
                        t, end = tr_cur[p], net.tr_ptr[p + 1]
                        while t < end and net.tr_step[t] == step:
                            i = net.tr_idx[t]
                            # (a neuron given a spike in this step too spikes once)
                            if not (given and col >= 0 and spk_in[row_s * cb.spk_vary,
                                                                 col + i - lo] != 0):  # fmt: skip
                                _emit(i, step, s_row, p, net.pop_rec[p] != 0, spikes, ctr,
                                      par, rec_step, rec_idx)  # fmt: skip
                            t += 1
                        tr_cur[p] = t
            if grid_sync:
                _sync_grid()
            else:
                cuda.syncthreads()
            # ---- phase B: propagation, monitors ---------------------------------------
            _deliver(tid, nth, spikes, ctr[par], net.indptr, net.syn, weight, net.shift,
                     net.mask, ring, slot, net.n_slots, stride)  # fmt: skip
            if monitors and s + 1 < n_steps:
                _sample(step + 1, tid, nth, n, st, nz, cb.mon_var, cb.mon_every, cb.mon_ptr,
                        cb.mon_idx, mon_out, cb.mon_start, cb.mon_step0)  # fmt: skip
            if timed_inputs and tid == 0 and s + 1 < n_steps:  # (read after the barrier)
                _refresh_poisson_tables(step + 1, net, pin_thr, pin_guide, pin_row)
            stop = ctr[2] + net.rec_max > cap  # the same value for every thread
            if plastic:
                # ---- phase C: plastic synapses (after the atomics of B) ------------------
                if grid_sync:
                    _sync_grid()
                else:
                    cuda.syncthreads()
                if tid == 0:
                    nxt = (slot + 1) % net.n_slots * stride
                    plastic_step(step, spikes, ctr[par], s_row, mod_in[row_s * cb.mod_vary],  # noqa: F821
                                 net.dt_ms, pln, ps, lens, ring[nxt : nxt + stride])  # fmt: skip
            if grid_sync:
                _sync_grid()
            else:
                cuda.syncthreads()
            if stop and s + 1 < n_steps:
                if tid == 0:
                    ctr[3] = s + 1
                return

    glob = dict(run_chunk.__globals__, group_group=gen.namespace["group_group"],
                plastic_step=make_plastic_step(rules) if plastic else None)  # fmt: skip
    compiled = cuda.jit(cache=bool(config.get("CUDA_CACHE")))(bind(run_chunk, glob))
    _KERNELS[key] = compiled
    return compiled
