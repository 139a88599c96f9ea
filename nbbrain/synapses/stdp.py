"""``STDP``: NEST's ``stdp_synapse`` (Guetig et al. 2003), all-to-all pairing, or nearest-
neighbour pairing (NEST's ``stdp_nn_symm_synapse``) with ``nearest=True``.

With ``w`` in [0, ``w_max``] (the projection's unit) and ``K+``, ``K-`` the pre- and
postsynaptic traces (each spike adds 1, or sets 1 for nearest pairing; they decay with
``tau_plus_ms`` and ``tau_minus_ms``):

- a postsynaptic spike facilitates: ``w/w_max += lambda_ (1 - w/w_max)**mu_plus K+``;
- a presynaptic spike depresses: ``w/w_max -= alpha lambda_ (w/w_max)**mu_minus K-``;

clipped to [0, w_max] (``mu = 0``: additive; ``mu = 1``: multiplicative). The presynaptic
spike then carries the new weight. ``tau_minus_ms`` is a parameter of the postsynaptic
neuron in NEST; here it is the rule's. As in NEST, nearest pairing starts as if the
presynaptic neuron had spiked at time 0 (``K+`` starts at 1).

``modulator=name`` gives the amplitudes a gain: ``lambda_`` is multiplied by
``max(0, 1 + n)`` at each pairing, ``n`` the concentration of that modulator
(``Brain.add_modulator``; acetylcholine, noradrenaline) at that step: at 0 the rule is
NEST's, above it learns faster, below (a dip, ``n < 0``) slower, down to not at all.
"""

import numpy as np

from ..jit import inner
from ..neurons.base import Param
from .base import PlasticityRule, positive, required
from .traces import W, exp_steps, pair_traces, store_traces


class STDP(PlasticityRule):
    parameters = {
        "tau_plus_ms": positive(20.0, "presynaptic trace time constant"),
        "tau_minus_ms": positive(20.0, "postsynaptic trace time constant"),
        "lambda_": Param(0.01, 0.0, doc="learning rate (step size of facilitation)"),
        "alpha": Param(1.0, 0.0, doc="depression relative to facilitation"),
        "mu_plus": Param(1.0, 0.0, doc="weight dependence of facilitation (0: additive)"),
        "mu_minus": Param(1.0, 0.0, doc="weight dependence of depression (0: additive)"),
        "w_max": required("largest weight (the projection's unit)", 0.0, strict=True),
    }
    synapse_state = {"k_plus": 0.0, "k_minus": 0.0}

    def __init__(self, nearest: bool = False, modulator: str | None = None, **values):
        if modulator is not None and (not isinstance(modulator, str) or not modulator):
            raise TypeError(f"STDP: modulator must be None or the name of a modulator "
                            f"(Brain.add_modulator), got {modulator!r}")  # fmt: skip
        self.nearest = bool(nearest)
        self.modulator, self.modulated = modulator, modulator is not None
        super().__init__(**values)

    @property
    def kind_name(self):
        return "stdp_nearest" if self.nearest else "stdp"

    def constants(self, dt_ms, tau_mod_ms=None):
        p = self.params
        return np.array([p["tau_plus_ms"], p["tau_minus_ms"], p["lambda_"], p["alpha"],
                         p["mu_plus"], p["mu_minus"], p["w_max"]])  # fmt: skip

    def weight_range(self):
        return (0.0, self.w_max)

    def decays(self, dt_ms, tau_mod_ms=None):
        out = [(dt_ms / self.tau_plus_ms, "exp"), (dt_ms / self.tau_minus_ms, "exp")]
        return out + ([(dt_ms / tau_mod_ms, "exp")] if self.modulated else [])

    def initial(self):
        return np.array([1.0 if self.nearest else 0.0, 0.0])

    def __repr__(self):
        out = super().__repr__()[:-1] + (", nearest=True" if self.nearest else "")
        return out + (f", modulator={self.modulator!r})" if self.modulated else ")")


@inner
def _power(x, mu):
    return 1.0 if mu == 0.0 else (x if mu == 1.0 else x**mu)


@inner
def gain(tab, rate, T, ht, hn, hl, m):
    """The amplitudes' gain at step ``T``: ``max(0, 1 + n)``, ``n`` the concentration of
    modulator ``m`` (its history: the last change at step ``ht[m, hl[m] - 1]``, no later
    than ``T``, to ``hn[m, hl[m] - 1]``)."""
    last = hl[m] - 1
    n = hn[m, last]
    if n != 0.0:
        n *= exp_steps(tab, rate, 2, T - ht[m, last])
    return max(0.0, 1.0 + n)


@inner
def on_pre(p, tab, rate, T, rec, k, scale, nearest, g):
    """(``g``: the gain, 1 without a modulator)"""
    kp, km, pending = pair_traces(rec, k, T, tab, rate, 0, 1, nearest)
    w_max = p[6]
    r = rec[k, W] / w_max
    r = max(r - p[3] * p[2] * g * _power(r, p[5]) * km, 0.0)
    rec[k, W] = r * w_max
    store_traces(rec, k, T, 1.0 if nearest else kp + 1.0, km, pending)
    return rec[k, W] * scale


@inner
def on_post(p, tab, rate, T, rec, k, nearest, g):
    kp, km, _pending = pair_traces(rec, k, T, tab, rate, 0, 1, nearest)
    w_max = p[6]
    r = rec[k, W] / w_max
    r = min(r + p[2] * g * _power(1.0 - r, p[4]) * kp, 1.0)
    rec[k, W] = r * w_max
    store_traces(rec, k, T, kp, km, 1)
