"""``Homeostasis``: multiplicative synaptic scaling towards a target rate (Turrigiano et al.
1998).

Every ``every_ms``, each target neuron's rate ``r`` over that window (its spike count over
``every_ms``) scales all its synapses of the projection by ``exp(every_ms / tau_ms * (1 -
r / target_rate_hz))``: up when it fires below the target, down above it, with time
constant ``tau_ms``; the weights stay within [0, ``w_max``] (or [``w_max``, 0] for negative
weights). Spikes carry the weight as it is.
"""

import math

import numpy as np

from ..jit import inner
from .base import PlasticityRule, positive, required


class Homeostasis(PlasticityRule):
    __doc__ = __doc__
    parameters = {
        "target_rate_hz": positive(None, "the rate each target neuron is scaled towards"),
        "tau_ms": positive(10000.0, "time constant of the scaling"),
        "every_ms": positive(100.0, "interval between scalings (the rate's window)"),
        "w_max": required("largest |weight| (its sign: the weights' sign)"),
    }
    post_events = False
    kind_name = "homeostasis"

    def check(self):
        if self.w_max == 0:
            raise ValueError("Homeostasis: w_max must be nonzero")

    def constants(self, dt_ms):
        p = self.params
        return np.array([p["target_rate_hz"], p["tau_ms"], p["every_ms"], p["w_max"]])

    def decays(self, dt_ms, tau_mod_ms=None):
        return []

    def weight_range(self):
        return (min(0.0, self.w_max), max(0.0, self.w_max))


@inner
def scaled(p, count, w):
    """The weight ``w`` of a synapse after a scaling whose window saw ``count`` spikes of
    its target."""
    rate_hz = float(count) / (p[2] * 1e-3)
    v = w * math.exp(p[2] / p[1] * (1.0 - rate_hz / p[0]))
    return min(v, p[3]) if p[3] > 0 else max(v, p[3])
