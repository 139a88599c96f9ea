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


#: the steps a rule's tables hold (a power of 2): ``h`` steps below it are read from a
#: fine row, and up to its square as the product of a fine and a coarse one (the decay over
#: ``DECAY_STEPS`` steps, ``h // DECAY_STEPS`` times); beyond, the decay is computed
DECAY_STEPS = 1024
_SHIFT = DECAY_STEPS.bit_length() - 1


@inner
def exp_steps(tab, rate, i, h):
    """``exp(-h rate[i])`` for ``h`` steps, from row ``i`` of the rule's tables (``tables``:
    rows ``[0, R)`` fine, ``[R, 2 R)`` coarse) up to ``DECAY_STEPS**2`` steps, else
    computed."""
    if h < DECAY_STEPS:
        return tab[i, h]
    if h >> _SHIFT < DECAY_STEPS:
        return exp_near(tab, i, h)
    return math.exp(-float(h) * rate[i])


@inner
def exp_near(tab, i, h):
    """``exp_steps`` for ``0 <= h < DECAY_STEPS**2`` without a branch (a fine times a
    coarse entry, always)."""
    return tab[i, h & (DECAY_STEPS - 1)] * tab[tab.shape[0] // 2 + i, h >> _SHIFT]


@inner
def expm1_steps(tab, rate, i, h):
    """``expm1(-h rate[i])``, as ``exp_steps`` (its fine rows hold expm1's: ``tables``)."""
    if h < DECAY_STEPS:
        return tab[i, h]
    hi = h >> _SHIFT
    if hi < DECAY_STEPS:
        return (tab[i, h & (DECAY_STEPS - 1)] + 1.0) * tab[tab.shape[0] // 2 + i, hi] - 1.0
    return math.expm1(-float(h) * rate[i])


def tables(decays, n_rows=None):
    """The tables of ``exp_steps`` and ``expm1_steps``: ``decays`` is a list of (rate per
    step, ``"exp"`` or ``"expm1"``); returns (tables [2 n_rows, DECAY_STEPS], rates): row
    ``i`` the decay over ``h < DECAY_STEPS`` steps (expm1's for ``"expm1"``), row ``n_rows +
    i`` its exp over ``DECAY_STEPS h`` steps (``n_rows``: ``len(decays)`` unless given, for
    the tables of several rules in one array)."""
    n_rows = len(decays) if n_rows is None else n_rows
    h = np.arange(DECAY_STEPS, dtype=np.float64)
    tab = np.zeros((2 * n_rows, DECAY_STEPS))
    for i, (rate, kind) in enumerate(decays):
        # (an infinite rate: exp(-0 inf) is taken as 0; a negative one, a growth, overflows
        # beyond the steps read)
        with np.errstate(invalid="ignore", over="ignore"):
            x = -h * rate if np.isfinite(rate) else np.where(h > 0, -np.inf, 0.0)
            tab[i] = np.exp(x) if kind == "exp" else np.expm1(x)
            tab[n_rows + i] = np.exp(x * DECAY_STEPS)
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
