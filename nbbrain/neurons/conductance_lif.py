"""``ConductanceLIF``: leaky integrate-and-fire neuron with conductance-based synapses
(Brian2's COBA cell; NEST's ``iaf_cond_exp`` with NMDA, GABA_B and spike-triggered
adaptation), integrated by exponential Euler as Brian2 does.

``c_m dv/dt = g_leak (e_leak - v) + sum_r g_r B_r(v) (e_r - v) + g_adapt (e_adapt - v) + i``

with receptors r in AMPA, GABA_A, NMDA, GABA_B: each ``g_r`` (nS) jumps by the synaptic
weight (``weight_ns``) when a spike arrives and decays as ``exp(-t / tau_r)``. ``B_r = 1``
except for NMDA: ``B(v) = 1 / (1 + [Mg] / 3.57 exp(-0.062 v))`` (Jahr & Stevens 1990).
``i`` is the bias current plus injected current. On ``v > v_thresh_mv`` the neuron spikes,
``v`` is set to ``v_reset_mv`` and held there for ``t_ref_ms`` (conductances keep evolving),
and the adaptation conductance ``g_adapt`` jumps by ``delta_g_adapt_ns`` (0 by default: no
adaptation) and decays with ``tau_adapt_ms``.

One step: conductances decay exactly; the membrane takes an exponential-Euler step with the
conductances held at their start-of-step values (exact for those):
``v' = v_inf + (v - v_inf) exp(-dt g_tot / c_m)``, ``v_inf = (g_leak e_leak + sum g e + i) /
g_tot``. NMDA, GABA_B and adaptation cost nothing in populations that do not use them.
"""

import numpy as np
from numba.extending import register_jitable

from .base import LIFModel, Param, Receptor, State, exp_decay, lif_parameters
from .numerics import decay, exp_neg, mg_block

_F0 = np.float32(0.0)
_POS = dict(low=0.0, strict=True)


@register_jitable
def membrane(v, g_tot, g_e_sum, i_in, dt_cm):
    """Exponential Euler step of a conductance membrane: ``g_tot`` the total conductance
    (nS), ``g_e_sum`` the sum of each conductance times its reversal (pA), ``i_in`` (pA)."""
    v_inf = (g_e_sum + i_in) / g_tot
    return v_inf + (v - v_inf) * exp_neg(-dt_cm * g_tot)


class ConductanceLIF(LIFModel):
    __doc__ = __doc__
    parameters = {
        **lif_parameters(200.0, 10.0, -60.0, -50.0, -60.0, 5.0),
        "tau_ampa_ms": Param(5.0, **_POS),
        "e_ampa_mv": Param(0.0),
        "tau_gaba_a_ms": Param(10.0, **_POS),
        "e_gaba_a_mv": Param(-80.0),
        "tau_nmda_ms": Param(100.0, **_POS),
        "e_nmda_mv": Param(0.0),
        "mg_mm": Param(1.0, low=0.0, doc="extracellular [Mg2+] of the NMDA block"),
        "tau_gaba_b_ms": Param(150.0, **_POS),
        "e_gaba_b_mv": Param(-95.0),
        "tau_adapt_ms": Param(100.0, **_POS, doc="decay of the adaptation conductance"),
        "e_adapt_mv": Param(-90.0, doc="reversal of the adaptation conductance"),
        "delta_g_adapt_ns": Param(0.0, low=0.0, doc="adaptation increment per spike"),
    }
    state = {
        "v": State("mV", init="e_leak_mv"),
        "g_ampa": State("nS", low=0.0),
        "g_gaba_a": State("nS", low=0.0),
        "g_nmda": State("nS", low=0.0, optional=True,
                        constants=("e_nmda_mv", "dec_nmda", "mg")),
        "g_gaba_b": State("nS", low=0.0, optional=True, constants=("e_gaba_b_mv", "dec_gaba_b")),
        "g_adapt": State("nS", low=0.0, optional=True,
                         constants=("e_adapt_mv", "dec_adapt", "delta_g_adapt_ns")),
    }  # fmt: skip
    receptors = {
        "ampa": Receptor("g_ampa", {"weight_ns": 1.0}, sign=1),
        "gaba_a": Receptor("g_gaba_a", {"weight_ns": 1.0}, sign=1),
        "nmda": Receptor("g_nmda", {"weight_ns": 1.0}, sign=1),
        "gaba_b": Receptor("g_gaba_b", {"weight_ns": 1.0}, sign=1),
    }

    @classmethod
    def derive(cls, p, dt_ms):
        out = {"dt_cm": dt_ms / np.asarray(p["c_m_pf"], np.float64),
               "mg": np.asarray(p["mg_mm"], np.float64) / 3.57}  # fmt: skip
        for r in ("ampa", "gaba_a", "nmda", "gaba_b", "adapt"):
            out[f"dec_{r}"] = exp_decay(dt_ms, p[f"tau_{r}_ms"])
        return out

    def activates(self, p):
        return {"g_adapt"} if np.any(np.asarray(p["delta_g_adapt_ns"]) != 0) else set()

    @staticmethod
    def integrate(s, c, i_in, refractory):
        v, ga, gg, gb, gw = s.v, s.g_ampa, s.g_gaba_a, s.g_gaba_b, s.g_adapt
        gn = s.g_nmda * mg_block(v, c.mg) if s.g_nmda != _F0 else _F0
        g_tot = c.g_leak_ns + ga + gg + gn + gb + gw
        g_e = (c.g_leak_ns * c.e_leak_mv + ga * c.e_ampa_mv + gg * c.e_gaba_a_mv
               + gn * c.e_nmda_mv + gb * c.e_gaba_b_mv + gw * c.e_adapt_mv)  # fmt: skip
        v_new = membrane(v, g_tot, g_e, i_in, c.dt_cm)
        return (v if refractory else v_new, decay(ga, c.dec_ampa), decay(gg, c.dec_gaba_a),
                decay(s.g_nmda, c.dec_nmda), decay(gb, c.dec_gaba_b),
                decay(gw, c.dec_adapt))  # fmt: skip

    @staticmethod
    def threshold(s, c):
        return s.v > c.v_thresh_mv

    @staticmethod
    def reset(s, c):
        return (c.v_reset_mv, s.g_ampa, s.g_gaba_a, s.g_nmda, s.g_gaba_b,
                s.g_adapt + c.delta_g_adapt_ns)  # fmt: skip
