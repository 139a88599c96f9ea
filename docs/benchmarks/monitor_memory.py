"""Resident memory over a long run of the sensorimotor brain, with its spike monitors kept
whole or as a ring of the last ``--window-ms``.

The brain runs ``--minutes`` of biological time in pieces of ``--piece-s``; after each piece
the script writes one CSV row: biological time (s), wall time (s), the process's resident
memory (RSS, MiB, from psutil) and the bytes the monitors hold. A population-rate monitor
(``record_rate``, 100 ms bins: 8 bytes per population per bin) on every region runs
alongside, so the rates keep a full time axis whatever the window.

Usage::

    python docs/benchmarks/monitor_memory.py --window-ms 10000 --csv ring.csv
    python docs/benchmarks/monitor_memory.py --window-ms 0 --csv whole.csv   # unbounded
    python docs/benchmarks/monitor_memory.py --plot ring.csv whole.csv --out rss.png
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np
import psutil


def measure(minutes, piece_s, window_ms, path):
    import nbbrain as nb
    from nbbrain.presets.sensorimotor import REGIONS, SENSORY

    brain = nb.presets.sensorimotor(seed=0)
    if window_ms > 0:
        brain.record_spikes(list(REGIONS) + [SENSORY], window_ms=window_ms)
    brain.record_rate(list(REGIONS), bin_ms=100.0)
    sim = brain.build()
    proc, t0 = psutil.Process(), time.perf_counter()
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["t_s", "wall_s", "rss_mib", "recorded_mib"])
        for _ in range(int(round(minutes * 60 / piece_s))):
            sim.run(duration_ms=piece_s * 1e3)
            out.writerow([f"{sim.t_ms * 1e-3:.0f}", f"{time.perf_counter() - t0:.1f}",
                          f"{proc.memory_info().rss / 2**20:.1f}",
                          f"{sim.memory()['recorded_bytes'] / 2**20:.1f}"])  # fmt: skip
            fh.flush()
    t, r = sim.rate("cortex")
    print(f"{path}: {sim.t_ms / 6e4:.0f} min, cortex {np.nanmean(r):.2f} Hz over {t.size} bins")


def plot(paths, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for path in paths:
        rows = np.genfromtxt(path, delimiter=",", names=True)
        ax.plot(rows["t_s"] / 60, rows["rss_mib"], label=path.rsplit("/", 1)[-1])
    ax.set_xlabel("biological time (min)")
    ax.set_ylabel("resident memory (MiB)")
    ax.set_title("sensorimotor brain, spike monitors on every region")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=60.0, help="biological time (60)")
    p.add_argument("--piece-s", type=float, default=60.0, help="seconds per run call (60)")
    p.add_argument("--window-ms", type=float, default=10000.0,
                   help="spike monitors keep the last this many ms (0: everything)")  # fmt: skip
    p.add_argument("--csv", default="rss.csv")
    p.add_argument("--plot", nargs="+", help="plot these CSV files instead of measuring")
    p.add_argument("--out", default="rss.png")
    args = p.parse_args()
    if args.plot:
        plot(args.plot, args.out)
    else:
        measure(args.minutes, args.piece_s, args.window_ms, args.csv)


if __name__ == "__main__":
    main()
