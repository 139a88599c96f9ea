"""Sweeps: a grid x seeds on a dask LocalCluster of two worker processes gives the numbers
of a serial run, also when a worker dies; bad grids and clients are refused up front."""

import os

import numpy as np
import pytest

import nbbrain as nb
from nbbrain.sweep import points, sweep

CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".numba-cache", "sweep")


def small_brain(rate_hz=300.0, weight_pa=40.0, seed=0):
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("drive", 20, nb.PoissonSource(rate_hz))
    brain.add_population("cells", 30, nb.CurrentLIF())
    brain.connect("drive", "cells", nb.FixedProbability(0.3), weight_pa=weight_pa,
                  receptor="exc", name="input")  # fmt: skip
    brain.connect("cells", "cells", nb.FixedProbability(0.1), weight_pa=-20.0, receptor="inh")
    brain.record_spikes("cells")
    return brain


def first_spike(sim, result, trial):
    t, _ = sim.spikes("cells", copy=trial)
    return {"first_spike_ms": float(t[0]) if t.size else float("nan")}


GRID = {"rate_hz": [200.0, 600.0], "weight_pa": [30.0, 60.0]}


@pytest.fixture(scope="module")
def serial():
    return sweep(small_brain, GRID, seeds=[1, 2], duration_ms=40.0, trials=2,
                 measure=first_spike, client="serial", progress=False)  # fmt: skip


def test_a_serial_sweep_has_a_row_per_point_seed_and_trial(serial):
    assert len(serial) == 4 * 2 * 2
    assert serial.columns[:4] == ["rate_hz", "weight_pa", "seed", "trial"]
    assert {"rate_hz:cells", "rate_hz:drive", "cv_isi:cells", "first_spike_ms"} <= set(
        serial.columns
    )
    row = serial.rows[7]  # point 1 (200 Hz, 60 pA), seed 2, trial 1
    assert (row["rate_hz"], row["weight_pa"], row["seed"], row["trial"]) == (200.0, 60.0, 2, 1)
    sim = small_brain(200.0, 60.0, seed=2).build(batch=2)
    result = sim.run(duration_ms=40.0)
    assert row["rate_hz:cells"] == pytest.approx(float(result.rate_hz("cells")[1]))
    rates = serial.column("rate_hz:cells").reshape(2, 2, 2, 2)  # rate, weight, seed, trial
    assert np.all(rates[1] > rates[0]) and np.all(rates[:, 1] > rates[:, 0])
    assert rates[0, 0, 0, 0] != rates[0, 0, 0, 1]  # (trials: the same network, other noise)


def test_points_packed_into_one_batched_build(serial):
    """``per_copy``: the weights of a rate are the copies of one build (2 weights x 2
    trials); each row is the copy of such a batch built with the row's point."""
    packed = sweep(small_brain, GRID, seeds=[1, 2], duration_ms=40.0, trials=2,
                   measure=first_spike, client="serial", progress=False,
                   per_copy={"weight_pa": ("input", "weight_pa")})  # fmt: skip
    assert packed.columns == serial.columns and len(packed) == len(serial)
    assert [r["weight_pa"] for r in packed.rows] == [r["weight_pa"] for r in serial.rows]
    row = packed.rows[7]  # point 1 (200 Hz, 60 pA), seed 2, trial 1: copy 3 of 4
    assert (row["rate_hz"], row["weight_pa"], row["seed"], row["trial"]) == (200.0, 60.0, 2, 1)
    sim = small_brain(200.0, 60.0, seed=2).build(batch=4)
    result = sim.run(duration_ms=40.0)
    assert row["rate_hz:cells"] == float(result.rate_hz("cells")[3])
    assert row["first_spike_ms"] == first_spike(sim, result, 3)["first_spike_ms"]
    rates = packed.column("rate_hz:cells").reshape(2, 2, 2, 2)  # rate, weight, seed, trial
    assert np.all(rates[1] > rates[0]) and np.all(rates[:, 1] > rates[:, 0])


