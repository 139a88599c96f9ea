"""Command line: ``nbbrain run MODEL`` and ``nbbrain bench MODEL``, e.g.
``nbbrain run sensorimotor --duration-ms 10000 --raster raster.png --rates rates.png``,
``nbbrain run coba --duration-ms 1000 --raster raster.png``, ``nbbrain bench coba``,
``nbbrain run microcircuit --bars bars.png --raster raster.png``,
``nbbrain bench microcircuit --threads 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

from . import presets

MODELS = {"coba": presets.coba, "cuba": presets.cuba, "sensorimotor": presets.sensorimotor,
          "microcircuit": presets.microcircuit,
          "many": presets.many_populations,
          "distal_reward": presets.distal_reward, "cue_action": presets.cue_action}  # fmt: skip
#: per model: the warm-up (ms) a benchmark runs before it times (the microcircuit's 0.1 s,
#: as the PD14 benchmarks do), and the repeats by default (a full-scale build is heavy)
WARMUP_MS = {"microcircuit": 100.0}
REPEAT = {"microcircuit": 1}


#: the options that apply to some models only: option -> (its default, the models)
ONLY_FOR = {
    "scale": (1.0, {"microcircuit"}),
    "k_scale": (1.0, {"microcircuit"}),
    "background": ("dc", {"microcircuit"}),
    "stdp": (False, {"coba"}),
    "plastic_aside": (False, {"coba"}),
    "populations": (500, {"many"}),
    "input_hz": (10.0, {"sensorimotor"}),  # (the models with a sensory input)
    "trials": (300, {"cue_action"}),
    "curve": (None, {"cue_action", "distal_reward"}),
    "raster": (None, set(MODELS) - {"cue_action", "distal_reward"}),
    "rates": (None, set(MODELS) - {"cue_action", "distal_reward"}),
    "bars": (None, set(MODELS) - {"cue_action", "distal_reward"}),
    "window_ms": (None, set(MODELS) - {"cue_action", "distal_reward"}),
}
#: the learning experiments, which ``nbbrain run`` runs on the CPU backend
PLASTIC = {"cue_action", "distal_reward"}
OUTPUTS = ("raster", "summary", "rates", "bars", "curve")


class UsageError(Exception):
    """A bad option: reported in one line, with status 2, before any work."""


def _positive(args, key, zero_ok=False):
    value = getattr(args, key, None)
    if value is None:
        return
    if not np.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
        raise UsageError(f"--{key.replace('_', '-')} must be a finite number "
                         f"{'>= 0' if zero_ok else '> 0'}, got {value:g}")  # fmt: skip


def check_args(args):
    """Every option checked before any build: a UsageError names the first bad one."""
    model = args.model
    for key, (default, models) in ONLY_FOR.items():
        if hasattr(args, key) and getattr(args, key) != default and model not in models:
            raise UsageError(f"--{key.replace('_', '-')} does not apply to {model} (only to "
                             f"{', '.join(sorted(models))})")  # fmt: skip
    _positive(args, "duration_ms")
    _positive(args, "warmup_ms", zero_ok=True)
    _positive(args, "window_ms")
    for key in ("scale", "k_scale"):
        _positive(args, key)
        if getattr(args, key) > 1:
            raise UsageError(f"--{key.replace('_', '-')} must be in (0, 1], got "
                             f"{getattr(args, key):g}")  # fmt: skip
    for key, low in (("threads", 1), ("batch", 1), ("repeat", 1), ("trials", 1),
                     ("populations", 1), ("pieces", 1)):  # fmt: skip
        value = getattr(args, key, None)
        if value is not None and value < low:
            raise UsageError(f"--{key} must be >= {low}, got {value}")
    _positive(args, "input_hz", zero_ok=True)
    top = 1e3 / MODELS[model]().dt_ms if model == "sensorimotor" else np.inf
    if args.input_hz > top:
        raise UsageError(f"--input-hz must be at most {top:g} (one spike per step), got "
                         f"{args.input_hz:g}")  # fmt: skip
    if args.backend == "cuda" and args.threads != 1:
        raise UsageError("--threads is for the cpu backend (the cuda backend runs on the "
                         "GPU's threads)")  # fmt: skip
    if args.command == "run" and args.backend == "cuda" and model in PLASTIC:
        raise UsageError(f"{model}: nbbrain run runs this experiment on the cpu backend "
                         "(Brain.build(backend='cuda') runs its brain on the GPU)")  # fmt: skip
    for key in OUTPUTS:
        path = getattr(args, key, None)
        folder = os.path.dirname(os.path.abspath(path)) if path else None
        if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise UsageError(f"--{key} {path}: the folder {folder} does not exist or cannot "
                             "be written to")  # fmt: skip


def _brain(args):
    """The model's Brain, with the options that apply to it (the model's own seed unless
    ``--seed`` is given)."""
    kw = {} if args.seed is None else {"seed": args.seed}
    if args.model == "microcircuit":
        kw.update(scale=args.scale, k_scale=args.k_scale, background=args.background)
    if args.model == "many":
        kw.update(n_populations=args.populations)
    kw.update({k: True for k in _coba_flags(args)})
    return MODELS[args.model](**kw)


def _coba_flags(args) -> list:
    """COBA's switches given (``stdp``, ``plastic_aside``)."""
    return [k for k in ("stdp", "plastic_aside") if args.model == "coba" and getattr(args, k)]


