"""The blocks of neurons the CPU threads update: each lies in one group (or one source
population), one balance unit and one thread part, holds at most ``config.BLOCK_NEURONS``
neurons (the kernel looks for spikes only in blocks where some neuron crossed its
threshold), and does not straddle the edge of a population that gets injected current or
given spikes in this run (a block reads one column range of the run's inputs). Blocks are
in neuron order, so that each step's spikes are listed in neuron order whatever the
threads."""

from __future__ import annotations

import numpy as np

from ... import config
from ...assemble.neurons import U_GIVEN, U_NEURONS
from ..base import FEATURES
from .bundles import BLOCKS_OPTIONAL, Blocks, bundle


def _cuts(lo, hi, part_of, unit_lo, edges):
    """Sorted cut points in ``[lo, hi]``: the range's ends, thread part changes, balance
    unit starts and ``edges``, then at most ``BLOCK_NEURONS`` apart."""
    cuts = {lo, hi}
    cuts.update((np.flatnonzero(np.diff(part_of[lo:hi])) + 1 + lo).tolist())
    cuts.update(int(u) for u in unit_lo if lo < u < hi)
    cuts.update(int(e) for e in edges if lo < e < hi)
    cuts = sorted(cuts)
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        out += list(range(a, b, config.get("BLOCK_NEURONS")))
    return out + [hi]


def _segments(lo, hi, seg_lo, seg_hi):
    return np.flatnonzero((seg_lo < hi) & (seg_hi > lo))


def make_blocks(net, cur_off, spk_off, features) -> Blocks:
    """The blocks for a run whose inputs sit at columns ``cur_off[p]`` (injected current)
    and ``spk_off[p]`` (given spikes) of the chunk's input arrays (-1: none)."""
    rows = []  # (kind, unit, lo, hi, pop, slot, rhythm, timed)
    edges = [e for p in np.flatnonzero(cur_off >= 0) for e in (net.lo[p], net.hi[p])]
    for gi, g in enumerate(net.groups):
        cuts = _cuts(g.lo, g.hi, net.part_of, net.unit_lo, edges)
        for a, b in zip(cuts[:-1], cuts[1:]):
            pa, pb = net.pop_of[a], net.pop_of[b - 1]
            rows.append((U_NEURONS, gi, a, b, int(pa) if pa == pb else -1, g.slot, g.rhythm, 0))
    for p, kind in enumerate(net.kinds):
        if kind == U_NEURONS:
            continue
        lo, hi = int(net.lo[p]), int(net.hi[p])
        timed = int(kind == U_GIVEN and net.trains.ptr[p + 1] > net.trains.ptr[p])
        if timed:  # one block: the train's cursor is the population's
            cuts = [lo, hi]
        else:
            cuts = _cuts(lo, hi, net.part_of, net.unit_lo, [])
        for a, b in zip(cuts[:-1], cuts[1:]):
            rows.append((int(kind), p, a, b, p, -1, net.pop_rhythm[p], timed))
    rows.sort(key=lambda r: r[2])
    i64 = np.int64
    kind, unit, lo, hi, pop, slot = (np.array([r[k] for r in rows], i64) for k in range(6))
    osc = np.array([r[6][0] for r in rows], i64)
    depth = np.array([r[6][1] for r in rows], np.float32)
    thr = np.array([r[6][2] for r in rows], np.float32)
    timed = np.array([r[7] for r in rows], i64)
    cur = np.full(lo.size, -1, i64)
    spk = np.full(lo.size, -1, i64)
    for b in range(lo.size):
        p = net.pop_of[lo[b]]
        if cur_off[p] >= 0:  # (blocks are cut at the edges of such populations)
            cur[b] = cur_off[p] + lo[b] - net.lo[p]
        if spk_off[p] >= 0:
            spk[b] = spk_off[p] + lo[b] - net.lo[p]
    pin = [_segments(lo[b], hi[b], net.poisson.seg.lo, net.poisson.seg.hi) for b in range(lo.size)]
    nz = [_segments(lo[b], hi[b], net.noise_inputs.seg.lo, net.noise_inputs.seg.hi)
          for b in range(lo.size)]  # fmt: skip
    part = net.part_of[lo] if lo.size else np.zeros(0, np.uint8)
    part_blocks = np.argsort(part, kind="stable").astype(i64)
    part_ptr = np.searchsorted(part[part_blocks], np.arange(net.n_parts + 1)).astype(i64)
    pin_ptr, pin_seg = _flat(pin)
    nz_ptr, nz_seg = _flat(nz)
    return bundle(Blocks, BLOCKS_OPTIONAL, dict(zip(FEATURES, features)), kind=kind,
                  unit=unit, lo=lo, hi=hi, pop=pop, slot=slot, cur=cur, spk=spk,
                  part_ptr=part_ptr, part_blocks=part_blocks, osc=osc, depth=depth, thr=thr,
                  pin_ptr=pin_ptr, pin_seg=pin_seg, nz_ptr=nz_ptr, nz_seg=nz_seg,
                  timed=timed)  # fmt: skip


def _flat(lists):
    ptr = np.zeros(len(lists) + 1, np.int64)
    np.cumsum([len(x) for x in lists], out=ptr[1:])
    data = np.concatenate(lists).astype(np.int64) if lists else np.zeros(0, np.int64)
    return ptr, data
