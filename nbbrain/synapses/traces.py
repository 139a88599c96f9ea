"""The record of a plastic synapse, and the pair traces that STDP-like rules keep in it,
brought up to date lazily.

Synapse ``k``'s record is the row ``rec[k]`` (float64): its weight ``rec[k, W]``, its rule's
variables from ``rec[k, 1]`` on, and in the last column the step of its last event (times
two, plus one where a postsynaptic spike at that step is still to be added: ``code``). One
row, so that an event touches one cache line.

STDP-like rules keep a presynaptic trace in ``rec[k, 1]`` (``K+`` in NEST) and a
postsynaptic one in ``rec[k, 2]`` (``K-``), both as of the last event. A postsynaptic spike
adds to ``K-`` only after the presynaptic spikes of its own step have been paired (NEST
pairs neither way at equal times): it leaves the low bit of the code set, and the next
event at a later step adds it.
"""

import math

import numpy as np

from ..jit import inner

W = 0  # the weight's column


@inner
def exp_steps(tab, rate, i, h):
    """``exp(-h rate[i])`` for ``h`` steps: row ``i`` of the rule's tables where it holds
    ``h`` (``tables``), else computed."""
    if h < tab.shape[1]:
        return tab[i, h]
    return math.exp(-float(h) * rate[i])


@inner
def expm1_steps(tab, rate, i, h):
    """``expm1(-h rate[i])``, as ``exp_steps``."""
    if h < tab.shape[1]:
        return tab[i, h]
    return math.expm1(-float(h) * rate[i])


def tables(decays, n_steps):
    """The tables of ``exp_steps`` and ``expm1_steps``: ``decays`` is a list of (rate per
    step, ``"exp"`` or ``"expm1"``); returns (tables [len, n_steps], rates)."""
    h = np.arange(n_steps, dtype=np.float64)
    tab = np.zeros((len(decays), n_steps))
    for i, (rate, kind) in enumerate(decays):
        with np.errstate(invalid="ignore"):  # (an infinite rate: exp(-0 inf) is taken as 0)
            x = -h * rate if np.isfinite(rate) else np.where(h > 0, -np.inf, 0.0)
        tab[i] = np.exp(x) if kind == "exp" else np.expm1(x)
    return tab, np.array([r for r, _ in decays], np.float64)


@inner
def code(rec, k):
    """The last column of synapse ``k``'s record: the step of its last event, as above."""
    return np.int64(rec[k, rec.shape[1] - 1])


@inner
def set_code(rec, k, value):
    rec[k, rec.shape[1] - 1] = np.float64(value)


@inner
def pair_traces(rec, k, T, tab, rate, i_pre, i_post, nearest):
    """Synapse ``k``'s traces ``(K+, K-)`` at step ``T`` (decayed by rows ``i_pre`` and
    ``i_post`` of the rule's tables), and the bit of a postsynaptic spike at ``T`` not yet
    added to ``K-``. ``nearest``: a spike sets its trace to 1 instead of adding 1."""
    c = code(rec, k)
    last = c >> 1
    kp, km = rec[k, 1], rec[k, 2]
    pending = c & 1
    if T > last:
        if pending:
            km = 1.0 if nearest else km + 1.0
            pending = 0
        kp *= exp_steps(tab, rate, i_pre, T - last)
        km *= exp_steps(tab, rate, i_post, T - last)
    return kp, km, pending


@inner
def store_traces(rec, k, T, kp, km, pending):
    rec[k, 1], rec[k, 2] = kp, km
    set_code(rec, k, (T << 1) | pending)
