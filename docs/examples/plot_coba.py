"""
COBA: the conductance-based benchmark
=====================================

Brette et al. (2007), benchmark 1: 3,200 excitatory and 800 inhibitory conductance LIF
neurons with 2 % random connectivity, in their asynchronous irregular state.
"""

import matplotlib.pyplot as plt
import numpy as np

import nbbrain as nb
from nbbrain.monitors.statistics import cv_isi

sim = nb.presets.coba(seed=1).build()
result = sim.run(duration_ms=500.0)
print(result.summary())

fig, ax = plt.subplots(figsize=(7, 3))
for k, name in enumerate(["exc", "inh"]):
    t, i = sim.spikes(name)
    keep = i < 200
    ax.scatter(t[keep], i[keep] + 220 * k, s=1, marker="|", label=name)
ax.set_xlabel("time (ms)")
ax.set_ylabel("neuron (200 of each)")
ax.set_title("COBA, 500 ms")
ax.legend(loc="upper right")
fig.tight_layout()

# %%
# The ISI coefficient of variation is close to 1 in this regime.
t, i = sim.spikes("exc")
print(f"mean ISI CV of exc: {np.nanmean(cv_isi(t, i, 3200)):.2f}")
