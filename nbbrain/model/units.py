"""Hints for unit slips: a value far outside what the unit in its name makes plausible
(``c_m_pf=0.2``, ``dt_ms=1e-4``, ``rate_hz=0.01``) gets a ``UnitWarning`` naming the
likely mistake. The value is used as given; only the warning is added.
"""

from __future__ import annotations

import warnings

import numpy as np


class UnitWarning(UserWarning):
    """A value whose size suggests it was given in another unit than its name says."""


#: suffix -> (smallest, largest plausible size (of nonzero values), the unit, and the
#: slips to suggest: (other unit, factor to ours) when the value is too small / too large)
_RANGES = {
    "_pf": (1.0, 1e6, "pF", ("nF", 1e3), ("fF", 1e-3)),
    "_ns": (1e-4, 1e5, "nS", ("uS", 1e3), ("pS", 1e-3)),
    "_pa": (1e-3, 1e7, "pA", ("nA", 1e3), ("fA", 1e-3)),
    "_ms": (1e-3, 1e8, "ms", ("s", 1e3), ("us", 1e-3)),
    "_hz": (0.05, 1e5, "Hz", ("kHz", 1e3), ("mHz", 1e-3)),
}
#: potentials (names ``v_*_mv``, ``e_*_mv``): nonzero values below 1 mV in size look like
#: volts (large ones are left alone: a threshold of 1e6 mV is how a neuron is kept silent)
_POTENTIAL = (1.0, np.inf, "mV", ("V", 1e3), ("uV", 1e-3))


def _range(name):
    if name.endswith("_mv") and (name.startswith("v_") or name.startswith("e_")):
        return _POTENTIAL
    for suffix, spec in _RANGES.items():
        if name.endswith(suffix):
            return spec
    return None


def check_units(name, value, who, stacklevel=3):
    """Warn where ``value`` (a number or an array; distributions are not checked) of the
    parameter ``name`` is implausible for the unit its name ends in."""
    spec = _range(name)
    if spec is None or isinstance(value, bool):
        return
    try:
        a = np.atleast_1d(np.asarray(value, np.float64)).ravel()
    except (TypeError, ValueError):
        return
    a = a[(a != 0) & np.isfinite(a)]
    if not a.size:
        return
    low, high, unit, small, large = spec
    x = float(a[np.argsort(np.abs(a))[a.size // 2]])  # (the value of median size)
    if low <= abs(x) <= high:
        return
    other, factor = small if abs(x) < low else large
    size = "small" if abs(x) < low else "large"
    hint = (f"{who}: {name}={x:g} {unit} is implausibly {size}; if you meant {x:g} "
            f"{other}, give {name}={x * factor:g}")  # fmt: skip
    warnings.warn(hint, UnitWarning, stacklevel=stacklevel)
