"""``Izhikevich``: the simple model of Izhikevich (2003), as NEST's ``izhikevich`` integrates it
(``consistent_integration``), with exponential current synapses.

``dv/dt = 0.04 v^2 + 5 v + 140 - u + I``, ``du/dt = a (b v - u)`` (v in mV, t in ms), with
``I = i_bias + injected current + i_exc + i_inh`` (pA, NEST's convention of a unit
resistance); ``i_exc`` and ``i_inh`` jump by ``weight_pa`` when a spike arrives and decay with
``tau_exc_ms`` and ``tau_inh_ms``. On ``v >= v_peak_mv`` the neuron spikes: ``v = c``,
``u = u + d``. No refractory period. Initially ``v = c`` and ``u = b c``.

One step is NEST's forward Euler step from the start-of-step values of ``v`` and ``u`` (in
float64): ``v' = v + dt (0.04 v^2 + 5 v + 140 - u + I)``, ``u' = u + dt a (b v - u)``.

``DeltaIzhikevich``: NEST's ``izhikevich`` as NEST has it (and PyNN's ``Izhikevich``), with
delta synapses: an arriving spike adds its signed ``weight_mv`` to ``v`` in the step it
arrives, after the Euler step (NEST's ``v' = v + dt f(v, u) + spikes``), and can make the
neuron spike in it. ``I = i_bias + injected current``.
"""

import numpy as np
from numba.extending import register_jitable

from .base import NeuronModel, Param, Receptor, State, exp_decay
from .delta_lif import DeltaLIF
from .numerics import decay

_POS = dict(low=0.0, strict=True)
_C1, _C2, _C3 = 0.04, 5.0, 140.0


class Izhikevich(NeuronModel):
    __doc__ = __doc__
    parameters = {
        "a": Param(0.02, doc="recovery rate (1/ms)"),
        "b": Param(0.2, doc="sensitivity of u to v"),
        "c_mv": Param(-65.0, doc="reset potential"),
        "d": Param(8.0, doc="jump of u at a spike"),
        "v_peak_mv": Param(30.0, doc="spike cut-off"),
        "i_bias_pa": Param(0.0, doc="constant injected current"),
        "tau_exc_ms": Param(2.0, **_POS),
        "tau_inh_ms": Param(2.0, **_POS),
    }
    state = {
        "v": State("mV", init="c_mv"),
        "u": State("pA", init=lambda p: np.asarray(p["b"]) * np.asarray(p["c_mv"])),
        "i_exc": State("pA", low=0.0),
        "i_inh": State("pA"),
    }
    receptors = {
        "exc": Receptor("i_exc", {"weight_pa": 1.0}, sign=1),
        "inh": Receptor("i_inh", {"weight_pa": 1.0}, sign=-1),
    }
    threshold_parameter = "v_peak_mv"
    bias_parameter = "i_bias_pa"

    @classmethod
    def derive(cls, p, dt_ms):
        return {"dt_ms": dt_ms, "dec_exc": exp_decay(dt_ms, p["tau_exc_ms"]),
                "dec_inh": exp_decay(dt_ms, p["tau_inh_ms"])}  # fmt: skip

    @staticmethod
    def integrate(s, c, i_in, refractory):
        i = np.float64(i_in) + np.float64(s.i_exc) + np.float64(s.i_inh)
        v, u = euler_step(s.v, s.u, i, c.a, c.b, c.dt_ms)
        return (v, u, decay(s.i_exc, c.dec_exc), decay(s.i_inh, c.dec_inh))

    @staticmethod
    def threshold(s, c):
        return s.v >= c.v_peak_mv

    @staticmethod
    def reset(s, c):
        return (c.c_mv, s.u + c.d, s.i_exc, s.i_inh)


class DeltaIzhikevich(NeuronModel):
    __doc__ = __doc__
    parameters = {k: p for k, p in Izhikevich.parameters.items() if not k.startswith("tau_")}
    state = {"v": Izhikevich.state["v"], "u": Izhikevich.state["u"]}
    receptors = DeltaLIF.receptors  # (delta synapses onto v)
    threshold_parameter = "v_peak_mv"
    bias_parameter = "i_bias_pa"

    @classmethod
    def derive(cls, p, dt_ms):
        return {"dt_ms": dt_ms}

    @staticmethod
    def integrate(s, c, i_in, refractory):
        return euler_step(s.v, s.u, np.float64(i_in), c.a, c.b, c.dt_ms)

    @staticmethod
    def receive(s, c, x, refractory):
        return (s.v + x[0], s.u)

    threshold = Izhikevich.threshold

    @staticmethod
    def reset(s, c):
        return (c.c_mv, s.u + c.d)


@register_jitable
def euler_step(v, u, i, a, b, h):
    """(v, u) after NEST's forward Euler step of length ``h`` (in float64)."""
    v, u, h = np.float64(v), np.float64(u), np.float64(h)
    v_new = v + h * (_C1 * v * v + _C2 * v + _C3 - u + i)
    return v_new, u + h * np.float64(a) * (np.float64(b) * v - u)
