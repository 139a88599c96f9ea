"""
STDP in the COBA network
========================

``coba(stdp=True)`` makes the excitatory-to-excitatory synapses plastic: additive STDP as
NEST's ``stdp_synapse`` (pair-based, all-to-all, traces of 20 ms). In the asynchronous
irregular state, pre-before-post and post-before-pre pairs nearly balance; the weights
spread from their common start.
"""

import matplotlib.pyplot as plt

import nbbrain as nb

brain = nb.presets.coba(seed=1, stdp=True)
plastic = next(p.name for p in brain.projections if p.plasticity is not None)
sim = brain.build()
before = sim.connections(plastic).weight.copy()
result = sim.run(duration_ms=1000.0)
after = sim.connections(plastic).weight
print(f"{plastic}: {before.size} synapses, exc {result.rate_hz('exc'):.1f} Hz")
print(f"weights (nS): mean {before.mean():.3f} -> {after.mean():.3f}, sd {after.std():.3f}")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.hist(after, bins=60, label="after 1 s")
ax.axvline(before.mean(), color="k", ls="--", label="before (all equal)")
ax.set_xlabel("weight (nS)")
ax.set_ylabel("synapses")
ax.set_title(f"{plastic}: STDP over 1 s")
ax.legend()
fig.tight_layout()
