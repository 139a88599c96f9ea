"""The spikes of one brain run over MPI ranks, exchanged from inside the CPU kernel.

Each rank owns one part of the neurons (``assemble/neurons.neuron_parts``, a part per rank
as there is one per thread) and holds only the synapses onto them. Each step the rank
updates its blocks and appends their spike counts and spikes to its message (``pack``).
Every ``every`` steps (the exchange interval: at most the shortest delay in the brain, so
no spike is due before the other ranks know of it) and at the end of each kernel call,
every rank's message goes to every rank (``exchange``: two ``MPI_Allgather`` calls on
``MPI_COMM_WORLD``), and each rank lists the interval's spikes step by step (``unpack``),
block by block in neuron order, as one process lists them: the same spikes join the
spikes in flight in the same order, so each neuron sums its input as in one process.
``any_rank`` makes the kernel's decision to stop a call early (for room in its buffers, at
the start of an interval) the same on every rank.

The calls go through numba-mpi's ctypes binding of the MPI library, which numba does not
cache: a kernel that makes them is compiled afresh in each process.
"""

import ctypes

import numpy as np
from numba_mpi.api.scatter_gather import _MPI_Allgather
from numba_mpi.common import _MPI_DTYPES, _MPI_Comm_World_ptr, _MpiComm, _MpiDatatype
from numba_mpi.utils import _address_as_void_pointer

from ...jit import inner

# MPI_Allgather through the ctypes binding numba-mpi makes (its wrappers need numba's
# reference counting, which the kernels run without), on MPI_COMM_WORLD and int64 words:
# the handles' values, read once (ints for MPICH, pointers for Open MPI)
_COMM = _MpiComm.from_address(_MPI_Comm_World_ptr).value or 0
_INT64 = _MpiDatatype.from_address(_MPI_DTYPES[np.dtype(np.int64)]).value or 0

if _MpiComm is ctypes.c_void_p:

    @inner
    def _handle(value):
        return _address_as_void_pointer(value)

else:

    @inner
    def _handle(value):
        return value


@inner
def _allgather(send, n, recv):
    """``MPI_Allgather`` of ``n`` int64 words of ``send`` from every rank into ``recv``."""
    _MPI_Allgather(send.ctypes.data, n, _handle(_INT64), recv.ctypes.data, n, _handle(_INT64),
                   _handle(_COMM))  # fmt: skip


@inner
def any_rank(flag, ex):
    """Whether ``flag`` holds on some rank."""
    ex.one[0] = 1 if flag else 0
    _allgather(ex.one, 1, ex.lens)
    for q in range(ex.lens.shape[0]):
        if ex.lens[q] != 0:
            return True
    return False


@inner
def pack(blk, blk_n, spikes, ex, k):
    """Append this step's spike counts and spikes of the rank's blocks to its message from
    word ``k`` on; returns the message's new length."""
    a, b = blk.part_ptr[ex.rank], blk.part_ptr[ex.rank + 1]
    for kb in range(a, b):
        ex.buf[k] = blk_n[blk.part_blocks[kb]]
        k += 1
    for kb in range(a, b):
        g = blk.part_blocks[kb]
        for i in range(blk_n[g]):
            ex.buf[k] = spikes[blk.lo[g] + i]
            k += 1
    return k


@inner
def exchange(ex, n):
    """Every rank's message (``n`` words here) to every rank, each into ``ex.out`` at
    ``q * width`` (the longest message's length), where ``unpack`` reads it from."""
    ex.one[0] = n
    _allgather(ex.one, 1, ex.lens)
    width = 1
    for q in range(ex.lens.shape[0]):
        width = max(width, ex.lens[q])
    _allgather(ex.buf, width, ex.out)
    for q in range(ex.lens.shape[0]):
        ex.pos[q] = q * width


@inner
def unpack(blk, blk_n, spikes, ex):
    """The next step of every rank's message into ``blk_n`` and ``spikes``: then the
    blocks of all parts hold that step's spikes, as in one process."""
    for q in range(blk.part_ptr.shape[0] - 1):
        k = ex.pos[q]
        a, b = blk.part_ptr[q], blk.part_ptr[q + 1]
        for kb in range(a, b):
            blk_n[blk.part_blocks[kb]] = ex.out[k]
            k += 1
        for kb in range(a, b):
            g = blk.part_blocks[kb]
            for i in range(blk_n[g]):
                spikes[blk.lo[g] + i] = ex.out[k]
                k += 1
        ex.pos[q] = k
