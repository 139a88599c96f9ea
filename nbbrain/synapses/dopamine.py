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

import numpy as np

from ..jit import forced_inline, inner
from ..neurons.base import Param
from .base import PlasticityRule, positive, required
from .traces import W, code, exp_steps, expm1_steps, pair_traces, store_traces


class DopamineSTDP(PlasticityRule):
    __doc__ = __doc__
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
    synapse_state = {"k_plus": 0.0, "k_minus": 0.0, "c": 0.0}  # (record columns 1, 2, 3)
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

    def decays(self, dt_ms, tau_mod_ms=1.0):
        p = self.params
        taus = (p["tau_c_ms"] + tau_mod_ms) / (p["tau_c_ms"] * tau_mod_ms)
        return [(dt_ms / p["tau_plus_ms"], "exp"), (dt_ms / p["tau_minus_ms"], "exp"),
                (dt_ms / p["tau_c_ms"], "exp"), (dt_ms / tau_mod_ms, "exp"),
                (dt_ms * taus, "expm1"), (dt_ms / p["tau_c_ms"], "expm1")]  # fmt: skip

    def __repr__(self):
        return super().__repr__()[:-1] + f", modulator={self.modulator!r})"


@inner
def _weight(p, tab, rate, w, c0, n0, h):
    """The weight ``h`` steps on from ``w``, with ``c`` and ``n`` decaying from ``c0`` and
    ``n0`` (the closed form of ``dw/dt = c (n - b)``), clipped."""
    if h > 0 and (n0 != 0.0 or p[5] != 0.0):
        w -= c0 * (n0 / p[9] * expm1_steps(tab, rate, 4, h)
                   - p[5] * p[4] * expm1_steps(tab, rate, 5, h))  # fmt: skip
    return min(max(w, p[6]), p[7])


@inner
def _piece(p, tab, rate, w, c, t, n_t, n_val, h):
    """The weight and eligibility ``h`` steps on from ``w`` and ``c`` at step ``t``, the
    concentration's last change before (at step ``n_t``, to ``n_val``)."""
    n0 = n_val * exp_steps(tab, rate, 3, t - n_t) if n_val != 0.0 else 0.0
    return _weight(p, tab, rate, w, c, n0, h), c * exp_steps(tab, rate, 2, h)


@inner
def _through_changes(p, tab, rate, T, rec, k, t0, ht, hn, hl, m):
    """``advance`` where the concentration changed after the synapse's last event
    ``t0``: a piece from change to change."""
    n_h = hl[m]
    j = n_h - 1
    while j > 0 and ht[m, j] > t0:
        j -= 1
    n_t, n_val = ht[m, j], hn[m, j]
    ww, c, t = rec[k, W], rec[k, 3], t0
    for i in range(j + 1, n_h):
        if ht[m, i] > T:
            break
        ww, c = _piece(p, tab, rate, ww, c, t, n_t, n_val, ht[m, i] - t)
        t, n_t, n_val = ht[m, i], ht[m, i], hn[m, i]
    rec[k, W], rec[k, 3] = _piece(p, tab, rate, ww, c, t, n_t, n_val, T - t)


@forced_inline
def advance(p, tab, rate, T, rec, k, ht, hn, hl, m):
    """Synapse ``k``'s weight and eligibility from its last event to step ``T``, through
    the changes of the concentration ``n`` in between (modulator ``m``'s history: steps
    ``ht[m, :hl[m]]``, each with the value just after, ``hn[m]``; entry 0 no later than any
    synapse's last event). The histories of all modulators come whole, with the row: a
    view per event would cost two atomic reference counts. The usual case, no change
    since the last event, is one piece; the walk through changes is apart."""
    t0 = code(rec, k) >> 1
    if T <= t0:
        return
    last = hl[m] - 1
    if ht[m, last] <= t0:
        rec[k, W], rec[k, 3] = _piece(p, tab, rate, rec[k, W], rec[k, 3], t0, ht[m, last],
                                      hn[m, last], T - t0)  # fmt: skip
    else:
        _through_changes(p, tab, rate, T, rec, k, t0, ht, hn, hl, m)


@forced_inline  # (LLVM left these as calls in the loops of events)
def on_pre(p, tab, rate, T, rec, k, scale, ht, hn, hl, m):
    advance(p, tab, rate, T, rec, k, ht, hn, hl, m)
    kp, km, pending = pair_traces(rec, k, T, tab, rate, 0, 1, False)
    rec[k, 3] -= p[1] * km
    store_traces(rec, k, T, kp + 1.0, km, pending)
    return rec[k, W] * scale


@forced_inline
def on_post(p, tab, rate, T, rec, k, ht, hn, hl, m):
    advance(p, tab, rate, T, rec, k, ht, hn, hl, m)
    kp, km, _pending = pair_traces(rec, k, T, tab, rate, 0, 1, False)
    rec[k, 3] += p[0] * kp
    store_traces(rec, k, T, kp, km, 1)


@inner
def catch_up(p, tab, rate, T, rec, k, ht, hn, hl, m):
    """Bring synapse ``k`` to step ``T`` without an event (before its modulator's history
    is cut, or to read its weight)."""
    advance(p, tab, rate, T, rec, k, ht, hn, hl, m)
    kp, km, pending = pair_traces(rec, k, T, tab, rate, 0, 1, False)
    store_traces(rec, k, max(T, code(rec, k) >> 1), kp, km, pending)
