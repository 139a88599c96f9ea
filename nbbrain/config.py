"""Every tunable of nbbrain, in one place: read from environment variables at import,
checked there and again where they are used (``get``), so that a bad value is a clear
error, never a hang or a silent misbehaviour. Tests and scripts may set the attributes.

====================================  =========  ============================================
variable                              default    what it sets
====================================  =========  ============================================
``NBBRAIN_CHUNK_STEPS``               2000       steps per compiled call of a run (Python runs
                                                 once per chunk: progress bar, inputs,
                                                 monitors); larger chunks cost more input and
                                                 monitor memory, never more time per step
``NBBRAIN_BLOCK_NEURONS``             1024       neurons per block of the CPU update (spikes
                                                 are looked for only in blocks where some
                                                 neuron crossed its threshold)
``NBBRAIN_MERGE_NEURONS``             256        populations smaller than this share one
                                                 compiled loop with their neighbours of the
                                                 same model (0: only equal parameters merge)
``NBBRAIN_MERGE_POPULATIONS``         8          runs of at least this many small
                                                 populations merge where their parameters
                                                 differ (fewer: a loop each, since a loop
                                                 with per-neuron constants is compiled
                                                 anew, about a second at the first run)
``NBBRAIN_CUDA_PATH``                 auto       ``auto``, ``block`` (one thread block per
                                                 copy) or ``grid`` (a cooperative grid)
``NBBRAIN_CUDA_BLOCK_MAX_NEURONS``    8192       ``auto``: brains up to this size take the
                                                 block path
``NBBRAIN_CUDA_THREADS``              1024       threads per block, block path
``NBBRAIN_CUDA_GRID_THREADS``         256        threads per block, grid path
``NBBRAIN_CUDA_SIM_THREADS``          8          threads per block under the CUDA simulator
``NBBRAIN_CUDA_CACHE``                0          1: cache compiled CUDA kernels on disk
``NBBRAIN_WARN_BYTES``                2**30      a checkpoint larger than this many bytes
                                                 gives an nbbrain.MemoryWarning
====================================  =========  ============================================
"""

import os

_INT = {
    "CHUNK_STEPS": (2000, 1, None),
    "BLOCK_NEURONS": (1024, 1, None),
    "MERGE_NEURONS": (256, 0, None),
    "MERGE_POPULATIONS": (8, 1, None),
    "CUDA_BLOCK_MAX_NEURONS": (8192, 1, None),
    "CUDA_THREADS": (1024, 1, 1024),
    "CUDA_GRID_THREADS": (256, 1, 1024),
    "CUDA_SIM_THREADS": (8, 1, 1024),
    "CUDA_CACHE": (0, 0, 1),
    "WARN_BYTES": (2**30, 0, None),
}
_CHOICES = {"CUDA_PATH": ("auto", ("auto", "block", "grid"))}


def _check(name, value):
    """``value`` of tunable ``name``, checked (a ValueError that names it otherwise)."""
    if name in _CHOICES:
        allowed = _CHOICES[name][1]
        if value not in allowed:
            raise ValueError(f"NBBRAIN_{name}={value!r}: expected one of {list(allowed)}")
        return value
    _default, lo, hi = _INT[name]
    try:
        if isinstance(value, bool) or float(value) != int(value):
            raise ValueError
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"NBBRAIN_{name}={value!r}: expected a whole number") from None
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"NBBRAIN_{name}={value}: expected a whole number {bounds}")
    return value


def _read(name):
    default = _CHOICES[name][0] if name in _CHOICES else _INT[name][0]
    return _check(name, os.environ.get(f"NBBRAIN_{name}", default))


def get(name):
    """The current value of tunable ``name`` (as set here, or by a script), checked."""
    return _check(name, globals()[name])


_CHECKED: list = []  # the values last found good


def check_all():
    """Check every tunable's current value (a run does, before it changes anything)."""
    g = globals()
    values = [g[name] for name in (*_INT, *_CHOICES)]
    if values == _CHECKED:
        return
    for name in (*_INT, *_CHOICES):
        get(name)
    _CHECKED[:] = values


CHUNK_STEPS = _read("CHUNK_STEPS")
BLOCK_NEURONS = _read("BLOCK_NEURONS")
MERGE_NEURONS = _read("MERGE_NEURONS")
MERGE_POPULATIONS = _read("MERGE_POPULATIONS")
CUDA_PATH = _read("CUDA_PATH")
CUDA_BLOCK_MAX_NEURONS = _read("CUDA_BLOCK_MAX_NEURONS")
CUDA_THREADS = _read("CUDA_THREADS")
CUDA_GRID_THREADS = _read("CUDA_GRID_THREADS")
CUDA_SIM_THREADS = _read("CUDA_SIM_THREADS")
CUDA_CACHE = _read("CUDA_CACHE")
WARN_BYTES = _read("WARN_BYTES")
