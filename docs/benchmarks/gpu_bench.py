"""nbbrain's CUDA backend on this machine's GPU: correctness against the CPU, then speed.

Prints, for the GPU (numba-cuda; ``pip install 'nbbrain[cuda]'``):

1. a correctness check: a small conductance network (COBA, 400 neurons) on the CPU and on
   the GPU, both kernel paths (one block; cooperative grid): the spikes must agree (the
   float sums of GPU atomics may in principle flip a spike; the first differing step is
   printed if they do);
2. COBA (Brette et al. 2007, 4,000 neurons, dt 0.1 ms) for 1 s of biological time: run
   time and real-time factor, on each kernel path;
3. the sensorimotor brain (``nb.presets.sensorimotor()``, dt 1 ms): timesteps per second;
4. COBA scaling with a fixed in-degree of 80 (``connectivity="indegree"``) from 4,000 to
   1,000,000 neurons: wall time per biological second and synaptic events per second
   (spikes times their out-degree, over run time);
5. the Potjans & Diesmann (2014) cortical microcircuit at full scale (77,169 neurons, 0.3
   billion synapses, DC background): build time and real-time factor of 1 s after 0.1 s
   of warm-up, as ``nbbrain bench microcircuit`` measures it on the CPU.

Goals on an H100: COBA 4k at least 10x faster than real time; sensorimotor at least 20,000
steps/s; COBA 1M at least 1e9 synaptic events/s; the microcircuit a real-time factor of at
most 0.1. Every run is timed after a warm-up run (the
kernels compile at build; ``compile_s`` is printed). A line of JSON ends the output::

    python docs/benchmarks/gpu_bench.py
    python docs/benchmarks/gpu_bench.py --sizes 4000 64000 --duration-ms 500
    NBBRAIN_CUDA_BLOCK_MAX_NEURONS=100000 python docs/benchmarks/gpu_bench.py  # block path longer
    NUMBA_ENABLE_CUDASIM=1 python docs/benchmarks/gpu_bench.py --smoke  # the script itself, no GPU
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import nbbrain as nb
from nbbrain import config
from nbbrain.backends.cuda import backend as cuda_backend

GOALS = {
    "coba_4k_realtime_factor": 0.1,
    "sensorimotor_steps_per_s": 20_000,
    "coba_1m_events_per_s": 1e9,
    "microcircuit_realtime_factor": 0.1,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration-ms", type=float, default=1000.0, help="biological time of each timed run (1000)"
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[4000, 16000, 64000, 250_000, 1_000_000],
        help="COBA sizes for the scaling runs",
    )
    parser.add_argument("--sensorimotor-steps", type=int, default=20_000)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and durations: checks the script (e.g. under "
        "NUMBA_ENABLE_CUDASIM=1), measures nothing",
    )
    return parser.parse_args(argv)


def device_name():
    cuda = cuda_backend.check_available()
    if cuda_backend._simulated():
        return "CUDA simulator (NUMBA_ENABLE_CUDASIM=1): timings mean nothing"
    dev = cuda.get_current_device()
    free, total = cuda.current_context().get_memory_info()
    name = dev.name.decode() if isinstance(dev.name, bytes) else dev.name
    return f"{name}, compute capability {dev.compute_capability}, {total / 2**30:.0f} GiB"


def with_path(path, fn):
    """``fn()`` (a build) with the kernel path forced ("block", "grid") or left to the
    brain's size ("auto")."""
    before = config.CUDA_PATH
    config.CUDA_PATH = path
    try:
        return fn()
    finally:
        config.CUDA_PATH = before


def spikes_of(sim):
    out = []
    for name in sorted(sim.recorded):
        t_ms, idx = sim.spikes(name)
        steps = np.round(t_ms / sim.dt_ms).astype(np.int64)
        out += [(s, name, i) for s, i in zip(steps.tolist(), idx.tolist())]
    return sorted(out)


