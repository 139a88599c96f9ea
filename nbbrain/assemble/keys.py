"""Keys of the random streams: every draw is keyed by what it is for, never by order."""

import hashlib

import numpy as np


def stable_key(*parts) -> np.uint64:
    """A 64-bit key from strings and integers, the same in every process and platform."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def numpy_rng(seed, *parts) -> np.random.Generator:
    """A numpy generator for the draws of ``parts`` (build-time values)."""
    return np.random.default_rng([seed, int(stable_key(*parts))])


def copy_parts(copy):
    """What copy ``copy`` of a batch adds to the parts of its random keys: nothing for copy
    0 (which so equals the unbatched build bit for bit), ``("copy", c)`` for the others."""
    return () if copy == 0 else ("copy", int(copy))
