"""The Potjans-Diesmann microcircuit over MPI ranks against one process with threads.

Run it the two ways and compare::

    python docs/benchmarks/mpi_microcircuit.py --threads 2            # 1 process x 2 threads
    mpiexec -n 2 python docs/benchmarks/mpi_microcircuit.py           # 2 ranks x 1 thread

Prints, per rank: the build (connectivity; the kernel's compilation apart), 0.1 s of warm-up
then the timed biological time (the real-time factor), the process's peak resident memory
(``VmHWM``) and the synapses it holds; over ranks also the cost of one exchange of spikes
(two ``MPI_Allgather`` calls of the size the run's exchanges had on average, timed alone).
Options: ``--scale`` (1: full scale), ``--k-scale`` (1), ``--t-sim-ms`` (1000),
``--threads`` (1), ``--json FILE`` (every figure, from rank 0).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from compare_nest_microcircuit import peak_rss_mb  # (this folder: the script's own)

import nbbrain as nb


def exchange_cost_us(sim, words, repeats=20000) -> float:
    """Microseconds per exchange of ``words`` int64 words from every rank, as the kernel
    makes it (the lengths, then the messages), on a warm loop."""
    from mpi4py import MPI
    from numba import njit

    from nbbrain.backends.cpu.exchange import _allgather

    @njit
    def loop(n, buf, out, one, lens):
        for _ in range(n):
            one[0] = buf.size
            _allgather(one, 1, lens)
            _allgather(buf, buf.size, out)

    ranks = sim.comm.Get_size()
    buf, out = np.zeros(max(words, 1), np.int64), np.zeros(ranks * max(words, 1), np.int64)
    one, lens = np.zeros(1, np.int64), np.zeros(ranks, np.int64)
    loop(10, buf, out, one, lens)
    MPI.COMM_WORLD.Barrier()
    t0 = time.perf_counter()
    loop(repeats, buf, out, one, lens)
    return (time.perf_counter() - t0) / repeats * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--k-scale", type=float, default=1.0)
    parser.add_argument("--t-sim-ms", type=float, default=1000.0)
    parser.add_argument("--warmup-ms", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    comm = None
    try:
        from mpi4py import MPI

        if MPI.COMM_WORLD.Get_size() > 1:
            comm = MPI.COMM_WORLD
    except ImportError:
        pass
    brain = nb.presets.microcircuit(scale=args.scale, k_scale=args.k_scale)
    sim = brain.build(threads=args.threads, comm=comm)
    sim.run(args.warmup_ms)
    if comm:
        comm.Barrier()
    t0 = time.perf_counter()
    result = sim.run(args.t_sim_ms)
    run_s = time.perf_counter() - t0
    spikes = sum(result.spike_counts[p] for p in sim.net.names)
    mine = {
        "rank": comm.Get_rank() if comm else 0, "ranks": comm.Get_size() if comm else 1,
        "threads": args.threads, "neurons": int(sim.net.n),
        "synapses_here": int(sim.net.syn.size), "build_s": round(sim.build_s, 2),
        "compile_s": round(sim.compile_s, 2), "run_s": round(run_s, 3),
        "realtime_factor": round(run_s / (args.t_sim_ms / 1000), 3),
        "peak_rss_gib": round(peak_rss_mb() / 1024, 2),
        "connectivity_gib": round(sim.memory()["connectivity_bytes"] / 2**30, 2),
        "mean_rate_hz": round(spikes / sim.net.n / (args.t_sim_ms / 1000), 2),
    }  # fmt: skip
    if comm:
        # a message: the part's blocks' counts and its spikes, per step, on average
        steps = sim.steps(args.t_sim_ms)
        n_blocks = int(sim.backend_object.blocks().lo.size) // comm.Get_size()
        words = n_blocks + int(round(spikes / comm.Get_size() / steps))
        mine["exchange_words"] = words
        mine["exchange_us"] = round(exchange_cost_us(sim, words), 2)
        mine["exchange_every_steps"] = int(sim.net.exchange_every)
    every = comm.gather(mine, root=0) if comm else [mine]
    if comm and comm.Get_rank() != 0:
        return
    keys = list(every[0])
    print(" ".join(f"{k:>16}" for k in keys))
    for row in every:
        print(" ".join(f"{row[k]!s:>16}" for k in keys))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(every, fh, indent=1)


if __name__ == "__main__":
    main()