def test_a_local_cluster_gives_the_serial_numbers_even_when_a_worker_dies(serial, tmp_path):
    from distributed import Client, LocalCluster

    flag = tmp_path / "died"

    def dies_once(sim, result, trial):
        if not flag.exists():  # (the first task to get here kills its worker process)
            flag.write_text("x")
            os._exit(1)
        return first_spike(sim, result, trial)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        got = sweep(small_brain, GRID, seeds=[1, 2], duration_ms=40.0, trials=2,
                    measure=dies_once, client=client, progress=False, cache_dir=CACHE)  # fmt: skip
    assert flag.exists()
    assert got.columns == serial.columns
    for a, b in zip(got.rows, serial.rows):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])), k


def test_a_cluster_whose_workers_cannot_import_nbbrain_is_refused_before_any_work():
    from distributed import Client, LocalCluster

    def hide_nbbrain():  # (a nested function travels by value: it imports no nbbrain)
        import sys

        sys.modules["nbbrain"] = None  # (then ``import nbbrain`` raises ImportError)

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        client.run(hide_nbbrain)
        with pytest.raises(RuntimeError, match="a worker cannot run nbbrain .ModuleNotFound"):
            sweep(small_brain, GRID, seeds=[1], duration_ms=5.0, client=client,
                  progress=False, cache_dir=CACHE)  # fmt: skip


@pytest.mark.parametrize("kwargs, error, match", [
    ({"grid": {"tau_ms": [1.0]}}, ValueError, r"'tau_ms' is not a parameter of make_brain "
                                              r"\(\['rate_hz', 'weight_pa'\]"),
    ({"grid": {"seed": [1]}}, ValueError, "seeds go in seeds="),
    ({"grid": {"rate_hz": []}}, ValueError, "'rate_hz' has no values"),
    ({"grid": [1, 2]}, TypeError, "grid must be a dict"),
    ({"seeds": [-1]}, ValueError, "seeds must be"),
    ({"trials": 0}, ValueError, "trials must be"),
    ({"duration_ms": float("nan")}, ValueError, "duration_ms must be a finite number"),
    ({"warmup_ms": None}, ValueError, "warmup_ms must be a finite number >= 0, got None"),
    ({"client": "elsewhere"}, TypeError, "client must be a distributed.Client"),
    ({"measure": 3}, TypeError, "measure must be callable"),
    ({"per_copy": {"tau_ms": ("input", "weight_pa")}}, ValueError, "'tau_ms' is not a name "
                                                                  "of the grid"),
    ({"per_copy": {"weight_pa": "input"}}, TypeError, r"must be \(target, parameter\)"),
    ({"per_copy": ["weight_pa"]}, TypeError, "per_copy must be a dict"),
])  # fmt: skip
def test_bad_sweeps_are_refused_before_any_work(kwargs, error, match):
    args = {"grid": GRID, "seeds": [1], "duration_ms": 5.0, "progress": False}
    with pytest.raises(error, match=match):
        sweep(small_brain, **{**args, **kwargs})


def test_a_failing_point_is_named():
    with pytest.raises(nb.SweepError, match=r"sweep point \{'rate_hz': -5.0\}, seed 1: "
                       "ValueError: .*rate"):  # fmt: skip
        sweep(small_brain, {"rate_hz": [-5.0]}, seeds=[1], duration_ms=5.0, client="serial",
              progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="make_brain must take a seed= keyword"):
        sweep(lambda rate_hz: None, {"rate_hz": [1.0]}, client="serial")


def test_rows_follow_the_grid_then_the_seeds_as_given():
    got = sweep(small_brain, {"rate_hz": [300.0]}, seeds=[7, 3], duration_ms=2.0,
                client="serial", progress=False)  # fmt: skip
    assert got.column("seed").tolist() == [7, 3]


def test_points_run_the_last_name_fastest():
    assert points({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}
    ]  # fmt: skip
