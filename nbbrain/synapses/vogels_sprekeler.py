"""``VogelsSprekeler``: inhibitory plasticity towards a target rate (Vogels et al. 2011),
NEST's ``vogels_sprekeler_synapse``.

With ``K+``, ``K-`` the pre- and postsynaptic traces (each spike adds 1; both decay with
``tau_ms``): a postsynaptic spike makes ``|w|`` grow by ``eta K+``; a presynaptic spike
makes it grow by ``eta K-`` and shrink by ``alpha eta``; ``|w|`` stays in [0, ``|w_max|``]
and ``w`` takes the sign of ``w_max``. The postsynaptic neuron settles where its rate is
``alpha / (2 tau)`` (give ``target_rate_hz`` instead of ``alpha`` to set it so).
"""

import math

import numpy as np

from ..jit import inner
from ..neurons.base import Param
from .base import PlasticityRule, positive, required
from .traces import W, pair_traces, store_traces


class VogelsSprekeler(PlasticityRule):
    __doc__ = __doc__
    parameters = {
        "tau_ms": positive(20.0, "time constant of both traces"),
        "eta": Param(0.001, 0.0, doc="learning rate (the projection's unit)"),
        "alpha": Param(None, 0.0, doc="depression per presynaptic spike, in units of eta"),
        "target_rate_hz": Param(None, 0.0, doc="the rate alpha / (2 tau) leads to"),
        "w_max": required("the largest |weight| (its sign: the weights' sign)"),
    }
    synapse_state = {"k_plus": 0.0, "k_minus": 0.0}

    def __init__(self, **values):
        if ("alpha" in values) == ("target_rate_hz" in values):
            raise TypeError("VogelsSprekeler: give exactly one of alpha or target_rate_hz")
        tau_s = self.checked("tau_ms", values.get("tau_ms")) * 1e-3
        if "target_rate_hz" in values:
            values["alpha"] = 2.0 * self.checked("target_rate_hz", values["target_rate_hz"]) * tau_s
        else:
            values["target_rate_hz"] = self.checked("alpha", values["alpha"]) / (2.0 * tau_s)
        super().__init__(**values)

    def check(self):
        if self.w_max == 0:
            raise ValueError("VogelsSprekeler: w_max must be nonzero")

    kind_name = "vogels_sprekeler"

    def constants(self, dt_ms):
        p = self.params
        return np.array([p["tau_ms"], p["eta"], p["alpha"], p["w_max"]])

    def weight_range(self):
        return (min(0.0, self.w_max), max(0.0, self.w_max))

    def decays(self, dt_ms, tau_mod_ms=None):
        return [(dt_ms / self.tau_ms, "exp")]


@inner
def _grow(w, by, w_max):
    return math.copysign(min(abs(w) + by, abs(w_max)), w_max)


@inner
def on_pre(p, tab, rate, T, rec, k, scale):
    kp, km, pending = pair_traces(rec, k, T, tab, rate, 0, 0, False)
    v = _grow(rec[k, W], p[1] * km, p[3])
    rec[k, W] = math.copysign(max(abs(v) - p[2] * p[1], 0.0), p[3])
    store_traces(rec, k, T, kp + 1.0, km, pending)
    return rec[k, W] * scale


@inner
def on_post(p, tab, rate, T, rec, k):
    kp, km, _pending = pair_traces(rec, k, T, tab, rate, 0, 0, False)
    rec[k, W] = _grow(rec[k, W], p[1] * kp, p[3])
    store_traces(rec, k, T, kp, km, 1)
