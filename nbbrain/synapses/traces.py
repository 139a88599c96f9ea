"""The pair traces that STDP-like rules keep per synapse, brought up to date lazily.

Each synapse holds a presynaptic trace ``x[0, k]`` (``K+`` in NEST) and a postsynaptic one
``x[1, k]`` (``K-``), both as of its last event, step ``tc[k] >> 1``. A postsynaptic spike
adds to ``K-`` only after the presynaptic spikes of its own step have been paired (NEST
pairs neither way at equal times): it leaves the low bit of ``tc[k]`` set, and the next
event at a later step adds it.
"""

import math

from ..jit import inner


@inner
def pair_traces(x, tc, k, T, dt_ms, tau_pre_ms, tau_post_ms, nearest):
    """Synapse ``k``'s traces ``(K+, K-)`` at step ``T`` (float64, decayed), and the bit
    of a postsynaptic spike at ``T`` not yet added to ``K-``. ``nearest``: a spike sets
    its trace to 1 instead of adding 1."""
    code = tc[k]
    last = code >> 1
    kp, km = float(x[0, k]), float(x[1, k])
    pending = code & 1
    if T > last:
        if pending:
            km = 1.0 if nearest else km + 1.0
            pending = 0
        h = float(T - last) * dt_ms
        kp *= math.exp(-h / tau_pre_ms)
        km *= math.exp(-h / tau_post_ms)
    return kp, km, pending


@inner
def store_traces(x, tc, k, T, kp, km, pending):
    x[0, k], x[1, k] = kp, km
    tc[k] = (T << 1) | pending
