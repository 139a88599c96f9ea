"""Tunables, overridable by environment variables (read once, at import)."""

import os

#: Steps per compiled call of a run: Python runs once per chunk (progress bar, inputs,
#: monitors). Larger chunks cost more input and monitor memory, never more time per step.
CHUNK_STEPS = int(os.environ.get("NBBRAIN_CHUNK_STEPS", "2000"))

#: Neurons per block of the CPU kernel's update: it looks for spikes only in blocks where
#: some neuron crossed its threshold (smaller blocks: less searching, more overhead).
BLOCK_NEURONS = int(os.environ.get("NBBRAIN_BLOCK_NEURONS", "1024"))
