"""The value check of run inputs on the GPU (``device_inputs.py``): a small kernel, in a
module of its own because it imports ``numba.cuda`` (imported only by the CUDA backend)."""

from numba import cuda


@cuda.jit
def count_bad(x, spikes, out):
    """Add to ``out[0]`` the values of ``x`` [copies, rows, n] that are not 0 or 1
    (``spikes``) or not finite (a NaN or inf minus itself is not 0)."""
    rows, n = x.shape[1], x.shape[2]
    for k in range(cuda.grid(1), x.shape[0] * rows * n, cuda.gridsize(1)):
        v = x[k // (rows * n), (k // n) % rows, k % n]
        if (v != 0 and v != 1) if spikes else not (v - v == 0):
            cuda.atomic.add(out, 0, 1)
