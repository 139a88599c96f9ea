"""
A sweep: output rate against input rate
=======================================

``nb.sweep`` runs every point of a grid for several network seeds; the trials of a point
are copies of one batched build (the same synapses, other noise). ``client="serial"`` runs
here; without it, the points go to a dask ``LocalCluster``.
"""

import matplotlib.pyplot as plt
import numpy as np

import nbbrain as nb


def feedforward(rate_hz=300.0, seed=0):
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("in", 50, nb.PoissonSource(rate_hz))
    brain.add_population("out", 100, nb.CurrentLIF())
    brain.connect("in", "out", nb.FixedProbability(0.2), weight_pa=30.0, receptor="exc")
    return brain


rates = [50.0, 100.0, 200.0, 400.0, 800.0]
table = nb.sweep(feedforward, {"rate_hz": rates}, seeds=[1, 2, 3], duration_ms=500.0,
                 trials=2, client="serial", progress=False)  # fmt: skip
out = table.column("rate_hz:out").reshape(len(rates), -1)  # per input rate: seeds x trials

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(rates, out.mean(axis=1), yerr=out.std(axis=1), marker="o")
ax.set_xlabel("input rate per source (Hz)")
ax.set_ylabel("output rate (Hz)")
ax.set_title("3 networks x 2 trials per point")
fig.tight_layout()
print(table)
print(np.round(out, 1))
