"""One brain over MPI ranks (``build(comm=...)``): the spikes, counts, rates and state of
R = 1, 2 and 3 ranks are bit for bit those of one plain process; bad builds are refused on
every rank, never a hang. The ranks run under ``mpiexec`` (MPICH's wheel, beside this
Python), as subprocesses."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")
pytest.importorskip("numba_mpi")

HERE = Path(__file__).parent
SCRIPT = HERE / "mpi_brain.py"
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (pip install mpich)")
TIMEOUT_S = 300  # (a hang fails the test instead of the suite)


def _run(args, ranks=None):
    cmd = [sys.executable, str(SCRIPT), *args]
    if ranks is not None:
        cmd = [MPIEXEC, "-n", str(ranks), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S,
                          env=dict(os.environ))  # fmt: skip


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """One plain process's results, per shortest delay."""
    out = {}
    for shortest in ("0.5", "0.1"):
        path = tmp_path_factory.mktemp("mpi") / f"plain{shortest}.npz"
        done = _run([str(path), "--plain", "--shortest-ms", shortest])
        assert done.returncode == 0, done.stderr[-3000:]
        out[shortest] = dict(np.load(path))
    return out


# exchanges every 5 steps on 1, 2 and 3 ranks, and every step
@pytest.mark.parametrize("ranks, shortest", [(1, "0.5"), (2, "0.5"), (3, "0.5"), (2, "0.1")])
def test_ranks_match_one_process_bit_for_bit(plain, tmp_path, ranks, shortest):
    out = tmp_path / f"r{ranks}.npz"
    done = _run([str(out), "--shortest-ms", shortest], ranks)
    assert done.returncode == 0, done.stderr[-3000:]
    got, want = dict(np.load(out)), plain[shortest]
    assert sorted(got) == sorted(want)
    assert want["counts"].sum() > 500  # (a run with spikes in every population)
    assert (want["counts"].sum(axis=0) > 0).all()
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    if ranks == 2 and shortest == "0.5":
        _check_loads_over_other_ranks_refused(tmp_path / "r2.saved.npz")


LOAD = """
import sys, nbbrain as nb
from mpi4py import MPI
nb.load(sys.argv[1], comm=MPI.COMM_WORLD)
"""


def _check_loads_over_other_ranks_refused(saved):
    """Files saved over 2 ranks: over 1 the file says so; over 3, rank 2 has none, and
    every rank stops (the others with an error naming rank 2's, unless mpiexec ends them
    first, as rank 2 exits)."""
    for ranks, errors in ((1, ["saved over 2 MPI ranks, not over 1"]),
                          (3, ["FileNotFoundError"])):  # fmt: skip
        done = subprocess.run([MPIEXEC, "-n", str(ranks), sys.executable, "-c", LOAD,
                               str(saved)], capture_output=True, text=True,
                              timeout=TIMEOUT_S)  # fmt: skip
        assert done.returncode != 0
        for error in errors:
            assert error in done.stderr, done.stderr[-3000:]


def test_ranks_that_describe_different_brains_are_refused_on_every_rank(tmp_path):
    done = _run([str(tmp_path / "x.npz"), "--differ"], 2)
    assert done.returncode != 0
    assert done.stderr.count("ValueError: build(comm=...): rank 1 describes another brain") == 2, (
        done.stderr[-3000:]
    )


REORDERED = """
import sys
from mpi4py import MPI
sys.path.insert(0, sys.argv[1])
from mpi_brain import brain
world = MPI.COMM_WORLD
reversed_ranks = world.Split(0, world.Get_size() - world.Get_rank())
brain().build(comm=reversed_ranks)
"""


def test_a_comm_whose_ranks_are_in_another_order_is_refused_on_every_rank():
    """numba-mpi exchanges over MPI_COMM_WORLD: a comm that numbers the ranks otherwise
    would give each rank another's part."""
    done = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-c", REORDERED, str(HERE)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.count("its ranks in the same order") >= 2, done.stderr[-3000:]


BAD = """
import sys, nbbrain as nb
from mpi4py import MPI
sys.path.insert(0, sys.argv[1])
from mpi_brain import brain
comm = MPI.COMM_WORLD
def refused(exc, match, **kw):
    b = brain()
    try:
        b.build(**kw)
    except exc as e:
        assert match in str(e), str(e)
        print("refused:", e)
    else:
        raise AssertionError(f"built with {kw}")
refused(TypeError, "mpi4py communicator", comm="world")
refused(ValueError, "one thread", comm=comm, threads=2)
refused(ValueError, "one copy", comm=comm, batch=2)
refused(ValueError, "backend='cpu'", comm=comm, backend="cuda")
b = brain()
b.connect("exc", "exc", nb.FixedProbability(0.1), weight_ns=1.0, receptor="ampa",
          plasticity=nb.STDP(w_max=5.0))
try:
    b.build(comm=comm)
except ValueError as e:
    assert "plastic" in str(e), str(e)
else:
    raise AssertionError("built a plastic brain over ranks")
print("refused: plastic")
"""


def test_bad_builds_over_ranks_are_refused_clearly():
    done = subprocess.run([sys.executable, "-c", BAD, str(HERE)], capture_output=True,
                          text=True, timeout=TIMEOUT_S)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("refused:") == 5


def test_comm_without_mpi4py_says_what_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import nbbrain as nb\n"
            "b = nb.Brain(); b.add_population('x', 2, nb.CurrentLIF())\n"
            "try:\n    b.build(comm=object())\n"
            "except ImportError as e:\n    print(e)\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=TIMEOUT_S)  # fmt: skip
    assert "pip install 'nbbrain[mpi]'" in done.stdout, done.stderr[-2000:]
