"""A fingerprint of a brain's description: what its build makes (populations, models and
their parameters, connectivity rules, weights, delays, plasticity, inputs, dt, the seed;
not the monitors, which record but do not change the network, nor the noise seed) as a
short hex digest. Two builds with the same fingerprint have the same network; a
checkpoint records it, and ``restore`` refuses one of another brain.

The description is walked as data: numbers, strings, arrays (by dtype, shape and bytes),
containers in order, and objects by their class's module and name and their attributes.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

#: attributes left out: those that point back up the description (walked from the brain
#: already), the monitors and the noise seed (a checkpoint carries it)
_SKIP = ("brain", "spike_monitors", "state_monitors", "rate_monitors", "noise_seed")


def fingerprint(brain) -> str:
    h = hashlib.blake2b(digest_size=16)
    _walk(brain, h, set())
    return h.hexdigest()


def _put(h, *parts):
    for p in parts:
        h.update(str(p).encode())
        h.update(b"\x1f")


def _walk(x, h, seen):
    if x is None or isinstance(x, (bool, int, str, np.bool_, np.integer)):
        _put(h, type(x).__name__, x)
    elif isinstance(x, (float, np.floating)):
        _put(h, "f", float(x).hex() if math.isfinite(x) else x)
    elif isinstance(x, np.ndarray):
        _put(h, "a", x.dtype.str, x.shape)
        h.update(np.ascontiguousarray(x).tobytes())
    elif isinstance(x, dict):
        _put(h, "d", len(x))
        for k, v in x.items():
            _walk(k, h, seen)
            _walk(v, h, seen)
    elif isinstance(x, (list, tuple, set, frozenset)):
        items = sorted(x, key=repr) if isinstance(x, (set, frozenset)) else x
        _put(h, type(x).__name__, len(items))
        for v in items:
            _walk(v, h, seen)
    elif isinstance(x, type) or callable(x) and not hasattr(x, "__dict__"):
        _put(h, "t", getattr(x, "__module__", ""), getattr(x, "__qualname__", repr(x)))
    elif id(x) in seen:  # (an object met before: its name only)
        _put(h, "ref", type(x).__qualname__, getattr(x, "name", ""))
    else:
        seen.add(id(x))
        _put(h, "o", type(x).__module__, type(x).__qualname__)
        state = getattr(x, "__dict__", None)
        if state is None:
            _put(h, repr(x))
            return
        for k, v in state.items():
            if k not in _SKIP and not k.startswith("__"):
                _put(h, k)
                _walk(v, h, seen)
