"""The compilation options every compiled function of nbbrain shares, and ``inner``: a
function compiled into the kernels that call it.

- ``error_model="numpy"``: float division by zero gives inf instead of raising, so the
  loops carry no exception branches (with them, they neither vectorise nor inline well).
- ``fastmath={"contract"}``: ``a * b + c`` may fuse into one FMA, as CUDA does by default;
  no reassociation, so results stay deterministic.
- ``_nrt=False``: the kernels allocate nothing and pass arrays they borrow, so they need
  no reference counts (counted, every call of an inner function with the bundles counted
  each of their arrays up and down: a microsecond a step).

``cached_njit`` compiles with numba's disk cache behind a lock that processes share: numba
writes a cache entry by reading the index, picking a file name and writing index and data,
so two processes compiling different variants of one function at once can leave an index
entry that names the other's machine code (a wrong kernel loaded later, or a crash; numba
issues 4807 and 10128). The lock (``fcntl.flock`` on a file in the cache folder; none where
``fcntl`` is missing) makes each load and each save whole.
"""

import contextlib
import hashlib
import os
import types

from numba import njit
from numba.core import serialize
from numba.core.caching import FunctionCache
from numba.extending import register_jitable

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

OPTS = dict(error_model="numpy", fastmath={"contract"}, _nrt=False)
#: compiled into the kernels that call it (no dispatcher, no Python wrapper, no cache entry
#: of its own: a shorter first compilation)
inner = register_jitable(**OPTS)


#: ``inner`` with LLVM's ``alwaysinline``: for the functions on the hot path of the plastic
#: events, which LLVM's own judgement left as calls there (every array's fields passed one
#: by one: tens of ns a call). Not numba's ``inline="always"``: that types the function
#: again at each call (seconds more to compile a plastic kernel), and a shared
#: ``register_jitable(inline=...)`` decorator inlines only its first function (numba pops
#: the option from the dict it keeps)
forced_inline = register_jitable(forceinline=True, **OPTS)


def bind(fn, glob, name=None):
    """``fn`` with the globals ``glob`` (its code, closure and defaults unchanged):
    generated or specialised functions reach a compiled function as globals, not as closure
    variables, since numba keys its disk cache on the pickled closure variables and a
    pickled function can differ from process to process; the closure holds a key instead.
    Its name carries that key's hash (``unique_name``), or is ``name``."""
    py = types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)
    py.__qualname__ = name or _closure_name(fn)
    py.__doc__, py.__module__, py.__kwdefaults__ = fn.__doc__, fn.__module__, fn.__kwdefaults__
    return py


def _closure_name(fn) -> str:
    """``fn``'s qualified name, with the hash of its closure's contents (its cache key)."""
    cells = tuple(c.cell_contents for c in fn.__closure__ or ())
    return unique_name(fn.__qualname__, serialize.dumps(cells))


def unique_name(name, content: bytes) -> str:
    """``name`` with a hash of ``content`` appended. numba names the machine code of a
    function after its qualified name and a counter of the process that compiled it, and
    code loaded from its disk cache keeps those names; two variants of one function compiled
    in different processes (two models' loops, two kernels) can so get the same name, and
    a process that loads both links every call to one of them (silently wrong results). A
    name that differs wherever the code does prevents that."""
    return f"{name}_{hashlib.sha256(content).hexdigest()[:16]}"


@contextlib.contextmanager
def _cache_lock(folder):
    """Hold the lock file of numba cache folder ``folder`` (it exists, or is made)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "nbbrain.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class LockedCache(FunctionCache):
    """numba's cache of one function, each load and save under the folder's lock."""

    def load_overload(self, sig, target_context):
        with _cache_lock(self._cache_path):
            return super().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        with _cache_lock(self._cache_path):
            super().save_overload(sig, data)


def cached_njit(fn=None, **options):
    """``numba.njit(cache=True, **options)`` with the cache behind the shared lock."""

    def wrap(f):
        if f.__closure__:  # (variants of one function: a name of their own, ``unique_name``)
            f.__qualname__ = _closure_name(f)
        dispatcher = njit(cache=True, **options)(f)
        dispatcher._cache = LockedCache(dispatcher.py_func)
        return dispatcher

    return wrap if fn is None else wrap(fn)
