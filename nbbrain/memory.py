"""Memory checked before large allocations: a build (its batch copies too), a run's state
samples, a checkpoint. Asking for more than the machine has available raises a
``MemoryBudgetError`` with the numbers, before anything is allocated or changed."""

from __future__ import annotations

import psutil

from . import config


class MemoryBudgetError(MemoryError):
    """An allocation that would not fit in the memory available: nothing was changed."""


class MemoryWarning(UserWarning):
    """A copy larger than ``NBBRAIN_WARN_BYTES`` (a surprise more often than not)."""


def available_bytes() -> int:
    """Memory the system can give without swapping (psutil's ``available``)."""
    return int(psutil.virtual_memory().available)


def size(nbytes) -> str:
    """``nbytes`` in MiB or GiB."""
    value, unit = (nbytes / 2**30, "GiB") if nbytes >= 2**30 else (nbytes / 2**20, "MiB")
    return f"{value:,.0f} {unit}" if value >= 1000 else f"{value:.3g} {unit}"


def check_fits(what: str, nbytes: int, hint: str) -> None:
    """Refuse ``what`` if its ``nbytes`` exceed the memory available (asked of the system
    only for a nonzero need: a run without state monitors, as a closed loop makes every
    window, costs nothing here)."""
    if nbytes <= 0:
        return
    free = available_bytes()
    if nbytes > free:
        raise MemoryBudgetError(
            f"{what} needs at least {size(nbytes)} ({nbytes} bytes), more than the "
            f"{size(free)} available: {hint}"
        )


def warn_if_large(what: str, nbytes: int, hint: str) -> None:
    """Warn about a copy larger than ``NBBRAIN_WARN_BYTES``."""
    if nbytes > config.get("WARN_BYTES"):
        import warnings

        warnings.warn(f"{what} takes {size(nbytes)}: {hint}", MemoryWarning, stacklevel=3)


def checkpoint_bytes(net, batch) -> int:
    """What ``checkpoint`` copies (without plastic state): the state and the ring of
    spikes in flight, dense, ``[D, C * N]`` per copy."""
    return batch * 4 * (net.n * (net.n_rows + 2) + net.n_slots * net.n_channels * net.n)
