"""The CPU kernel's plastic synapses and neuromodulators (``assemble/plastic.py`` has the
layout). At the end of each step, after the spikes of the step are known:

1. the modulators jump (spikes of their releasing populations, the user's amounts);
2. each thread part handles the events due at this step on the synapses onto its neurons
   (at an epoch's first step, the synapses that defer STDP's facilitation first apply what
   they gathered: ``new_epoch``): postsynaptic events first, then presynaptic ones (their
   weight goes into the inbox where it arrives at the next step, else into a ring of
   plastic input in flight), then adds the ring's slot for the next step into the inbox
   (where any dendritic delay is 2 steps or more: the ring is otherwise empty);
3. every ``every`` steps, homeostasis scales the synapses of its targets.

The rules' functions are in ``nbbrain/synapses``; this file dispatches on their kinds.
"""

import math

import numpy as np
from numba import njit
from numba.extending import register_jitable

from ...cache import package_hash
from ...jit import OPTS, bind, cached_njit, forced_inline, inner
from ...synapses import KINDS, dopamine, homeostasis, stdp, tsodyks, vogels_sprekeler
from .bundles import PlasticState
from .prefetch import prefetch, prefetch_row

#: the phase's functions: compiled once a process, on their own, and linked into every
#: kernel that calls them (serial, threads, batch) instead of compiled into each. Not
#: cached on disk themselves: numba would check only this file before reusing them, not the
#: rules' files they inline (the kernels that call them are cached, keyed on
#: ``package_hash``, with their code)
phase = njit(nogil=True, **OPTS)
#: the same, cached (``events``, which carries ``package_hash`` among its closure variables)
cached_phase = cached_njit(nogil=True, **OPTS)

_STDP, _STDP_NN, _TSO, _TSO_PRE, _DOPA, _VS, _HOMEO, _STDP_ND = (KINDS.index(k) for k in (
    "stdp", "stdp_nearest", "tsodyks", "tsodyks_pre", "dopamine", "vogels_sprekeler",
    "homeostasis", "stdp_nearest_deferred"))  # fmt: skip
#: the changes a modulator's history keeps before the synapses that read it catch up
HISTORY = 64
_AHEAD = 8  # synapses between a prefetch (a record, a target's numbers) and its read
_U_AHEAD = np.uint64(_AHEAD)


@phase
def join_spike(r, step, parts, dt_ms, pn, ps, n_pact, n_post):
    """Neuron ``r`` spiked at ``step``: its plastic row joins the presynaptic list (with
    the share its per-presynaptic short-term plasticity gives the spike) and its incoming
    plastic synapses the postsynaptic one; returns the lists' new lengths."""
    if pn.pl_indptr[r * parts] < pn.pl_indptr[(r + 1) * parts]:
        ps.pact[0, n_pact], ps.pact[1, n_pact] = r, step
        g = pn.pl_stp[r]
        scale = 1.0
        if g >= 0:
            scale = tsodyks.release(pn.pl_par[g], pn.pl_tab[g], pn.pl_rate[g], step, ps.pl_nrec,
                                    r)  # fmt: skip
        ps.pscale[n_pact] = scale
        n_pact += 1
    a, b = pn.csc_ptr[r], pn.csc_ptr[r + 1]
    if a < b:
        ps.ppost[0, n_post], ps.ppost[1, n_post] = r, step
        ps.ppost[2, n_post], ps.ppost[3, n_post] = a, b
        ps.ppost[4, n_post] = step + pn.csc_dd[a]
        n_post += 1
    if pn.pl_hcount[r]:
        ps.pl_cnt[r] += 1
    return n_pact, n_post


@phase
def modulators(pn, ps, given, counts):
    """The modulators' jumps at this step (``given``: the user's amounts; ``counts``: the
    step's spikes per population); returns whether a history is full, so that the synapses
    reading it must catch up (``catch_up``) before ``push_jumps``."""
    full = False
    for m in range(pn.mod_tau.shape[0]):
        amount = given[m]
        for e in range(pn.mod_ptr[m], pn.mod_ptr[m + 1]):
            amount += counts[pn.mod_pops[e]] * pn.mod_amount[m]
        ps.mod_jump[m] = amount
        if amount != 0.0 and ps.mod_hl[m] == ps.mod_ht.shape[1]:
            full = True
    return full


