"""
Brunel's four regimes
=====================

Brunel (2000), model A: excitatory and inhibitory LIF neurons with delta synapses
(``DeltaLIF``), sparse random connectivity (10 %), a delay of 1.5 ms and Poisson drive.
The relative strength of inhibition ``g`` and the drive ``eta`` (in units of the rate
that brings a neuron to threshold without recurrence) set the regime: synchronous regular
(SR), asynchronous irregular (AI), synchronous irregular fast (SI fast) and slow (SI slow).
Here at 10,000 neurons (Brunel's N_E = 10,000 has 12,500): the four regimes are the four
copies of one batch, built once; ``set_parameter`` gives each copy its own ``g`` (the
inhibitory weight) and ``eta`` (the Poisson drive's rate), and they run together, on
shared connectivity.
"""

import matplotlib.pyplot as plt
import numpy as np

import nbbrain as nb

N_E, N_I, EPSILON = 8000, 2000, 0.1
J_MV, DELAY_MS, TAU_MS, THETA_MV = 0.1, 1.5, 20.0, 20.0
C_E = int(EPSILON * N_E)
NU_THR_HZ = THETA_MV / (J_MV * C_E * TAU_MS * 1e-3)  # the drive that reaches threshold


def brunel(g=5.0, eta=2.0, seed=1):
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.DeltaLIF(
        c_m_pf=250.0,
        g_leak_ns=12.5,
        e_leak_mv=0.0,
        v_thresh_mv=THETA_MV,
        v_reset_mv=10.0,
        t_ref_ms=2.0,
    )  # fmt: skip (tau_m = 20 ms)
    exc = brain.add_population("exc", N_E, cell)
    inh = brain.add_population("inh", N_I, cell)
    for pop in (exc, inh):
        pop.init(v=nb.Uniform(0.0, THETA_MV))
    brain.connect("exc", ["exc", "inh"], nb.FixedIndegree(C_E), weight_mv=J_MV,
                  receptor="exc", delay_ms=DELAY_MS)  # fmt: skip
    brain.connect("inh", ["exc", "inh"], nb.FixedIndegree(int(EPSILON * N_I)),
                  weight_mv=-g * J_MV, receptor="inh", delay_ms=DELAY_MS,
                  name="inhibition")  # fmt: skip
    brain.add_poisson_input(["exc", "inh"], eta * NU_THR_HZ, n_sources=C_E, weight_mv=J_MV,
                            receptor="exc", name="drive")  # fmt: skip
    brain.record_spikes("exc")
    return brain


REGIMES = {"SR (g=3, eta=2)": (3.0, 2.0), "AI (g=5, eta=2)": (5.0, 2.0),
           "SI fast (g=6, eta=4)": (6.0, 4.0), "SI slow (g=4.5, eta=0.9)": (4.5, 0.9)}  # fmt: skip
g, eta = (np.array(v) for v in zip(*REGIMES.values()))
sim = brunel().build(batch=len(REGIMES))  # (one build: the copies share the synapses)
sim.set_parameter("inhibition", "weight_mv", -g * J_MV)
sim.set_parameter("drive", "rate_hz", eta * NU_THR_HZ)
sim.run(duration_ms=200.0)  # (past the start)
result = sim.run(duration_ms=200.0)
fig, axes = plt.subplots(4, 2, figsize=(9, 9), gridspec_kw={"width_ratios": [3, 1]})
for copy, (title, (left, right)) in enumerate(zip(REGIMES, axes)):
    t, i = sim.spikes("exc", copy=copy, since_ms=200.0)
    keep = i < 50
    left.scatter(t[keep], i[keep], s=2, marker="|")
    left.set_title(f"{title}: {result.rate_hz('exc')[copy]:.1f} Hz", fontsize=9)
    left.set_xlim(200, 400)
    counts, edges = np.histogram(t, bins=np.arange(200.0, 400.1, 1.0))
    right.plot(edges[:-1], counts / N_E / 1e-3, lw=0.6)
    right.set_xlim(300, 350)
    right.set_title("population rate (Hz), 1 ms bins", fontsize=8)
axes[-1, 0].set_xlabel("time (ms)")
axes[-1, 1].set_xlabel("time (ms)")
fig.tight_layout()
