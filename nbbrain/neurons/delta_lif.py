"""``DeltaLIF``: leaky integrate-and-fire neuron with delta synapses (NEST's
``iaf_psc_delta``): an arriving spike makes ``v`` jump by its signed weight (``weight_mv``).

``c_m dv/dt = g_leak (e_leak - v) + i`` between spikes (``i``: bias plus injected current,
constant over a step; integrated exactly), and ``v += w`` for each arriving weight ``w``
(mV; receptor ``"exc"`` takes ``w >= 0``, ``"inh"`` ``w <= 0``). On ``v >= v_thresh_mv`` (NEST
compares with ``>=``) the neuron spikes, ``v`` is set to ``v_reset_mv`` and held there for
``t_ref_ms``; input that arrives while it is refractory is lost, as in NEST by default.
A spike arriving at step t moves ``v`` in that step, and can make the neuron spike in it.
Defaults are NEST's.
"""

import numpy as np

from .base import NeuronModel, Param, Receptor, State, check_below
from .current_lif import exact_membrane

_POS = dict(low=0.0, strict=True)


class DeltaLIF(NeuronModel):
    __doc__ = __doc__
    parameters = {
        "c_m_pf": Param(250.0, **_POS, doc="membrane capacitance"),
        "g_leak_ns": Param(25.0, **_POS, doc="leak conductance"),
        "e_leak_mv": Param(-70.0, doc="leak reversal potential"),
        "v_thresh_mv": Param(-55.0, doc="spike threshold"),
        "v_reset_mv": Param(-70.0, doc="reset potential"),
        "t_ref_ms": Param(2.0, low=0.0, doc="refractory period (whole steps)"),
        "i_bias_pa": Param(0.0, doc="constant injected current"),
    }
    state = {"v": State("mV", init="e_leak_mv")}
    receptors = {
        "exc": Receptor("v", {"weight_mv": 1.0}, sign=1),
        "inh": Receptor("v", {"weight_mv": 1.0}, sign=-1),
    }
    refractory_parameter = "t_ref_ms"
    threshold_parameter = "v_thresh_mv"
    bias_parameter = "i_bias_pa"

    def check(self, p, who):
        check_below(p, "v_reset_mv", "v_thresh_mv", who)

    @classmethod
    def derive(cls, p, dt_ms):
        tau_m = np.asarray(p["c_m_pf"], np.float64) / np.asarray(p["g_leak_ns"], np.float64)
        return {"dec_m": np.exp(-dt_ms / tau_m)}

    @staticmethod
    def integrate(s, c, i_in, refractory):
        v = exact_membrane(s.v, i_in, c.e_leak_mv, c.g_leak_ns, c.dec_m)
        return (s.v if refractory else v,)

    @staticmethod
    def receive(s, c, x, refractory):
        return (s.v if refractory else s.v + x[0],)

    @staticmethod
    def threshold(s, c):
        return s.v >= c.v_thresh_mv

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv,)
