"""Parameter sweeps: every point of a grid x seeds, run on a ``dask.distributed`` cluster.

``sweep(make_brain, grid, seeds, duration_ms)`` calls ``make_brain(**point, seed=seed)``
for every point of the grid (the cartesian product of its values) and every seed, builds
each brain once with its ``trials`` as the copies of one batch (they share the
connectivity; each copy draws its own noise), runs it and returns a table, one row per
(point, seed, trial): the point's values, ``seed``, ``trial``, each population's mean rate
(``rate_hz:<population>``), the mean ISI CV of each recorded population
(``cv_isi:<population>``) and what ``measure(sim, result, copy)`` returns.

``per_copy`` packs points that share their connectivity into batched builds: a grid name
listed there is not passed to ``make_brain``; instead every value of it becomes a copy of
one batch, given with ``Simulation.set_parameter(target, parameter, values)``
(``per_copy={name: (target, parameter)}``, or ``(target, parameter, transform)`` to set
``transform(value)``). The points that differ only in those names are then one build.

Each (point, seed), or the points one batched build packs with a seed, is one task of
``client`` (a ``distributed.Client``; by default a ``LocalCluster`` of one single-threaded
worker process per core, closed at the end). A task whose worker dies is run again on
another (the scheduler's rule), and the rows do not depend on where or in what order tasks
ran: a cluster gives the numbers of a serial run (``client="serial"``, in this process).
Each worker keeps its own numba cache (folder ``cache_dir/<worker>``), so that it compiles
the kernels once and processes never write one cache at once. A progress bar counts the
points done.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import os
from dataclasses import dataclass

import numpy as np

from .model.values import check_int

#: the workers' numba caches, by default (one folder per worker below it)
DEFAULT_CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "nbbrain", "numba")


class SweepError(RuntimeError):
    """A sweep point that failed: the message names the point, the seed and the error."""


@dataclass
class SweepResult:
    """The table a sweep returns: ``rows`` (dicts), in grid order, then seed, then trial."""

    rows: list
    columns: list

    def column(self, name) -> np.ndarray:
        """One column, as an array (one value per row)."""
        if name not in self.columns:
            raise ValueError(f"unknown column {name!r}; the table has {self.columns}")
        return np.array([row[name] for row in self.rows])

    def to_csv(self, path) -> None:
        with open(path, "w", newline="") as fh:
            out = csv.DictWriter(fh, self.columns)
            out.writeheader()
            out.writerows(self.rows)

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        return f"SweepResult({len(self.rows)} rows, columns={self.columns})"


def points(grid) -> list:
    """The grid's points, as dicts, the last name varying fastest."""
    names = list(grid)
    return [dict(zip(names, values)) for values in itertools.product(*grid.values())]


def sweep(make_brain, grid, seeds=(0,), duration_ms: float = 1000.0, *, trials: int = 1,
          warmup_ms: float = 0.0, measure=None, per_copy=None, client=None,
          progress: bool = True, cache_dir: str | None = None) -> SweepResult:  # fmt: skip
    """Run ``make_brain(**point, seed=seed)`` for every point of ``grid`` (name -> values)
    and every seed, ``trials`` copies each, for ``duration_ms`` after ``warmup_ms``; see
    the module docstring. ``measure(sim, result, copy) -> dict``: readouts of your own
    (``copy``: the row's copy of the batch; its trial where nothing is packed).
    ``per_copy``: grid names set per copy of one build (see the module docstring).
    ``client``: a ``distributed.Client``, ``None`` for a new ``LocalCluster``, or
    ``"serial"`` to run here, one task after another."""
    per_copy = _check_per_copy(per_copy, grid)
    grid, seeds = _check(make_brain, grid, seeds, measure, set(per_copy))
    trials = check_int(trials, "sweep: trials", 1)
    for value, what in ((duration_ms, "duration_ms"), (warmup_ms, "warmup_ms")):
        number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        if not number or not np.isfinite(value) or value < 0:
            raise ValueError(f"sweep: {what} must be a finite number >= 0, got {value!r}")
    # (a task: the points it packs, as (place in the grid, point), and a seed; each row
    # comes back with its order: the point's place, the seed's, the trial)
    packs: dict = {}
    for k, point in enumerate(points(grid)):
        shared = tuple((n, v) for n, v in point.items() if n not in per_copy)
        packs.setdefault(shared, []).append((k, point))
    tasks = [((i, j), pack, j, seed) for i, pack in enumerate(packs.values())
             for j, seed in enumerate(seeds)]  # fmt: skip
    args = (make_brain, duration_ms, warmup_ms, trials, measure, per_copy)
    if client == "serial":
        done = _serial(tasks, args, progress)
    else:
        done = _distributed(tasks, args, client, progress, cache_dir or DEFAULT_CACHE_DIR)
    rows = [row for _order, row in sorted(r for key in done for r in done[key])]
    columns = list(grid) + ["seed", "trial"]
    for row in rows:
        columns += [c for c in row if c not in columns]
    return SweepResult(rows, columns)


