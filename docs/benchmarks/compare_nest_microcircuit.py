"""nbbrain's Potjans & Diesmann (2014) microcircuit against NEST running the reference model.

Runs ``nbbrain.presets.microcircuit.microcircuit`` here and, in a subprocess under a NEST
3.10 Python, the reference implementation (https://github.com/INM-6/microcircuit-PD14-model,
``PyNEST/src/microcircuit``) at the same scale, twice with different seeds, so that the
NEST-vs-NEST distances show the natural variability of the model. Both simulate
``--t-presim-ms`` (the reference's ``t_presim``, 500 ms) and then ``--t-sim-ms``; only the
spikes of the second part are kept. The spikes go to ``OUT/{nbbrain,nest_A,nest_B}.npz``.

The analysis follows Dasbach et al. (2021) as the reference repository's
``reference_data/`` does (see ``nbbrain.monitors.statistics``): per population the
distributions of single-neuron rates, ISI CVs and spike-count correlation coefficients
(2 ms bins, 50 random neurons), compared by the two-sample KS statistic::

    python docs/benchmarks/compare_nest_microcircuit.py --reference path/to/PyNEST/src \\
        --nest-python path/to/nest-venv/bin/python --scale 0.1 --t-sim-ms 10000 --out out/mc
    python docs/benchmarks/compare_nest_microcircuit.py --analyse-only --out out/mc

or, with the two set once in the environment::

    export NBBRAIN_NEST_PYTHON=path/to/nest-venv/bin/python  # a Python with NEST 3.10
    export NBBRAIN_PD14_SRC=path/to/microcircuit-PD14-model/PyNEST/src
    python docs/benchmarks/compare_nest_microcircuit.py --scale 0.1 --t-sim-ms 10000 --out out/mc

Running NEST needs both ``--nest-python`` (default: ``$NBBRAIN_NEST_PYTHON``) and
``--reference`` (default: ``$NBBRAIN_PD14_SRC``); without them the script stops and says
which is missing. ``--analyse-only`` needs neither. ``--reuse-nest`` keeps NEST results
already in ``--out`` (only nbbrain runs again) and needs them only for missing NEST files.

The reference model is not part of nbbrain (GPL-2.0-or-later); see docs/microcircuit.md for
how to obtain it and set up the NEST environment. Its parameter dictionaries are changed
from the driver (scale, seed, threads, times, data path); its files are not edited.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: Environment variables: the defaults of --nest-python and --reference.
NEST_ENV = "NBBRAIN_NEST_PYTHON"
PD14_ENV = "NBBRAIN_PD14_SRC"
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
#: Published full-scale rates (Hz), network_params.py l. 78 of the reference.
FULL_MEAN_RATES = (0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829)
RUNS = ("nbbrain", "nest_A", "nest_B")
PAIRS = (("nbbrain", "nest_A"), ("nbbrain", "nest_B"), ("nest_A", "nest_B"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.1, help="neuron-number scale (0.1)")
    p.add_argument("--k-scale", type=float, default=1.0, help="in-degree scale (1)")
    p.add_argument("--background", choices=("dc", "poisson"), default="dc")
    p.add_argument("--t-presim-ms", type=float, default=500.0, help="discarded warm-up (500)")
    p.add_argument("--t-sim-ms", type=float, default=1000.0, help="analysed time (1000)")
    p.add_argument("--seed", type=int, default=55, help="nbbrain's seed (55)")
    p.add_argument("--nest-seeds", type=int, nargs=2, default=(55, 56), metavar=("A", "B"),
                   help="seeds of the two NEST runs (55 56)")  # fmt: skip
    p.add_argument("--threads", type=int, default=2, help="threads of each simulator (2)")
    p.add_argument("--reference", default=os.environ.get(PD14_ENV) or None,
                   help=f"path to the reference's PyNEST/src (default: ${PD14_ENV})")  # fmt: skip
    p.add_argument("--nest-python", default=os.environ.get(NEST_ENV) or None,
                   help=f"Python with NEST 3.10 (default: ${NEST_ENV})")  # fmt: skip
    p.add_argument("--out", default="microcircuit_vs_nest", help="folder for the npz files")
    p.add_argument("--analyse-only", action="store_true", help="analyse the npz files in --out")
    p.add_argument("--bin-ms", type=float, default=2.0, help="correlation bin (2 ms)")
    p.add_argument("--cc-neurons", type=int, default=50, help="neurons per population for "
                   "correlations (50)")  # fmt: skip
    p.add_argument("--reuse-nest", action="store_true",
                   help="keep nest_A.npz and nest_B.npz already in --out")  # fmt: skip
    p.add_argument("--nest-worker", metavar="SEED", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.nest_worker is None and not (args.analyse_only or args.reuse_nest):
        problem = missing_nest(args)
        if problem:
            p.error(problem)
    return args


def missing_nest(args):
    """What is missing to run NEST (a message naming the option and the variable), or None."""
    if not args.nest_python:
        return ("a Python with NEST 3.10 is needed to run NEST: pass --nest-python PATH or "
                f"set {NEST_ENV}")  # fmt: skip
    if shutil.which(args.nest_python) is None:
        return f"--nest-python / {NEST_ENV}: no Python at {args.nest_python}"
    if not args.reference:
        return ("the reference model is needed to run NEST: pass --reference PATH (the "
                f"PyNEST/src folder of microcircuit-PD14-model) or set {PD14_ENV}")  # fmt: skip
    if not Path(args.reference, "microcircuit").is_dir():
        return f"--reference / {PD14_ENV}: no microcircuit package in {args.reference}"
    return None


def peak_rss_mb():
    """This process's peak resident memory (MB). VmHWM, not ru_maxrss: after fork and exec,
    ru_maxrss starts at the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def save_run(path, spikes, sizes, args, meta):
    """Spikes with ``t >= t_presim`` (``t_ms_POP``, ``idx_POP``), sizes and a JSON header."""
    t0 = args.t_presim_ms
    arrays = {}
    for name in POPULATIONS:
        t, i = spikes[name]
        keep = t >= t0
        arrays[f"t_ms_{name}"], arrays[f"idx_{name}"] = t[keep], i[keep].astype(np.int32)
    meta = dict(meta, t0_ms=t0, t1_ms=t0 + args.t_sim_ms, scale=args.scale,
                k_scale=args.k_scale, background=args.background)  # fmt: skip
    np.savez_compressed(path, n=np.asarray(sizes), meta=json.dumps(meta), **arrays)


