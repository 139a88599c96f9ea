"""The backend interface: what a Simulation asks of the machine that runs it.

A backend owns where a built network's state lives and how it advances. ``Simulation``
(backend-neutral) validates every argument, keeps the monitors and the step count, and
calls only these methods:

- ``advance(step0, n_steps, inputs, monitors, counts)``: run a chunk of steps, return the
  per-step spike counts ``[B, n_steps, P]`` (spikes and samples go to the recorders);
- ``read_state(row)`` / ``write_state(row, lo, hi, values)``: a state variable of all
  copies (``row``: a row of the state, ``NOISE_CODE`` the noise current, ``REF`` the
  refractory counts), as host arrays ``[B, N]``;
- ``live_state(row, lo, hi, copy)``: the same without a copy, on the backend's device
  (torch interop);
- ``read_ring(step)`` / ``write_ring(ring, step)``: the spikes in flight, as a ring
  ``[B, D, C * N]`` (slot ``t % D``: what arrives at step t), the same on every backend;
- ``read_weights(pos, copy)`` / ``write_weights(pos, values)``: static weights (every
  copy's, or a row per copy where the copies have their own);
- ``read_poisson_tables()`` / ``write_poisson_tables(thr, guide)``: each copy's Poisson
  input tables;
- ``relayout()``: the network's groups changed (an optional state variable came into use);
  ``refresh()``: its tables or features did (``set_parameter``); ``replace_trains``: new
  given spike times;
- ``memory()``: bytes held.
"""

from __future__ import annotations

import abc

import numpy as np

from ..assemble.network import NOISE_CODE, initial_state
from ..assemble.neurons import U_GIVEN, U_NEURONS, U_POISSON

#: ``read_state`` row of the refractory counts
REF = -2


def state_row(row, st, ref, noise, n):
    """The ``[B, N]`` view of ``read_state`` row ``row`` among a backend's host arrays
    (``st`` [B, R * N], ``ref`` and ``noise`` [B, N])."""
    if row == NOISE_CODE:
        return noise
    if row == REF:
        return ref
    return st[:, row * n : (row + 1) * n]


#: the kernels' features (flags): a brain compiles (and caches) only the code it uses
FEATURES = ("neurons", "poisson", "given", "trains", "timed_rates", "poisson_inputs",
            "timed_inputs", "noise", "monitors", "oscillators", "plastic", "copy_params",
            "copy_weights")  # fmt: skip