def _check_per_copy(per_copy, grid) -> dict:
    """name -> (target, parameter, transform) of the grid names set per copy."""
    if per_copy is None:
        return {}
    if not isinstance(per_copy, dict):
        raise TypeError(f"sweep: per_copy must be a dict of grid name -> (target, parameter"
                        f"[, transform]), got {per_copy!r}")  # fmt: skip
    out = {}
    for name, how in per_copy.items():
        if not isinstance(grid, dict) or name not in grid:
            raise ValueError(f"sweep: per_copy: {name!r} is not a name of the grid")
        ok = isinstance(how, tuple) and len(how) in (2, 3) and isinstance(how[1], str)
        if not ok or (len(how) == 3 and not callable(how[2])):
            raise TypeError(f"sweep: per_copy[{name!r}] must be (target, parameter) or "
                            f"(target, parameter, transform), got {how!r}")  # fmt: skip
        out[name] = (how[0], how[1], how[2] if len(how) == 3 else None)
    return out


def _check(make_brain, grid, seeds, measure, per_copy=frozenset()):
    if not callable(make_brain):
        raise TypeError(f"sweep: make_brain must be callable, got {make_brain!r}")
    if measure is not None and not callable(measure):
        raise TypeError(f"sweep: measure must be callable (sim, result, trial) -> dict, got "
                        f"{measure!r}")  # fmt: skip
    if not isinstance(grid, dict):
        raise TypeError(f"sweep: grid must be a dict of name -> values, got {grid!r}")
    params = inspect.signature(make_brain).parameters
    open_ended = any(p.kind == p.VAR_KEYWORD for p in params.values())
    known = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if "seed" not in known and not open_ended:
        raise ValueError(f"sweep: make_brain must take a seed= keyword; it takes {known}")
    out = {}
    for name, values in grid.items():
        if name == "seed" or (name not in known and not open_ended and name not in per_copy):
            raise ValueError(
                f"sweep: grid: {name!r} is not a parameter of make_brain "
                f"({[k for k in known if k != 'seed']}; seeds go in seeds=)"
            )
        values = list(values) if isinstance(values, (list, tuple, range, np.ndarray)) \
            else [values]  # fmt: skip
        if not values:
            raise ValueError(f"sweep: grid: {name!r} has no values")
        out[name] = [v.item() if isinstance(v, np.generic) else v for v in values]
    seeds = [check_int(s, "sweep: seeds", 0) for s in np.atleast_1d(seeds).tolist()]
    if not seeds:
        raise ValueError("sweep: seeds must name at least one seed")
    return out, seeds


