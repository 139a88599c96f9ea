"""``EulerIF``: NIR's integrate-and-fire neuron ``IF``, ``dv/dt = I / c_m`` (NIR's ``R`` is
``1 / c_m``), stepped by forward Euler: ``v <- v + dt I / c_m``, ``I`` the weights arriving
in the step plus ``i_bias_pa`` and any injected current. Where ``v > v_thresh_mv`` the
neuron spikes and ``v`` is set to ``v_reset_mv``; no leak, no refractory period. Units:
mV, pA, pF, ms (see ``EulerLIF``).
"""

import numpy as np

from .base import Param, Receptor, State
from .euler_lif import EulerSpiking


class EulerIF(EulerSpiking):
    __doc__ = __doc__
    parameters = {
        "c_m_pf": Param(1000.0, low=0.0, strict=True, doc="capacitance (1 / NIR's r)"),
        "v_thresh_mv": Param(1.0, doc="spike threshold (v > v_thresh_mv)"),
        "v_reset_mv": Param(0.0, doc="reset potential"),
        "i_bias_pa": Param(0.0, doc="constant input (NIR's Affine bias)"),
    }
    state = {"v": State("mV", init="v_reset_mv")}
    receptors = {"in": Receptor("v", {"weight_pa": 1.0}, sign=0)}

    @classmethod
    def derive(cls, p, dt_ms):
        return {"gain": dt_ms / np.asarray(p["c_m_pf"], np.float64)}

    @staticmethod
    def integrate(s, c, i_in, refractory):
        return (s.v + c.gain * i_in,)

    @staticmethod
    def receive(s, c, x, refractory):
        return (s.v + c.gain * x[0],)

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv,)
