"""CUDA kernels (``numba.cuda``); imported only when a brain is built with backend="cuda"."""
