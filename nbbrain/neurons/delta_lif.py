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

from .base import LIFModel, Receptor, State, lif_parameters
from .current_lif import exact_membrane


class DeltaLIF(LIFModel):
    __doc__ = __doc__
    parameters = lif_parameters(250.0, 25.0, -70.0, -55.0, -70.0, 2.0)
    state = {"v": State("mV", init="e_leak_mv")}
    receptors = {
        "exc": Receptor("v", {"weight_mv": 1.0}, sign=1),
        "inh": Receptor("v", {"weight_mv": 1.0}, sign=-1),
    }

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
