"""Shared helpers and the ``engine`` fixture. Kernels compile once per session (and are
cached across sessions)."""

import os

# The CUDA tests run on numba's CUDA simulator unless NBBRAIN_TEST_REAL_GPU=1: it must be
# switched on before numba is first imported (the CPU kernels do not read it).
if os.environ.get("NBBRAIN_TEST_REAL_GPU") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
# The suite runs on two processes (pytest-xdist), which share one numba disk cache (each
# load and save of an entry under the cache's lock, ``jit.LockedCache``): a kernel one
# worker compiled, the other loads (the subprocesses a test starts inherit it too).
if os.environ.get("PYTEST_XDIST_WORKER") and "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", ".numba-cache", "tests"
    )

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings


def pytest_configure(config):
    # a kernel that numba thinks unsafe to run in parallel is a defect, not a warning (set
    # here, not in pyproject.toml: that would import numba before the simulator is chosen)
    config.addinivalue_line("filterwarnings",
                            "error::numba.core.errors.NumbaParallelSafetyWarning")  # fmt: skip


#: the files that take longest (``--durations``, mostly compilation), longest first: the
#: Makefile's ``--dist loadfile --no-loadscope-reorder`` hands files to the two workers in
#: this order, so that the last ones are short and both workers finish together
SLOWEST_FIRST = ["test_docs.py", "test_plasticity_runs.py", "test_reference.py",
                 "test_cuda.py", "test_copy_parameters.py", "test_sweep.py", "test_mpi.py",
                 "test_cache_lock.py", "test_cli.py",
                 "test_errors.py", "test_pynn.py", "test_inputs.py",
                 "test_reproducibility.py", "test_monitors.py", "test_plasticity.py",
                 "test_fuzz.py", "test_parameters.py", "test_pynn_scenarios.py"]  # fmt: skip


def pytest_collection_modifyitems(items):
    rank = {name: k for k, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # (stable: in order)


settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def all_spikes(sim, copy=0):
    """Every recorded spike as sorted (step, population, local index) triples."""
    out = []
    for name in sim.recorded:
        t_ms, idx = sim.spikes(name, copy=copy)
        steps = np.round(t_ms / sim.dt_ms).astype(np.int64)
        out += [(int(s), name, int(i)) for s, i in zip(steps, idx)]
    return sorted(out)


@dataclass(frozen=True)
class Engine:
    """Where a behaviour test runs: a backend, a batch size and a thread count. Copy 0 of
    a batch is the unbatched simulation, bit for bit (the tests check copy 0)."""

    backend: str
    batch: int
    threads: int

    def build(self, brain):
        return brain.build(backend=self.backend, batch=self.batch, threads=self.threads)

    def state(self, sim, name, var):
        """Copy 0's state."""
        x = sim.state(name, var)
        return x[0] if self.batch > 1 else x

    def inputs(self, inputs):
        """Run inputs for every copy (the same for each)."""
        return inputs

    def steps(self, n_steps):
        """How many steps a test runs here: half on the CUDA simulator, which runs every
        GPU thread as a Python thread (slow), for the same code paths."""
        return n_steps // 2 if self.backend == "cuda" else n_steps

    def __str__(self):
        return f"{self.backend}-b{self.batch}-t{self.threads}"


#: (the CUDA backend's batches are checked against the CPU's, which match the reference here:
#: ``test_cuda.py``; on the simulator a batch of 3 costs a minute)
ENGINES = [Engine("cpu", 1, 1), Engine("cpu", 3, 1), Engine("cpu", 1, 2), Engine("cpu", 3, 2),
           Engine("cuda", 1, 1)]  # fmt: skip


@pytest.fixture(params=ENGINES, ids=str)
def engine(request):
    """Every backend (cpu, and cuda on the simulator) x batch (1, 3; cuda: 1) x threads (1,
    2; the cuda backend runs on the GPU's threads)."""
    return request.param


@pytest.fixture
def small_config(monkeypatch):
    """Small chunks, so that tests cross chunk boundaries."""
    from nbbrain import config

    monkeypatch.setattr(config, "CHUNK_STEPS", 37)
