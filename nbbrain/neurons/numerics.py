"""Float32 numerics the neuron models share: a vectorisable ``exp`` for arguments <= 0, the
exponential decay of a synaptic variable, the NMDA magnesium block.

Plain Python on float32 scalars, made callable from compiled code by ``register_jitable``:
the CPU kernels inline them into their loops (where LLVM vectorises them), the CUDA kernels
compile the same functions as device functions. All constants are float32 so that no step
silently promotes to float64 (which would halve the SIMD width and change the rounding).
"""

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
