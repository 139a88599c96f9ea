"""The equations, once: scalar functions of one neuron's state and its parameters.

Plain Python on float32 scalars, made callable from compiled code by ``register_jitable``:
the CPU kernels call them from ``njit`` loops (LLVM inlines and vectorises them there); the
CUDA kernels call the same functions as device functions. All constants are float32 so
that no step silently promotes to float64 (which would halve the SIMD width and change the
rounding).
"""

import math

import numpy as np
from numba.extending import register_jitable

_F = np.float32
_ZERO, _ONE, _HALF = _F(0.0), _F(1.0), _F(0.5)
_INV_LN2 = _F(1.4426950408889634)
_LN2_HI, _LN2_LO = _F(0.693359375), _F(-2.12194440e-4)  # ln 2 = HI + LO (Cody-Waite)
_EXP_MIN = _F(-87.0)  # exp(-87) = 1.6e-38, the smallest normal float32
# Cephes' expf minimax polynomial: exp(r) = 1 + r + r^2 P(r) on |r| <= ln2 / 2
_P0, _P1, _P2 = _F(1.9875691500e-4), _F(1.3981999507e-3), _F(8.3334519073e-3)
_P3, _P4, _P5 = _F(4.1665795894e-2), _F(1.6666665459e-1), _F(5.0000001201e-1)
_BIAS, _MANT = np.int32(127), np.int32(23)
_MG_SLOPE = _F(-0.062)  # 1/mV, Jahr & Stevens (1990)
_TINY = _F(1e-30)  # synaptic state below this (nS or pA) is zero
_TWO_PI = 2.0 * math.pi


@register_jitable
def _bits_to_float32(bits):
    """Reinterpret the bits of an int32 as a float32. Plain numpy in Python (so that the
    CUDA simulator, which runs kernels as Python, can call it); numba's scalar ``view``
    lowers it to an LLVM bitcast (no instruction) on the CPU and on CUDA alike."""
    return np.int32(bits).view(np.float32)


@register_jitable
def exp_neg(x):
    """``exp(x)`` for float32 ``x <= 0`` (clamped at -87), within 2 ulp of float32.

    Written without library calls or branches so that the compiler can vectorise the loop
    around it (libm's ``expf`` is a scalar call), and gives the same bits on CPU and GPU:
    ``x = -n ln2 + r`` with ``|r| <= ln2 / 2``; ``exp(r)`` by the minimax polynomial of
    Cephes' ``expf`` (Moshier 1992); ``2**-n`` written directly as float32 exponent bits.
    """
    x = max(x, _EXP_MIN)
    n = np.int32(-x * _INV_LN2 + _HALF)  # round(-x / ln2), x <= 0
    fn = _F(n)
    r = x + fn * _LN2_HI + fn * _LN2_LO
    p = _ONE + r + r * r * (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5)
    return p * _bits_to_float32(np.int32((_BIAS - n) << _MANT))


@register_jitable
def mg_block(v, mg_over_357):
    """NMDA magnesium block ``1 / (1 + [Mg]/3.57 exp(-0.062 v))`` (v in mV), written with
    ``e = exp(-0.062 |v|) <= 1`` so that only ``exp_neg`` is needed."""
    e = exp_neg(_MG_SLOPE * abs(v))
    return e / (e + mg_over_357) if v < _ZERO else _ONE / (_ONE + mg_over_357 * e)


@register_jitable
def decay(x, factor):
    """One step of exponential decay of a synaptic conductance or current. Values that
    fall below 1e-30 become exactly 0: float32 subnormals (reached after a few thousand
    silent steps) would slow every later operation on them about a hundredfold."""
    x = x * factor
    return x if abs(x) > _TINY else _ZERO


@register_jitable
def cond_lif_v(v, ga, gg, gn, gb, i_in, gl, el, ea, eg, en, eb, dt_cm):
    """Exponential Euler step of a conductance LIF membrane (conductances in nS, already
    multiplied by any voltage-dependent block; ``i_in`` = bias + external current, pA):
    ``v_inf = (gl el + sum g e + i) / g_tot``, ``v' = v_inf + (v - v_inf) exp(-dt g_tot / c_m)``.
    """
    g_tot = gl + ga + gg + gn + gb
    v_inf = (gl * el + ga * ea + gg * eg + gn * en + gb * eb + i_in) / g_tot
    return v_inf + (v - v_inf) * exp_neg(-dt_cm * g_tot)


@register_jitable
def cur_lif_v(v, i_const, i_exc, i_inh, gl, el, dec_m, p21e, p21i):
    """Exact integration of a current LIF over one step (as NEST's ``iaf_psc_exp``): the
    constant current ``i_const`` moves ``v`` towards ``el + i_const / gl`` by the factor
    ``dec_m = exp(-dt gl / c_m)``; the synaptic currents, which decay exponentially over
    the step, add ``p21 * i`` each (``p21``: ``current_p21``)."""
    v_inf = el + i_const / gl
    return v_inf + (v - v_inf) * dec_m + p21e * i_exc + p21i * i_inh


def current_p21(dt_ms, c_m_pf, tau_m_ms, tau_syn_ms):
    """mV of membrane potential after one step per pA of an exponentially decaying
    current at the start of the step: ``tau_s tau_m / (c_m (tau_m - tau_s)) (exp(-dt /
    tau_m) - exp(-dt / tau_s))``, written with ``expm1`` so that it stays exact as
    ``tau_s`` approaches ``tau_m`` (where it becomes ``dt / c_m exp(-dt / tau_m)``)."""
    x = dt_ms * (tau_m_ms - tau_syn_ms) / (tau_syn_ms * tau_m_ms)
    ratio = 1.0 if x == 0 else -math.expm1(-x) / x
    return dt_ms / c_m_pf * math.exp(-dt_ms / tau_m_ms) * ratio


@register_jitable
def oscillator_cycles(freq_hz, phase_rad, step, dt_ms):
    """The fraction of its cycle an oscillator has run at the start of ``step``, in
    [0, 1): ``phase_rad / 2 pi + f t`` with ``t = step dt``, computed from the step count in
    float64 (exact to rounding however long the run, never accumulated). ``math.floor``
    (an integer, exact below 2**53 cycles) rather than ``np.floor``, which CUDA device code
    lacks."""
    cycles = freq_hz * (step * dt_ms * 1e-3) + phase_rad / _TWO_PI
    return cycles - math.floor(cycles)


@register_jitable
def oscillation(freq_hz, phase_rad, step, dt_ms):
    """``cos`` of an oscillator's phase at the start of ``step`` (see oscillator_cycles)."""
    return math.cos(_TWO_PI * oscillator_cycles(freq_hz, phase_rad, step, dt_ms))
