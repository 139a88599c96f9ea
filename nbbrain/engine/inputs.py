"""Inputs of a run: given spikes for SpikeSource populations, injected currents (pA) for
neuron populations. A key is a population, a region or a list of them (the array's last
axis then covers their neurons in that order). Checked completely before the run starts (a
bad input changes nothing), then packed once per chunk into the two arrays the kernel
reads. Inputs already on the GPU (``__cuda_array_interface__``, CUDA backend) stay there:
``backends/cuda/device_inputs.py``."""

from __future__ import annotations

import functools

import numpy as np

from ..neurons.base import float32_problem
from ..neurons.sources import Source, SpikeSource

SPIKES, CURRENT, MODULATOR = "spikes", "current", "modulator"


def _as_numpy(x, what):
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor: see nbbrain.torch
        if str(getattr(x, "device", "cpu")) != "cpu":
            raise TypeError(
                f"{what}: a tensor on {x.device}: run inputs are host arrays, or CUDA "
                "arrays on backend='cuda'; pass a CPU tensor (x.cpu())"
            )
        x = x.numpy()
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except ValueError:  # (a ragged list)
            raise ValueError(f"{what}: expected a rectangular array (every row of one "
                             f"length), got a ragged {type(x).__name__}") from None  # fmt: skip
    return x


def _kind(pops, what):
    """The kind of input ``pops`` take (all alike), or a clear error."""
    kinds = set()
    for p in pops:
        if isinstance(p.model, SpikeSource):
            kinds.add(SPIKES)
        elif isinstance(p.model, Source) or not p.model.current_input:
            raise ValueError(
                f"{what}: population {p.name!r} ({type(p.model).__name__}) takes no input; "
                "SpikeSource takes spikes, neuron populations a current in pA"
            )
        else:
            kinds.add(CURRENT)
    if len(kinds) > 1:
        raise ValueError(f"{what}: the populations {[p.name for p in pops]} mix SpikeSources "
                         "and neurons; give their inputs separately")  # fmt: skip
    return kinds.pop()


def check_inputs(sim, inputs, n_steps):
    """population name -> (kind, array, time_varying) for a run of ``n_steps``; raises on
    bad input. The array is ``[copies, rows, n]``: copies 1 (the same for every copy of a
    batch) or B, rows ``n_steps`` (time-varying) or 1."""
    if not isinstance(inputs, dict):
        raise TypeError(f"run: inputs must be a dict of population name -> array, got "
                        f"{type(inputs).__name__}")  # fmt: skip
    out = {}
    for name, x in inputs.items():
        if not isinstance(name, str):
            raise TypeError(f"run: inputs keys must be population or region names, got {name!r}")
        what = f"run: inputs[{name!r}]"
        if name in sim.net.plastic.modulators.names:
            out[name] = (MODULATOR, *_modulator_input(x, what, n_steps, sim.batch))
            continue
        pops = sim.resolve(name)
        kind = _kind(pops, what)
        n = sum(p.n for p in pops)
        if getattr(x, "requires_grad", False):  # a torch tensor: see nbbrain.torch
            raise TypeError(f"{what}: the brain is not differentiable; pass x.detach()")
        form = functools.partial(_form, n_steps=n_steps, n=n, B=sim.batch, what=what)
        device = sim.backend_object.device_input(x, what, kind == SPIKES, form)
        if device is not None:  # on the GPU: checked and used there
            arr, varying = device
            if len(pops) > 1:
                raise ValueError(f"{what}: a GPU input must be given per population")
        else:
            arr, varying = _host(x, what, kind, form)
        start = 0
        for p in pops:
            if p.name in out:
                raise ValueError(f"{what}: population {p.name!r} has an input already")
            piece = arr[:, :, start : start + p.n] if len(pops) > 1 else arr
            out[p.name] = (kind, piece, varying)
            start += p.n
    return out