class Backend(abc.ABC):
    """Shared set-up: per-copy initial state and random keys."""

    name = ""

    def __init__(self, net, pops, batch: int, threads: int):
        self.net, self.batch, self.threads = net, batch, threads
        self.pops = pops  # the Population descriptions, in network order

    @staticmethod
    def parts(threads: int, batch: int) -> int:
        """Into how many thread parts the build cuts the neurons (and each row of synapses)."""
        return 1

    def initial_states(self):
        """(st [B, R, N], ref [B, N], noise [B, N]): copy 0 as built, copies c > 0 drawn
        from keys that add the copy (the same seed gives the same batch)."""
        net, B = self.net, self.batch
        st = np.empty((B,) + net.st.shape, np.float32)
        ref = np.empty((B, net.n), np.int32)
        noise = np.empty((B, net.n), np.float32)
        st[0], ref[0], noise[0] = net.st, net.ref, net.noise
        for c in range(1, B):
            st[c], ref[c], noise[c] = initial_state(net, self.pops, c)
        return st, ref, noise

    def keys(self):
        """Per copy: Poisson source keys [B, P], Poisson input keys [B, Q], noise keys [B, Z]."""
        net, B = self.net, self.batch
        pop = np.stack([net.pop_keys(c) for c in range(B)])
        pin = np.stack([net.poisson.keys(net.noise_seed, c) for c in range(B)])
        nz = np.stack([net.noise_inputs.keys(net.noise_seed, c) for c in range(B)])
        return pop, pin.reshape(B, -1), nz.reshape(B, -1)

    def device_input(self, x, what, spikes, form):
        """An input already in the backend's device memory, checked: (array ``[copies,
        rows, n]``, time-varying), or None for host data. Host backends refuse GPU memory."""
        desc = getattr(x, "__cuda_array_interface__", None)
        if desc is not None or getattr(x, "__cuda_ndarray__", False):
            shape = tuple(desc["shape"]) if desc else tuple(x.shape)
            dtype = np.dtype(desc["typestr"]) if desc else x.dtype
            raise TypeError(
                f"{what}: GPU memory (shape {shape}, dtype {dtype}) for a simulation on backend="
                f"{self.name!r}; pass a host array (x.cpu() for a tensor), or build with "
                "backend='cuda'"
            )
        return None

    def features(self, monitors: bool) -> tuple:
        """The kernel features (flags, in the order of ``FEATURES``) this network uses: a
        brain compiles (and caches) only the code it needs. (Fixed by the build: computed
        once.)"""
        cache = self.__dict__.setdefault("_features", {})
        if monitors not in cache:
            cache[monitors] = self._features_of(bool(monitors))
        return cache[monitors]

    def _features_of(self, monitors: bool) -> tuple:
        net = self.net
        kinds = set(net.kinds.tolist())
        trains = bool(np.any(np.diff(net.trains.ptr) > 0))
        given = any(k == U_GIVEN and net.trains.ptr[p + 1] == net.trains.ptr[p]
                    for p, k in enumerate(net.kinds))  # fmt: skip
        flags = dict(
            neurons=U_NEURONS in kinds, poisson=U_POISSON in kinds, given=given, trains=trains,
            timed_rates=bool(np.any(net.timed.off >= 0)),
            poisson_inputs=net.poisson.chan.size > 0,
            timed_inputs=bool(np.any(net.poisson.r_len > 1)),
            noise=net.noise_inputs.mean.size > 0, monitors=monitors,
            oscillators=any(r[0] >= 0 for r in net.pop_rhythm),
            plastic=net.plastic.n_synapses > 0 or bool(net.plastic.modulators.names),
            copy_params=net.copy_cpar is not None, copy_weights=net.copy_weight is not None,
        )  # fmt: skip
        return tuple(flags[f] for f in FEATURES)

    @abc.abstractmethod
    def advance(self, step0, n_steps, inputs, monitors, counts, spike_recs): ...

    @abc.abstractmethod
    def read_state(self, row): ...

    @abc.abstractmethod
    def write_state(self, row, lo, hi, values): ...

    @abc.abstractmethod
    def live_state(self, row, lo, hi, copy): ...

    @abc.abstractmethod
    def read_ring(self, step): ...

    @abc.abstractmethod
    def write_ring(self, ring, step): ...

    def read_weights(self, pos, copy=0):
        """The static weights at ``pos`` (internal units) of copy ``copy``."""
        w = self.net.copy_weight
        return self.net.weight[pos] if w is None else w[copy, pos]

    def write_weights(self, pos, values):
        """Static weights at ``pos``: ``[n]`` for every copy, or ``[B, n]``, a row per copy
        (where the copies have weights of their own, ``net.copy_weight``); copy 0's are the
        network's own, ``net.weight``."""
        net = self.net
        net.weight[pos] = values if values.ndim == 1 else values[0]
        if net.copy_weight is not None:
            net.copy_weight[:, pos] = values

    @abc.abstractmethod
    def read_poisson_tables(self): ...

    @abc.abstractmethod
    def write_poisson_tables(self, thr, guide): ...

    @abc.abstractmethod
    def relayout(self): ...

    def refresh(self) -> None:
        """Take the network's tables again after they changed (its features may have, too:
        ``Simulation.set_parameter``)."""
        self.__dict__.pop("_features", None)
        self.relayout()

    def replace_trains(self, trains) -> None:
        """Take a new table of given spike times (``Simulation.set_spike_times``): the
        kernels' features and the layouts follow it."""
        self.net.trains = trains
        self.refresh()

    @abc.abstractmethod
    def memory(self) -> dict: ...

    @abc.abstractmethod
    def set_keys(self) -> None:
        """Take the keys of ``keys()`` again (after the network's ``noise_seed`` changed)."""

    @abc.abstractmethod
    def state_is_finite(self) -> bool:
        """Whether every state variable of every copy is finite (checked after each chunk;
        the backend's arrays, in one pass)."""