def nest_worker(args):
    """Runs under the NEST Python: the reference model with its dicts set from here."""
    os.environ.setdefault("MPLBACKEND", "Agg")  # the reference's helpers import pyplot
    sys.path.insert(0, str(Path(args.reference).resolve()))
    import nest
    from microcircuit import network
    from microcircuit.network_params import default_net_dict as net_dict
    from microcircuit.sim_params import default_sim_dict as sim_dict
    from microcircuit.stimulus_params import default_stim_dict as stim_dict

    with tempfile.TemporaryDirectory() as tmp:
        sim_dict.update(data_path=tmp + "/", rng_seed=args.nest_worker, print_time=False,
                        local_num_threads=args.threads, t_presim=args.t_presim_ms,
                        t_sim=args.t_sim_ms)  # fmt: skip
        net_dict.update(N_scaling=args.scale, K_scaling=args.k_scale,
                        bg_input_type=args.background)  # fmt: skip
        t_start = time.perf_counter()
        net = network.Network(sim_dict, net_dict, stim_dict)
        net.create()
        net.spike_recorders.set(record_to="memory")  # instead of ASCII files
        net.connect()  # ends with nest.Prepare(), so the build is complete
        t_built = time.perf_counter()
        net.simulate(args.t_presim_ms)
        net.simulate(args.t_sim_ms)
        t_done = time.perf_counter()
    spikes = {}
    for name, pop, rec in zip(net_dict["populations"], net.pops, net.spike_recorders):
        ev = rec.get("events")
        first = pop[0].global_id  # NEST ids are global and 1-based
        spikes[name] = (np.asarray(ev["times"], float), np.asarray(ev["senders"]) - first)
    meta = dict(simulator=f"NEST {nest.__version__}", seed=args.nest_worker,
                build_s=t_built - t_start, run_s=t_done - t_built,
                n_connections=int(nest.num_connections), peak_rss_mb=peak_rss_mb(),
                threads=args.threads)  # fmt: skip
    save_run(args.out, spikes, [len(p) for p in net.pops], args, meta)


def run_nbbrain(args, path):
    import importlib

    preset = importlib.import_module("nbbrain.presets.microcircuit")
    t_start = time.perf_counter()
    brain = preset.microcircuit(scale=args.scale, k_scale=args.k_scale,
                                background=args.background, seed=args.seed)  # fmt: skip
    sim = brain.build(threads=args.threads)
    t_built = time.perf_counter()
    sim.run(duration_ms=args.t_presim_ms)  # includes compiling the kernel
    sim.run(duration_ms=args.t_sim_ms)
    t_done = time.perf_counter()
    spikes = {name: sim.spikes(name) for name in POPULATIONS}
    sizes = preset.parameters(args.scale, args.k_scale, args.background)["num_neurons"]
    meta = dict(simulator="nbbrain", seed=args.seed,
                build_s=t_built - t_start, run_s=t_done - t_built,
                n_connections=int(sim.net.n_synapses), peak_rss_mb=peak_rss_mb(),
                threads=args.threads)  # fmt: skip
    save_run(path, spikes, sizes, args, meta)
    return meta


