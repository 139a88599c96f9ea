"""``CurrentAlphaLIF``: leaky integrate-and-fire neuron with alpha-function current synapses
(NEST's ``iaf_psc_alpha``, integrated exactly as NEST does; PyNN's ``IF_curr_alpha``).

``c_m dv/dt = g_leak (e_leak - v) + i_exc + i_inh + i``; a spike of weight ``w`` (pA)
arriving at time 0 makes the current ``w e t / tau exp(-t / tau)``, which peaks at ``w`` at
``t = tau`` (``tau_exc_ms``, ``tau_inh_ms``); ``i`` is the bias plus injected current,
constant over a step. Each current is two state variables, ``i_*`` and its rate of change
``di_*``, which the arriving weight moves (by ``e / tau`` per pA). On ``v >= v_thresh_mv`` (as
NEST compares) the neuron spikes, ``v`` is set to ``v_reset_mv`` and held there for
``t_ref_ms`` (the currents keep evolving). Receptor ``"exc"`` takes weights >= 0, ``"inh"``
weights <= 0 (``weight_pa``).

One step is exact (NEST's propagators): ``i`` and ``di`` evolve as ``(i + h di) exp(-h /
tau)`` and ``di exp(-h / tau)``, and the membrane gains ``p31 di + p32 i`` from them
(``alpha_propagators``).
"""

import numpy as np

from .base import LIFModel, Param, Receptor, State, exp_decay, lif_parameters
from .current_lif import exact_membrane

_POS = dict(low=0.0, strict=True)


def alpha_propagators(dt_ms, c_m_pf, tau_m_ms, tau_syn_ms):
    """mV of membrane potential after one step per unit of ``di`` (pA/ms: ``p31``) and of
    ``i`` (pA: ``p32``) at the start of the step, for a current ``(i + t di) exp(-t /
    tau_s)``: ``p32 = exp(-h / tau_m) (1 - exp(-a h)) / (a c_m)``, ``p31 = exp(-h / tau_m)
    (1 - exp(-a h) (1 + a h)) / (a^2 c_m)`` with ``a = 1 / tau_s - 1 / tau_m``; by their
    series where ``a h`` is small (``tau_s`` near ``tau_m``). Floats or arrays."""
    h, c_m, tau_m, tau_s = np.broadcast_arrays(
        *(np.asarray(x, np.float64) for x in (dt_ms, c_m_pf, tau_m_ms, tau_syn_ms))
    )
    x = h * (1.0 / tau_s - 1.0 / tau_m)  # a h
    small = np.abs(x) < 1e-4
    safe = np.where(small, 1.0, x)
    f32 = np.where(small, 1.0 - x / 2 + x * x / 6, -np.expm1(-safe) / safe)  # (1 - e^-x) / x
    f31 = np.where(small, 0.5 - x / 3 + x * x / 8,
                   (1.0 - np.exp(-safe) * (1.0 + safe)) / (safe * safe))  # fmt: skip
    dec = np.exp(-h / tau_m) / c_m
    p31, p32 = dec * h * h * f31, dec * h * f32
    return (float(p31), float(p32)) if p31.ndim == 0 else (p31, p32)


class CurrentAlphaLIF(LIFModel):
    __doc__ = __doc__
    parameters = {
        **lif_parameters(250.0, 16.6667, -70.0, -55.0, -70.0, 2.0),
        "tau_exc_ms": Param(2.0, **_POS, doc="rise time of the excitatory current"),
        "tau_inh_ms": Param(2.0, **_POS, doc="rise time of the inhibitory current"),
    }
    state = {
        "v": State("mV", init="e_leak_mv"),
        "i_exc": State("pA"),
        "di_exc": State("pA/ms"),
        "i_inh": State("pA"),
        "di_inh": State("pA/ms"),
    }
    receptors = {
        "exc": Receptor("di_exc", {"weight_pa": 1.0}, sign=1),
        "inh": Receptor("di_inh", {"weight_pa": 1.0}, sign=-1),
    }

    @classmethod
    def derive(cls, p, dt_ms):
        c_m, g_l = np.asarray(p["c_m_pf"], np.float64), np.asarray(p["g_leak_ns"], np.float64)
        tau_m = c_m / g_l
        out = {"dec_m": np.exp(-dt_ms / tau_m), "h": np.full(np.shape(tau_m), dt_ms)}
        for r in ("exc", "inh"):
            tau = np.asarray(p[f"tau_{r}_ms"], np.float64)
            out[f"p31_{r}"], out[f"p32_{r}"] = alpha_propagators(dt_ms, c_m, tau_m, tau)
            out[f"dec_{r}"] = exp_decay(dt_ms, tau)
            out[f"psc_{r}"] = np.e / tau  # (di per pA of weight: a peak of the weight)
        return out

    @staticmethod
    def integrate(s, c, i_in, refractory):
        v = exact_membrane(s.v, i_in, c.e_leak_mv, c.g_leak_ns, c.dec_m)
        v = v + c.p31_exc * s.di_exc + c.p32_exc * s.i_exc
        v = v + c.p31_inh * s.di_inh + c.p32_inh * s.i_inh
        i_exc = (s.i_exc + c.h * s.di_exc) * c.dec_exc
        i_inh = (s.i_inh + c.h * s.di_inh) * c.dec_inh
        return (s.v if refractory else v, i_exc, s.di_exc * c.dec_exc, i_inh,
                s.di_inh * c.dec_inh)  # fmt: skip

    @staticmethod
    def receive(s, c, x, refractory):
        return (s.v, s.i_exc, s.di_exc + c.psc_exc * x[0], s.i_inh, s.di_inh + c.psc_inh * x[1])

    @staticmethod
    def threshold(s, c):
        return s.v >= c.v_thresh_mv

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv, s.i_exc, s.di_exc, s.i_inh, s.di_inh)
