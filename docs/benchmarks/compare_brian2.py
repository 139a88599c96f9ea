"""nbbrain against Brian2 on the COBA benchmark, side by side on this machine.

Both simulators run the same model (Brette et al. 2007 benchmark 1: nbbrain's
``nb.presets.coba``, Brian2's ``brian2_coba.py --v-mean-mv -65``) for ``--duration-ms`` of
simulated time, single-threaded, ``--repeat`` times, alternating, so that both see the same
machine load. Only the time-step loop is compared:

- nbbrain: wall time of ``sim.run(duration_ms=...)`` in this process, each repeat on a freshly
  built simulation (the kernels are compiled once, in an untimed warm-up);
- Brian2: ``run_s`` printed by ``brian2_coba.py`` (``device._last_run_time``, Brian2's own
  timing of its compiled loop), one subprocess per repeat. The repeats share one build
  directory, so only the first compiles.

Brian2 runs under the Python given by ``--brian2-python`` or, by default, the environment
variable ``NBBRAIN_BRIAN2_PYTHON`` (a Python with ``brian2==2.11.0``, see README.md). Without
either, only nbbrain runs, and the script says so.

``--stdp``: both with additive STDP on the excitatory-to-excitatory synapses
(``nb.presets.coba(stdp=True)``, ``brian2_coba.py --stdp``: NEST's ``stdp_synapse``). Each
simulator places the one-step delay where it does by default: nbbrain after the synapse
(NEST's dendritic delay: a presynaptic spike pairs at once, a postsynaptic one a step
late), Brian2 before it (axonal). ``--axonal`` gives nbbrain Brian2's place
(``dendritic_fraction=0``), so that both pair the same spikes.

Prints a table (median and minimum run time, mean rate, the ratio Brian2 / nbbrain) and a line
of JSON::

    export NBBRAIN_BRIAN2_PYTHON=path/to/brian2-venv/bin/python
    python docs/benchmarks/compare_brian2.py --repeat 5
    python docs/benchmarks/compare_brian2.py --repeat 5 --stdp
    python docs/benchmarks/compare_brian2.py --brian2-python path/to/brian2-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Environment variable naming a Python with brian2==2.11.0 (the default of --brian2-python).
BRIAN2_ENV = "NBBRAIN_BRIAN2_PYTHON"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each simulator (5)")
    parser.add_argument("--duration-ms", type=float, default=1000.0, help="simulated time (1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of both models (1)")
    parser.add_argument("--stdp", action="store_true",
                        help="additive STDP on the excitatory-to-excitatory synapses of both "
                             "(nb.presets.coba(stdp=True), brian2_coba.py --stdp)")  # fmt: skip
    parser.add_argument("--axonal", action="store_true",
                        help="with --stdp: nbbrain's delays axonal, as Brian2's "
                             "(dendritic_fraction=0)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for both (1): NUMBA_NUM_THREADS for nbbrain, whose CPU "
                             "kernel is serial; OpenMP threads for Brian2")  # fmt: skip
    parser.add_argument("--brian2-python", default=os.environ.get(BRIAN2_ENV) or None,
                        help=f"Python of a Brian2 2.11 environment (default: ${BRIAN2_ENV}; "
                             "without either, only nbbrain runs)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.threads < 1:
        parser.error("--repeat and --threads must be >= 1")
    if args.axonal and not args.stdp:
        parser.error("--axonal is an option of --stdp")
    if args.brian2_python is None:
        print(f"note: no Brian2 Python (--brian2-python or {BRIAN2_ENV}): only nbbrain runs",
              file=sys.stderr, flush=True)  # fmt: skip
    elif shutil.which(args.brian2_python) is None:
        parser.error(f"--brian2-python / {BRIAN2_ENV}: no Python at {args.brian2_python}")
    return args


def nbbrain_coba(nb, args):
    """nbbrain's side of the comparison."""
    return nb.presets.coba(seed=args.seed, stdp=args.stdp,
                           dendritic_fraction=0.0 if args.axonal else 1.0)  # fmt: skip


