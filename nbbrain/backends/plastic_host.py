"""The plastic synapses' and modulators' state in host arrays, as both backends keep it.

``PlasticHost`` is a mixin of the backends: it allocates, per copy, the records of the
plastic synapses, the ring of plastic input in flight, per-presynaptic short-term
plasticity, homeostasis' counts, the modulators' histories and the lists of plastic events
(``cpu/plastic.py`` has their layout), and reads and writes them between runs:
checkpoints, learned weights, a modulator's concentration. The CPU backend's kernels work
on these arrays themselves; the CUDA backend keeps device copies and brings these up to
date (``_pull_plastic``) before any of the methods here reads them.

A backend that mixes it in has ``net``, ``batch``, ``ctr`` (int64 ``[B, 5]``: the lists'
lengths in columns ``CTR_PACT`` and ``CTR_POST``), ``_plastic`` (whether the brain has
plastic synapses or modulators) and ``_pnet`` (the PlasticNet bundle).
"""

from __future__ import annotations

import numpy as np

from .cpu.bundles import CTR_PACT, CTR_POST, PlasticState
from .cpu.plastic import HISTORY, weights_at


def doubled(a):
    """``a`` [B, fields, n] with room for ``2 n`` entries."""
    out = np.zeros(a.shape[:2] + (2 * a.shape[2],), a.dtype)
    out[:, :, : a.shape[2]] = a
    return out


