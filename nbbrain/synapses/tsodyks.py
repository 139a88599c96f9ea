"""``TsodyksMarkram``: short-term depression and facilitation, NEST's ``tsodyks2_synapse``
as of NEST 3.9.

The resources ``x`` (initially ``x0``) and the release probability ``u`` (initially ``u``)
evolve between spikes as ``x -> 1 + (x - x u - 1) exp(-h / tau_rec_ms)`` (recovery from the
last spike's release) and ``u -> u_inc + u (1 - u_inc) exp(-h / tau_fac_ms)`` (``h`` the
interval; ``tau_fac_ms = 0``: no facilitation, ``u`` stays ``u``); each spike then carries
``x u w``. The first spike carries the initial ``x u w``. The weight ``w`` itself does not
change.

``per_presynaptic=True`` keeps ``x`` and ``u`` per presynaptic neuron instead of per
synapse (what large brain models do: the synapses of one axon share its vesicle pool), at
no per-synapse cost; the spike of a neuron then carries the same ``x u`` to all its
synapses of the projection.
"""

import math

import numpy as np

from ..jit import inner
from ..neurons.base import Param
from .base import PlasticityRule, positive


class TsodyksMarkram(PlasticityRule):
    parameters = {
        "u": Param(
            0.5,
            0.0,
            1.0,
            doc="utilisation: the release probability u is raised by "
            "u (1 - u) at each spike, and starts at u",
        ),
        "tau_rec_ms": positive(800.0, "recovery time constant of the resources x"),
        "tau_fac_ms": Param(0.0, 0.0, doc="facilitation time constant (0: none)"),
        "x0": Param(1.0, 0.0, 1.0, doc="initial resources"),
    }
    synapse_state = {"x": "x0", "u": "u"}
    post_events = False

    def __init__(self, per_presynaptic: bool = False, **values):
        self.per_presynaptic = bool(per_presynaptic)
        super().__init__(**values)

    @property
    def kind_name(self):
        return "tsodyks_pre" if self.per_presynaptic else "tsodyks"

    def constants(self, dt_ms):
        p = self.params
        return np.array([p["u"], p["tau_rec_ms"], p["tau_fac_ms"], p["x0"]])

    def __repr__(self):
        return super().__repr__()[:-1] + (", per_presynaptic=True)" if self.per_presynaptic
                                          else ")")  # fmt: skip


@inner
def release(p, T, dt_ms, x, tc, k):
    """The share ``x u`` a spike at step ``T`` carries, with ``x[0, k]``, ``x[1, k]`` and
    ``tc[k]`` (the last spike's step, -1 before the first) updated in place."""
    xr, u = float(x[0, k]), float(x[1, k])
    last = tc[k]
    if last >= 0:
        h = float(T - last) * dt_ms
        xr = 1.0 + (xr - xr * u - 1.0) * math.exp(-h / p[1])
        u_dec = 0.0 if p[2] < 1e-10 else math.exp(-h / p[2])
        u = p[0] + u * (1.0 - p[0]) * u_dec
        x[0, k], x[1, k] = xr, u
    tc[k] = T
    return float(x[0, k]) * float(x[1, k])


@inner
def on_pre(p, T, dt_ms, w, x, tc, k, scale):
    return w[k] * release(p, T, dt_ms, x, tc, k)
