"""``TsodyksMarkram``: short-term depression and facilitation, NEST's ``tsodyks2_synapse``
as of NEST 3.9.

The resources ``x`` (initially ``x0``) and the release probability ``u`` (initially ``u``)
evolve between spikes as ``x -> 1 + (x - x u - 1) exp(-h / tau_rec_ms)`` (recovery from the
last spike's release) and ``u -> u_inc + u (1 - u_inc) exp(-h / tau_fac_ms)`` (``h`` the
interval; ``tau_fac_ms = 0``: no facilitation, ``u`` stays ``u``); each spike then carries
``x u w``. The first spike carries the initial ``x u w``. The weight ``w`` itself does not
change.

``per_presynaptic=True`` keeps ``x`` and ``u`` per presynaptic neuron instead of per
synapse (what large brain models do: the synapses of one axon share its vesicle pool):
one update per spike, not one per synapse; the spike of a neuron then carries the same
``x u`` to all its synapses of the projection, each of which multiplies its weight by it.
(Its synapses still take a plastic synapse's room, record included.)
"""

import numpy as np

from ..jit import inner
from ..neurons.base import Param
from .base import PlasticityRule, positive
from .traces import W, code, exp_steps, set_code


class TsodyksMarkram(PlasticityRule):
    __doc__ = __doc__
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
    post_spikes = False

    def __init__(self, per_presynaptic: bool = False, **values):
        self.per_presynaptic = bool(per_presynaptic)
        super().__init__(**values)

    @property
    def kind_name(self):
        return "tsodyks_pre" if self.per_presynaptic else "tsodyks"

    def constants(self, dt_ms):
        p = self.params
        return np.array([p["u"], p["tau_rec_ms"], p["tau_fac_ms"], p["x0"]])

    def decays(self, dt_ms, tau_mod_ms=None):
        fac = dt_ms / self.tau_fac_ms if self.tau_fac_ms >= 1e-10 else np.inf  # (0: none)
        return [(dt_ms / self.tau_rec_ms, "exp"), (fac, "exp")]

    def __repr__(self):
        return super().__repr__()[:-1] + (", per_presynaptic=True)" if self.per_presynaptic
                                          else ")")  # fmt: skip


@inner
def release(p, tab, rate, T, rec, k):
    """The share ``x u`` a spike at step ``T`` carries, with ``x`` (``rec[k, 1]``), ``u``
    (``rec[k, 2]``) and the last spike's step (-1 before the first) updated in place (the
    synapse's record, or the presynaptic neuron's)."""
    xr, u = rec[k, 1], rec[k, 2]
    last = code(rec, k)
    if last >= 0:
        xr = 1.0 + (xr - xr * u - 1.0) * exp_steps(tab, rate, 0, T - last)
        u = p[0] + u * (1.0 - p[0]) * exp_steps(tab, rate, 1, T - last)
        rec[k, 1], rec[k, 2] = xr, u
    set_code(rec, k, T)
    return xr * u


@inner
def on_pre(p, tab, rate, T, rec, k, scale):
    return rec[k, W] * release(p, tab, rate, T, rec, k)
