"""Inputs of a run: given spikes for SpikeSource populations, injected currents (pA) for
LIF populations. Checked completely before the run starts (a bad input changes nothing),
then packed once per chunk into the two arrays the kernel reads."""

from __future__ import annotations

import numpy as np

from ..kernels import layout as L

_SPIKES, _CURRENT = "spikes", "current"


def _as_numpy(x, what):
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a torch tensor: see nbbrain.torch
        if getattr(x, "requires_grad", False):
            raise TypeError(f"{what}: the brain is not differentiable; pass x.detach()")
        if str(getattr(x, "device", "cpu")) != "cpu":
            raise TypeError(
                f"{what}: a tensor on {x.device}: run inputs are host arrays; "
                "pass a CPU tensor (x.cpu())"
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
        x = _as_numpy(x, what)
        B = sim.batch
        if x.shape == (pop.n,):
            varying, x = False, x[None, None]
        elif x.shape == (n_steps, pop.n):
            varying, x = True, x[None]
        elif x.shape == (B, pop.n):
            varying, x = False, x[:, None]
        elif x.shape == (B, n_steps, pop.n):
            varying = True
        elif B > 1 and x.ndim == 3 and x.shape[1:] == (n_steps, pop.n):
            raise ValueError(f"{what}: the simulation has batch={B} copies, got inputs for "
                             f"{x.shape[0]} (shape {x.shape})")  # fmt: skip
        else:
            also = (f", or per copy ({B}, {n_steps}, {pop.n}) or ({B}, {pop.n})"
                    if B > 1 else "")  # fmt: skip
            raise ValueError(f"{what}: expected shape ({pop.n},) or ({n_steps}, {pop.n}) "
                             f"(n_steps, neurons){also}, got {x.shape}")  # fmt: skip
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


def pack_inputs(sim, inputs, start, chunk):
    """The kernel's (array, per-population time multiplier, per-population column offset)
    for steps ``start .. start + chunk`` of the run, per kind of input; the array is
    ``[rows, width]``, or ``[B, rows, width]`` for a batch (an input given once goes to
    every copy)."""
    net = sim.net
    packed = {}
    for kind, dtype in ((_SPIKES, np.uint8), (_CURRENT, np.float32)):
        mine = [(net.index(n), x, var) for n, (k, x, var) in inputs.items() if k == kind]
        if not mine:
            continue
        mine.sort()
        varying = any(var for _, _, var in mine)
        width = sum(x.shape[-1] for _, x, _ in mine)
        arr = np.empty((sim.batch, chunk if varying else 1, width), dtype)
        tmul = np.zeros(len(net.names), np.int64)
        off = np.full(len(net.names), -1, np.int64)
        col = 0
        for k, x, var in mine:
            n = x.shape[-1]
            arr[:, :, col : col + n] = x[:, start : start + chunk] if var else x
            tmul[k], off[k] = int(varying), col
            col += n
        packed[kind] = (arr[0] if sim.batch == 1 else arr, tmul, off)
    return packed
