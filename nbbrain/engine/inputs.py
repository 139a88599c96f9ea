"""Inputs of a run: given spikes for SpikeSource populations, injected currents (pA) for
LIF populations. Checked completely before the run starts (a bad input changes nothing),
then packed once per chunk into the two arrays the kernel reads. Inputs already on the
GPU (``__cuda_array_interface__``, CUDA backend) stay there: ``device_inputs.py``."""

from __future__ import annotations

import functools

import numpy as np

from ..kernels import layout as L
from .device_inputs import check_device_input, chunk_input, device_interface

_SPIKES, _CURRENT = "spikes", "current"


def _as_numpy(x, what):
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor: see nbbrain.torch
        if str(getattr(x, "device", "cpu")) != "cpu":
            raise TypeError(
                f"{what}: a tensor on {x.device}: run inputs are host arrays, or CUDA "
                "arrays on backend='cuda'; pass a CPU tensor (x.cpu())"
            )
        x = x.numpy()
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    return x


def check_inputs(sim, inputs, n_steps):
    """name -> (kind, array, time_varying) for a run of ``n_steps``; raises on bad input.
    The array is ``[copies, rows, n]``: copies 1 (the same for every copy of a batch) or
    B, rows ``n_steps`` (time-varying) or 1."""
    if not isinstance(inputs, dict):
        raise TypeError(f"run: inputs must be a dict of population name -> array, got "
                        f"{type(inputs).__name__}")  # fmt: skip
    out = {}
    for name, x in inputs.items():
        pop = sim._pop(name) if isinstance(name, str) else None
        if pop is None:
            raise TypeError(f"run: inputs keys must be population names, got {name!r}")
        what = f"run: inputs[{name!r}]"
        kind = pop.model.kind
        if kind not in (L.SPIKE_SOURCE, L.COND_LIF, L.CUR_LIF):
            raise ValueError(
                f"{what}: {type(pop.model).__name__} populations take no input; "
                "SpikeSource takes spikes, LIF populations a current in pA"
            )
        if getattr(x, "requires_grad", False):  # a torch tensor: see nbbrain.torch
            raise TypeError(f"{what}: the brain is not differentiable; pass x.detach()")
        desc = device_interface(x, what)
        if desc is not None:  # on the GPU: checked and used there
            spikes = kind == L.SPIKE_SOURCE
            form = functools.partial(_form, n_steps=n_steps, n=pop.n, B=sim.batch, what=what)
            x, varying = check_device_input(sim, x, desc, what, spikes, form)
            out[name] = (_SPIKES if spikes else _CURRENT, x, varying)
            continue
        x = _as_numpy(x, what)
        varying, axes = _form(x.shape, n_steps, pop.n, sim.batch, what)
        x = np.expand_dims(x, axes)
        if kind == L.SPIKE_SOURCE:
            if x.dtype != np.bool_ and not (np.issubdtype(x.dtype, np.integer)
                                            and np.isin(x, (0, 1)).all()):  # fmt: skip
                raise TypeError(f"{what}: spikes must be booleans (or 0/1 integers), got "
                                f"{x.dtype}")  # fmt: skip
            x = x.astype(np.uint8)
            out[name] = (_SPIKES, x, varying)
        else:
            if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
                raise TypeError(f"{what}: a current in pA must be a float array, got {x.dtype}")
            if not np.all(np.isfinite(x)):
                raise ValueError(f"{what}: the current must be finite (no NaN or inf)")
            out[name] = (_CURRENT, x.astype(np.float32), varying)
    return out


def _form(shape, n_steps, n, B, what):
    """Whether an input of ``shape`` varies per step, and the axes that make it ``[copies,
    rows, n]`` (as ``np.expand_dims``); raises on a shape that fits no form."""
    if shape == (n,):
        return False, (0, 1)
    if shape == (n_steps, n):
        return True, (0,)
    if shape == (B, n):
        return False, (1,)
    if shape == (B, n_steps, n):
        return True, ()
    if B > 1 and len(shape) == 3 and shape[1:] == (n_steps, n):
        raise ValueError(f"{what}: the simulation has batch={B} copies, got inputs for "
                         f"{shape[0]} (shape {shape})")  # fmt: skip
    also = f", or per copy ({B}, {n_steps}, {n}) or ({B}, {n})" if B > 1 else ""
    raise ValueError(f"{what}: expected shape ({n},) or ({n_steps}, {n}) (n_steps, "
                     f"neurons){also}, got {shape}")  # fmt: skip


def pack_inputs(sim, inputs, start, chunk):
    """The kernel's (array, per-population time multiplier, per-population column offset)
    for steps ``start .. start + chunk`` of the run, per kind of input; the array is
    ``[rows, width]``, or ``[B, rows, width]`` for a batch (an input given once goes to
    every copy); where an input is on the GPU, a device array ``[B, rows, width]`` or a
    ``DevicePack`` to fill one (``device_inputs.chunk_input``)."""
    net = sim.net
    packed = {}
    for kind, dtype in ((_SPIKES, np.uint8), (_CURRENT, np.float32)):
        mine = [(net.index(n), x, var) for n, (k, x, var) in inputs.items() if k == kind]
        if not mine:
            continue
        mine.sort(key=lambda m: m[0])
        varying = any(var for _, _, var in mine)
        width = sum(x.shape[2] for _, x, _ in mine)  # [copies, rows, n]
        tmul = np.zeros(len(net.names), np.int64)
        off = np.full(len(net.names), -1, np.int64)
        pieces, col = [], 0
        for k, x, var in mine:
            tmul[k], off[k] = int(varying), col
            pieces.append((col, x, var))
            col += x.shape[2]
        rows = chunk if varying else 1
        if not all(isinstance(x, np.ndarray) for _, x, _ in mine):  # some on the GPU
            arr = chunk_input(sim, pieces, dtype, rows, width, start, chunk)
            packed[kind] = (arr, tmul, off)
            continue
        arr = np.empty((sim.batch, rows, width), dtype)
        for col, x, var in pieces:
            arr[:, :, col : col + x.shape[2]] = x[:, start : start + chunk] if var else x
        packed[kind] = (arr[0] if sim.batch == 1 else arr, tmul, off)
    return packed
