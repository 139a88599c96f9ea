"""``prefetch(a, i)``: ask the CPU to start loading ``a[i]`` into its caches (LLVM's
``llvm.prefetch``; a hint: it never faults and changes no result). numba has no prefetch
of its own.

The delivery loop uses it: each spike in flight reads a run of its row at each step, and
the first cache line of that run is rarely cached (a step of the cortical microcircuit
starts about 850 runs per thread). Asking for the runs of the spikes a few places ahead
in the list lets those misses overlap: replaying 0.3 s of recorded microcircuit spikes
on one thread, delivery took 2.16-2.29 instead of 3.17-3.33 ns per synapse (8 places
ahead; 4 and 16 did alike).
"""

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


def _prefetch(context, builder, array_type, array, indices):
    """Emit ``llvm.prefetch`` of the element of ``array`` at ``indices``."""
    arr = context.make_array(array_type)(context, builder, array)
    ptr = cgutils.get_item_pointer(context, builder, array_type, arr, indices, wraparound=False)
    i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0"
    )
    # (address, read, keep in all cache levels, data cache)
    builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
    return context.get_dummy_value()


@intrinsic
def prefetch(typingctx, array, index):
    """Prefetch ``array[index]`` for reading (``index`` is not wrapped or checked: one
    outside the array asks for a line that no read needs, and a prefetch never faults)."""

    def codegen(context, builder, signature, args):
        return _prefetch(context, builder, signature.args[0], args[0], [args[1]])

    return types.void(array, index), codegen


@intrinsic
def prefetch_row(typingctx, array, row):
    """Prefetch row ``row`` of a 2-D ``array`` (a plastic synapse's record, read at random
    by the postsynaptic events): its first and its last element, since a row that is not
    a divisor of 64 bytes long often spans two cache lines (the last column, the step of
    the record's last event, is read first)."""

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        last = builder.sub(cgutils.unpack_tuple(builder, arr.shape, 2)[1],
                           context.get_constant(types.intp, 1))  # fmt: skip
        zero = context.get_constant(signature.args[1], 0)
        _prefetch(context, builder, signature.args[0], args[0], [args[1], zero])
        return _prefetch(context, builder, signature.args[0], args[0], [args[1], last])

    return types.void(array, row), codegen
