"""Neuron models: their parameters (units in the names), state variables and receptors.

Internal units everywhere: ms, mV, nS, pF, pA (nS * mV = pA, pA / pF = mV / ms).
A model is a plain description; ``kernel_params`` fills one row of the parameter tables
that the kernels read (``nbbrain.kernels.layout``).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import layout as L
from ..kernels.equations import current_p21
from .values import _finite, check_value, whole_steps


class Receptor:
    """A synaptic input channel of a model: state row ``channel``, weight unit, weight sign."""

    def __init__(self, channel: int, units: tuple[str, ...], sign: int = 0):
        self.channel, self.units, self.sign = channel, units, sign


class NeuronModel:
    """Base class. Subclasses declare ``_defaults`` (parameter -> default), ``_positive``
    (parameters that must be > 0), ``_non_negative``, ``state_vars`` (name -> (array, row,
    unit)) and ``receptors`` (name -> Receptor)."""

    kind: int
    _defaults: dict = {}
    _positive: tuple = ()
    _non_negative: tuple = ()
    state_vars: dict = {}
    receptors: dict = {}

    def __init__(self, **params):
        name = type(self).__name__
        unknown = sorted(set(params) - set(self._defaults))
        if unknown:
            raise TypeError(
                f"{name}: unknown parameter(s) {unknown}; expected some of {sorted(self._defaults)}"
            )
        values = dict(self._defaults)
        for key, value in params.items():
            values[key] = _finite(value, f"{name}: {key}")
        for key in self._positive:
            if not values[key] > 0:
                raise ValueError(f"{name}: {key} must be > 0, got {values[key]}")
        for key in self._non_negative:
            if not values[key] >= 0:
                raise ValueError(f"{name}: {key} must be >= 0, got {values[key]}")
        self._check(values)
        self.params = values

    def _check(self, values):
        pass

    def __getattr__(self, key):
        params = self.__dict__.get("params", {})
        if key in params:
            return params[key]
        raise AttributeError(key)

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def default_state(self, var: str) -> float:
        return 0.0

    def kernel_params(self, dt_ms: float, channels_used: set[int]):
        """One row of the float and integer tables (see ``kernels.layout``)."""
        f = np.zeros(L.N_FPAR, np.float64)
        i = np.zeros(L.N_IPAR, np.int64)
        i[L.I_KIND] = self.kind
        return f, i


def ref_steps(t_ref_ms: float, dt_ms: float, who: str) -> int:
    return whole_steps(t_ref_ms, dt_ms, f"{who}: t_ref_ms", minimum=0)


# The membrane parameters of both LIF models, with their defaults.
_MEMBRANE = dict(c_m_pf=200.0, g_leak_ns=10.0, e_leak_mv=-60.0, v_thresh_mv=-50.0,
                 v_reset_mv=-60.0, t_ref_ms=5.0, i_bias_pa=0.0)  # fmt: skip


class _LIF(NeuronModel):
    def _check(self, values):
        if not values["v_reset_mv"] < values["v_thresh_mv"]:
            raise ValueError(
                f"{type(self).__name__}: v_reset_mv ({values['v_reset_mv']}) must be below "
                f"v_thresh_mv ({values['v_thresh_mv']})"
            )

    def default_state(self, var):
        return self.params["e_leak_mv"] if var == "v" else 0.0

    def _lif_params(self, dt_ms, who):
        f, i = NeuronModel.kernel_params(self, dt_ms, set())
        p = self.params
        f[L.F_CM], f[L.F_GL], f[L.F_EL] = p["c_m_pf"], p["g_leak_ns"], p["e_leak_mv"]
        f[L.F_VTH], f[L.F_VRESET], f[L.F_IBIAS] = p["v_thresh_mv"], p["v_reset_mv"], p["i_bias_pa"]
        f[L.F_DT_CM] = dt_ms / p["c_m_pf"]
        f[L.F_DEC_M] = math.exp(-dt_ms * p["g_leak_ns"] / p["c_m_pf"])
        i[L.I_REF_STEPS] = ref_steps(p["t_ref_ms"], dt_ms, who)
        return f, i


class ConductanceLIF(_LIF):
    """Leaky integrate-and-fire neuron with conductance-based synapses.

    ``c_m dv/dt = g_leak (e_leak - v) + sum_r g_r B_r(v) (e_r - v) + i_bias + i_ext``
    with receptors r in AMPA, GABA_A, NMDA, GABA_B; each ``g_r`` (nS) jumps by the synaptic
    weight (``weight_ns``) when a spike arrives and decays as ``exp(-t / tau_r)``.
    ``B_r = 1`` except for NMDA: ``B(v) = 1 / (1 + [Mg] / 3.57 exp(-0.062 v))`` (Jahr & Stevens
    1990). On ``v > v_thresh_mv`` the neuron spikes, ``v`` is set to ``v_reset_mv`` and held
    there for ``t_ref_ms`` (conductances keep evolving).

    State variables: ``v`` (mV), ``g_ampa``, ``g_gaba_a``, ``g_nmda``, ``g_gaba_b`` (nS).
    Integration: conductances exactly (exponential decay); the membrane by exponential Euler
    (exact for conductances held at their value at the start of the step), as Brian2 does.
    """

    kind = L.COND_LIF
    _defaults = dict(
        _MEMBRANE,
        tau_ampa_ms=5.0,
        e_ampa_mv=0.0,
        tau_gaba_a_ms=10.0,
        e_gaba_a_mv=-80.0,
        tau_nmda_ms=100.0,
        e_nmda_mv=0.0,
        mg_mm=1.0,
        tau_gaba_b_ms=150.0,
        e_gaba_b_mv=-95.0,
    )
    _positive = ("c_m_pf", "g_leak_ns", "tau_ampa_ms", "tau_gaba_a_ms", "tau_nmda_ms",
                 "tau_gaba_b_ms")  # fmt: skip
    _non_negative = ("t_ref_ms", "mg_mm")
    _channels = ("ampa", "gaba_a", "nmda", "gaba_b")
    state_vars = {"v": ("v", 0, "mV")} | {f"g_{r}": ("g", c, "nS") for c, r in enumerate(_channels)}
    receptors = {r: Receptor(c, ("weight_ns",), sign=1) for c, r in enumerate(_channels)}

    def kernel_params(self, dt_ms, channels_used):
        f, i = self._lif_params(dt_ms, "ConductanceLIF")
        p = self.params
        for c, r in enumerate(self._channels):
            f[L.F_E0 + c] = p[f"e_{r}_mv"]
            f[L.F_DEC0 + c] = math.exp(-dt_ms / p[f"tau_{r}_ms"])
        f[L.F_MG] = p["mg_mm"] / 3.57
        slow = {self.receptors[r].channel for r in ("nmda", "gaba_b")}
        i[L.I_SLOW] = int(bool(slow & channels_used))
        return f, i


class CurrentLIF(_LIF):
    """Leaky integrate-and-fire neuron with current-based exponential synapses.

    ``c_m dv/dt = g_leak (e_leak - v) + i_exc + i_inh + i_bias + i_ext``; ``i_exc``, ``i_inh``
    (pA) jump by the weight on a spike and decay with ``tau_exc_ms``, ``tau_inh_ms``.
    Weights are given as ``weight_pa`` (a current jump) or ``weight_mv`` (a jump of
    ``i / g_leak``, as in Brian2's CUBA, converted to pA with the target's ``g_leak_ns``);
    receptor ``"exc"`` takes weights >= 0, ``"inh"`` weights <= 0.

    State variables: ``v`` (mV), ``i_exc``, ``i_inh`` (pA). Integration: exact, for the
    membrane too (the synaptic currents decay within the step, as NEST's ``iaf_psc_exp``
    integrates them); input that arrives at a step acts in that step's integration.
    """

    kind = L.CUR_LIF
    _defaults = dict(_MEMBRANE, tau_exc_ms=5.0, tau_inh_ms=10.0)
    _positive = ("c_m_pf", "g_leak_ns", "tau_exc_ms", "tau_inh_ms")
    _non_negative = ("t_ref_ms",)
    state_vars = {"v": ("v", 0, "mV"), "i_exc": ("g", 0, "pA"), "i_inh": ("g", 1, "pA")}
    receptors = {
        "exc": Receptor(0, ("weight_pa", "weight_mv"), sign=1),
        "inh": Receptor(1, ("weight_pa", "weight_mv"), sign=-1),
    }

    def kernel_params(self, dt_ms, channels_used):
        f, i = self._lif_params(dt_ms, "CurrentLIF")
        p = self.params
        tau_m = p["c_m_pf"] / p["g_leak_ns"]
        for c, tau in enumerate((p["tau_exc_ms"], p["tau_inh_ms"])):
            f[L.F_DEC0 + c] = math.exp(-dt_ms / tau)
            f[L.F_P21 + c] = current_p21(dt_ms, p["c_m_pf"], tau_m, tau)
        return f, i


class PoissonSource(NeuronModel):
    """Independent Poisson spike trains at ``rate_hz`` (a scalar, an array with one rate
    per neuron, or a distribution). In each step a neuron spikes with probability
    ``rate_hz * dt`` (at most once per step), drawn from the counter-based generator.

    State variable: ``rate_hz`` (Hz), which may be changed between runs.
    """

    kind = L.POISSON
    state_vars = {"rate_hz": ("rate", 0, "Hz")}
    receptors = {}

    def __init__(self, rate_hz=10.0):
        self.params = {}
        self.rate_hz = check_value(rate_hz, None, "PoissonSource: rate_hz")
        if not isinstance(self.rate_hz, np.ndarray) and isinstance(self.rate_hz, float):
            if self.rate_hz < 0:
                raise ValueError(f"PoissonSource: rate_hz must be >= 0, got {self.rate_hz}")
        elif isinstance(self.rate_hz, np.ndarray) and np.any(self.rate_hz < 0):
            raise ValueError("PoissonSource: rate_hz must be >= 0 everywhere")

    def __repr__(self):
        return f"PoissonSource(rate_hz={self.rate_hz!r})"

    def default_state(self, var):
        return self.rate_hz


class SpikeSource(NeuronModel):
    """Neurons that spike when the user says so: ``sim.run(inputs={name: spikes})`` with a
    boolean array ``[n_steps, n]`` (one row per step) or ``[n]`` (the same every step)."""

    kind = L.SPIKE_SOURCE
    state_vars = {}
    receptors = {}

    def __init__(self):
        self.params = {}

    def __repr__(self):
        return "SpikeSource()"
