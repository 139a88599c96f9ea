"""Backends: the machines a built brain runs on, behind one interface (``base.py``)."""

BACKENDS = ("cpu", "cuda")


def backend_class(name: str, threads: int):
    """The backend class for ``name``, once it is known to be usable here (for ``"cuda"``:
    numba-cuda, a driver and a GPU, or the simulator; otherwise a clear RuntimeError)."""
    if name == "cpu":
        from .cpu.backend import CpuBackend

        return CpuBackend
    from .cuda.backend import CudaBackend, check_available

    check_available(threads)
    return CudaBackend