def _modulator_input(x, what, n_steps, B):
    """A modulator's amounts (added to its concentration at each step): a number (every
    step), ``[n_steps]``, or per copy ``[B, n_steps]``; as ``[copies, rows, 1]``."""
    x = _as_numpy(x, what)
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(f"{what}: a modulator's amounts must be numbers, got {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: the amounts must be finite (no NaN or inf)")
    if x.shape == ():
        return x.reshape(1, 1, 1).astype(np.float64), False
    if x.shape == (n_steps,):
        return x.reshape(1, n_steps, 1).astype(np.float64), True
    if B > 1 and x.shape == (B, n_steps):
        return x.reshape(B, n_steps, 1).astype(np.float64), True
    also = f" or per copy ({B}, {n_steps})" if B > 1 else ""
    raise ValueError(f"{what}: a modulator takes a number (every step) or one amount per "
                     f"step, shape ({n_steps},){also}; got shape {x.shape}")  # fmt: skip


def _host(x, what, kind, form):
    x = _as_numpy(x, what)
    varying, axes = form(x.shape)
    x = np.expand_dims(x, axes)
    if kind == SPIKES:
        if x.dtype != np.bool_ and not (np.issubdtype(x.dtype, np.integer)
                                        and np.isin(x, (0, 1)).all()):  # fmt: skip
            raise TypeError(f"{what}: spikes must be booleans (or 0/1 integers), got "
                            f"{x.dtype}")  # fmt: skip
        return x.astype(np.uint8), varying
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise TypeError(f"{what}: a current in pA must be a float array, got {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: the current must be finite (no NaN or inf)")
    bad = float32_problem(x)
    if bad is not None:
        raise ValueError(f"{what}: the current overflows float32 (|x| > 3.4e38), got {bad:g}")
    return x.astype(np.float32), varying


def _form(shape, n_steps, n, B, what):
    """Whether an input of ``shape`` varies per step, and the axes that make it ``[copies,
    rows, n]`` (as ``np.expand_dims``); raises on a shape that fits no form."""
    shape = tuple(shape)
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
    """Per kind of input, the kernel's (array ``[B, rows, width]``, 1 if it has one row per
    step else 0, per-population column offset or -1) for steps ``start .. start + chunk``
    of the run; an input given once goes to every copy. Where an input is on the GPU, the
    backend packs it (``pack_device``)."""
    net = sim.net
    packed = {}
    for kind, dtype in ((SPIKES, np.uint8), (CURRENT, np.float32)):
        mine = [(net.index(n), x, var) for n, (k, x, var) in inputs.items() if k == kind]
        if not mine:
            continue
        mine.sort(key=lambda m: m[0])
        varying = any(var for _, _, var in mine)
        width = sum(x.shape[2] for _, x, _ in mine)  # [copies, rows, n]
        off = np.full(len(net.names), -1, np.int64)
        pieces, col = [], 0
        for k, x, var in mine:
            off[k] = col
            pieces.append((col, x, var))
            col += x.shape[2]
        rows = chunk if varying else 1
        if not all(isinstance(x, np.ndarray) for _, x, _ in mine):  # some on the GPU
            arr = sim.backend_object.pack_device(pieces, dtype, rows, width, start, chunk)
        else:
            arr = np.empty((sim.batch, rows, width), dtype)
            for col, x, var in pieces:
                arr[:, :, col : col + x.shape[2]] = x[:, start : start + chunk] if var else x
        packed[kind] = (arr, int(varying), off)
    mods = sim.net.plastic.modulators.names
    mine = [(mods.index(n), x, var) for n, (k, x, var) in inputs.items() if k == MODULATOR]
    rewards = sim.pending_rewards() if start == 0 and chunk > 0 else {}
    if mine or rewards:
        varying = bool(rewards) or any(var for _, _, var in mine)
        rows = chunk if varying else 1
        arr = np.zeros((sim.batch, rows, max(len(mods), 1)), np.float64)
        for m, x, var in mine:
            arr[:, :, m] = x[:, start : start + chunk, 0] if var else x[:, :, 0]
        for name, amount in rewards.items():
            arr[:, 0, mods.index(name)] += amount
        packed[MODULATOR] = (arr, int(varying), None)
    return packed
