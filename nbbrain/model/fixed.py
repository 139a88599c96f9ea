"""Descriptions fixed once a brain uses them.

A neuron model, a connectivity rule or a plasticity rule given to ``add_population`` or
``connect`` is fixed from then on: a brain reads it again at build, so a change made
afterwards would silently change what is built. Setting an attribute, an entry of its
``params`` or an element of one of its arrays then raises an error that says what to do.
"""

from __future__ import annotations

import numpy as np


def _refuse(what):
    raise TypeError(f"{what} is fixed once a brain uses it (a change would silently change "
                    "the build): make a new one instead")  # fmt: skip


class FixedParams(dict):
    """A dict that refuses changes (and still pickles and copies)."""

    def _no(self, *args, **kwargs):
        _refuse(f"{self._owner}'s params")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _no
    __ior__ = _no
    _owner = "a description"

    def __reduce__(self):
        return (_fixed_params, (dict(self), self._owner))


def _fixed_params(values, owner):
    out = FixedParams(values)
    out._owner = owner
    return out


def _read_only(x):
    if isinstance(x, np.ndarray) and x.flags.writeable:
        x = x.copy()
        x.setflags(write=False)
    return x


class Fixable:
    """Mixin of the descriptions a brain fixes when it uses them (``fix``)."""

    def __setattr__(self, key, value):
        if self.__dict__.get("_fixed", False):
            _refuse(f"{self!r}")
        if key in getattr(type(self), "parameters", {}):  # (it would not reach ``params``)
            raise TypeError(f"{type(self).__name__}: give {key} when making it "
                            f"({type(self).__name__}({key}=...)), not as an attribute")  # fmt: skip
        object.__setattr__(self, key, value)

    def __delattr__(self, key):
        if self.__dict__.get("_fixed", False):
            _refuse(f"{self!r}")
        object.__delattr__(self, key)

    def fix(self):
        """Fix this description (``add_population`` and ``connect`` call it)."""
        if self.__dict__.get("_fixed", False):
            return self
        state = self.__dict__
        for key, value in list(state.items()):
            state[key] = _read_only(value)
        if isinstance(state.get("params"), dict):
            name = type(self).__name__
            state["params"] = _fixed_params({k: _read_only(v) for k, v in
                                             state["params"].items()}, name)  # fmt: skip
        state["_fixed"] = True
        return self