@phase
def push_jumps(step, dt_ms, pn, ps):
    """Add the jumps of ``step`` to the modulators' histories (a full one restarts from
    its last entry: every synapse reading it has caught up)."""
    for m in range(pn.mod_tau.shape[0]):
        amount = ps.mod_jump[m]
        if amount == 0.0:
            continue
        hl = ps.mod_hl[m]
        last_t, last_n = ps.mod_ht[m, hl - 1], ps.mod_hn[m, hl - 1]
        if hl == ps.mod_ht.shape[1]:
            ps.mod_ht[m, 0], ps.mod_hn[m, 0] = last_t, last_n
            hl = 1
        n_now = last_n * math.exp(-float(step - last_t) * dt_ms / pn.mod_tau[m]) + amount
        if last_t == step:
            hl -= 1  # (two jumps in one step: one entry)
        ps.mod_ht[m, hl], ps.mod_hn[m, hl] = step, n_now
        ps.mod_hl[m] = hl + 1


@phase
def catch_up(part, parts, step, dt_ms, pn, ps):
    """Bring the synapses of ``part`` whose modulator's history is full up to ``step``."""
    for r in range((pn.pl_indptr.shape[0] - 1) // parts):
        for k in range(pn.pl_indptr[r * parts + part], pn.pl_indptr[r * parts + part + 1]):
            g = pn.pl_grp[k]
            m = pn.pl_mod[g]
            if pn.pl_kind[g] != _DOPA or m < 0:  # (STDP's gain reads only the last change)
                continue
            if ps.mod_jump[m] != 0.0 and ps.mod_hl[m] == ps.mod_ht.shape[1]:
                dopamine.catch_up(pn.pl_par[g], pn.pl_tab[g], pn.pl_rate[g], step, ps.pl_rec,
                                  k, ps.mod_ht, ps.mod_hn, ps.mod_hl, m)  # fmt: skip


@phase
def weights_at(pn, step, dt_ms, rec, ht, hn, hl, post):
    """Bring the records ``rec`` of the synapses that a modulator gates, or that defer
    STDP's facilitation (``post``: their targets' numbers), up to ``step`` (in place)."""
    for k in range(rec.shape[0]):
        g = pn.pl_grp[k]
        m = pn.pl_mod[g]
        if m >= 0 and pn.pl_kind[g] == _DOPA:
            dopamine.catch_up(pn.pl_par[g], pn.pl_tab[g], pn.pl_rate[g], step, rec, k, ht, hn,
                              hl, m)  # fmt: skip
        elif pn.pl_slot[g] >= 0:
            r = np.int64(pn.pl_syn[k] & pn.pl_mask) - pn.pl_coff[g]
            stdp.gather(pn.pl_par[g], rec, k, post, pn.pl_slot[g], r)


@inner
def new_epoch(part, parts, step, pn, ps):
    """At the first step of an epoch of deferred facilitation: every synapse of ``part``
    that defers it applies what it gathered in the last epoch, and its targets' numbers
    restart (``synapses/stdp.py``)."""
    span, post, rec = pn.pl_epoch, ps.pl_post, ps.pl_rec
    g = -1
    s, coff, p, tab = pn.pl_slot[0], pn.pl_coff[0], pn.pl_par[0], pn.pl_tab[0]
    for r in range((pn.pl_indptr.shape[0] - 1) // parts):
        for k in range(pn.pl_indptr[r * parts + part], pn.pl_indptr[r * parts + part + 1]):
            if pn.pl_grp[k] != g:
                g = pn.pl_grp[k]
                s, coff, p, tab = pn.pl_slot[g], pn.pl_coff[g], pn.pl_par[g], pn.pl_tab[g]
            if s >= 0:
                stdp.carry(p, tab, span, rec, k, post, s,
                           np.int64(pn.pl_syn[k] & pn.pl_mask) - coff)  # fmt: skip
    for g in range(pn.pl_slot.shape[0]):
        if pn.pl_slot[g] >= 0:
            for r in range(post.shape[1]):
                if pn.part_of[r] == part:
                    stdp.restart(pn.pl_tab[g], span, post, pn.pl_slot[g], r)


@forced_inline
def deliver(inbox, ring, now, n_ring, dd, target, x):
    """A synapse's input ``x`` to ``target`` of a presynaptic event at ``now`` (the step,
    modulo ``n_ring``), ``dd`` its dendritic delay: it arrives at ``now + max(dd, 1)``, at
    the next step into the inbox, later into a slot of the ring."""
    if dd <= 1:
        inbox[target] += x
    else:
        slot = now + dd
        if slot >= n_ring:
            slot -= n_ring
        ring[slot, target] += x


@forced_inline
def deferred_run(pn, ps, g, step, T, E, fired, j, e, gain, inbox):
    """The presynaptic events handled at ``step`` of the synapses of group ``g``, which
    defers STDP's facilitation, from ``j`` on while they are of ``g`` and due (one
    presynaptic spike's, ``fired`` at that step; ``T``: the events' time, ``step``, or the
    next for a group whose dendritic delay is 0; ``E``: the epoch's first step): returns
    the next synapse. The factors they share are taken once. (The indices are unsigned, so
    that numba does not wrap negative ones around at each read.)"""
    p, tab, coff = pn.pl_par[g], pn.pl_tab[g], pn.pl_coff[g]
    keep = 0.0 if pn.pl_kind[g] == _STDP_ND else 1.0
    decay, growth, amp = stdp.spike_factors(p, tab, T, E, gain)
    syn, shift, mask, rec, fac = pn.pl_syn, pn.pl_shift, pn.pl_mask, ps.pl_rec, pn.pl_fac
    post_s, ring, n_ring = ps.pl_post[pn.pl_slot[g]], ps.pl_ring, pn.pl_nring
    now, dd = step % n_ring, np.int64(pn.pl_dd[j])
    while j < e:
        u = np.uint64(j)
        word = syn[u]
        if fired + np.int64(word >> shift) != step or pn.pl_grp[u] != g:
            break
        # (the targets' numbers are read at random, as the records are: let the misses
        # overlap; a synapse ahead of another group may name a row outside, which is wasted)
        if j + _AHEAD < e:
            prefetch_row(post_s, np.uint64(np.int64(syn[u + _U_AHEAD] & mask) - coff))
        t = np.uint64(word & mask)
        r = np.uint64(np.int64(t) - coff)
        sent = stdp.on_pre_deferred(p, rec, u, keep, post_s, r, T, decay, growth, amp)
        deliver(inbox, ring, now, n_ring, dd, t, np.float32(sent * fac[u]))
        j += 1
    return j


@inner
def copy_state(psb, c):
    """Copy ``c``'s PlasticState in the bundle ``psb`` of a batch's arrays (both kernels)."""
    return PlasticState(psb.pl_rec[c], psb.pl_ring[c], psb.pact[c], psb.pscale[c],
                        psb.ppost[c], psb.pl_nrec[c], psb.pl_cnt[c], psb.pl_post[c],
                        psb.mod_ht[c], psb.mod_hn[c], psb.mod_hl[c], psb.mod_jump[c])  # fmt: skip


@inner
def add_run(inbox, row, lo, hi):
    """``inbox[lo:hi] += row[lo:hi]``, then ``row[lo:hi] = 0`` (as a ufunc: a loop of its
    own, which LLVM vectorises)."""
    part = inbox[lo:hi]
    np.add(part, row[lo:hi], part)
    row[lo:hi] = 0.0


@register_jitable
def add_run_loop(inbox, row, lo, hi):
    """``add_run`` as a plain loop (for the GPU, which has no array ufuncs)."""
    for t in range(lo, hi):
        inbox[t] += row[t]
        row[t] = 0.0


@forced_inline
def _stdp_gain(tab, rate, T, ht, hn, hl, m):
    """STDP's gain by its modulator ``m`` (1 without one)."""
    if m < 0:
        return 1.0
    return stdp.gain(tab, rate, T, ht, hn, hl, m)


#: the flags of a brain without plastic synapses (``rule_flags``)
NO_RULES = (False,) * (len(KINDS) + 2)
_EVENTS: dict = {}


def rule_flags(net) -> tuple:
    """Which rules (in the order of ``KINDS``) a network's plastic synapses use, whether a
    modulator changes (rules read it) and whether homeostasis scales: the kernels compile
    only these."""
    pl = net.plastic
    kinds = set(pl.kind.tolist())
    return tuple(k in kinds for k in range(len(KINDS))) + (
        bool(np.any(pl.mod >= 0)) or bool(pl.modulators.names),
        _HOMEO in kinds,
    )


def make_events(kinds):
    """``events`` for the rules ``kinds`` (flags, in the order of ``KINDS``): compiled once
    for each set of rules, with the dispatch of only those."""
    key = tuple(bool(k) for k in kinds)
    if key in _EVENTS:
        return _EVENTS[key]
    has_stdp, has_nn, has_tso, _tso_pre, has_dopa, has_vs, _homeo, has_sd, has_snd = key
    has_def = has_sd or has_snd
    source = package_hash()  # (the cache key: see ``nbbrain/cache.py``)

    def on_pre(kind, p, tab, rate, T, rec, k, scale, ht, hn, hl, m):
        if has_stdp and kind == _STDP:
            g = _stdp_gain(tab, rate, T, ht, hn, hl, m)
            return stdp.on_pre(p, tab, rate, T, rec, k, scale, False, g)
        if has_nn and kind == _STDP_NN:
            g = _stdp_gain(tab, rate, T, ht, hn, hl, m)
            return stdp.on_pre(p, tab, rate, T, rec, k, scale, True, g)
        if has_tso and kind == _TSO:
            return tsodyks.on_pre(p, tab, rate, T, rec, k, scale)
        if has_dopa and kind == _DOPA:
            return dopamine.on_pre(p, tab, rate, T, rec, k, scale, ht, hn, hl, m)
        if has_vs and kind == _VS:
            return vogels_sprekeler.on_pre(p, tab, rate, T, rec, k, scale)
        return rec[k, 0] * scale  # per-presynaptic short-term plasticity, homeostasis

    def on_post(kind, p, tab, rate, T, rec, k, ht, hn, hl, m):
        if has_stdp and kind == _STDP:
            stdp.on_post(p, tab, rate, T, rec, k, False, _stdp_gain(tab, rate, T, ht, hn, hl, m))
        elif has_nn and kind == _STDP_NN:
            stdp.on_post(p, tab, rate, T, rec, k, True, _stdp_gain(tab, rate, T, ht, hn, hl, m))
        elif has_dopa and kind == _DOPA:
            dopamine.on_post(p, tab, rate, T, rec, k, ht, hn, hl, m)
        elif has_vs and kind == _VS:
            vogels_sprekeler.on_post(p, tab, rate, T, rec, k)

    def events(part, parts, step, pn, ps, inbox, n_pact, n_post):
        """The plastic events at ``step`` on the synapses of ``part``, then its plastic input
        arriving at the next step into ``inbox``."""
        assert key == key and source == source  # the cache key (see ``jit.bind``)
        rec, ht, hn, hl = ps.pl_rec, ps.mod_ht, ps.mod_hn, ps.mod_hl
        ppost, post = ps.ppost, ps.pl_post
        epoch0 = np.int64(0)
        if has_def:
            epoch0 = step - step % pn.pl_epoch
            if epoch0 == step and step > 0:  # (the state starts at the first epoch's)
                new_epoch(part, parts, step, pn, ps)
        # (a group's kind, constants and modulator, looked up again only where it changes)
        g, kind, m = -1, np.int64(0), np.int64(0)
        p, tab, rate = pn.pl_par[0], pn.pl_tab[0], pn.pl_rate[0]
        s = np.int64(-1)
        for q in range(n_post):
            if ppost[4, q] != step or pn.part_of[ppost[0, q]] != part:
                continue
            fired, j, e = ppost[1, q], ppost[2, q], ppost[3, q]
            later = np.int64(-1)
            while j < e:
                dj = pn.csc_dd[j]
                if fired + dj != step:
                    later = fired + dj
                    break
                if j + _AHEAD < e:  # (the records are read at random: let the misses overlap)
                    ahead = pn.csc_syn[j + _AHEAD]
                    prefetch_row(rec, ahead)
                    prefetch(pn.pl_grp, ahead)
                k = pn.csc_syn[j]
                if has_def and k < 0:  # (a group that defers: the target's numbers)
                    gd = -1 - k
                    gain = _stdp_gain(pn.pl_tab[gd], pn.pl_rate[gd], step, ht, hn, hl,
                                      pn.pl_mod[gd])  # fmt: skip
                    stdp.arrive(pn.pl_tab[gd], step, post, pn.pl_slot[gd], ppost[0, q],
                                pn.pl_kind[gd] == _STDP_ND, gain, epoch0)  # fmt: skip
                    j += 1
                    continue
                if pn.pl_grp[k] != g:
                    g = pn.pl_grp[k]
                    kind, p, m = pn.pl_kind[g], pn.pl_par[g], pn.pl_mod[g]
                    tab, rate = pn.pl_tab[g], pn.pl_rate[g]
                _on_post(kind, p, tab, rate, step, rec, k, ht, hn, hl, m)  # noqa: F821
                j += 1
            ppost[2, q], ppost[4, q] = j, later
        g = -1  # (looked up anew, with ``s``, which the loop above leaves as it was)
        pact, syn, shift, mask = ps.pact, pn.pl_syn, pn.pl_shift, pn.pl_mask
        nxt, cur, end = 2 + 2 * parts + part, 2 + part, 2 + parts + part
        ring, n_ring = ps.pl_ring, pn.pl_nring
        now = step % n_ring
        for q in range(n_pact):
            if pact[nxt, q] != step:
                continue
            fired, j, e = pact[1, q], pact[cur, q], pact[end, q]
            # the spike's share by its per-presynaptic short-term plasticity, which only the
            # synapses of that group (``own``) carry
            share, own = ps.pscale[q], pn.pl_stp[pact[0, q]]
            scale = share if g == own else 1.0
            later = np.int64(-1)
            while j < e:
                word = syn[j]
                off = np.int64(word >> shift)
                if fired + off != step:
                    later = fired + off
                    break
                if pn.pl_grp[j] != g:
                    g = pn.pl_grp[j]
                    kind, p, m = pn.pl_kind[g], pn.pl_par[g], pn.pl_mod[g]
                    tab, rate = pn.pl_tab[g], pn.pl_rate[g]
                    scale = share if g == own else 1.0
                    if has_def:
                        s = pn.pl_slot[g]
                # the event's time: its step, or the next where there is no dendritic
                # delay (handled a step early, so that its input arrives then)
                dd = np.int64(pn.pl_dd[j])
                T = step + (dd == 0)
                if has_def and s >= 0:  # (a group that defers: a loop of its own)
                    gain = _stdp_gain(tab, rate, T, ht, hn, hl, m)
                    j = deferred_run(pn, ps, g, step, T, epoch0, fired, j, e, gain, inbox)
                    continue
                sent = _on_pre(kind, p, tab, rate, T, rec, j, scale, ht, hn, hl, m)  # noqa: F821
                deliver(inbox, ring, now, n_ring, dd, np.int64(word & mask),
                        np.float32(sent * pn.pl_fac[j]))  # fmt: skip
                j += 1
            pact[cur, q], pact[nxt, q] = j, later
        if n_ring > 2:  # (some dendritic delay of 2 steps or more: the ring is used)
            slot = (step + 1) % n_ring
            for u in range(pn.pl_run_ptr[part], pn.pl_run_ptr[part + 1]):
                add_run(inbox, ring[slot], pn.pl_run_lo[u], pn.pl_run_hi[u])

    glob = dict(events.__globals__, _on_pre=forced_inline(on_pre),
                _on_post=forced_inline(on_post))  # fmt: skip
    _EVENTS[key] = cached_phase(bind(events, glob))
    return _EVENTS[key]


@phase
def scale(part, step, pn, ps):
    """Homeostasis: scale the synapses onto the counted neurons of ``part`` by their rate
    since the last scaling, and restart their counts."""
    for i in range(pn.pl_hpost_ptr[part], pn.pl_hpost_ptr[part + 1]):
        r = pn.pl_hpost[i]
        count = ps.pl_cnt[r]
        ps.pl_cnt[r] = 0
        for j in range(pn.csc_ptr[r], pn.csc_ptr[r + 1]):
            k = pn.csc_syn[j]
            if k < 0:  # (a group that defers STDP's facilitation)
                continue
            g = pn.pl_grp[k]
            if pn.pl_kind[g] != _HOMEO:
                continue
            ps.pl_rec[k, 0] = homeostasis.scaled(pn.pl_par[g], count, ps.pl_rec[k, 0])


@phase
def drop_post(ppost, n_post):
    """Drop the postsynaptic entries with no events left (order kept); returns how many are
    left. (The presynaptic list is the static one's shape: ``kernel._drop_delivered``.)"""
    kept = 0
    for q in range(n_post):
        if ppost[4, q] >= 0:
            for f in range(5):
                ppost[f, kept] = ppost[f, q]
            kept += 1
    return kept
