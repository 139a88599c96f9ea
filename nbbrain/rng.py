"""Counter-based random numbers: a pure function of (key, counter a, counter b).

No generator state is carried between draws, so a draw depends only on what it is for
(seed and stream folded into ``key``; step and neuron, or row and draw, as the counters),
never on the order of the draws, the chunking of a run, the thread layout or the device.
Two rounds of the SplitMix64 finaliser (Steele et al. 2014) mix the counters into the key.
Where one draw is needed per neuron and step at the lowest cost (Poisson inputs), a step's
64-bit draw seeds a *stream* whose words are 32-bit mixes of the neuron index (``word32``:
two rounds of Wellons' ``lowbias32``), which the compiler vectorises. Plain Python on
integers: compiled by ``numba.njit`` for the CPU (and usable as device functions on CUDA).
"""

import math

import numpy as np
from numba import njit
from numba.extending import register_jitable

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ODD = np.uint64(0xD6E8FEB86659FD93)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_S40, _S11 = np.uint64(40), np.uint64(11)
_F24 = np.float32(1.0 / (1 << 24))
_F53 = 1.0 / (1 << 53)
_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_W1, _W2 = np.uint32(0x7FEB352D), np.uint32(0x846CA68B)
_U15, _U16 = np.uint32(15), np.uint32(16)


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
def stream32(key, a, b):
    """The two 32-bit halves of ``hash3(key, a, b)``: the seed of a stream of ``word32``."""
    z = hash3(key, a, b)
    return np.uint32(z & _LOW32), np.uint32(z >> _S32)


@register_jitable
def _mix32(x):
    # (numba widens uint32 arithmetic to 64 bits: each result is cut back to 32)
    x = np.uint32(x ^ (x >> _U16))
    x = np.uint32(x * _W1)
    x = np.uint32(x ^ (x >> _U15))
    x = np.uint32(x * _W2)
    return np.uint32(x ^ (x >> _U16))


@register_jitable
def word32(lo, hi, i):
    """Word ``i`` (a non-negative integer below 2**32) of the stream ``(lo, hi)``: 32 random
    bits, as a uint32."""
    return mixed32(np.uint32(np.uint32(i) + lo), hi)


@register_jitable
def mixed32(x, hi):
    """``word32(lo, hi, i)`` from ``x = uint32(i + lo)``: for loops that step ``x`` in 32
    bits (16 lanes to a vector, where 64-bit indices give 8)."""
    return _mix32(np.uint32(_mix32(x) ^ hi))


@register_jitable
def uniform32(key, a, b):
    """A float32 in [0, 1) with 24 random bits."""
    return np.float32(hash3(key, a, b) >> _S40) * _F24


@register_jitable
def uniform64(key, a, b):
    """A float64 in [0, 1) with 53 random bits."""
    return np.float64(hash3(key, a, b) >> _S11) * _F53


def _ziggurat_tables(layers=128, r=3.442619855899, v=9.91256303526217e-3):
    """Layer edges ``x`` and ratios ``x[i + 1] / x[i]`` of the normal ziggurat with 128
    layers (Marsaglia & Tsang 2000, in Doornik's 2005 form: ``r`` the start of the tail,
    ``v`` the area of each layer)."""
    x = np.zeros(layers + 1)
    f = math.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_R = _ziggurat_tables()
_ZIG_TAIL = _ZIG_X[1]
_M7 = np.uint64(0x7F)


@register_jitable
def uniform53(h):
    """A float in [0, 1) from the top 53 bits of ``h``."""
    return np.int64(h >> _S11) * _F53


@register_jitable
def normal(key, a, b):
    """A standard normal draw for counters (a, b), exact (the ziggurat method: one 64-bit
    draw gives the layer, 7 bits, and the abscissa, 53 bits; 99 % of draws end here; the
    others go on in ``_normal_rest``, kept out of line so that this stays small)."""
    h = hash3(key, a, np.uint64(b) << np.uint64(8))
    u = 2.0 * uniform53(h) - 1.0
    i = np.int64(h & _M7)
    if abs(u) < _ZIG_R[i]:
        return u * _ZIG_X[i]
    return _normal_rest(key, a, b, h)


