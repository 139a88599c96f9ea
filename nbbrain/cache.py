"""What keys numba's disk cache of nbbrain's compiled code (``cache=True``).

numba checks only a cached function's own source file before it reuses its machine code,
not the files of the functions it inlined (the models' numerics, the random numbers, the
rhythms, the kernels' bundles). Compiled functions that inline code from other files carry
``package_hash()`` among their closure variables, which numba does key on, so that any
change to nbbrain's sources makes new ones instead of loading stale code.
"""

import functools
import hashlib
import pathlib


@functools.cache
def package_hash() -> str:
    """A hash of nbbrain's own source files."""
    root = pathlib.Path(__file__).resolve().parent
    files = sorted(root.rglob("*.py"))
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
