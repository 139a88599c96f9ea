"""``AdEx``: the adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005) with
conductance synapses, as NEST's ``aeif_cond_exp``.

``c_m dv/dt = -g_leak (v - e_leak) + g_leak delta_t exp((v - v_t) / delta_t)
- g_ampa (v - e_ampa) - g_gaba_a (v - e_gaba_a) - w + i``,
``tau_w dw/dt = a (v - e_leak) - w``; ``g_ampa``, ``g_gaba_a`` (nS) jump by ``weight_ns`` when
a spike arrives and decay with ``tau_ampa_ms``, ``tau_gaba_a_ms``; ``i`` is the bias plus
injected current. On ``v >= v_peak_mv`` the neuron spikes: ``v = v_reset_mv``, ``w = w + b_pa``,
and ``v`` is held at the reset for ``t_ref_ms`` (``w`` keeps evolving). As in NEST, the
exponential term sees ``v`` bounded by ``v_peak_mv``. Defaults are NEST's.

One step of ``dt`` is ``AdEx.SUBSTEPS`` (10) classical Runge-Kutta steps in float64, the
conductances decaying exactly within it (NEST uses an adaptive Runge-Kutta-Fehlberg 4(5)
solver). As in NEST, the reset happens within the step, at the sub-step where ``v`` reaches
``v_peak_mv``, and the integration goes on from there; the state variable ``spiked`` (1 or
0) says whether it did in the last step. One spike per step at most: a second crossing in
the same step holds ``v`` at ``v_peak_mv`` until the step ends.
"""

import math

import numpy as np
from numba.extending import register_jitable

from .base import NeuronModel, Param, Receptor, State, check_below, exp_decay
from .numerics import decay

_POS = dict(low=0.0, strict=True)


@register_jitable
def _rates(v, w, ge, gi, i, c, refractory):
    """``dv/dt`` (mV/ms) and ``dw/dt`` (pA/ms), float64; ``v`` bounded as NEST bounds it."""
    vb = np.float64(c.v_reset_mv) if refractory else min(v, np.float64(c.v_peak_mv))
    gl, dt_ = np.float64(c.g_leak_ns), np.float64(c.delta_t_mv)
    spike = gl * dt_ * math.exp((vb - np.float64(c.v_t_mv)) / dt_) if dt_ > 0 else 0.0
    i_syn = ge * (vb - np.float64(c.e_ampa_mv)) + gi * (vb - np.float64(c.e_gaba_a_mv))
    dv = (-gl * (vb - np.float64(c.e_leak_mv)) + spike - i_syn - w + i) / np.float64(c.c_m_pf)
    dw = (np.float64(c.a_ns) * (vb - np.float64(c.e_leak_mv)) - w) / np.float64(c.tau_w_ms)
    return (0.0 if refractory else dv), dw