class PlasticHost:
    """Per-copy plastic state in host arrays, and what a Simulation reads and writes of it."""

    #: entries the lists of plastic events hold beyond one step's most (they double when full)
    LIST_ROOM = 1024
    #: the per-copy arrays of the plastic state a checkpoint holds as they are
    PLASTIC_STATE = ("pl_rec", "pl_ring", "pl_nrec", "pl_cnt", "pl_post", "mod_ht", "mod_hn",
                     "mod_hl")  # fmt: skip

    def _init_plastic(self):
        """Per copy: the plastic weights (the projections' units), the rules' variables,
        the steps of the synapses' last events (-1 before the first spike for short-term
        plasticity), the ring of plastic input in flight, per-presynaptic short-term
        plasticity, homeostasis' spike counts and the modulators' histories."""
        net, B = self.net, self.batch
        pl = net.plastic
        k = pl.x0.shape[0]
        rec = np.empty((pl.n_synapses, k + 2), np.float64)
        rec[:, 0], rec[:, 1 : k + 1] = pl.w0, pl.x0.T
        tc0 = np.array([0 if r.post_events else -1 for r in pl.rules] + [0], np.float64)
        rec[:, k + 1] = tc0[pl.grp.astype(np.int64)]
        self.pl_rec = np.repeat(rec[None], B, axis=0)
        n_ring = pl.n_ring if pl.n_synapses else 1
        self.pl_ring = np.zeros((B, n_ring, net.n_channels * net.n if pl.n_synapses else 0),
                                np.float32)  # fmt: skip
        # per neuron (brains with plastic synapses): (unused, x, u, step of the last spike)
        nrec = np.zeros((net.n if pl.n_synapses else 0, 4), np.float64)
        nrec[:, 3] = -1
        for g in np.unique(pl.stp[pl.stp >= 0]):
            nrec[pl.stp == g, 1:3] = pl.rules[g].x0, pl.rules[g].u
        self.pl_nrec = np.repeat(nrec[None], B, axis=0)
        self.pl_cnt = np.zeros((B, net.n if pl.n_synapses else 0), np.int32)
        # per group deferring STDP's facilitation, per neuron: (P, K- before and after the
        # last spike, its step) (``stdp.py``)
        n_slots = pl.n_deferring
        self.pl_post = np.zeros((B, n_slots, net.n if n_slots else 0, 4), np.float64)
        m = max(len(pl.modulators.names), 1)
        self.mod_ht = np.zeros((B, m, HISTORY), np.int64)
        self.mod_hn = np.zeros((B, m, HISTORY), np.float64)
        self.mod_hl = np.ones((B, m), np.int64)
        self.mod_jump = np.zeros((B, m), np.float64)

    def _empty_plastic_lists(self):
        net, B = self.net, self.batch
        pl = net.plastic
        self.pact = np.zeros((B, 2 + 3 * net.n_parts, pl.max_new + self.LIST_ROOM), np.int64)
        self.pscale = np.ones((B, self.pact.shape[2]), np.float64)
        self.ppost = np.zeros((B, 5, pl.post_max_new + self.LIST_ROOM), np.int64)
        self.ctr[:, CTR_PACT] = self.ctr[:, CTR_POST] = 0

    def _plastic_state(self, c=None):
        """The PlasticState bundle of copy ``c``'s host arrays (``None``: of all copies),
        or None for a brain without plasticity."""
        if not self._plastic:
            return None
        sel = (lambda a: a) if c is None else (lambda a: a[c])
        return PlasticState(**{k: sel(getattr(self, k)) for k in PlasticState._fields})

    def _full_lists(self) -> tuple:
        """Whether a step's events could overflow (the presynaptic list, the postsynaptic
        one), by the lengths in ``ctr``."""
        pl, n_pre, n_post = self.net.plastic, self.ctr[:, CTR_PACT], self.ctr[:, CTR_POST]
        return (int(n_pre.max()) + pl.max_new > self.pact.shape[2],
                int(n_post.max()) + pl.post_max_new > self.ppost.shape[2])  # fmt: skip

    def _grow_plastic(self) -> bool:
        """Double the lists of plastic events where a step's could overflow them; returns
        whether one grew."""
        pre, post = self._full_lists()
        if pre:
            self._grow_pre()
        if post:
            self.ppost = doubled(self.ppost)
        return pre or post

    def _grow_pre(self):
        self.pact = doubled(self.pact)
        pscale = np.ones((self.batch, self.pact.shape[2]), np.float64)
        pscale[:, : self.pscale.shape[1]] = self.pscale
        self.pscale = pscale

    def read_plastic_state(self):
        """The plastic synapses' and modulators' state of every copy, copied: the arrays of
        ``PLASTIC_STATE`` and the events still to come, as the spikes that make them:
        ``pre`` (neuron, step fired) with the share each carries (``pre_scale``), and
        ``post`` (neuron, step fired), in firing order (the same on any thread count)."""
        out = {k: getattr(self, k).copy() for k in self.PLASTIC_STATE}
        out["pl_rec"][:, self.net.plastic.perm] = self.pl_rec  # (in an order of any threads)
        parts = self.net.n_parts
        pre, scale, post = [], [], []
        for c in range(self.batch):
            n = int(self.ctr[c, CTR_PACT])
            keep = (self.pact[c, 2 + 2 * parts : 2 + 3 * parts, :n] >= 0).any(axis=0)
            fired = self.pact[c, :2, :n][:, keep].T
            # (in firing order, then by neuron: the CUDA backend lists a step's spikes in
            # whatever order its threads found them)
            order = np.lexsort((fired[:, 0], fired[:, 1]))
            pre.append(fired[order].copy())
            scale.append(self.pscale[c, :n][keep][order].copy())
            n = int(self.ctr[c, CTR_POST])
            fired = self.ppost[c, :2, :n][:, self.ppost[c, 4, :n] >= 0].T
            post.append(fired[np.lexsort((fired[:, 0], fired[:, 1]))].copy())
        out.update(pre=pre, pre_scale=scale, post=post)
        return out

    def write_plastic_state(self, state, step):
        """Set the plastic state to ``state`` (as ``read_plastic_state`` gives it) at
        ``step``: the lists of events rebuilt, each spike's cursors past the events that
        came before ``step``."""
        net, pl = self.net, self.net.plastic
        for k in self.PLASTIC_STATE:
            v = np.asarray(state[k])
            getattr(self, k)[...] = v[:, pl.perm] if k == "pl_rec" else v
        parts = net.n_parts
        t = pl.syn.dtype.type
        offsets = (pl.syn >> t(net.shift)).astype(np.int64)
        self._empty_plastic_lists()
        for c in range(self.batch):
            pre, post = state["pre"][c], state["post"][c]
            while len(pre) + pl.max_new > self.pact.shape[2]:
                self._grow_pre()
            while len(post) + pl.post_max_new > self.ppost.shape[2]:
                self.ppost = doubled(self.ppost)
            for q, (r, fired) in enumerate(pre):
                self.pact[c, 0, q], self.pact[c, 1, q] = r, fired
                self.pscale[c, q] = state["pre_scale"][c][q]
                for part in range(parts):
                    a, b = pl.indptr[r * parts + part], pl.indptr[r * parts + part + 1]
                    j = a + int(np.searchsorted(offsets[a:b], step - fired))
                    self.pact[c, 2 + part, q], self.pact[c, 2 + parts + part, q] = j, b
                    self.pact[c, 2 + 2 * parts + part, q] = fired + offsets[j] if j < b else -1
            for q, (r, fired) in enumerate(post):
                a, b = pl.csc_ptr[r], pl.csc_ptr[r + 1]
                j = a + int(np.searchsorted(pl.csc_dd[a:b], step - fired))
                self.ppost[c, :, q] = (r, fired, j, b, fired + pl.csc_dd[j] if j < b else -1)
            self.ctr[c, CTR_PACT], self.ctr[c, CTR_POST] = len(pre), len(post)

    def read_plastic(self, pos, step):
        """The plastic weights at ``pos`` of every copy ``[B, len(pos)]`` (the projection's
        unit) at the end of step ``step - 1``: those a modulator gates are integrated up to
        it, and those that defer STDP's facilitation take what they gathered (on copies:
        the run goes on as if nothing had been read)."""
        if not self._lagging() or step == 0:
            return self.pl_rec[:, pos, 0]
        out = np.empty((self.batch, len(pos)), np.float64)
        for c in range(self.batch):
            rec = self.pl_rec[c].copy()
            weights_at(self._pnet, step - 1, self.net.dt_ms, rec, self.mod_ht[c],
                       self.mod_hn[c], self.mod_hl[c], self.pl_post[c])  # fmt: skip
            out[c] = rec[pos, 0]
        return out

    def _lagging(self) -> bool:
        """Whether some records lag behind their weights (``weights_at``)."""
        pl = self.net.plastic
        return bool(np.any(pl.mod >= 0)) or pl.n_deferring > 0

    def write_plastic(self, pos, values, step):
        """Set the plastic weights at ``pos`` of every copy from the end of step ``step -
        1`` on (those a modulator gates are first integrated up to it, so that the new
        weight holds from then)."""
        if self._lagging() and step > 0:
            for c in range(self.batch):
                weights_at(self._pnet, step - 1, self.net.dt_ms, self.pl_rec[c],
                           self.mod_ht[c], self.mod_hn[c], self.mod_hl[c],
                           self.pl_post[c])  # fmt: skip
        self.pl_rec[:, pos, 0] = values

    def modulator_last(self, m, copy):
        """Modulator ``m``'s last change in copy ``copy``: (step, concentration then)."""
        hl = int(self.mod_hl[copy, m])
        return int(self.mod_ht[copy, m, hl - 1]), float(self.mod_hn[copy, m, hl - 1])
