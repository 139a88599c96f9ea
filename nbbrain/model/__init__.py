"""The user's description of a brain: plain Python and numpy, no numba."""