class AdEx(NeuronModel):
    __doc__ = __doc__
    parameters = {
        "c_m_pf": Param(281.0, **_POS, doc="membrane capacitance"),
        "g_leak_ns": Param(30.0, **_POS, doc="leak conductance"),
        "e_leak_mv": Param(-70.6, doc="leak reversal potential"),
        "v_t_mv": Param(-50.4, doc="spike initiation threshold"),
        "delta_t_mv": Param(2.0, low=0.0, doc="slope factor (0: no exponential term)"),
        "v_peak_mv": Param(0.0, doc="spike detection"),
        "v_reset_mv": Param(-60.0, doc="reset potential"),
        "a_ns": Param(4.0, doc="subthreshold adaptation"),
        "b_pa": Param(80.5, doc="spike-triggered adaptation"),
        "tau_w_ms": Param(144.0, **_POS, doc="adaptation time constant"),
        "t_ref_ms": Param(0.0, low=0.0, doc="refractory period (whole steps)"),
        "i_bias_pa": Param(0.0, doc="constant injected current"),
        "tau_ampa_ms": Param(0.2, **_POS),
        "e_ampa_mv": Param(0.0),
        "tau_gaba_a_ms": Param(2.0, **_POS),
        "e_gaba_a_mv": Param(-85.0),
    }
    state = {
        "v": State("mV", init="e_leak_mv"),
        "w": State("pA"),
        "g_ampa": State("nS", low=0.0),
        "g_gaba_a": State("nS", low=0.0),
        "spiked": State("1", low=0.0, doc="1 in the step the neuron spiked (reset within it)"),
    }
    receptors = {
        "ampa": Receptor("g_ampa", {"weight_ns": 1.0}, sign=1),
        "gaba_a": Receptor("g_gaba_a", {"weight_ns": 1.0}, sign=1),
    }
    refractory_parameter = "t_ref_ms"
    threshold_parameter = None
    #: Runge-Kutta steps per time step (a subclass may take more: ``class AdEx40(nb.AdEx):
    #: SUBSTEPS = 40``; 10 give NEST's spike times to 0.1 ms in Naud et al.'s patterns)
    SUBSTEPS = 10
    bias_parameter = "i_bias_pa"

    def check(self, p, who):
        check_below(p, "v_reset_mv", "v_peak_mv", who)
        check_below(p, "v_t_mv", "v_peak_mv", who)

    @classmethod
    def derive(cls, p, dt_ms):
        h = dt_ms / cls.SUBSTEPS
        out = {"h_ms": h, "n_sub": float(cls.SUBSTEPS)}
        for r in ("ampa", "gaba_a"):
            out[f"dec_{r}"] = exp_decay(dt_ms, p[f"tau_{r}_ms"])
            out[f"sub_{r}"] = exp_decay(h, p[f"tau_{r}_ms"])
            out[f"half_{r}"] = exp_decay(0.5 * h, p[f"tau_{r}_ms"])
        return out

    @staticmethod
    def integrate(s, c, i_in, refractory):
        v, w = np.float64(s.v), np.float64(s.w)
        ge, gi, i = np.float64(s.g_ampa), np.float64(s.g_gaba_a), np.float64(i_in)
        h, peak = np.float64(c.h_ms), np.float64(c.v_peak_mv)
        he, hi = np.float64(c.half_ampa), np.float64(c.half_gaba_a)
        se, si = np.float64(c.sub_ampa), np.float64(c.sub_gaba_a)
        held = refractory  # clamped at the reset (refractory, or after a spike with t_ref > 0)
        spiked, stuck = 0.0, False
        for _ in range(np.int64(c.n_sub)):
            ge2, gi2 = ge * he, gi * hi
            ge3, gi3 = ge * se, gi * si
            k1v, k1w = _rates(v, w, ge, gi, i, c, held)
            k2v, k2w = _rates(v + 0.5 * h * k1v, w + 0.5 * h * k1w, ge2, gi2, i, c, held)
            k3v, k3w = _rates(v + 0.5 * h * k2v, w + 0.5 * h * k2w, ge2, gi2, i, c, held)
            k4v, k4w = _rates(v + h * k3v, w + h * k3w, ge3, gi3, i, c, held)
            if not stuck:
                v = v + h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v)
            w = w + h / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
            ge, gi = ge3, gi3
            if held:
                v = np.float64(c.v_reset_mv)
            elif v >= peak:
                if spiked == 0.0:  # the spike: reset now, as NEST does, and go on
                    v, w, spiked = np.float64(c.v_reset_mv), w + np.float64(c.b_pa), 1.0
                    held = c.t_ref_ms > 0
                else:  # a second crossing in one step: held at the peak until its end
                    v, stuck = peak, True
        return (v, w, decay(s.g_ampa, c.dec_ampa), decay(s.g_gaba_a, c.dec_gaba_a), spiked)

    @staticmethod
    def threshold(s, c):
        return s.spiked > 0

    @staticmethod
    def reset(s, c):
        return (s.v, s.w, s.g_ampa, s.g_gaba_a, s.spiked)