def run_nest(args, seed, path):
    problem = missing_nest(args)
    if problem:
        raise SystemExit(f"{path} is missing, and {problem}")
    cmd = [args.nest_python, __file__, "--nest-worker", str(seed), "--reference", args.reference,
           "--scale", str(args.scale), "--k-scale", str(args.k_scale), "--background",
           args.background, "--t-presim-ms", str(args.t_presim_ms), "--t-sim-ms",
           str(args.t_sim_ms), "--threads", str(args.threads), "--out", str(path)]  # fmt: skip
    t_start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"NEST run failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return time.perf_counter() - t_start


def load_run(path):
    with np.load(path) as f:
        meta = json.loads(str(f["meta"]))
        sizes = f["n"].astype(int)
        spikes = {name: (f[f"t_ms_{name}"], f[f"idx_{name}"]) for name in POPULATIONS}
    return meta, sizes, spikes


def statistics_of(path, bin_ms, cc_neurons):
    """Per population: rates (Hz), ISI CVs and correlation coefficients, in the window."""
    from nbbrain.monitors import statistics as st

    meta, sizes, spikes = load_run(path)
    t0, t1 = meta["t0_ms"], meta["t1_ms"]
    out = {}
    for name, n in zip(POPULATIONS, sizes):
        t, i = spikes[name]
        out[name] = dict(rate=st.rates_hz(t, i, n, t0, t1), cv=st.cv_isi(t, i, n),
                         cc=st.spike_count_correlations(t, i, n, t0, t1, bin_ms=bin_ms,
                                                        n_neurons=cc_neurons))  # fmt: skip
    return meta, out


def _mean(x):
    return float(np.mean(x)) if len(x) else float("nan")


def _ks(a, b):
    from nbbrain.monitors.statistics import ks_distance

    return ks_distance(a, b) if len(a) and len(b) else float("nan")


def analyse(out_dir, bin_ms, cc_neurons):
    """Prints the tables and writes ``summary.json``; returns the summary."""
    runs = {r: statistics_of(Path(out_dir) / f"{r}.npz", bin_ms, cc_neurons) for r in RUNS}
    for r, (meta, _) in runs.items():
        print(f"{r}: " + json.dumps(meta))
    stats = {r: s for r, (_, s) in runs.items()}
    summary = {}
    print("\nMean rate (Hz) per population\n")
    print("| population | nbbrain | NEST A | NEST B | published (full scale) |")
    print("|---|---|---|---|---|")
    for name, pub in zip(POPULATIONS, FULL_MEAN_RATES):
        m = [_mean(stats[r][name]["rate"]) for r in RUNS]
        print(f"| {name} | {m[0]:.3f} | {m[1]:.3f} | {m[2]:.3f} | {pub:.3f} |")
    labels = dict(rate="rate (Hz)", cv="ISI CV", cc="spike-count correlation coefficient")
    for key, label in labels.items():
        print(f"\n{label}: means and KS distances (nb = nbbrain, A, B = NEST seeds)\n")
        print(
            "| population | mean nb | mean A | mean B | KS nb-A | KS nb-B | KS A-B | count nb/A/B |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name in POPULATIONS:
            x = {r: stats[r][name][key] for r in RUNS}
            m = [_mean(x[r]) for r in RUNS]
            ks = [_ks(x[a], x[b]) for a, b in PAIRS]
            counts = "/".join(str(len(x[r])) for r in RUNS)
            fmt = ".4f" if key == "cc" else ".3f"
            print(f"| {name} | " + " | ".join(f"{v:{fmt}}" for v in m) + " | "
                  + " | ".join(f"{v:.3f}" for v in ks) + f" | {counts} |")  # fmt: skip
            summary.setdefault(name, {})[key] = dict(mean=dict(zip(RUNS, m)),
                                                     ks={f"{a}-{b}": k for (a, b), k
                                                         in zip(PAIRS, ks)})  # fmt: skip
    Path(out_dir, "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv=None):
    args = parse_args(argv)
    if args.nest_worker is not None:
        return nest_worker(args)
    out = Path(args.out)
    if not args.analyse_only:
        out.mkdir(parents=True, exist_ok=True)
        meta = run_nbbrain(args, out / "nbbrain.npz")
        print(f"nbbrain: build {meta['build_s']:.1f} s, run {meta['run_s']:.1f} s, "
              f"peak RSS {meta['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        for label, seed in zip(("nest_A", "nest_B"), args.nest_seeds):
            if args.reuse_nest and (out / f"{label}.npz").exists():
                continue
            wall = run_nest(args, seed, out / f"{label}.npz")
            print(f"{label} (seed {seed}): {wall:.1f} s wall", flush=True)
    analyse(out, args.bin_ms, args.cc_neurons)


if __name__ == "__main__":
    main()
