"""Two processes that compile two signatures of one cached function at once leave a cache
that a third process loads correctly: nbbrain's cache lock makes each save whole."""

import subprocess
import sys
import textwrap

import pytest

MODULE = textwrap.dedent("""
    import os, sys, time
    from numba.core import caching
    from nbbrain.jit import cached_njit
    from numba import njit

    # a slow disk, and one order of the writes of two racing processes: both read the empty
    # index; B's index is written last (it names B's data), A's data last (in its file)
    A = os.environ["WHO"] == "A"
    files = caching.IndexDataCacheFile
    save_index, save_data = files._save_index, files._save_data

    def slow_index(self, overloads):
        time.sleep(0.5 if A else 0.8)
        save_index(self, overloads)

    def slow_data(self, name, data):
        time.sleep(1.2 if A else 0.1)
        save_data(self, name, data)

    files._save_index, files._save_data = slow_index, slow_data
    jit = cached_njit if os.environ["LOCKED"] == "1" else njit(cache=True)

    @jit
    def twice(x):
        return x * 2
""")

RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    import shared
    while time.time() < float(sys.argv[3]):  # (start together)
        time.sleep(0.005)
    print(repr(shared.twice(int(sys.argv[2])) if sys.argv[2] == "1" else shared.twice(1.5)))
""")


def race(tmp_path, locked):
    """(what two racing processes computed, what a third then loaded)"""
    import os
    import time

    (tmp_path / "shared.py").write_text(MODULE)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), LOCKED=str(int(locked)))
    start = str(time.time() + 6.0)  # (after both have imported numba and nbbrain)
    procs = [subprocess.Popen([sys.executable, "-c", RUN, str(tmp_path), arg, start],
                              env=dict(env, WHO=who), stdout=subprocess.PIPE, text=True)
             for arg, who in (("1", "A"), ("2", "B"))]  # fmt: skip
    first = [p.communicate(timeout=120)[0].strip() for p in procs]
    check = "import sys; sys.path.insert(0, sys.argv[1]); import shared; " \
            "print(repr(shared.twice(1)), repr(shared.twice(1.5)))"  # fmt: skip
    again = subprocess.run([sys.executable, "-c", check, str(tmp_path)],
                           env=dict(env, WHO="C"), text=True,
                           capture_output=True, check=True).stdout.split()  # fmt: skip
    return first, again


@pytest.mark.skipif(sys.platform == "win32", reason="the lock uses fcntl (POSIX)")
def test_racing_processes_leave_a_cache_that_loads_the_right_code(tmp_path):
    first, again = race(tmp_path, locked=True)
    assert first == ["2", "3.0"]
    assert again == ["2", "3.0"]


BRAINS = textwrap.dedent("""
    import json, sys
    import nbbrain as nb

    def brain(which):
        b = nb.Brain(dt_ms=0.1, seed=3)
        model = nb.ConductanceLIF() if which in ("cond", "stdp") else nb.CurrentLIF()
        exc = b.add_population("exc", 300, model)
        drive = b.add_population("drive", 100, nb.PoissonSource(rate_hz=50.0))
        w = {"weight_ns": 2.0} if which in ("cond", "stdp") else {"weight_pa": 300.0}
        rules = {"stdp": nb.STDP(w_max=4.0), "vs": nb.VogelsSprekeler(w_max=600.0, alpha=0.2)}
        rule = rules.get(which)
        b.connect(drive, exc, nb.FixedProbability(0.2), receptor="ampa" if "weight_ns" in w
                  else "exc", delay_ms=1.0, **w)
        b.connect(exc, exc, nb.FixedProbability(0.1), receptor="ampa" if "weight_ns" in w
                  else "exc", delay_ms=1.5, plasticity=rule, **{k: v / 4 for k, v in w.items()})
        b.record_spikes(exc)
        return b

    out = {}
    for which in sys.argv[1:]:
        sim = brain(which).build()
        sim.run(50.0)
        t, i = sim.spikes("exc")
        w = sim.connections(sim._projections[1]).weight
        out[which] = [int(t.size), int(i.sum()), float(w.sum())]
    print(json.dumps(out))
""")


def test_variants_compiled_in_different_processes_load_together(tmp_path):
    """Two models' kernels and two rules' plastic phases, each compiled and cached by a
    process of its own, then loaded by one process: each runs its own code (numba names
    machine code after the function and a per-process counter; nbbrain's names carry a
    hash of the code, so that two variants never share one)."""
    import json
    import os

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("NUMBA_ENABLE_CUDASIM", None)

    def run(*which):
        out = subprocess.run([sys.executable, "-c", BRAINS, *which], env=env, text=True,
                             capture_output=True, check=True).stdout  # fmt: skip
        return json.loads(out.strip().splitlines()[-1])

    alone = {**run("cond", "stdp"), **run("cur", "vs")}
    together = run("cond", "stdp", "cur", "vs")
    assert all(v[0] > 50 for v in alone.values())  # (every brain spikes)
    assert together == alone
