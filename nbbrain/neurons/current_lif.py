"""``CurrentLIF``: leaky integrate-and-fire neuron with exponential current synapses (NEST's
``iaf_psc_exp``, integrated exactly as NEST does).

``c_m dv/dt = g_leak (e_leak - v) + i_exc + i_inh + i``; ``i_exc``, ``i_inh`` (pA) jump by the
weight when a spike arrives and decay with ``tau_exc_ms``, ``tau_inh_ms``; ``i`` is the bias
plus injected current, constant over a step. Weights are ``weight_pa`` (a current jump) or
``weight_mv`` (a jump of ``i / g_leak``, Brian2's CUBA convention, converted to pA with the
target's ``g_leak_ns``); receptor ``"exc"`` takes weights >= 0, ``"inh"`` weights <= 0. On
``v > v_thresh_mv`` the neuron spikes, ``v`` is set to ``v_reset_mv`` and held there for
``t_ref_ms`` (the currents keep decaying).

One step is exact (NEST's propagators): the constant current moves ``v`` towards
``e_leak + i / g_leak`` by ``exp(-dt g_leak / c_m)``; each synaptic current, decaying over the
step, adds ``p21 * i_syn`` (``current_p21``).
"""

import numpy as np
from numba.extending import register_jitable

from .base import LIFModel, Param, Receptor, State, exp_decay, lif_parameters
from .numerics import decay

_POS = dict(low=0.0, strict=True)


def current_p21(dt_ms, c_m_pf, tau_m_ms, tau_syn_ms):
    """mV of membrane potential after one step per pA of an exponentially decaying
    current at the start of the step: ``tau_s tau_m / (c_m (tau_m - tau_s)) (exp(-dt /
    tau_m) - exp(-dt / tau_s))``, written with ``expm1`` so that it stays exact as
    ``tau_s`` approaches ``tau_m`` (where it becomes ``dt / c_m exp(-dt / tau_m)``). Floats
    or arrays."""
    dt_ms, c_m, tau_m, tau_s = np.broadcast_arrays(
        *(np.asarray(x, np.float64) for x in (dt_ms, c_m_pf, tau_m_ms, tau_syn_ms))
    )
    x = dt_ms * (tau_m - tau_s) / (tau_s * tau_m)
    safe = np.where(x == 0, 1.0, x)
    ratio = np.where(x == 0, 1.0, -np.expm1(-safe) / safe)
    out = dt_ms / c_m * np.exp(-dt_ms / tau_m) * ratio
    return float(out) if out.ndim == 0 else out


@register_jitable
def exact_membrane(v, i_const, e_leak, g_leak, dec_m):
    """``v`` after one step of a leaky membrane under the constant current ``i_const``."""
    v_inf = e_leak + i_const / g_leak
    return v_inf + (v - v_inf) * dec_m


class CurrentLIF(LIFModel):
    __doc__ = __doc__
    parameters = {
        **lif_parameters(200.0, 10.0, -60.0, -50.0, -60.0, 5.0),
        "tau_exc_ms": Param(5.0, **_POS),
        "tau_inh_ms": Param(10.0, **_POS),
    }
    state = {
        "v": State("mV", init="e_leak_mv"),
        "i_exc": State("pA", low=0.0),
        "i_inh": State("pA"),
    }
    receptors = {
        "exc": Receptor("i_exc", {"weight_pa": 1.0, "weight_mv": "g_leak_ns"}, sign=1),
        "inh": Receptor("i_inh", {"weight_pa": 1.0, "weight_mv": "g_leak_ns"}, sign=-1),
    }

    @classmethod
    def derive(cls, p, dt_ms):
        c_m, g_l = np.asarray(p["c_m_pf"], np.float64), np.asarray(p["g_leak_ns"], np.float64)
        tau_m = c_m / g_l
        return {
            "dec_m": np.exp(-dt_ms / tau_m),
            "dec_exc": exp_decay(dt_ms, p["tau_exc_ms"]),
            "dec_inh": exp_decay(dt_ms, p["tau_inh_ms"]),
            "p21_exc": current_p21(dt_ms, c_m, tau_m, p["tau_exc_ms"]),
            "p21_inh": current_p21(dt_ms, c_m, tau_m, p["tau_inh_ms"]),
        }

    @staticmethod
    def integrate(s, c, i_in, refractory):
        v = exact_membrane(s.v, i_in, c.e_leak_mv, c.g_leak_ns, c.dec_m)
        v = v + c.p21_exc * s.i_exc + c.p21_inh * s.i_inh
        return (s.v if refractory else v, decay(s.i_exc, c.dec_exc),
                decay(s.i_inh, c.dec_inh))  # fmt: skip

    @staticmethod
    def threshold(s, c):
        return s.v > c.v_thresh_mv

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv, s.i_exc, s.i_inh)