def run_point(pack, j, seed, make_brain, duration_ms, warmup_ms, trials, measure, per_copy):
    """One task: the points of ``pack`` ((place in the grid, point); one unless
    ``per_copy`` packs them) with seed ``seed`` (the ``j``-th), built once with ``trials``
    copies of each, run; returns ((place, j, trial), row) for each copy."""
    shared = {n: v for n, v in pack[0][1].items() if n not in per_copy}
    try:
        brain = make_brain(**shared, seed=seed)
        sim = brain.build(batch=trials * len(pack))
        copies = [point for _k, point in pack for _trial in range(trials)]
        for name, (target, parameter, transform) in per_copy.items():
            values = [p[name] if transform is None else transform(p[name]) for p in copies]
            sim.set_parameter(target, parameter, values)
        if warmup_ms:
            sim.run(duration_ms=warmup_ms)
        result = sim.run(duration_ms=duration_ms)
        return [((pack[c // trials][0], j, c % trials),
                 _row(copies[c], seed, c, c % trials, sim, result, measure))
                for c in range(len(copies))]  # fmt: skip
    except Exception as e:
        points_ = [p for _k, p in pack]
        what = f"point {points_[0]}" if len(points_) == 1 else f"points {points_}"
        raise SweepError(f"sweep {what}, seed {seed}: {type(e).__name__}: {e}") from e


def _row(point, seed, c, trial, sim, result, measure):
    from .monitors.statistics import cv_isi

    mine = result.copy(c)
    row = dict(point, seed=seed, trial=trial)
    for name in sim.net.names:
        row[f"rate_hz:{name}"] = float(mine.rate_hz(name))
    for name in sim.net.names:
        if sim.records_every_spike(name):
            t, i = sim.spikes(name, copy=c, since_ms=result.t_start_ms)
            cvs = cv_isi(t, i, sim.populations[name].n)
            row[f"cv_isi:{name}"] = float(np.mean(cvs)) if cvs.size else float("nan")
    if measure is not None:
        extra = measure(sim, mine, c)
        if not isinstance(extra, dict):
            raise TypeError(f"measure must return a dict, got {type(extra).__name__}")
        row.update(extra)
    return row


def _serial(tasks, args, progress):
    bar = _bar(sum(len(t[1]) for t in tasks), progress)
    done = {}
    for key, pack, j, seed in tasks:
        done[key] = run_point(pack, j, seed, *args)
        bar.update(len(pack))
    bar.close()
    return done


def _distributed(tasks, args, client, progress, cache_dir):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ImportError(
            "sweep: dask.distributed is needed for a sweep on a cluster: pip "
            "install 'nbbrain[dask]' (or pass client='serial')"
        ) from None
    own = client is None
    if own:
        workers = max(1, min(len(tasks), os.cpu_count() or 1))
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
    elif not isinstance(client, Client):
        raise TypeError(f"sweep: client must be a distributed.Client, None or 'serial', got "
                        f"{client!r}")  # fmt: skip
    try:
        _prepare_workers(client, cache_dir)
        futures = {client.submit(run_point, pack, j, seed, *args, pure=False): key
                   for key, pack, j, seed in tasks}  # fmt: skip
        bar = _bar(sum(len(t[1]) for t in tasks), progress)
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = rows = future.result()
            bar.update(len(rows) // args[3])  # (the points of the task: rows / trials)
        bar.close()
        return done
    finally:
        if own:
            client.close()
            cluster.close()


def _prepare_workers(client, cache_dir):
    """Give each worker its own numba cache, then check that it imports nbbrain."""

    def use_cache(cache_dir, dask_worker=None):
        # (a nested function travels by value: running it imports nothing of nbbrain,
        # which imports numba, which reads the cache folder once, when it is imported)
        import os
        import sys

        name = str(getattr(dask_worker, "name", os.getpid())).replace(os.sep, "_")
        if "numba" not in sys.modules:
            os.environ["NUMBA_CACHE_DIR"] = os.path.join(cache_dir, f"worker-{name}")
        import nbbrain

        return nbbrain.__version__

    try:
        client.run(use_cache, cache_dir)
    except Exception as e:
        raise RuntimeError(
            f"sweep: a worker cannot run nbbrain ({type(e).__name__}: {e}); "
            "install nbbrain where the workers run"
        ) from None


def _bar(total, progress):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="point", desc="sweep", disable=not progress, leave=False)
