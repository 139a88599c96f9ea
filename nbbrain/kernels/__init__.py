"""Compiled kernels: pure functions of arrays; ``equations`` holds each equation once."""
