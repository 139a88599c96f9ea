"""Run inputs that already lie on the GPU, for the CUDA backend.

An input that exposes ``__cuda_array_interface__`` (a torch CUDA tensor, a CuPy array, a
numba device array) never crosses to the host. Its shape, dtype and strides are checked
from the interface dict; its values (finite currents, 0/1 spikes) by one pass of a small
kernel on the device, which sends back one count. Each chunk, the run kernel reads it in
place when it is the only input of its kind and the chunk's rows are one C-contiguous
block of the kernel's dtype (float32 currents, one byte per spike); otherwise it is copied
device to device into the chunk's input buffer (a float64 current converted to float32
on the way).

Under the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the "device" is host memory: the
simulator's own device arrays are read in place, and so is an object whose
``__cuda_array_interface__`` describes host memory that it also exposes through
``__array_interface__`` (a test double); real GPU memory cannot be read there.
"""

from __future__ import annotations

import numpy as np

#: spike dtypes read in place as bytes (bool is 0/1 by construction: no value check)
_SPIKE_BYTES = {np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.int8)}
_CURRENTS = {np.dtype(np.float32), np.dtype(np.float64)}  # float64: converted in the copy


def device_interface(x, what):
    """The ``__cuda_array_interface__`` dict of ``x`` (for the simulator's device arrays,
    an equivalent one), or None for data in host memory."""
    try:
        desc = getattr(x, "__cuda_array_interface__", None)
    except (TypeError, RuntimeError) as e:  # e.g. torch: a dtype the interface lacks
        raise TypeError(f"{what}: its __cuda_array_interface__ cannot be read: {e}") from None
    if desc is None and getattr(x, "__cuda_ndarray__", False):  # simulator device array
        desc = x._ary.__array_interface__
    return desc


def is_device_array(a):
    """A numba device array (real or simulated), which the run kernel takes as it is."""
    return bool(getattr(a, "__cuda_ndarray__", False))


def check_device_input(backend, x, desc, what, spikes, form):
    """``x`` (described by ``desc``) as a device array ``[copies, rows, n]`` sharing its
    memory, after every check, and whether it varies per step; ``form(shape)`` gives that
    and the axes to insert (``engine/inputs._form``)."""
    if desc.get("mask") is not None:
        raise ValueError(f"{what}: masked CUDA arrays are not supported")
    varying, axes = form(tuple(desc["shape"]))
    dtype = np.dtype(desc["typestr"])
    if spikes and dtype not in _SPIKE_BYTES:
        raise TypeError(
            f"{what}: spikes on the GPU must be bool or uint8 (one byte per neuron and "
            f"step, read in place), got {dtype}; convert them there first (x.bool())"
        )
    if not spikes and dtype not in _CURRENTS:
        raise TypeError(
            f"{what}: a current in pA on the GPU must be float32 (float64 is converted "
            f"there, in the copy), got {dtype}; convert it there first (x.float())"
        )
    strides = desc.get("strides")
    if strides is not None and min(strides, default=0) < 0:
        raise ValueError(f"{what}: negative strides {tuple(strides)} are not supported; "
                         "pass a copy (x.contiguous())")  # fmt: skip
    arr = _wrap(backend.cuda, x, _with_axes(desc, axes), what)
    if dtype != np.uint8 and spikes:
        arr = arr.view(np.uint8)  # same bytes: bool and int8 0/1 are uint8 0/1
    if dtype != np.bool_ and count_bad_on_device(backend, arr, spikes):
        raise ValueError(f"{what}: spikes must be 0 or 1" if spikes else
                         f"{what}: the current must be finite (no NaN or inf)")  # fmt: skip
    return arr, varying


def _with_axes(desc, axes):
    """``desc`` with unit axes inserted at ``axes`` (as ``np.expand_dims``)."""
    shape, strides = list(desc["shape"]), desc.get("strides")
    strides = None if strides is None else list(strides)
    unit = np.dtype(desc["typestr"]).itemsize * max(1, int(np.prod(shape)))  # not 0
    for ax in sorted(axes):
        shape.insert(ax, 1)
        if strides is not None:
            strides.insert(ax, unit)
    return dict(desc, shape=tuple(shape), strides=None if strides is None else tuple(strides))


def _wrap(cuda, x, desc, what):
    """A numba device array over the memory ``desc`` describes (no copy)."""
    from .backend import _simulated

    if not _simulated():
        if 0 in desc["shape"]:  # nothing to read (and the pointer may be null)
            return cuda.device_array(desc["shape"], np.dtype(desc["typestr"]))
        return cuda.from_cuda_array_interface(desc, owner=x)
    # the simulator's device memory is host memory: only host memory can be read
    host = getattr(x, "__array_interface__", None) or {}
    if host.get("data", (None,))[0] != desc["data"][0]:
        raise TypeError(
            f"{what}: under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1) GPU memory cannot "
            "be read; pass a host array (x.cpu() for a tensor)"
        )
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    return FakeCUDAArray(np.asarray(_ArrayInterface(desc, x)))


class _ArrayInterface:
    """Host memory described by a CUDA array interface dict, for numpy (simulator only)."""

    def __init__(self, desc, owner):
        self.owner = owner  # keeps the memory alive as long as the array
        keys = ("shape", "typestr", "data", "strides")
        self.__array_interface__ = {k: desc.get(k) for k in keys} | {"version": 3}


def count_bad_on_device(backend, arr, spikes):
    """How many values of ``arr`` [copies, rows, n] are not finite (or not 0 or 1:
    ``spikes``): one pass on the device."""
    from ... import config
    from .device_checks import count_bad

    if arr.size == 0:
        return 0
    out = backend.cuda.to_device(np.zeros(1, np.int64))
    threads = config.get("CUDA_SIM_THREADS") if backend.simulated else 256
    blocks = 1 if backend.simulated else min(1024, -(-arr.size // threads))
    count_bad[blocks, threads](arr, spikes, out)
    return int(out.copy_to_host()[0])


class DevicePack:
    """A chunk's input of one kind that is packed on the device: the pieces (column, array
    ``[copies or 1, rows or 1, n]``, device or host) go into the backend's reused buffer
    ``[B, rows, width]``, broadcast over copies and rows, converted to its dtype."""

    def __init__(self, shape, dtype, pieces):
        self.shape, self.dtype, self.pieces = shape, dtype, pieces

    def fill(self, buf):
        for col, src in self.pieces:
            if isinstance(src, np.ndarray):
                src = np.ascontiguousarray(src)  # numba uploads host values contiguous
            buf[:, :, col : col + src.shape[2]] = src
        return buf


def chunk_input(batch, pieces, dtype, rows, width, start, chunk):
    """The chunk's input of one kind when some of it is on the device: the input itself
    when the kernel can read its rows in place (the only input of its kind, the kernel's
    dtype, one C-contiguous block per chunk), else a ``DevicePack``. ``pieces``: (column,
    array ``[copies, rows, n]``, time-varying)."""
    parts = [(col, x[:, start : start + chunk] if var else x) for col, x, var in pieces]
    if len(parts) == 1:
        x = parts[0][1]
        if (is_device_array(x) and x.dtype == dtype and x.shape == (batch, rows, width)
                and x.is_c_contiguous()):  # fmt: skip
            return x
    return DevicePack((batch, rows, width), dtype, parts)
