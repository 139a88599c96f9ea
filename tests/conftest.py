"""Shared helpers. Kernels compile once per session (and are cached across sessions)."""

import copy
import os

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
