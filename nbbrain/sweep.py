"""Parameter sweeps: every point of a grid x seeds, run on a ``dask.distributed`` cluster.

``sweep(make_brain, grid, seeds, duration_ms)`` calls ``make_brain(**point, seed=seed)``
for every point of the grid (the cartesian product of its values) and every seed, builds
each brain once with its ``trials`` as the copies of one batch (they share the
connectivity; each copy draws its own noise), runs it and returns a table, one row per
(point, seed, trial): the point's values, ``seed``, ``trial``, each population's mean rate
(``rate_hz:<population>``), the mean ISI CV of each recorded population
(``cv_isi:<population>``) and what ``measure(sim, result, trial)`` returns.

Each (point, seed) is one task of ``client`` (a ``distributed.Client``; by default a
``LocalCluster`` of one single-threaded worker process per core, closed at the end). A
task whose worker dies is run again on another (the scheduler's rule), and the rows do not
depend on where or in what order tasks ran: a cluster gives the numbers of a serial run
(``client="serial"``, in this process). Each worker keeps its own numba cache (folder
``cache_dir/<worker>``), so that it compiles the kernels once and processes never write
one cache at once.
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
          warmup_ms: float = 0.0, measure=None, client=None, progress: bool = True,
          cache_dir: str | None = None) -> SweepResult:  # fmt: skip
    """Run ``make_brain(**point, seed=seed)`` for every point of ``grid`` (name -> values)
    and every seed, ``trials`` copies each, for ``duration_ms`` after ``warmup_ms``; see
    the module docstring. ``measure(sim, result, trial) -> dict``: readouts of your own.
    ``client``: a ``distributed.Client``, ``None`` for a new ``LocalCluster``, or
    ``"serial"`` to run here, one task after another."""
    grid, seeds = _check(make_brain, grid, seeds, measure)
    trials = check_int(trials, "sweep: trials", 1)
    for value, what in ((duration_ms, "duration_ms"), (warmup_ms, "warmup_ms")):
        number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
        if not number or not np.isfinite(value) or value < 0:
            raise ValueError(f"sweep: {what} must be a finite number >= 0, got {value!r}")
    # (key: the point's place in the grid, then the seed's in ``seeds``: the rows' order)
    tasks = [((k, j), point, seed) for k, point in enumerate(points(grid))
             for j, seed in enumerate(seeds)]  # fmt: skip
    args = (make_brain, duration_ms, warmup_ms, trials, measure)
    if client == "serial":
        done = _serial(tasks, args, progress)
    else:
        done = _distributed(tasks, args, client, progress, cache_dir or DEFAULT_CACHE_DIR)
    rows = [row for key in sorted(done) for row in done[key]]
    columns = list(grid) + ["seed", "trial"]
    for row in rows:
        columns += [c for c in row if c not in columns]
    return SweepResult(rows, columns)


def _check(make_brain, grid, seeds, measure):
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
        if name == "seed" or (name not in known and not open_ended):
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


def run_point(point, seed, make_brain, duration_ms, warmup_ms, trials, measure):
    """One (point, seed): build with ``trials`` copies, run, read the rows out."""
    try:
        brain = make_brain(**point, seed=seed)
        sim = brain.build(batch=trials)
        if warmup_ms:
            sim.run(duration_ms=warmup_ms)
        result = sim.run(duration_ms=duration_ms)
        return [_row(point, seed, c, sim, result, measure) for c in range(trials)]
    except Exception as e:
        raise SweepError(f"sweep point {point}, seed {seed}: {type(e).__name__}: {e}") from e


def _row(point, seed, c, sim, result, measure):
    from .monitors.statistics import cv_isi

    mine = result.copy(c)
    row = dict(point, seed=seed, trial=c)
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
    bar = _bar(len(tasks), progress)
    done = {}
    for key, point, seed in tasks:
        done[key] = run_point(point, seed, *args)
        bar.update(1)
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
        futures = {client.submit(run_point, point, seed, *args, pure=False): key
                   for key, point, seed in tasks}  # fmt: skip
        bar = _bar(len(tasks), progress)
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            bar.update(1)
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
