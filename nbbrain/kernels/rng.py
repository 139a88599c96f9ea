"""Counter-based random numbers: a pure function of (key, counter a, counter b).

No generator state is carried between draws, so a draw depends only on what it is for
(seed and stream folded into ``key``; step and neuron, or row and draw, as the counters),
never on the order of the draws, the chunking of a run, the thread layout or the device.
Two rounds of the SplitMix64 finaliser (Steele et al. 2014) mix the counters into the key.
Plain Python on uint64: compiled by ``numba.njit`` for the CPU (and usable as a device
function on CUDA).
"""

import numpy as np
from numba.extending import register_jitable

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ODD = np.uint64(0xD6E8FEB86659FD93)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S40, _S11 = np.uint64(40), np.uint64(11)
_F24 = np.float32(1.0 / (1 << 24))
_F53 = 1.0 / (1 << 53)


@register_jitable
def hash3(key, a, b):
    """A uint64 from key and two non-negative integer counters: the SplitMix64 finaliser
    applied twice, written out (one compiled function keeps the first compilation short)."""
    z = np.uint64(key) ^ (np.uint64(a) * _GOLDEN)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = (z ^ (z >> _S31)) ^ (np.uint64(b) * _ODD)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@register_jitable
def uniform32(key, a, b):
    """A float32 in [0, 1) with 24 random bits."""
    return np.float32(hash3(key, a, b) >> _S40) * _F24


@register_jitable
def uniform64(key, a, b):
    """A float64 in [0, 1) with 53 random bits."""
    return np.float64(hash3(key, a, b) >> _S11) * _F53
