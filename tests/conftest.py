"""Shared helpers. Kernels compile once per session (and are cached across sessions)."""

import os

# The CUDA tests run on numba's CUDA simulator unless NBBRAIN_TEST_REAL_GPU=1: it must be
# switched on before numba is first imported (the CPU kernels do not read it).
if os.environ.get("NBBRAIN_TEST_REAL_GPU") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import copy

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def all_spikes(sim):
    """Every recorded spike as sorted (step, global index) pairs."""
    out = []
    for k, name in enumerate(sim.net.names):
        t_ms, idx = sim.spikes(name)
        steps = np.round(t_ms / sim.dt_ms).astype(np.int64)
        out += [(int(s), int(sim.net.lo[k] + i)) for s, i in zip(steps, idx)]
    return sorted(out)


def frozen(sim):
    """A copy of a freshly built network, for the reference stepper."""
    return copy.deepcopy(sim.net)


@pytest.fixture
def small_config(monkeypatch):
    """Small chunks, so that tests cross chunk boundaries."""
    from nbbrain import config

    monkeypatch.setattr(config, "CHUNK_STEPS", 37)
