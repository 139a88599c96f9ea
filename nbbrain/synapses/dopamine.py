"""``DopamineSTDP``: dopamine-gated STDP, NEST's ``stdp_dopamine_synapse`` (Izhikevich
2007; Potjans et al. 2010).

Pairings change an eligibility trace ``c`` instead of the weight: a postsynaptic spike adds
``a_plus K+``, a presynaptic one subtracts ``a_minus K-`` (``K+``, ``K-``: the pair traces,
decaying with ``tau_plus_ms`` and ``tau_minus_ms``); ``c`` decays with ``tau_c_ms``. The
weight follows ``dw/dt = c (n - b)``, ``n`` the concentration of the rule's modulator
(``Brain.add_modulator``: it decays with its ``tau_ms``, NEST's ``tau_n``), integrated in
closed form from event to event and through every change of ``n``, and clipped to
[``w_min``, ``w_max``] at each (as NEST does at each dopamine spike).
"""

import math

import numpy as np

from ..jit import inner
from ..neurons.base import Param
from .base import PlasticityRule, positive, required
from .traces import pair_traces, store_traces


class DopamineSTDP(PlasticityRule):
    parameters = {
        "a_plus": Param(1.0, 0.0, doc="eligibility added by a causal pairing"),
        "a_minus": Param(1.5, 0.0, doc="eligibility removed by an anti-causal pairing"),
        "tau_plus_ms": positive(20.0, "presynaptic trace time constant"),
        "tau_minus_ms": positive(20.0, "postsynaptic trace time constant"),
        "tau_c_ms": positive(1000.0, "eligibility time constant"),
        "b": Param(0.0, 0.0, doc="the concentration at which the weight does not change"),
        "w_min": Param(0.0, doc="smallest weight (the projection's unit)"),
        "w_max": required("largest weight (the projection's unit)"),
    }
    synapse_state = {"k_plus": 0.0, "k_minus": 0.0, "c": 0.0}
    modulated = True
    kind_name = "dopamine"

    def __init__(self, modulator: str = "dopamine", **values):
        if not isinstance(modulator, str) or not modulator:
            raise TypeError(f"DopamineSTDP: modulator must be the name of a modulator "
                            f"(Brain.add_modulator), got {modulator!r}")  # fmt: skip
        self.modulator = modulator
        super().__init__(**values)

    def check(self):
        if not self.w_min <= self.w_max:
            raise ValueError(f"DopamineSTDP: w_min ({self.w_min:g}) must not exceed w_max "
                             f"({self.w_max:g})")  # fmt: skip

    def constants(self, dt_ms, tau_n_ms=1.0):
        p = self.params
        taus = (p["tau_c_ms"] + tau_n_ms) / (p["tau_c_ms"] * tau_n_ms)
        return np.array([p["a_plus"], p["a_minus"], p["tau_plus_ms"], p["tau_minus_ms"],
                         p["tau_c_ms"], p["b"], p["w_min"], p["w_max"], tau_n_ms,
                         taus])  # fmt: skip

    def weight_range(self):
        return (self.w_min, self.w_max)

    def __repr__(self):
        return super().__repr__()[:-1] + f", modulator={self.modulator!r})"


@inner
def _weight(p, w, c0, n0, minus_dt):
    """The weight after ``-minus_dt`` ms from ``w`` with ``c`` and ``n`` decaying from
    ``c0`` and ``n0``, clipped."""
    w -= c0 * (n0 / p[9] * math.expm1(p[9] * minus_dt) - p[5] * p[4] * math.expm1(minus_dt / p[4]))
    return min(max(w, p[6]), p[7])


@inner
def advance(p, T, dt_ms, w, x, tc, k, ht, hn, hl):
    """Synapse ``k``'s weight and eligibility from its last event to step ``T``, through
    the changes of the concentration ``n`` in between (the modulator's history: steps
    ``ht[:hl]``, each with the value just after, ``hn``; entry 0 no later than any
    synapse's last event)."""
    t0 = tc[k] >> 1
    if T <= t0:
        return
    j = hl - 1
    while j > 0 and ht[j] > t0:
        j -= 1
    n_t, n_val = ht[j], hn[j]
    ww, c, t = float(w[k]), float(x[2, k]), t0
    for i in range(j + 1, hl):
        if ht[i] > T:
            break
        n0 = n_val * math.exp(-float(t - n_t) * dt_ms / p[8])
        ww = _weight(p, ww, c, n0, float(t - ht[i]) * dt_ms)
        c *= math.exp(-float(ht[i] - t) * dt_ms / p[4])
        t, n_t, n_val = ht[i], ht[i], hn[i]
    n0 = n_val * math.exp(-float(t - n_t) * dt_ms / p[8])
    ww = _weight(p, ww, c, n0, float(t - T) * dt_ms)
    c *= math.exp(-float(T - t) * dt_ms / p[4])
    w[k], x[2, k] = ww, c


@inner
def on_pre(p, T, dt_ms, w, x, tc, k, scale, ht, hn, hl):
    advance(p, T, dt_ms, w, x, tc, k, ht, hn, hl)
    kp, km, pending = pair_traces(x, tc, k, T, dt_ms, p[2], p[3], False)
    x[2, k] = float(x[2, k]) - p[1] * km
    store_traces(x, tc, k, T, kp + 1.0, km, pending)
    return w[k] * scale


@inner
def on_post(p, T, dt_ms, w, x, tc, k, ht, hn, hl):
    advance(p, T, dt_ms, w, x, tc, k, ht, hn, hl)
    kp, km, _pending = pair_traces(x, tc, k, T, dt_ms, p[2], p[3], False)
    x[2, k] = float(x[2, k]) + p[0] * kp
    store_traces(x, tc, k, T, kp, km, 1)


@inner
def catch_up(p, T, dt_ms, w, x, tc, k, ht, hn, hl):
    """Bring synapse ``k`` to step ``T`` without an event (before its modulator's history
    is cut)."""
    advance(p, T, dt_ms, w, x, tc, k, ht, hn, hl)
    kp, km, pending = pair_traces(x, tc, k, T, dt_ms, p[2], p[3], False)
    store_traces(x, tc, k, max(T, tc[k] >> 1), kp, km, pending)