def correctness(n_neurons, n_steps):
    """Spikes of a small COBA network on the CPU and on both GPU paths."""
    cpu = nb.presets.coba(n_neurons=n_neurons, seed=3).build()
    cpu.run(n_steps=n_steps)
    expected = spikes_of(cpu)
    out = {"n_neurons": n_neurons, "n_steps": n_steps, "cpu_spikes": len(expected)}
    for path in ("block", "grid"):
        gpu = with_path(
            path, lambda: nb.presets.coba(n_neurons=n_neurons, seed=3).build(backend="cuda")
        )
        gpu.run(n_steps=n_steps)
        got = spikes_of(gpu)
        differ = sorted(set(got) ^ set(expected))
        out[path] = {
            "same_spikes": got == expected,
            "first_differing_step": differ[0][0] if differ else None,
            "max_abs_dv_mv": float(np.abs(gpu.state("exc", "v") - cpu.state("exc", "v")).max()),
        }
    return out


def timed_run(make, duration_ms, path="auto"):
    """Build ``make()`` on the GPU (its kernel path chosen at build), run a warm-up tenth,
    then time ``duration_ms``."""
    sim = with_path(path, lambda: make().build(backend="cuda"))
    sim.run(duration_ms=max(sim.dt_ms, round(duration_ms / 10, 6)))
    res = sim.run(duration_ms=duration_ms)
    return sim, res


def coba(duration_ms, n_neurons=4000):
    out = {}
    for path in ("block", "grid"):
        sim, res = timed_run(
            lambda: nb.presets.coba(n_neurons=n_neurons, seed=1), duration_ms, path
        )
        out[path] = {
            "run_s": round(res.wall_s, 4),
            "realtime_factor": round(res.realtime_factor, 4),
            "rate_hz": round(res.rate_hz("exc"), 2),
            "compile_s": round(sim.compile_s, 2),
        }
    return out


