"""PyTorch at the boundary: tensors out of simulations, and a brain as an ``nn.Module``.

``import nbbrain`` does not import torch; ``import nbbrain.torch`` does. Nothing here is
differentiable: spikes are thresholded events and the kernels are compiled numba code, so
no gradient flows through a brain (an input that requires grad is refused, not silently
detached).

Readouts (functions of a ``RunResult`` or a ``Simulation``) are tensors on the simulation's
device: CPU tensors for ``backend="cpu"``, CUDA tensors for ``backend="cuda"`` (under the
CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``, whose "device" is host memory: CPU tensors).

=====================================  ===========================================================
``to_tensor(array)``                   **shares** memory with ``array`` (``torch.from_numpy``) when
                                       it is writeable, has no negative strides and a dtype torch
                                       knows; otherwise a copy.
``step_counts(result)``                CPU: **shares** memory with the result's per-step
                                       population counts (int32 ``[n_steps, populations]``).
                                       CUDA: a copy on the GPU (the counts cross to the host
                                       once per chunk during the run, where the result keeps
                                       them).
``state(sim, name, var)``              a **live view** of the simulation's state (float32): it
                                       shows later runs without a copy. CPU: a view of the host
                                       arrays; CUDA: a CUDA tensor over the device arrays
                                       (``torch.as_tensor`` through ``__cuda_array_interface__``).
                                       Treat it as read-only; change the state with
                                       ``sim.set_state``. ``copy=True``: a copy, on the same
                                       device.
``rates(result, names, bin_ms)``       computed into one new array, which the tensor owns (no
                                       copy after that): ``[n_bins, len(names)]`` in Hz. CUDA:
                                       computed on the host, then copied to the GPU.
``spikes(sim, name)``                  the simulation assembles the recorded spikes into new
                                       arrays (as ``sim.spikes`` does); the tensors own those
                                       (``t_ms`` float64, ``idx`` integers), no further copy.
                                       CUDA: recorded spikes are collected on the host once per
                                       chunk; then copied to the GPU.
=====================================  ===========================================================

Inputs: ``Simulation.run(inputs=...)`` takes CPU tensors in place (through ``.numpy()``)
and, on the CUDA backend, CUDA tensors without leaving the GPU (``__cuda_array_interface__``:
read in place by the kernel where their layout allows, else copied on the GPU; see
``Simulation.run``).

``BrainModule`` wraps a brain as a module whose ``forward`` runs the brain for the steps of
its input and returns population rates per time window; see its docstring.
"""

from __future__ import annotations

import copy as _copy
import warnings

import numpy as np
import torch
from torch import nn

from .model.brain import Brain
from .model.values import whole_steps
from .neurons.sources import Source, SpikeSource

__all__ = ["BrainModule", "rates", "spikes", "state", "step_counts", "to_tensor"]

#: torch dtype -> the numpy dtype readouts are computed in (others: float32, then converted)
_NUMPY_FLOAT = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}
_GPU_CURRENTS = (torch.float32, torch.float64)  # the CUDA engine's current dtypes


# ---- readouts -----------------------------------------------------------------------------
def to_tensor(array) -> torch.Tensor:
    """``array`` as a CPU tensor, sharing its memory (``torch.from_numpy``) where torch can:
    a writeable array without negative strides, of a dtype torch has. Otherwise a copy
    (read-only arrays are copied so that writing to the tensor can never reach them)."""
    a = np.asarray(array)
    try:
        if a.flags.writeable and all(s >= 0 for s in a.strides):
            return torch.from_numpy(a)
    except TypeError:  # a dtype torch does not have (e.g. strings, objects)
        raise TypeError(f"to_tensor: numpy dtype {a.dtype} has no torch equivalent") from None
    return torch.from_numpy(np.ascontiguousarray(a).copy())


def step_counts(result) -> tuple[torch.Tensor, list[str]]:
    """Spikes per step of each population in one run: (int32 tensor ``[n_steps,
    populations]``, ``[B, n_steps, populations]`` for a batch; the population names of its
    columns). CPU backend: the tensor **shares** memory with the RunResult's counts (do not
    write to it); CUDA backend: a copy on the GPU."""
    counts = torch.from_numpy(result.step_counts)
    return _on_device(counts, result.backend), list(result.populations)


