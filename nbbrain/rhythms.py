"""Rhythms: the phase of an oscillator at a step, computed from the step count (exact however
long the run; never accumulated). Compiled into both backends' kernels."""

import math

from numba.extending import register_jitable

_TWO_PI = 2.0 * math.pi


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
