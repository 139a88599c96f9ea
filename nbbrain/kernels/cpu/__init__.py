"""CPU kernels (numba ``@njit``)."""
