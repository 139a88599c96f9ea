"""One brain over MPI ranks (``Brain.build(comm=MPI.COMM_WORLD)``, under ``mpiexec -n R``).

Rank r owns part r of the neurons (each balance unit cut into R nearly equal pieces, as
for threads: ``assemble/neurons.neuron_parts``), generates only the synapses onto them and
updates only them; the kernel exchanges every step's spikes with the other ranks
(``backends/cpu/exchange.py``), so every rank delivers exactly what one process would and
the spikes are bit for bit those of one process, for any R. What a rank reads:

- ``spikes`` and ``state``: its own neurons (``state`` is NaN for the others'; their state
  is not advanced here); ``gather_spikes``: every neuron's, on rank 0;
- spike counts (``RunResult``) and ``rate``: the whole brain's, on every rank (every rank
  sees every spike);
- ``connections`` and ``set_weights``: the synapses onto its own neurons.

Every rank must make the same calls with the same arguments (``run``, ``set_state``, ...):
a run is a collective call.
"""

from __future__ import annotations

import os

import numpy as np

#: at most 255 ranks: a neuron's part is a byte during the build
MAX_RANKS = 255


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(
            "build(comm=...) needs mpi4py and numba-mpi: pip install 'nbbrain[mpi]' (which "
            "installs MPICH's wheel too, so no system MPI is needed)"
        ) from err
    return MPI


def check_comm(comm, brain, backend, threads, batch, fp):
    """``(rank, size)`` of ``comm`` after checking, on every rank together, that this build
    can run over it and that every rank describes the same brain (``fp``: its fingerprint).
    Every rank raises the same error, so none waits for the others."""
    MPI = _mpi()
    if not isinstance(comm, MPI.Comm):
        raise TypeError(f"build: comm must be an mpi4py communicator (MPI.COMM_WORLD), got "
                        f"{type(comm).__name__}")  # fmt: skip
    problem = _problem(comm, MPI, brain, backend, threads, batch)
    answers = comm.allgather((fp, problem))
    for q, (_fp, p) in enumerate(answers):
        if p is not None:
            raise ValueError(f"build(comm=...) on rank {q}: {p}")
    for q, (other, _p) in enumerate(answers):
        if other != answers[0][0]:
            raise ValueError(f"build(comm=...): rank {q} describes another brain than rank 0 "
                             f"(fingerprints {other[:12]} and {answers[0][0][:12]}): every "
                             "rank must build the same description")  # fmt: skip
    return comm.Get_rank(), comm.Get_size()


def _problem(comm, MPI, brain, backend, threads, batch):
    """Why this rank cannot build over ``comm``, or None."""
    if comm.Get_size() != MPI.COMM_WORLD.Get_size() or comm.Get_rank() != MPI.COMM_WORLD.Get_rank():
        return (f"comm has {comm.Get_size()} ranks (this one {comm.Get_rank()}), MPI_COMM_WORLD "
                f"{MPI.COMM_WORLD.Get_size()} (this one {MPI.COMM_WORLD.Get_rank()}): the kernel "
                "exchanges spikes over MPI_COMM_WORLD (numba-mpi), so comm must span it, "
                "its ranks in the same order")  # fmt: skip
    if comm.Get_size() > MAX_RANKS:
        return f"{comm.Get_size()} ranks; at most {MAX_RANKS}"
    try:
        import numba_mpi  # noqa: F401
    except ImportError:
        return "numba-mpi is not installed: pip install 'nbbrain[mpi]'"
    if backend != "cpu":
        return f"over MPI ranks a brain runs on backend='cpu' in this version, not {backend!r}"
    if threads != 1:
        return f"threads={threads}: over MPI ranks each rank runs one thread in this version"
    if batch != 1:
        return f"batch={batch}: over MPI ranks a brain runs one copy in this version"
    if brain.modulators or any(p.plasticity for p in brain.projections):
        return ("plastic projections and modulators run in one process in this version, not "
                "over MPI ranks")  # fmt: skip
    return None


#: the most steps between two exchanges of spikes, and the most words an interval's
#: messages may take together (``backends/cpu/exchange.py``)
MAX_INTERVAL, MAX_WORDS = 16, 1 << 23


def exchange_interval(comm, net) -> int:
    """The steps between exchanges of spikes: the shortest delay of any synapse on any rank
    (a spike then reaches every rank before it is due anywhere), at most ``MAX_INTERVAL``
    and such that an interval's messages (a word per neuron and step, at most) take at
    most ``MAX_WORDS``."""
    from mpi4py import MPI

    shortest, shift = MAX_INTERVAL, net.syn.dtype.type(net.shift)
    for a in range(0, net.syn.size, 1 << 22):  # (in pieces: no temporaries of every synapse)
        shortest = min(shortest, int((net.syn[a : a + (1 << 22)] >> shift).min()))
    shortest = comm.allreduce(shortest, op=MPI.MIN)
    return max(1, min(shortest, MAX_WORDS // max(net.n, 1)))


def raise_on_all(comm, error):
    """Raise ``error`` (an exception, or None) here and an error naming it on every other
    rank, so that none waits for a rank that failed; nothing where no rank has one."""
    problems = comm.allgather(None if error is None else f"{type(error).__name__}: {error}")
    if error is not None:
        raise error
    for q, p in enumerate(problems):
        if p is not None:
            raise ValueError(f"rank {q} failed: {p}")


def rank_path(path, rank) -> str:
    """The file of rank ``rank``: ``run.npz`` -> ``run.rank0.npz``."""
    root, ext = os.path.splitext(os.fspath(path))
    return f"{root}.rank{rank}{ext}"


def own(net, lo, hi) -> np.ndarray:
    """Which neurons of ``lo:hi`` (network indices) this rank owns."""
    return net.part_of[lo:hi] == net.rank


def foreign_nan(values, foreign) -> np.ndarray:
    """``values`` [..., n] (a copy) with NaN in the columns ``foreign`` (other ranks'
    neurons); float32 stays float32, integers become float64."""
    out = values.astype(values.dtype if values.dtype.kind == "f" else np.float64)
    out[..., foreign] = np.nan
    return out


def gather_spikes(comm, times, index):
    """Every rank's spikes ``(times, index)`` of its own neurons (as ``Simulation.spikes``
    gives them), joined on rank 0 in time order, then by index; ``None`` on the others."""
    parts = comm.gather((times, index), root=0)
    if comm.Get_rank() != 0:
        return None
    t = np.concatenate([p[0] for p in parts])
    i = np.concatenate([p[1] for p in parts]).astype(np.int32)
    order = np.lexsort((i, t))
    return t[order], i[order]
