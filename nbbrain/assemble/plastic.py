"""The plastic projections of a brain as synapse groups, and its neuromodulators.

Each plastic projection is a group: its rule's kind, constants and modulator. All plastic
synapses share one CSR by presynaptic neuron (rows cut into thread parts by target, as the
static CSR's are), separate from the static one, so that static synapses cost what they
did. Per synapse: ``syn`` (``step << shift | target``, ``step`` the offset from the spike
at which the kernel handles its presynaptic event), the dendritic delay ``dd`` in steps,
its group, the factor from the projection's unit to the target's (``fac``), its initial
weight (the projection's unit) and variables. Rows are ordered by part, then by ``step``.

The presynaptic event of a synapse with delay ``d`` and dendritic delay ``dd`` happens at
``t_pre + d - dd`` and its weight arrives at ``t_pre + d``; a postsynaptic event at
``t_post + dd``. The kernel handles an event at the end of its step, after the neurons,
except a presynaptic event with ``dd = 0``: it is handled one step early (its input
arrives in its own step).

Synapses whose rule reacts to postsynaptic spikes (or scales by their rate) are also
indexed by target neuron (``csc_*``), ordered by ``dd``: the thread that owns a neuron
updates all its synapses, so no two threads write one synapse. A group that defers STDP's
facilitation (``synapses/stdp.py``) has instead one entry per target neuron, ``-1 - g``:
its postsynaptic events change only that neuron's numbers (``slot[g]``: the group's row
of them; ``coff[g]``: the offset of its receptor's channel in a target's index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..synapses import KINDS
from ..synapses.homeostasis import Homeostasis
from ..synapses.traces import DECAY_STEPS, tables
from .keys import stable_key


@dataclass
class Modulators:
    names: list
    tau_ms: np.ndarray  # float64 [M]
    amount: np.ndarray  # float64 [M]: the jump per releasing spike
    pop_ptr: np.ndarray  # int64 [M + 1]: releasing populations of m: pops[ptr[m]:ptr[m + 1]]
    pops: np.ndarray  # int64


@dataclass
class Plastic:
    indptr: np.ndarray  # int64 [N * parts + 1]
    syn: np.ndarray  # uint32 or uint64 [S]
    dd: np.ndarray  # int32 [S]
    grp: np.ndarray  # uint16 [S]
    fac: np.ndarray  # float32 [S]
    w0: np.ndarray  # float64 [S]: initial weights, the projection's unit
    x0: np.ndarray  # float64 [K, S]: initial variables
    kind: np.ndarray  # int64 [G]
    par: np.ndarray  # float64 [G, P]
    tab: np.ndarray  # float64 [G, 2 T, DECAY_STEPS]: the rules' decays (``traces.tables``)
    rate: np.ndarray  # float64 [G, T]: their rates per step (beyond the tables)
    mod: np.ndarray  # int64 [G]: the modulator read, or -1
    rules: list  # the rule of each group
    n_ring: int  # slots of the ring of plastic input in flight
    csc_ptr: np.ndarray  # int64 [N + 1]
    csc_syn: np.ndarray  # int64 [E]
    csc_dd: np.ndarray  # int64 [E]
    #: the targets of plastic input, per part, as runs of consecutive ones (``run_lo[u]``
    #: to ``run_hi[u]``): the ring's slot is added into the inbox a run at a time
    run_ptr: np.ndarray  # int64 [parts + 1]
    run_lo: np.ndarray  # int64
    run_hi: np.ndarray  # int64
    slot: np.ndarray  # int64 [G]: the row of a group that defers facilitation, or -1
    coff: np.ndarray  # int64 [G]: the channel's offset (channel * N) of a group's targets
    epoch: int  # steps of an epoch of deferred facilitation (0: no group defers)
    stp: np.ndarray  # int64 [N]: the per-presynaptic short-term plasticity group, or -1
    hpost_ptr: np.ndarray  # int64 [parts + 1]: neurons scaled by homeostasis, per part
    hpost: np.ndarray  # int64
    hcount: np.ndarray  # uint8 [N]: whose spikes homeostasis counts
    every: int  # steps between homeostatic scalings (0: none)
    modulators: Modulators
    parts: int
    #: each synapse's place in an order that does not depend on the thread parts (the
    #: projections' pairs in turn): the order of a checkpoint
    perm: np.ndarray

    @property
    def n_synapses(self) -> int:
        return int(self.syn.shape[0])

    @property
    def n_deferring(self) -> int:
        """The groups that defer STDP's facilitation (each with a slot of per-neuron
        numbers)."""
        return int(np.count_nonzero(self.slot >= 0))

    @property
    def max_new(self) -> int:
        """Neurons with plastic rows (at most this many join the list in a step)."""
        return int(np.count_nonzero(np.diff(self.indptr[:: self.parts])))

    @property
    def post_max_new(self) -> int:
        return int(np.count_nonzero(np.diff(self.csc_ptr)))


def build_modulators(brain, index_of) -> Modulators:
    names = sorted(brain.modulators)
    mods = [brain.modulators[m] for m in names]
    pops = [[index_of[p] for p in m.released_by] for m in mods]
    ptr = np.zeros(len(mods) + 1, np.int64)
    np.cumsum([len(p) for p in pops], out=ptr[1:])
    return Modulators(names, np.array([m.tau_ms for m in mods], np.float64),
                      np.array([m.amount for m in mods], np.float64), ptr,
                      np.array([k for p in pops for k in p], np.int64))  # fmt: skip


def _split(proj, delay, dt_ms):
    """The dendritic part of each delay, in whole steps (or a clear error)."""
    f = proj.dendritic_fraction
    dd = np.rint(f * delay).astype(np.int64)
    bad = np.abs(f * delay - dd) > 1e-9
    if np.any(bad):
        d = int(delay[bad][0])
        raise ValueError(
            f"connection {proj.name}: dendritic_fraction={f:g} splits a delay of {d} steps "
            f"({d * dt_ms:g} ms) into parts that are not whole steps; choose delays or a "
            "fraction whose parts are"
        )
    return dd


def _check_weights(proj, w):
    low, high = proj.plasticity.weight_range()
    bad = (w < low) | (w > high)
    if np.any(bad):
        raise ValueError(f"connection {proj.name}: weights must lie in [{low:g}, {high:g}] "
                         f"for {proj.plasticity!r}; {proj.weight} drew {w[bad][0]:g} (clip "
                         "it)")  # fmt: skip


def _rule_constants(brain, rule, mod_names):
    if rule.modulated:
        if rule.modulator not in brain.modulators:
            raise ValueError(
                f"{rule!r} reads modulator {rule.modulator!r}, which the brain "
                f"lacks (known: {mod_names}); add it with brain.add_modulator"
            )
        return rule.constants(brain.dt_ms, brain.modulators[rule.modulator].tau_ms)
    return rule.constants(brain.dt_ms)


def _rule_decays(brain, rule):
    if rule.modulated:
        return rule.decays(brain.dt_ms, brain.modulators[rule.modulator].tau_ms)
    return rule.decays(brain.dt_ms)


def _homeostasis_every(brain, projs):
    every = set()
    for proj in projs:
        if isinstance(proj.plasticity, Homeostasis):
            ms = proj.plasticity.every_ms
            steps = ms / brain.dt_ms
            if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
                raise ValueError(
                    f"connection {proj.name}: Homeostasis every_ms={ms:g} is "
                    f"not a whole number of steps of {brain.dt_ms:g} ms"
                )
            every.add(int(round(steps)))
    if len(every) > 1:
        raise ValueError(f"the Homeostasis rules of a brain must share one every_ms; got "
                         f"{sorted(e * brain.dt_ms for e in every)} ms")  # fmt: skip
    return every.pop() if every else 0


def build_plastic(brain, projs, pairs_of, start_of, index_of, n, parts, part_of, factor_of,
                  n_channels, shift, make_info):  # fmt: skip
    """The groups of the plastic projections ``projs`` (each drawn by ``pairs_of(proj,
    copy, key)`` as pairs in the projection's unit); ``factor_of[proj]``: per post neuron
    of the projection, the target's internal unit per the projection's unit."""
    mods = build_modulators(brain, index_of)
    rules = [p.plasticity for p in projs]
    n_state = max([len(r.synapse_state) for r in rules] + [1])
    consts = [_rule_constants(brain, r, mods.names) for r in rules]
    n_par = max([c.size for c in consts] + [1])
    par = np.zeros((len(rules), n_par))
    for g, c in enumerate(consts):
        par[g, : c.size] = c
    decays = [_rule_decays(brain, r) for r in rules]
    n_tab = max([len(d) for d in decays] + [1])
    tab, rate = np.zeros((len(rules), 2 * n_tab, DECAY_STEPS)), np.zeros((len(rules), n_tab))
    for g, d in enumerate(decays):
        tab[g], rate[g, : len(d)] = tables(d, n_tab)
    cols = {k: [] for k in ("pre", "target", "w", "d", "dd", "grp", "fac", "x")}
    copies, infos = {}, []
    for g, proj in enumerate(projs):
        copy = copies[proj.name, proj.receptor] = copies.get((proj.name, proj.receptor), -1) + 1
        key = stable_key(brain.seed, "connect", proj.name, proj.receptor, copy)
        pr = pairs_of(proj, copy, key)
        _check_weights(proj, pr.weight)
        factor = np.zeros(n)
        post_global = np.concatenate([start_of[p.name] + np.arange(p.n) for p in proj.post])
        factor[post_global] = factor_of[id(proj)]
        cols["pre"].append(pr.pre)
        cols["target"].append(pr.target)
        cols["w"].append(pr.weight)
        cols["d"].append(pr.delay)
        cols["dd"].append(_split(proj, pr.delay, brain.dt_ms))
        cols["grp"].append(np.full(pr.pre.size, g, np.int64))
        cols["fac"].append(factor[pr.target % n])
        x = np.zeros((n_state, pr.pre.size))
        x[: len(rules[g].synapse_state)] = rules[g].initial()[:, None]
        cols["x"].append(x)
        infos.append(make_info(proj, g, pr.pre.size))
    cat = {k: (np.concatenate(v, axis=-1) if v else np.zeros((n_state, 0) if k == "x" else 0))
           for k, v in cols.items()}  # fmt: skip
    pre, target, d, dd = (cat[k].astype(np.int64) for k in ("pre", "target", "d", "dd"))
    step = np.where(dd > 0, d - dd, d - 1)
    part = part_of[target % n].astype(np.int64)
    order = np.lexsort((step, part, pre))
    pre, target, step, dd, d = pre[order], target[order], step[order], dd[order], d[order]
    grp = cat["grp"].astype(np.int64)[order]
    kind = np.array([r.kind for r in rules], np.int64)
    slot, coff, group_dd, epoch = _deferred(brain, rules, kind, grp, dd, target, n)
    indptr = np.zeros(n * parts + 1, np.int64)
    np.cumsum(np.bincount(pre * parts + part[order], minlength=n * parts), out=indptr[1:])
    max_step = int(step.max()) if step.size else 0
    syn_dtype = np.uint32 if shift + max(max_step, 1).bit_length() <= 32 else np.uint64
    syn = (step.astype(syn_dtype) << syn_dtype(shift)) | target.astype(syn_dtype)
    # the index by target neuron: synapses whose rule reacts to postsynaptic spikes
    by_post = np.array([r.post_events or isinstance(r, Homeostasis) for r in rules], bool)
    by_post &= slot < 0
    ks = np.flatnonzero(by_post[grp]) if grp.size else np.zeros(0, np.int64)
    post = target % n
    # (a deferring group's entries: one per target neuron, at the group's dendritic delay)
    virt = np.unique(grp[slot[grp] >= 0] * n + post[slot[grp] >= 0])
    v_grp, v_post = virt // n, virt % n
    e_syn = np.concatenate([ks, -1 - v_grp])
    e_post = np.concatenate([post[ks], v_post])
    e_dd = np.concatenate([dd[ks], group_dd[v_grp]])
    by = np.lexsort((e_dd, e_post))
    csc_syn, csc_dd = e_syn[by], e_dd[by]
    csc_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(e_post, minlength=n), out=csc_ptr[1:])
    tgts = np.unique(target)
    run_ptr, run_lo, run_hi = _target_runs(tgts, part_of[tgts % n], parts)
    stp = _per_presynaptic(projs, rules, pre, grp, n)
    homeo = np.array([isinstance(r, Homeostasis) for r in rules], bool)
    hpost = np.unique(post[homeo[grp]]) if grp.size else np.zeros(0, np.int64)
    hpost_part = part_of[hpost].astype(np.int64)
    hpost = hpost[np.argsort(hpost_part, kind="stable")]
    hpost_ptr = np.zeros(parts + 1, np.int64)
    np.cumsum(np.bincount(hpost_part, minlength=parts), out=hpost_ptr[1:])
    hcount = np.zeros(n, np.uint8)
    hcount[hpost] = 1
    mod = np.array([mods.names.index(r.modulator) if r.modulated else -1 for r in rules],
                   np.int64)  # fmt: skip
    pl = Plastic(
        indptr=indptr, syn=syn, dd=dd.astype(np.int32), grp=grp.astype(np.uint16),
        fac=cat["fac"][order].astype(np.float32), w0=cat["w"][order].astype(np.float64),
        x0=np.ascontiguousarray(cat["x"][:, order], np.float64), kind=kind, par=par, tab=tab,
        rate=rate, mod=mod,
        rules=rules, n_ring=int(np.maximum(dd, 1).max(initial=1)) + 1, csc_ptr=csc_ptr,
        csc_syn=csc_syn.astype(np.int64), csc_dd=csc_dd.astype(np.int64), run_ptr=run_ptr,
        run_lo=run_lo, run_hi=run_hi, slot=slot, coff=coff, epoch=epoch, stp=stp,
        hpost_ptr=hpost_ptr, hpost=hpost.astype(np.int64), hcount=hcount,
        every=_homeostasis_every(brain, projs), modulators=mods, parts=parts,
        perm=order.astype(np.int32 if order.size < 2**31 else np.int64),
    )  # fmt: skip
    return pl, infos


def _deferred(brain, rules, kind, grp, dd, target, n):
    """The groups that defer STDP's facilitation (``synapses/stdp.py``): their kinds (set
    in ``kind``); (slot [G], coff [G], each group's least dendritic delay [G], the steps of
    an epoch)."""
    G = len(rules)
    lo, hi = np.full(G, np.iinfo(np.int64).max), np.full(G, -1, np.int64)
    np.minimum.at(lo, grp, dd)
    np.maximum.at(hi, grp, dd)
    first = np.zeros(G, np.int64)
    first[grp[::-1]] = target[::-1]
    slot, coff, epochs = np.full(G, -1, np.int64), first // n * n, []
    for g, rule in enumerate(rules):
        if hi[g] < 0 or not (hasattr(rule, "defers") and rule.defers(
                int(lo[g]) if lo[g] == hi[g] else None)):  # fmt: skip
            continue
        kind[g] = KINDS.index(rule.kind_name + "_deferred")
        slot[g] = len(epochs)
        epochs.append(rule.epoch_steps(brain.dt_ms))
    return slot, coff, lo, min(epochs, default=0)


def _target_runs(targets, part, parts):
    """The runs of consecutive ``targets`` (sorted, unique) within each part: (ptr [parts +
    1], lo, hi)."""
    order = np.argsort(part, kind="stable")
    targets, part = targets[order], part[order]
    new = np.ones(targets.size, bool)
    new[1:] = (np.diff(targets) != 1) | (np.diff(part) != 0)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], targets.size) - 1  # (each run's last target)
    lo, hi = targets[starts], targets[ends[: starts.size]] + 1
    ptr = np.zeros(parts + 1, np.int64)
    np.cumsum(np.bincount(part[starts], minlength=parts), out=ptr[1:])
    return ptr, lo.astype(np.int64), hi.astype(np.int64)


def _per_presynaptic(projs, rules, pre, grp, n):
    """Per neuron, the group whose short-term plasticity it keeps per presynaptic neuron
    (-1: none); a neuron may keep one."""
    stp = np.full(n, -1, np.int64)
    for g, rule in enumerate(rules):
        if not rule.per_presynaptic:
            continue
        neurons = np.unique(pre[grp == g])
        clash = neurons[stp[neurons] >= 0]
        if clash.size:
            other = projs[int(stp[clash[0]])].name
            raise ValueError(f"connection {projs[g].name}: its presynaptic neurons already "
                             f"keep per-presynaptic short-term plasticity for {other}; a "
                             "neuron keeps one (give both projections one rule, or "
                             "per_presynaptic=False)")  # fmt: skip
        stp[neurons] = g
    return stp


def local_index(net, pops):
    """Global neuron index -> index in the concatenation of populations ``pops`` (-1)."""
    out = np.full(net.n, -1, np.int64)
    start = 0
    for k in pops:
        out[net.lo[k] : net.hi[k]] = start + np.arange(net.hi[k] - net.lo[k])
        start += int(net.hi[k] - net.lo[k])
    return out


def locate_plastic(net, info):
    """A plastic projection's synapses: (positions in ``Plastic``, pre, post, delay steps),
    as ``synapses.locate`` gives a static one's."""
    pl = net.plastic
    pos = np.flatnonzero(pl.grp == info.group)
    row = np.searchsorted(pl.indptr[:: pl.parts], pos, side="right") - 1
    t = pl.syn.dtype.type
    word = pl.syn[pos]
    target = (word & t((1 << net.shift) - 1)).astype(np.int64)
    dd = pl.dd[pos].astype(np.int64)
    delay = (word >> t(net.shift)).astype(np.int64) + np.maximum(dd, 1)
    pre, post = local_index(net, info.pre), local_index(net, info.post)
    return pos, pre[row], post[target % net.n], delay
