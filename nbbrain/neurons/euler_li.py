"""``EulerLI``: NIR's leaky integrator ``LI``, ``tau dv/dt = (v_leak - v) + r I``, stepped
by forward Euler as ``EulerLIF`` is (``v <- v + dt / tau (v_leak - v + r I)``, ``I`` the
weights arriving in the step plus ``i_bias_pa`` and any injected current). It never
spikes: its output is ``v`` (record it with ``record_state``). Units as ``EulerLIF``.
"""

import numpy as np

from .base import NeuronModel, Receptor, State
from .euler_lif import euler_factor, nir_parameters


class EulerLI(NeuronModel):
    __doc__ = __doc__
    parameters = nir_parameters("tau_ms")
    state = {"v": State("mV", init="v_leak_mv")}
    receptors = {"in": Receptor("v", {"weight_pa": 1.0}, sign=0)}
    bias_parameter = "i_bias_pa"
    spikes = False

    @classmethod
    def derive(cls, p, dt_ms):
        a = euler_factor(dt_ms, p["tau_ms"])
        return {"beta": 1.0 - a, "leak": a * np.asarray(p["v_leak_mv"], np.float64),
                "g_mem": a * np.asarray(p["r_gohm"], np.float64)}  # fmt: skip

    @staticmethod
    def integrate(s, c, i_in, refractory):
        return (s.v * c.beta + c.leak + c.g_mem * i_in,)

    @staticmethod
    def receive(s, c, x, refractory):
        return (s.v + c.g_mem * x[0],)

    @staticmethod
    def threshold(s, c):
        return False

    @staticmethod
    def reset(s, c):
        return (s.v,)