@njit(nogil=True, error_model="numpy", inline="never")
def _normal_rest(key, a, b, h):
    """The ziggurat's other cases: the wedge of a layer and the tail, and new attempts
    with counters ``(a, b * 2**8 + attempt)`` (b < 2**55)."""
    zx, zr = _ZIG_X, _ZIG_R
    for attempt in range(1 << 8):
        if attempt > 0:
            h = hash3(key, a, (np.uint64(b) << np.uint64(8)) | np.uint64(attempt))
        u = 2.0 * uniform53(h) - 1.0
        i = np.int64(h & _M7)
        if abs(u) < zr[i]:
            return u * zx[i]
        h2 = hash3(key, ~np.uint64(a), (np.uint64(b) << np.uint64(8)) | np.uint64(attempt))
        if i == 0:  # the tail beyond r, drawn until accepted (Marsaglia 1964)
            for k in range(1 << 16):
                t = -math.log(1.0 - uniform53(hash3(h2, k, 0))) / _ZIG_TAIL
                y = -math.log(1.0 - uniform53(hash3(h2, k, 1)))
                if y + y >= t * t:
                    return _ZIG_TAIL + t if u > 0 else -_ZIG_TAIL - t
        x = u * zx[i]
        f0 = math.exp(-0.5 * (zx[i] * zx[i] - x * x))
        f1 = math.exp(-0.5 * (zx[i + 1] * zx[i + 1] - x * x))
        if f1 + uniform53(h2) * (f0 - f1) < 1.0:
            return x
    return 0.0  # unreachable in practice: each attempt is accepted with probability > 0.9


#: the largest mean of one Poisson table draw; a larger mean is the sum of several draws
POISSON_TABLE_MEAN = 64.0
#: entries of a Poisson table (enough for a mean of POISSON_TABLE_MEAN to 2**-33)
POISSON_TABLE_SIZE = 256
#: buckets of a Poisson table's guide: the top 12 bits of the 32-bit uniform
POISSON_GUIDE_SIZE = 4096
_TWO32 = 4294967296.0
_S20 = np.uint64(20)
_BUCKET = np.uint64(1 << 20)


def poisson_split(lam: float) -> int:
    """Draws of mean ``lam / m`` that make one Poisson count of mean ``lam`` (exact: a sum of
    independent Poisson counts is Poisson)."""
    return max(1, math.ceil(lam / POISSON_TABLE_MEAN))


@register_jitable
def poisson_table(lam, thr, guide):
    """Fill the inversion table of Poisson(``lam``), ``lam <= POISSON_TABLE_MEAN``:
    ``thr[k] = floor(P(X <= k) 2**32)`` (the last entry 2**32: a 32-bit uniform ``u`` gives
    the first ``k`` with ``thr[k] > u``) and its guide: for each bucket ``g`` of ``u`` (its
    top 12 bits), ``guide[g]`` is the count itself where every ``u`` of the bucket gives
    the same, else ``-1 - k`` with ``k`` the count of the bucket's smallest ``u`` (where
    the search starts: few buckets hold a threshold). Plain Python (the build calls it) and
    compiled (the kernels call it for rates that change with time), with the same float64
    arithmetic."""
    p = math.exp(-lam)
    cdf = p
    n = thr.shape[0]
    for k in range(n - 1):
        thr[k] = np.uint64(min(math.floor(cdf * _TWO32), _TWO32))
        p = p * lam / (k + 1)
        cdf = cdf + p
    thr[n - 1] = np.uint64(1) << np.uint64(32)
    k = 0
    for g in range(guide.shape[0]):
        u = np.uint64(g) << _S20
        while thr[k] <= u:
            k += 1
        guide[g] = k if thr[k] > u + (_BUCKET - np.uint64(1)) else -1 - k


@register_jitable
def poisson_count(u32, thr, guide):
    """A Poisson count from 32 random bits ``u32`` (a uint64) and a ``poisson_table``: the
    first ``k`` with ``thr[k] > u32``."""
    k = np.int64(guide[u32 >> _S20])
    if k < 0:  # the bucket holds a threshold: search from its start
        k = -1 - k
        while thr[k] <= u32:
            k += 1
    return k