def sensorimotor(n_steps):
    if not hasattr(nb.presets, "sensorimotor"):
        return None
    brain = nb.presets.sensorimotor()
    sim = brain.build(backend="cuda")
    sim.run(n_steps=max(1, n_steps // 10))
    res = sim.run(n_steps=n_steps)
    path = "grid" if sim.backend_object.grid_path else "block"
    return {
        "n_neurons": sim.net.n,
        "n_synapses": sim.net.n_synapses,
        "path": path,
        "steps_per_s": round(res.steps_per_s),
        "compile_s": round(sim.compile_s, 2),
    }


def scaling(sizes, duration_ms):
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        sim, res = timed_run(
            lambda n=n: nb.presets.coba(n_neurons=n, seed=1, record=False, connectivity="indegree"),
            duration_ms,
        )
        degree = np.diff(sim.net.row_ptr)
        events = sum(
            res.spike_counts[name] * degree[sim.net.lo[k] : sim.net.hi[k]].mean()
            for k, name in enumerate(sim.net.names)
        )
        bio_s = res.duration_ms * 1e-3
        path = "grid" if sim.backend_object.grid_path else "block"
        rows.append(
            {
                "n_neurons": n,
                "n_synapses": sim.net.n_synapses,
                "path": path,
                "wall_per_bio_s": round(res.wall_s / bio_s, 4),
                "events_per_s": float(f"{events / res.wall_s:.3g}"),
                "rate_hz": round(res.rate_hz("exc"), 2),
                "build_s": round(sim.build_s, 1),
                "total_s": round(time.perf_counter() - t0, 1),
            }
        )
        print(
            f"  {n:>9,} neurons [{path}]: {rows[-1]['wall_per_bio_s']:.3f} s per biological s, "
            f"{rows[-1]['events_per_s']:.3g} events/s, {rows[-1]['rate_hz']} Hz",
            flush=True,
        )
    return rows


def microcircuit(duration_ms, warmup_ms, scale=1.0):
    """The PD14 microcircuit (``scale`` of its neurons and in-degrees) on the GPU."""
    sim = nb.presets.microcircuit(scale=scale, k_scale=min(1.0, scale)).build(backend="cuda")
    sim.run(duration_ms=warmup_ms)
    res = sim.run(duration_ms=duration_ms)
    return {
        "n_neurons": sim.net.n,
        "n_synapses": sim.net.n_synapses,
        "path": "grid" if sim.backend_object.grid_path else "block",
        "build_s": round(sim.build_s, 2),
        "compile_s": round(sim.compile_s, 2),
        "realtime_factor": round(res.realtime_factor, 4),
        "mean_rate_hz": round(sum(res.spike_counts.values()) / sim.net.n / duration_ms * 1e3, 2),
    }


def main(argv=None):
    args = parse_args(argv)
    if args.smoke:
        args.duration_ms, args.sizes, args.sensorimotor_steps = 2.0, [200, 400], 3
    print("device:", device_name(), flush=True)
    report = {}
    check = correctness(100 if args.smoke else 400, 20 if args.smoke else 2000)
    report["correctness"] = check
    for path in ("block", "grid"):
        c = check[path]
        print(
            f"correctness [{path}]: {'same spikes as the CPU' if c['same_spikes'] else 'DIFFERENT'}"
            f" ({check['cpu_spikes']} spikes, max |dv| {c['max_abs_dv_mv']:.2g} mV)",
            flush=True,
        )
    report["coba_4k"] = coba(args.duration_ms, 400 if args.smoke else 4000)
    for path, r in report["coba_4k"].items():
        print(
            f"COBA 4k, {args.duration_ms:g} ms [{path}]: {r['run_s']:.3f} s, real-time factor "
            f"{r['realtime_factor']:.3f} ({1 / r['realtime_factor']:.1f}x faster than real "
            f"time), {r['rate_hz']} Hz",
            flush=True,
        )
    report["sensorimotor"] = None if args.smoke else sensorimotor(args.sensorimotor_steps)
    if report["sensorimotor"]:
        r = report["sensorimotor"]
        print(
            f"sensorimotor ({r['n_neurons']:,} neurons) [{r['path']}]: "
            f"{r['steps_per_s']:,} steps/s",
            flush=True,
        )
    else:
        print("sensorimotor: skipped (no nb.presets.sensorimotor, or --smoke)")
    print("COBA scaling, in-degree 80:", flush=True)
    report["scaling"] = scaling(args.sizes, args.duration_ms)
    if args.smoke:
        report["microcircuit"] = microcircuit(args.duration_ms, 1.0, scale=0.01)
    else:
        report["microcircuit"] = microcircuit(1000.0, 100.0)
    r = report["microcircuit"]
    print(
        f"microcircuit ({r['n_neurons']:,} neurons, {r['n_synapses']:,} synapses) [{r['path']}]: "
        f"build {r['build_s']} s, real-time factor {r['realtime_factor']}, "
        f"{r['mean_rate_hz']} Hz",
        flush=True,
    )

    best_4k = min(r["realtime_factor"] for r in report["coba_4k"].values())
    goals = {"coba_4k_realtime_factor": (best_4k, best_4k <= GOALS["coba_4k_realtime_factor"])}
    if report["sensorimotor"]:
        sps = report["sensorimotor"]["steps_per_s"]
        goals["sensorimotor_steps_per_s"] = (sps, sps >= GOALS["sensorimotor_steps_per_s"])
    big = [r for r in report["scaling"] if r["n_neurons"] >= 1_000_000]
    if big:
        ev = big[-1]["events_per_s"]
        goals["coba_1m_events_per_s"] = (ev, ev >= GOALS["coba_1m_events_per_s"])
    if not args.smoke:
        mc = report["microcircuit"]["realtime_factor"]
        goals["microcircuit_realtime_factor"] = (mc, mc <= GOALS["microcircuit_realtime_factor"])
    for name, (value, ok) in goals.items():
        print(f"goal {name}: {value:g} (goal {GOALS[name]:g}): {'met' if ok else 'NOT met'}")
    report["goals"] = {k: {"value": v, "met": ok} for k, (v, ok) in goals.items()}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
