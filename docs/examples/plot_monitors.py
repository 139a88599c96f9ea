"""
Bounded monitors on a long run
==============================

A ring of the last 200 ms of spikes of ten neurons, and the population rate of the whole
run in 10 ms bins: the memory the monitors hold stays bounded however long the run.
"""

import matplotlib.pyplot as plt

import nbbrain as nb

brain = nb.presets.cuba(n_neurons=1000, seed=3, record=False)  # (no other monitors)
brain.record_spikes("exc", indices=range(10), window_ms=200.0)
brain.record_rate(["exc", "inh"], bin_ms=10.0)
sim = brain.build()
held = []
for _ in range(5):
    sim.run(duration_ms=400.0)
    held.append(sim.memory()["recorded_bytes"] / 1024)
print("monitors hold (KiB) after each 400 ms:", [round(h) for h in held])

fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 4.5))
t, i = sim.spikes("exc")
top.scatter(t, i, s=4, marker="|")
top.set_xlim(0, sim.t_ms)
top.set_ylabel("neuron")
top.set_title("spikes kept by the ring: the last 200 ms")
bins, rate = sim.rate(["exc", "inh"])
bottom.plot(bins, rate)
bottom.set_xlabel("time (ms)")
bottom.set_ylabel("rate (Hz)")
bottom.set_title("population rate, the whole run")
fig.tight_layout()
