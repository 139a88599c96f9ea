"""
The Potjans-Diesmann microcircuit
=================================

The cortical microcircuit of Potjans & Diesmann (2014), here at a tenth of its neurons,
each with its full in-degree (``scale=0.1``: 7,717 neurons), beside the rates the
full-scale model gives in NEST. A tenth of the network is not the full one: its rates
differ (``nbbrain run microcircuit --bars bars.png`` runs the full scale, 77,169 neurons).
"""

import matplotlib.pyplot as plt
import numpy as np

import nbbrain as nb
from nbbrain.presets.microcircuit import FULL_MEAN_RATES, POPULATIONS

sim = nb.presets.microcircuit(scale=0.1).build()
sim.run(duration_ms=100.0)  # (the start)
result = sim.run(duration_ms=300.0)
rates = [result.rate_hz(p) for p in POPULATIONS]
print(result.summary())

fig, ax = plt.subplots(figsize=(6, 3))
x = np.arange(len(POPULATIONS))
ax.bar(x - 0.2, rates, 0.4, label="nbbrain, scale 0.1")
ax.bar(x + 0.2, FULL_MEAN_RATES, 0.4, label="published (full scale, NEST)")
ax.set_xticks(x, POPULATIONS, rotation=45)
ax.set_ylabel("rate (Hz)")
ax.legend()
fig.tight_layout()
