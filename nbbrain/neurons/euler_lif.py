"""``EulerLIF``: NIR's leaky integrate-and-fire neurons, ``LIF`` and ``CubaLIF``, stepped by
forward Euler as snnTorch, Norse and NIR's reference simulators step them (so that a network
exported from them spikes here as it does there).

``LIF`` (``tau_syn_ms = 0``): ``tau_mem dv/dt = (v_leak - v) + r I``, ``I`` the input: the
weights arriving in a step, plus ``i_bias_pa`` and any injected current. ``CubaLIF``
(``tau_syn_ms > 0``): ``tau_syn di/dt = -i + w_in I`` and ``tau_mem dv/dt = (v_leak - v) +
r i``. One step ``dt``::

    i <- i + dt / tau_syn (w_in I - i)                  (CubaLIF)
    v <- v + dt / tau_mem (v_leak - v + r i)            (CubaLIF; LIF: r I for r i)

input of the step included (snnTorch's ``Leaky`` and ``Synaptic``: ``mem = beta mem +
input``). Where ``v > v_thresh_mv`` the neuron spikes and ``v`` is set to ``v_reset_mv``
(NIR's reset; snnTorch's ``reset_mechanism="zero"``); no refractory period. Units: mV,
pA, ms, and ``r_gohm`` in GOhm (mV per pA); NIR's numbers carry no units, and
``nb.from_nir`` reads them as these (its time constants in seconds).
"""

import numpy as np

from .base import NeuronModel, Param, Receptor, State, check_below

_POS = dict(low=0.0, strict=True)


def euler_factor(dt_ms, tau_ms):
    """``dt / tau`` (floats or arrays; 0 where ``tau`` is 0, a variable that is not
    integrated)."""
    tau = np.asarray(tau_ms, np.float64)
    return np.where(tau > 0, dt_ms / np.where(tau > 0, tau, 1.0), 0.0)


def nir_parameters(tau_ms: str) -> dict:
    """The parameters that NIR's leaky neurons share."""
    return {
        tau_ms: Param(10.0, **_POS, doc="membrane time constant"),
        "r_gohm": Param(1.0, doc="resistance (mV of drive per pA)"),
        "v_leak_mv": Param(0.0, doc="leak potential"),
        "i_bias_pa": Param(0.0, doc="constant input (NIR's Affine bias)"),
    }


class EulerSpiking(NeuronModel):
    """Base of NIR's spiking neurons: a threshold (``v > v_thresh_mv``) that a rhythm can
    shift, a reset below it, a bias current."""

    threshold_parameter = "v_thresh_mv"
    bias_parameter = "i_bias_pa"

    def check(self, p, who):
        check_below(p, "v_reset_mv", "v_thresh_mv", who)

    @staticmethod
    def threshold(s, c):
        return s.v > c.v_thresh_mv


class EulerLIF(EulerSpiking):
    __doc__ = __doc__
    parameters = {
        **nir_parameters("tau_mem_ms"),
        "tau_syn_ms": Param(0.0, low=0.0, doc="synaptic time constant (0: LIF, no current)"),
        "w_in": Param(1.0, doc="input weight of the synaptic current (CubaLIF)"),
        "v_thresh_mv": Param(1.0, doc="spike threshold (v > v_thresh_mv)"),
        "v_reset_mv": Param(0.0, doc="reset potential"),
    }
    state = {"v": State("mV", init="v_leak_mv"), "i": State("pA")}
    receptors = {"in": Receptor("i", {"weight_pa": 1.0}, sign=0)}

    @classmethod
    def derive(cls, p, dt_ms):
        a_m = euler_factor(dt_ms, p["tau_mem_ms"])
        a_s = euler_factor(dt_ms, p["tau_syn_ms"])
        cuba = np.asarray(p["tau_syn_ms"], np.float64) > 0
        g_m = a_m * np.asarray(p["r_gohm"], np.float64)
        return {
            "beta": 1.0 - a_m,  # (snnTorch's beta, alpha)
            "leak": a_m * np.asarray(p["v_leak_mv"], np.float64),
            "alpha": np.where(cuba, 1.0 - a_s, 0.0),
            "g_mem": g_m,  # mV per pA of drive
            "g_syn": np.where(cuba, a_s * np.asarray(p["w_in"], np.float64), 0.0),
            "cuba": cuba.astype(np.float64),
        }

    @staticmethod
    def integrate(s, c, i_in, refractory):
        # (the decay and the constant input; ``receive`` adds the arriving weights, so that
        # an input-free step is ``v * beta``, as in snnTorch)
        if c.cuba > 0:
            i = s.i * c.alpha + c.g_syn * i_in
            return (s.v * c.beta + c.leak + c.g_mem * i, i)
        return (s.v * c.beta + c.leak + c.g_mem * i_in, s.i)

    @staticmethod
    def receive(s, c, x, refractory):
        if c.cuba > 0:
            di = c.g_syn * x[0]
            return (s.v + c.g_mem * di, s.i + di)
        return (s.v + c.g_mem * x[0], s.i)

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv, s.i)