def _where(args) -> str:
    return f"{args.threads} thread(s)" if args.backend == "cpu" else "CUDA backend"


def _peak_rss_gib() -> float:
    """Peak resident memory of this process so far (GiB; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _show_estimate(brain):
    """Print the build's memory estimate before anything large is allocated (the build
    itself refuses a model that does not fit, with the same numbers)."""
    from .assemble.network import estimate_bytes

    need = estimate_bytes(brain)
    parts = ", ".join(f"{k} {v / 2**30:.2f}" for k, v in need.items())
    print(f"memory estimate: {sum(need.values()) / 2**30:.2f} GiB ({parts})", file=sys.stderr)


def _inputs(sim, n_steps, input_hz, seed):
    """Random sensory spikes at ``input_hz`` for a brain with a ``sensory`` SpikeSource (a
    batch: each copy its own)."""
    if "sensory" not in sim.populations or input_hz <= 0:
        return {}
    n = sim.populations["sensory"].n
    rng = np.random.default_rng(seed)
    shape = (n_steps, n) if sim.batch == 1 else (sim.batch, n_steps, n)
    return {"sensory": rng.random(shape) < input_hz * sim.dt_ms * 1e-3}


def _isi_cv(sim, name):
    """Mean coefficient of variation of the inter-spike intervals (neurons with >= 3 spikes)."""
    from .monitors.statistics import cv_isi

    t_ms, idx = sim.spikes(name)
    cvs = cv_isi(t_ms, idx, sim.populations[name].n)
    return float(np.mean(cvs)) if cvs.size else float("nan")


def _report(text, summary):
    """Print the summary, and write it to the file ``summary`` (if given)."""
    print(text)
    if summary:
        with open(summary, "w") as fh:
            fh.write(text + "\n")


def cmd_learn(args):
    """The cue-action task: a brain learns through dopamine-gated plasticity which of two
    actions each of two cues calls for."""
    from .presets.cue_action import cue_action, run_task

    t0 = time.perf_counter()
    seed = 1 if args.seed is None else args.seed
    sim = cue_action(seed).build(threads=args.threads)
    _cues, _choices, correct = run_task(sim, n_trials=args.trials, seed=seed)
    # the same trials without reward: what the brain does without learning
    control_sim = cue_action(seed).build(threads=args.threads)
    _cues, _choices, control = run_task(control_sim, n_trials=args.trials, reward=0.0, seed=seed)
    first, last, wall = correct[:10].mean(), correct[-50:].mean(), time.perf_counter() - t0
    text = (f"cue_action: seed {seed}, {args.trials} trials: accuracy {first:.0%} over the "
            f"first 10, {last:.0%} over the last 50; without reward {control.mean():.0%} "
            f"(chance 50 %); {wall:.1f} s")  # fmt: skip
    _report(text, args.summary)
    if args.curve:
        from .monitors.plots import learning_curve

        learning_curve(correct, args.curve, control=control)
        print(f"learning curve: {args.curve}")
    return 0


def cmd_reinforce(args):
    """Izhikevich (2007)'s distal-reward experiment on ``distal_reward``: one synapse,
    rewarded 1-3 s after each pairing of its neurons, grows; the others do not."""
    from .presets.distal_reward import DISTAL_REWARD, distal_reward, reinforce

    t0 = time.perf_counter()
    seed = 1 if args.seed is None else args.seed
    sim = distal_reward(seed).build(threads=args.threads)
    res = reinforce(sim, duration_s=args.duration_ms * 1e-3, seed=seed,
                    every_s=max(1.0, args.duration_ms * 1e-3 / 360))  # fmt: skip
    above = float(np.mean(res.weights >= res.rewarded[-1])) if res.t_s.size else float("nan")
    text = (f"distal_reward: seed {seed}, {args.duration_ms * 1e-3:g} s, synapse exc "
            f"{res.pre} -> exc {res.post}: {res.reward_s.size} rewards; its weight 0 -> "
            f"{res.rewarded[-1]:.3g} (largest {DISTAL_REWARD['w_max']:g}); the other "
            f"excitatory-to-excitatory synapses: mean 1 -> {res.weights.mean():.3g}, "
            f"{above:.2%} at or above it; {time.perf_counter() - t0:.1f} s")  # fmt: skip
    _report(text, args.summary)
    if args.curve:
        from .monitors.plots import reinforcement

        reinforcement(res, args.curve, w_max=DISTAL_REWARD["w_max"])
        print(f"weights plot: {args.curve}")
    return 0


def cmd_run(args):
    if args.model == "cue_action":
        return cmd_learn(args)
    if args.model == "distal_reward":
        return cmd_reinforce(args)
    t0 = time.perf_counter()
    brain = _brain(args)
    if args.window_ms is not None:
        brain.record_spikes(list(brain.spike_monitors), window_ms=args.window_ms)
    _show_estimate(brain)
    sim = brain.build(backend=args.backend, threads=args.threads)
    n_steps = sim.steps(args.duration_ms)
    inputs = _inputs(sim, n_steps, args.input_hz, brain.seed)
    result = sim.run(n_steps=n_steps, inputs=inputs, progress=not args.no_progress)
    lines = [
        f"{args.model}: {sim.net.n} neurons, {sim.net.n_synapses} synapses, "
        f"dt {sim.dt_ms} ms, seed {brain.seed}, {_where(args)}"
        + (f", sensory input {args.input_hz:g} Hz" if inputs else ""),
        f"build {sim.build_s:.2f} s, compile {sim.compile_s:.2f} s, run {result.wall_s:.3f} s "
        f"({result.realtime_factor:.3f} x real time), total {time.perf_counter() - t0:.2f} s, "
        f"peak memory {_peak_rss_gib():.2f} GiB",
        result.summary(),
    ]
    for name in sim.net.names:
        if name in sim.recorded:
            lines.append(f"  {name}: ISI CV {_isi_cv(sim, name):.2f}")
    _report("\n".join(lines), args.summary)
    if args.raster:
        from .monitors.plots import raster

        raster(sim, args.raster, t_range_ms=(max(0.0, sim.t_ms - 2000.0), sim.t_ms))
        print(f"raster plot: {args.raster}")
    if args.rates:
        from .monitors.plots import rates

        rates(result, args.rates, bin_ms=max(10.0, sim.dt_ms))
        print(f"rates plot: {args.rates}")
    if args.bars:
        from .monitors.plots import rate_bars

        reference = None
        if args.model == "microcircuit":  # the published full-scale rates, for comparison
            from .presets.microcircuit import FULL_MEAN_RATES, POPULATIONS

            reference = dict(zip(POPULATIONS, FULL_MEAN_RATES))
        rate_bars(result, args.bars, reference=reference,
                  reference_label="published (PD14, NEST, full scale)")  # fmt: skip
        print(f"rate bar chart: {args.bars}")
    return 0


def _fresh_process(model, duration_ms, cache_dir, kw=""):
    """Wall time of a new Python process that imports, builds, compiles and runs."""
    code = (
        "import nbbrain as nb; "
        f"nb.presets.{MODELS[model].__name__}({kw}).build().run(duration_ms={duration_ms})"
    )  # fmt: skip
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def _synaptic_events(sim, result):
    """Synapses that carried a spike in ``result``'s run (all copies of a batch): exact for
    populations whose every spike is recorded (each spike times its neuron's out-degree), the
    population's spike count times its mean out-degree for the others."""
    degree = sim.net.out_degree()
    events = 0.0
    for c in range(sim.batch):
        mine = result.copy(c)
        for k, name in enumerate(sim.net.names):
            lo, hi = sim.net.lo[k], sim.net.hi[k]
            if sim.records_every_spike(name):
                t_ms, idx = sim.spikes(name, copy=c)
                recent = t_ms >= result.t_start_ms
                events += float(degree[lo + idx[recent]].sum())
            else:
                events += mine.spike_counts[name] * float(degree[lo:hi].mean())
    return events


def cmd_bench(args):
    """Speed figures of one model: build, run (best of ``--repeat``), fresh-process times;
    with ``--batch`` B, B copies at once (throughput: copies x timesteps per second);
    with ``--pieces`` P, each run is cut into P runs of ``duration_ms / P`` and the fastest
    piece of all counts (on a shared machine, the piece least disturbed)."""
    brain = _brain(args)
    _show_estimate(brain)
    warmup = WARMUP_MS.get(args.model, 0.0) if args.warmup_ms is None else args.warmup_ms
    best, sim = None, None
    for _ in range(REPEAT.get(args.model, 3) if args.repeat is None else args.repeat):
        trial = brain.build(backend=args.backend, threads=args.threads, batch=args.batch)
        if warmup:
            trial.run(duration_ms=warmup)
        n_steps = max(trial.steps(args.duration_ms) // args.pieces, 1)
        for k in range(args.pieces):
            res = trial.run(n_steps=n_steps, inputs=_inputs(trial, n_steps, args.input_hz, k))
            if best is None or res.wall_s < best.wall_s:
                best, sim = res, trial
    timed_ms = args.duration_ms if args.pieces == 1 else n_steps * sim.dt_ms
    n_spikes = float(sum(np.sum(best.spike_counts[n]) for n in sim.net.names)) / sim.batch
    events = _synaptic_events(sim, best)
    mem = sim.memory()
    out = {
        "model": " ".join([args.model] + _coba_flags(args)),
        "n_neurons": sim.net.n,
        "n_synapses": sim.net.n_synapses,
        "bytes_per_synapse": round(mem["bytes_per_synapse"], 2),
        "duration_ms": timed_ms,
        "dt_ms": sim.dt_ms,
        "backend": args.backend,
        "threads": args.threads,
        "batch": sim.batch,
        "build_s": round(sim.build_s, 3),
        "warmup_ms": warmup,
        "peak_memory_gib": round(_peak_rss_gib(), 2),
        "run_s": round(best.wall_s, 4),
        "realtime_factor": round(best.realtime_factor, 4),
        "steps_per_s": round(best.steps_per_s),
        "copy_steps_per_s": round(best.copy_steps_per_s),
        "synaptic_events_per_s": float(f"{events / best.wall_s:.3g}"),
        "mean_rate_hz": round(n_spikes / sim.net.n / (timed_ms * 1e-3), 2),
    }
    if args.fresh:
        import tempfile

        with tempfile.TemporaryDirectory() as cache:
            kw = ", ".join(f"{k}=True" for k in _coba_flags(args))
            for key in ("fresh_process_s", "cached_process_s"):
                out[key] = round(_fresh_process(args.model, args.duration_ms, cache, kw), 2)
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:>24}: {value}")
    return 0


#: what each model is, for the help text
MODEL_HELP = {
    "coba": "Brette et al. (2007) benchmark 1: 4,000 conductance LIF neurons (--stdp, "
    "--plastic-aside)",
    "cuba": "Brette et al. (2007) benchmark 2: 4,000 current LIF neurons",
    "cue_action": "learns which action each cue calls for, from dopamine rewards (--trials)",
    "distal_reward": "Izhikevich (2007): a reward seconds after the spikes that earned it",
    "many": "COBA cut into many small populations (--populations)",
    "microcircuit": "Potjans & Diesmann (2014), 77,169 neurons at full scale (--scale, "
                    "--k-scale, --background)",
    "sensorimotor": "six regions, 26,384 neurons, with a sensory input (--input-hz)",
}  # fmt: skip


def _models_help() -> str:
    return "models:\n" + "\n".join(f"  {name:<14} {MODEL_HELP[name]}" for name in sorted(MODELS))


def make_parser() -> argparse.ArgumentParser:
    """The command line's parser: ``run`` and ``bench``, each option with its help."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="nbbrain",
        description=__doc__.splitlines()[0],
        epilog=_models_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nbbrain {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    kw = {"epilog": _models_help(), "formatter_class": argparse.RawDescriptionHelpFormatter}
    run = sub.add_parser("run", help="run a model and print its rates", **kw)
    run.add_argument("model", choices=sorted(MODELS), help="the model (listed below)")
    run.add_argument("--duration-ms", type=float, default=1000.0,
                     help="biological time to run (default 1000)")  # fmt: skip
    run.add_argument("--seed", type=int, default=None, help="default: the model's own")
    run.add_argument("--raster", help="write a raster plot (PNG) here")
    run.add_argument("--summary", help="write the printed summary here")
    run.add_argument("--rates", help="write a plot of the population rates (PNG) here")
    run.add_argument("--bars", help="write a bar chart of the mean rates (PNG) here")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--window-ms", type=float, default=None,
                     help="the spike monitors keep only the last this many ms (memory "
                          "bounded however long the run; default: every spike)")  # fmt: skip
    run.add_argument("--trials", type=int, default=300, help="cue_action: trials (default 300)")
    run.add_argument("--curve", help="cue_action: write the learning curve (PNG) here; "
                     "distal_reward: the weights over time")  # fmt: skip
    run.set_defaults(func=cmd_run)
    bench = sub.add_parser("bench", help="speed figures of a model", **kw)
    bench.add_argument("model", choices=sorted(MODELS), help="the model (listed below)")
    bench.add_argument("--duration-ms", type=float, default=1000.0,
                       help="biological time of the timed run (default 1000)")  # fmt: skip
    bench.add_argument("--seed", type=int, default=None, help="default: the model's own")
    bench.add_argument("--repeat", type=int, default=None,
                       help="builds and runs; the fastest run is reported (default 3; "
                       "microcircuit 1)")  # fmt: skip
    bench.add_argument("--pieces", type=int, default=1,
                       help="cut each timed run into this many and report the fastest piece "
                            "(default 1)")  # fmt: skip
    bench.add_argument("--warmup-ms", type=float, default=None,
                       help="run this first, untimed (default 0; microcircuit 100)")  # fmt: skip
    bench.add_argument(
        "--fresh",
        action="store_true",
        help="also time a new process with an empty and a warm numba cache",
    )
    bench.add_argument(
        "--batch", type=int, default=1, help="copies of the brain run at once (default 1)"
    )
    bench.add_argument("--json", action="store_true", help="one line of JSON")
    bench.set_defaults(func=cmd_bench)
    for p in (run, bench):
        p.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
        p.add_argument("--backend", choices=["cpu", "cuda"], default="cpu",
                       help="cpu (default) or cuda (an NVIDIA GPU, numba-cuda)")  # fmt: skip
        p.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="microcircuit: fraction of the neurons (default 1, full scale)",
        )
        p.add_argument(
            "--k-scale",
            type=float,
            default=1.0,
            help="microcircuit: fraction of the in-degrees (default 1)",
        )
        p.add_argument("--stdp", action="store_true",
                       help="coba: STDP on the excitatory-to-excitatory synapses")  # fmt: skip
        p.add_argument("--plastic-aside", action="store_true",
                       help="coba: static, beside a small plastic projection apart")  # fmt: skip
        p.add_argument("--background", choices=["dc", "poisson"], default="dc",
                       help="microcircuit: background input (default dc)")  # fmt: skip
        p.add_argument("--populations", type=int, default=500,
                       help="many: populations the 25,000 neurons are cut into (default "
                       "500)")  # fmt: skip
        p.add_argument(
            "--input-hz",
            type=float,
            default=10.0,
            help="rate of the random sensory input, where the model has one",
        )
    return parser


def main(argv=None):
    args = make_parser().parse_args(argv)
    try:
        check_args(args)
        return args.func(args)
    except (UsageError, ValueError, TypeError, NotImplementedError) as e:
        # (a value nbbrain refuses: its message names it; no traceback)
        print(f"nbbrain {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