def run_nbbrain(nb, args):
    """One repeat: build a fresh simulation, time its run."""
    duration_ms = args.duration_ms
    sim = nbbrain_coba(nb, args).build()
    t0 = time.perf_counter()
    result = sim.run(duration_ms=duration_ms)
    run_s = time.perf_counter() - t0
    n_spikes = sum(result.spike_counts[name] for name in ("exc", "inh"))
    return {
        "run_s": run_s,
        "mean_rate_hz": n_spikes / sim.net.n / (duration_ms * 1e-3),
        "n_synapses": sim.net.n_synapses,
    }


def run_brian2(python, args, build_dir):
    """One repeat: ``brian2_coba.py`` in a subprocess; returns its JSON."""
    cmd = [python, str(HERE / "brian2_coba.py"), "--duration-ms", str(args.duration_ms),
           "--threads", str(args.threads), "--seed", str(args.seed), "--v-mean-mv", "-65",
           "--build-dir", build_dir] + (["--stdp"] if args.stdp else [])  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"no JSON from brian2_coba.py; stdout:\n{proc.stdout[-4000:]}")
    return json.loads(lines[-1])


def summarise(runs):
    times = [r["run_s"] for r in runs]
    return {
        "run_s": [round(t, 4) for t in times],
        "median_s": statistics.median(times),
        "min_s": min(times),
        "mean_rate_hz": statistics.fmean(r["mean_rate_hz"] for r in runs),
        "n_synapses": runs[-1]["n_synapses"],
    }


def main(argv=None):
    args = parse_args(argv)
    # before numba is imported: single-threaded unless asked otherwise
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    sys.path.insert(0, str(HERE.parent.parent))  # this checkout's nbbrain, when not installed
    import nbbrain as nb

    warm = nbbrain_coba(nb, args).build()  # compiles the kernels
    warm.run(duration_ms=10 * warm.dt_ms)

    nb_runs, b2_runs = [], []
    with tempfile.TemporaryDirectory(prefix="compare_brian2_") as build_dir:
        for k in range(args.repeat):
            # alternate which goes first, so neither always follows the other
            order = ("nb", "b2") if k % 2 == 0 else ("b2", "nb")
            for who in order:
                if who == "nb":
                    nb_runs.append(run_nbbrain(nb, args))
                elif args.brian2_python:
                    b2_runs.append(run_brian2(args.brian2_python, args, build_dir))
            line = f"repeat {k + 1}/{args.repeat}: nbbrain {nb_runs[-1]['run_s']:.4f} s"
            if b2_runs:
                line += f", brian2 {b2_runs[-1]['run_s']:.4f} s"
            print(line, file=sys.stderr, flush=True)

    out = {
        "model": ("coba_stdp" + ("_axonal" if args.axonal else "")) if args.stdp else "coba",
        "duration_ms": args.duration_ms,
        "seed": args.seed,
        "threads": args.threads,
        "repeat": args.repeat,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "nbbrain": dict(summarise(nb_runs), version=nb.__version__),
    }
    rows = [("nbbrain " + nb.__version__, out["nbbrain"])]
    if b2_runs:
        out["brian2"] = dict(summarise(b2_runs), version=b2_runs[-1]["brian2_version"])
        out["ratio_median"] = out["brian2"]["median_s"] / out["nbbrain"]["median_s"]
        out["ratio_min"] = out["brian2"]["min_s"] / out["nbbrain"]["min_s"]
        rows.append(("brian2 " + out["brian2"]["version"] + " (cpp_standalone)", out["brian2"]))

    model = "COBA with STDP on E -> E" if args.stdp else "COBA"
    model += " (nbbrain's delays axonal)" if args.axonal else ""
    print(f"{model}, 4000 neurons, {args.duration_ms:g} ms, {args.threads} thread(s), "
          f"{args.repeat} repeats, {out['machine']}")  # fmt: skip
    print(f"{'simulator':<32} {'median run_s':>12} {'min run_s':>10} {'rate Hz':>8} "
          f"{'synapses':>9}")  # fmt: skip
    for name, s in rows:
        print(f"{name:<32} {s['median_s']:>12.4f} {s['min_s']:>10.4f} "
              f"{s['mean_rate_hz']:>8.2f} {s['n_synapses']:>9}")  # fmt: skip
    if b2_runs:
        print(f"brian2 / nbbrain run time: {out['ratio_median']:.2f}x (median), "
              f"{out['ratio_min']:.2f}x (min)")  # fmt: skip
    else:
        print(f"no Brian2 Python given (--brian2-python or {BRIAN2_ENV}): nbbrain only")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
