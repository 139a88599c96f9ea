"""The compilation options every compiled function of nbbrain shares, and ``inner``: a
function compiled into the kernels that call it.

- ``error_model="numpy"``: float division by zero gives inf instead of raising, so the
  loops carry no exception branches (with them, they neither vectorise nor inline well).
- ``fastmath={"contract"}``: ``a * b + c`` may fuse into one FMA, as CUDA does by default;
  no reassociation, so results stay deterministic.
- ``_nrt=False``: the kernels allocate nothing and pass arrays they borrow, so they need
  no reference counts (counted, every call of an inner function with the bundles counted
  each of their arrays up and down: a microsecond a step).
"""

import types

from numba.extending import register_jitable

OPTS = dict(error_model="numpy", fastmath={"contract"}, _nrt=False)
#: compiled into the kernels that call it (no dispatcher, no Python wrapper, no cache entry
#: of its own: a shorter first compilation)
inner = register_jitable(**OPTS)


def bind(fn, glob):
    """``fn`` with the globals ``glob`` (its code and closure unchanged): generated or
    specialised functions reach a compiled function as globals, not as closure variables,
    since numba keys its disk cache on the pickled closure variables and a pickled function
    can differ from process to process; the closure holds a key instead."""
    py = types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)
    py.__qualname__, py.__doc__ = fn.__qualname__, fn.__doc__
    return py