def rates(result, names, bin_ms: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Population rates (Hz) of ``names`` (populations or regions; a name or a list) in
    consecutive bins of ``bin_ms`` of one run: ``[n_bins, len(names)]`` (``[B, n_bins,
    len(names)]`` for a batch's run), from the per-step
    counts (no spike monitor needed). A last partial bin is dropped (``RunResult.rates_hz``).
    Computed once into a new array that the tensor owns (CUDA backend: then copied to the
    GPU)."""
    names = [names] if isinstance(names, str) else list(names)
    out = _rates_into(result, names, bin_ms, _NUMPY_FLOAT.get(dtype, np.float32), None)
    return _on_device(_as_dtype(torch.from_numpy(out), dtype), result.backend)


def spikes(sim, name, *, b: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Recorded spikes of population ``name`` so far, as ``sim.spikes`` gives them: (times in
    ms, float64; local indices, integers). ``sim`` is a Simulation or a BrainModule (then its
    copy ``b``). The tensors own the arrays the simulation assembled: no further copy (CUDA
    backend: the spikes were collected on the host; the tensors are copies on the GPU)."""
    s, b = _sim(sim, b)
    t_ms, idx = s.spikes(name, copy=b)
    t_ms, idx = torch.from_numpy(np.ascontiguousarray(t_ms)), torch.from_numpy(idx)
    return _on_device(t_ms, s.backend), _on_device(idx, s.backend)


def state(sim, name, var, *, copy: bool = False, b: int = 0) -> torch.Tensor:
    """State variable ``var`` of population ``name`` (float32, one value per neuron). ``sim``
    is a Simulation or a BrainModule (then its copy ``b``).

    ``copy=False``: a live view that **shares** memory with the simulation's state, so it
    shows the state after later runs without a copy: on the CPU backend a view of the host
    arrays; on the CUDA backend a CUDA tensor over the state on the GPU (``torch.as_tensor``
    through ``__cuda_array_interface__``; under the CUDA simulator, a CPU tensor over the
    simulated device's memory). It is for reading: writing to it bypasses
    ``sim.set_state``'s checks. ``copy=True``: a copy of the values now, on the same device."""
    s, b = _sim(sim, b)
    view = s.live_state(name, var, b)  # checks the names
    if s.backend == "cuda":
        t = _device_tensor(view)
        return t.clone() if copy else t
    return torch.from_numpy(view.copy() if copy else view)


def _simulated():
    from .backends.cuda.backend import _simulated

    return _simulated()


def _device_tensor(dev):
    """A tensor sharing the memory of numba device array ``dev``: a CUDA tensor (through
    ``__cuda_array_interface__``), or under the CUDA simulator a CPU tensor."""
    if _simulated():
        return torch.from_numpy(dev._ary)
    return torch.as_tensor(dev, device="cuda")


def _on_device(t, backend):
    """``t`` (a CPU tensor) on ``backend``'s device: a copy to the GPU for ``"cuda"``
    (except under the CUDA simulator, whose device memory is host memory)."""
    if backend == "cpu" or _simulated():
        return t
    return t.to("cuda")


def _sim(sim, b):
    """The Simulation and the copy ``b`` of it to read."""
    if isinstance(sim, BrainModule):
        B = sim.simulation.batch
        if not isinstance(b, int) or not 0 <= b < B:
            raise ValueError(f"b={b!r}: the module holds {B} copies of the brain")
        return sim.simulation, b
    return sim, b


def _rates_into(result, names, bin_ms, np_dtype, out):
    """``[n_bins, len(names)]`` rates of one run (``[B, n_bins, len(names)]`` for a batch),
    written into ``out`` (or a new array)."""
    cols = [np.asarray(result.rates_hz(name, bin_ms)) for name in names]
    if out is None:
        shape = cols[0].shape if cols else ((0,) if result.batch == 1 else (result.batch, 0))
        out = np.empty(shape + (len(names),), np_dtype)
    for j, col in enumerate(cols):
        out[..., j] = col
    return out


def _as_dtype(t, dtype):
    return t if t.dtype == dtype else t.to(dtype)


def _input_kind(model):
    """What a population of ``model`` takes as input: spikes, a current, or nothing."""
    if isinstance(model, SpikeSource):
        return "spikes"
    if isinstance(model, Source) or not model.current_input:
        return None
    return "current"


# ---- the brain as a module ----------------------------------------------------------------
class _Copies:
    """B independent copies of one brain: one batched Simulation (``brain.build(batch=B)``:
    state ``[B, N]``, the connectivity shared, a seed per copy), behind the methods
    ``batch``, ``resize``, ``run``, ``reset``, ``moved``."""

    def __init__(self, brain, backend, threads, batch=1, sim=None):
        self.brain, self.backend, self.threads = brain, backend, threads
        self.sim = sim if sim is not None else self._build(batch)
        self.initial = self._checkpoint(self.sim)

    def _build(self, batch):
        threads = self.threads if self.backend == "cpu" else 1
        return self.brain.build(backend=self.backend, threads=threads, batch=batch)

    @staticmethod
    def _checkpoint(sim):
        try:
            return sim.checkpoint()
        except NotImplementedError:  # a backend without checkpoints
            return None

    @property
    def sims(self):
        return [self.sim]

    @property
    def batch(self):
        return self.sim.batch

    def resize(self, batch):
        """Make it ``batch`` copies (built again: only before the first run)."""
        if batch == self.batch:
            return
        if self.sim.step > 0:
            raise RuntimeError("cannot change the batch after a run: call reset(batch=...)")
        sim = self._build(batch)  # may raise: nothing changed
        self.sim, self.initial = sim, self._checkpoint(sim)

    def run(self, n_steps, inputs):
        """Run every copy for ``n_steps``, ``inputs`` per copy (``[B, n_steps, n]``); the
        batch's RunResult."""
        return self.sim.run(n_steps=n_steps, inputs=inputs)

    def reset(self, batch=None):
        """Every copy (``batch`` of them) back to its state right after build."""
        batch = self.batch if batch is None else batch
        if self.initial is None or batch != self.batch:  # build again
            sim = self._build(batch)
            self.sim, self.initial = sim, self._checkpoint(sim)
            return
        self.sim.restore(self.initial)

    def moved(self, backend):
        """The same copies on ``backend``, built there; their state carried over where both
        backends can checkpoint and restore (else they start again from the state right
        after build, with a warning if they had run)."""
        out = _Copies(self.brain, backend, self.threads, self.batch)
        try:
            if self.sim.step > 0:
                out.sim.restore(self.sim.checkpoint())
        except NotImplementedError:  # raised before anything changed
            warnings.warn(
                f"BrainModule moved from {self.backend!r} to {backend!r}: the state cannot be "
                f"carried between these backends (checkpoint/restore); the brain starts "
                f"again from its state right after build (t = 0 ms, was "
                f"{self.sim.t_ms:g} ms)",
                stacklevel=4,
            )
        return out


class BrainModule(nn.Module):
    """A brain as an ``nn.Module``: ``forward(x)`` runs it for the steps of ``x`` and returns
    the rates of its readout populations per window. **Not differentiable**: no gradient
    flows through spikes, the output never requires grad, and an input that requires grad
    raises a TypeError (use it under ``torch.no_grad()`` or pass ``x.detach()``).

    ``brain``: an ``nb.Brain`` (copied: later changes to it do not reach the module), built
    here. ``inputs``: names of the populations ``x`` feeds, in the order of ``x``'s columns:
    ``x[..., k]`` runs over the neurons of ``inputs[0]``, then ``inputs[1]`` ...
    (``input_slices`` maps each name to its columns). A SpikeSource population takes spikes
    (a bool tensor, or 0/1 in an integer or float tensor); a ConductanceLIF or CurrentLIF
    population takes an injected current in pA (a float tensor; integer and bool tensors are
    refused where currents are fed). ``readouts``: populations or regions; output column j is
    the population rate (Hz) of ``readouts[j]``. ``window_ms``: the readout window, a whole
    number of steps. ``seed``: overrides ``brain.seed``. ``backend``, ``threads``: as
    ``Brain.build``.

    ``forward(x)``: ``x`` is ``[T, n_in]`` or ``[B, T, n_in]`` (T steps of ``brain.dt_ms``, a
    whole number of windows); returns ``[T // w, n_out]`` or ``[B, T // w, n_out]`` (w = steps
    per window), float32 unless the module was moved to another float dtype (``.double()``,
    ``.to(torch.float64)``), on the module's device. The rates are computed from the per-step
    population counts the kernel keeps (no spike monitor needed). The state persists from
    call to call, so a run cut into several calls gives the readouts of one long call;
    ``reset()`` returns to the state right after build.

    Batches: ``[B, T, n_in]`` runs B independent copies of the brain, each with its own state
    and input, as one batched Simulation (``brain.build(batch=B)``): the connectivity is
    shared, and each copy has its own seed (its own initial values and Poisson noise; copy
    0 is the unbatched brain, bit for bit). B is fixed by the first call (``[T, n_in]``
    counts as B = 1); another B raises a ValueError until ``reset(batch=B)``.

    Devices: ``.to("cuda")`` / ``.cuda()`` rebuilds the brain on the CUDA backend (a clear
    error if it cannot run here; the module is then unchanged), ``.to("cpu")`` / ``.cpu()``
    back; the state (time, neurons, spikes in flight) is carried over with
    ``Simulation.checkpoint``/``restore`` (where a backend could not restore, the brain would
    start again from its state after build, with a warning if it had run). Inputs must be
    on the module's device. On the CPU the input is read in place (``.numpy()``) and the
    output owns a new array per call (outputs of successive calls never alias). On CUDA the
    input stays on the GPU: checked there, and fed to the kernel in place where one input
    population takes all of ``x`` (float32, contiguous, and unbatched or in one chunk of
    ``nbbrain.config.CHUNK_STEPS``), else through a copy on the GPU (spikes given as
    numbers become a bool tensor there, other float currents float32); the output, a few
    rates per window computed on the host, is copied to the GPU once per call.

    Errors (shape, dtype, values, device, grad, batch) are raised before anything runs, and
    leave the module as it was.
    """

    def __init__(self, brain, inputs, readouts, window_ms, seed=None, backend="cpu", threads=1):
        super().__init__()
        if not isinstance(brain, Brain):
            raise TypeError(f"BrainModule: brain must be an nb.Brain, got {type(brain).__name__}")
        brain = _copy.deepcopy(brain)
        if seed is not None:
            if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"BrainModule: seed must be an integer, got {seed!r}")
            if not 0 <= seed < 2**63:
                raise ValueError(f"BrainModule: seed must be in [0, 2**63), got {seed}")
            brain.seed = int(seed)
        self.input_names = _names(inputs, "inputs")
        self.readout_names = _names(readouts, "readouts")
        if not self.readout_names:
            raise ValueError("BrainModule: readouts must name at least one population or region")
        self.input_slices, self._input_kinds, col = {}, {}, 0
        for name in self.input_names:
            pop = brain.populations.get(name)
            if pop is None:
                raise ValueError(
                    f"BrainModule: inputs: {name!r} is not a population; known: "
                    f"{sorted(brain.populations)}"
                )
            kind = _input_kind(pop.model)
            if kind is None:
                raise ValueError(
                    f"BrainModule: inputs: {name!r} is a {type(pop.model).__name__}, which "
                    "takes no input; SpikeSource takes spikes, neuron populations a current in pA"
                )
            self.input_slices[name] = slice(col, col + pop.n)
            self._input_kinds[name] = kind
            col += pop.n
        self.n_in, self.n_out = col, len(self.readout_names)
        for name in self.readout_names:
            if name not in brain.populations and name not in brain.regions:
                raise ValueError(
                    f"BrainModule: readouts: unknown population or region {name!r}; known: "
                    f"{sorted(brain.populations) + sorted(brain.regions)}"
                )
        steps = whole_steps(window_ms, brain.dt_ms, "BrainModule: window_ms")
        window_ms = float(window_ms)
        self.window_ms, self.window_steps = window_ms, steps
        if backend not in ("cpu", "cuda"):
            raise ValueError(f"BrainModule: unknown backend {backend!r}; available: cpu, cuda")
        self._copies = _Copies(brain, backend, threads)  # builds: errors propagate
        self._batch = None  # fixed by the first forward (or reset(batch=...))
        self._device = torch.device("cpu") if backend == "cpu" else torch.device("cuda", 0)
        self._dtype = torch.float32
        self._in_move = False
        #: the RunResult of each copy from the last forward (``RunResult.copy``)
        self.last_results = []

    # ---- properties ---------------------------------------------------------------------
    @property
    def brain(self):
        """The module's copy of the description (do not change it)."""
        return self._copies.brain

    @property
    def backend(self) -> str:
        return self._copies.backend

    @property
    def device(self) -> torch.device:
        """Where inputs are expected and outputs are returned."""
        return self._device

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the readout."""
        return self._dtype

    @property
    def batch(self):
        """The batch size fixed by the first forward (or ``reset(batch=...)``); None before."""
        return self._batch

    @property
    def simulation(self):
        """The (batched) Simulation that runs the copies."""
        return self._copies.sim

    @property
    def simulations(self) -> list:
        """``[simulation]``: one Simulation runs every copy (``simulation.batch`` of them)."""
        return list(self._copies.sims)

    @property
    def dt_ms(self) -> float:
        return self.brain.dt_ms

    @property
    def t_ms(self) -> float:
        """Simulated time since build or the last reset (ms)."""
        return self._copies.sim.t_ms

    # ---- running ------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        arr, batched = self._check(x)
        B, T = arr.shape[0], arr.shape[1]
        if self._batch is None and B != self._copies.batch:
            self._copies.resize(B)  # builds copies: an error here leaves everything as it was
        self._batch = B
        feed = {}
        for name, sl in self.input_slices.items():
            cols = arr[:, :, sl]  # [B, T, n]: each copy its own
            if self._input_kinds[name] == "spikes":
                feed[name] = cols if _is_bool(cols) else cols != 0
            elif isinstance(cols, torch.Tensor) and cols.dtype not in _GPU_CURRENTS:
                feed[name] = cols.float()  # on the GPU, where the engine takes float32/64
            else:
                feed[name] = cols
        result = self._copies.run(T, feed)
        self.last_results = [result.copy(b) for b in range(B)] if B > 1 else [result]
        np_dtype = _NUMPY_FLOAT.get(self._dtype, np.float32)
        out = np.empty((B, T // self.window_steps, self.n_out), np_dtype)
        for j, name in enumerate(self.readout_names):
            out[:, :, j] = result.rates_hz(name, self.window_ms).reshape(B, -1)
        y = torch.from_numpy(out if batched else out[0])
        return _as_dtype(y, self._dtype).to(self._device)

    def _check(self, x):
        """``x`` as ``[B, T, n_in]`` (a view where it can be: a numpy array, or on the GPU
        the CUDA tensor), and whether it was batched; every check before anything runs."""
        what = "BrainModule.forward"
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{what}: x must be a torch.Tensor, got {type(x).__name__}")
        if x.requires_grad:
            raise TypeError(
                f"{what}: the brain is not differentiable (no gradient flows "
                "through spikes): pass x.detach(), or run under torch.no_grad()"
            )
        if x.device.type != self._device.type:
            raise TypeError(
                f"{what}: x is on {x.device} but the module is on {self._device} "
                f"(backend {self.backend!r}); move one of them with .to()"
            )
        if x.dim() not in (2, 3) or x.shape[-1] != self.n_in:
            raise ValueError(
                f"{what}: expected x of shape [T, {self.n_in}] or [B, T, "
                f"{self.n_in}] ({self._columns()}), got {list(x.shape)}"
            )
        batched = x.dim() == 3
        B, T = (x.shape[0], x.shape[1]) if batched else (1, x.shape[0])
        if B < 1:
            raise ValueError(f"{what}: a batch needs at least one copy, got B={B}")
        fixed = self._batch
        if fixed is not None and B != fixed:
            raise ValueError(
                f"{what}: the batch size is fixed at {fixed} (by the first call "
                f"or reset(batch=...)), got {B}; call reset(batch={B}) to change "
                "it (this resets the state)"
            )
        if T % self.window_steps:
            raise ValueError(
                f"{what}: T={T} steps is not a whole number of windows of "
                f"{self.window_steps} steps ({self.window_ms:g} ms)"
            )
        dt = x.dtype
        currents = [n for n, k in self._input_kinds.items() if k == "current"]
        if dt.is_complex:
            raise TypeError(f"{what}: x must be real (bool, integer or float), got {dt}")
        if currents and not dt.is_floating_point:
            raise TypeError(
                f"{what}: x feeds currents (pA) to {currents}: it must be a float "
                f"tensor, got {dt} (spikes of SpikeSource inputs are then 0.0 or "
                "1.0)"
            )
        on_gpu = x.device.type == "cuda"  # stays there: checked and fed as CUDA tensors
        if dt == torch.bfloat16:
            x = x.float()
        arr = x if on_gpu else x.numpy()
        if not batched:
            arr = arr[None]
        isfinite = torch.isfinite if on_gpu else np.isfinite
        for name, sl in self.input_slices.items():
            cols = arr[:, :, sl]
            if self._input_kinds[name] == "spikes":
                if not _is_bool(cols) and not bool(((cols == 0) | (cols == 1)).all()):
                    raise ValueError(
                        f"{what}: the columns of SpikeSource {name!r} "
                        f"({sl.start}:{sl.stop}) must be spikes, 0 or 1"
                    )
            elif not bool(isfinite(cols).all()):
                raise ValueError(
                    f"{what}: the current into {name!r} ({sl.start}:{sl.stop}) must "
                    "be finite (no NaN or inf)"
                )
        return arr, batched

    def _columns(self):
        return (
            ", ".join(f"{n} {s.start}:{s.stop}" for n, s in self.input_slices.items())
            or "no inputs"
        )

    def reset(self, batch=None):
        """Return every copy to its state right after build (t = 0). ``batch``: also set the
        batch size (else it stays as it is, or unfixed if no forward ran yet)."""
        if batch is not None:
            if isinstance(batch, (bool, np.bool_)) or not isinstance(batch, (int, np.integer)):
                raise TypeError(f"reset: batch must be an integer, got {batch!r}")
            if batch < 1:
                raise ValueError(f"reset: batch must be >= 1, got {batch}")
            batch = int(batch)
        self._copies.reset(batch)
        if batch is not None:
            self._batch = batch
        self.last_results = []
        return self

    # ---- devices and dtypes -------------------------------------------------------------
    def to(self, *args, **kwargs):
        """As ``nn.Module.to``: a device moves the brain to that backend ("cpu" or "cuda"),
        a float dtype sets the readout dtype; submodules move as usual."""
        device, dtype, _, _ = torch._C._nn._parse_to(*args, **kwargs)
        return self._move(device, dtype, lambda: nn.Module.to(self, *args, **kwargs))

    def cuda(self, device=None):
        dev = torch.device("cuda", device) if isinstance(device, int) else device
        dev = torch.device("cuda") if dev is None else torch.device(dev)
        return self._move(dev, None, lambda: nn.Module.cuda(self, device))

    def cpu(self):
        return self._move(torch.device("cpu"), None, lambda: nn.Module.cpu(self))

    def _apply(self, fn, recurse=True):
        if self._in_move:  # .to / .cuda / .cpu: the brain is handled in _move
            return super()._apply(fn, recurse)
        # .half(), .double(), .float(), .bfloat16(), .type(...): what fn makes of a tensor
        probe = fn(torch.zeros(0, dtype=self._dtype))
        dtype = probe.dtype if probe.dtype != self._dtype else None
        device = probe.device if probe.device.type != self._device.type else None
        return self._move(device, dtype, lambda: super(BrainModule, self)._apply(fn, recurse))

    def _move(self, device, dtype, apply_to_children):
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"BrainModule: the readout dtype must be a float dtype, got {dtype}")
        new_device, copies = self._device, self._copies
        if device is not None:
            if device.type not in ("cpu", "cuda"):
                raise ValueError(
                    f"BrainModule runs on the 'cpu' or 'cuda' backend, not on {device}"
                )
            if device.type == "cuda" and device.index not in (None, 0):
                raise ValueError(
                    f"BrainModule: the CUDA backend runs on the first GPU "
                    f"(cuda:0) for now, not {device}"
                )
            new_device = torch.device("cpu") if device.type == "cpu" else torch.device("cuda", 0)
            if device.type != self.backend:
                copies = self._copies.moved(device.type)  # builds: errors leave all as it was
        self._in_move = True
        try:
            apply_to_children()
        finally:
            self._in_move = False
        self._copies, self._device = copies, new_device
        if dtype is not None:
            self._dtype = dtype
        return self

    def extra_repr(self):
        return (
            f"inputs={self.input_names}, readouts={self.readout_names}, "
            f"window_ms={self.window_ms:g}, n_in={self.n_in}, backend={self.backend!r}, "
            f"batch={self._batch}, t_ms={self.t_ms:g}"
        )


def _is_bool(a):
    """Whether ``a`` (a numpy array or a tensor) holds booleans."""
    return a.dtype == (torch.bool if isinstance(a, torch.Tensor) else np.bool_)


def _names(items, what):
    items = [items] if isinstance(items, str) else list(items)
    out = []
    for item in items:
        name = getattr(item, "name", item)  # a Population or Region, or a name
        if not isinstance(name, str):
            raise TypeError(f"BrainModule: {what} must be names, got {item!r}")
        if name in out:
            raise ValueError(f"BrainModule: {what}: {name!r} is named twice")
        out.append(name)
    return out
