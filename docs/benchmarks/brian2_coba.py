"""Brian2 ``cpp_standalone`` baseline for the COBA benchmark.

COBA = Brette et al. (2007) benchmark 1, after Vogels & Abbott (2005): 4000 conductance-based
LIF neurons (3200 excitatory, 800 inhibitory), 2% random connectivity, no external input,
synaptic delay 0.1 ms (one step, as in nbbrain's ``nb.presets.coba``).

Run with the Python of a virtualenv that has ``brian2==2.11.0`` (see README.md), for example
the one that ``NBBRAIN_BRIAN2_PYTHON`` names::

    $NBBRAIN_BRIAN2_PYTHON docs/benchmarks/brian2_coba.py --duration-ms 1000
    path/to/brian2-venv/bin/python docs/benchmarks/brian2_coba.py --duration-ms 1000

``--stdp``: the excitatory-to-excitatory synapses learn by additive STDP as in
``nb.presets.coba(stdp=True)`` (NEST's ``stdp_synapse`` with mu = 0: all-to-all traces of
20 ms, lambda 0.01, alpha 1.05, weights in [0, 12] nS; a presynaptic spike depresses, then
carries the new weight), written as Brian2 writes STDP (event-driven traces per synapse).

Prints one line of JSON on stdout. Timings:

- ``run_s``: ``device._last_run_time``, the wall time of the time-step loop inside the compiled
  binary, measured by Brian2's generated ``Network::run`` (no synapse creation, initialisation
  or file I/O).
- ``binary_s``: ``device.timers["run_binary"]``, wall time of the whole ``main`` binary.
- ``total_s``: wall time of this script from before ``import brian2`` to the end (code
  generation, compilation with ``make -j`` and the run); interpreter start-up is not included.
"""

import argparse
import json
import tempfile
import time

N_EXC, N_INH = 3200, 800

EQS = """
dv/dt = (g_leak*(E_leak - v) + ge*(E_exc - v) + gi*(E_inh - v)) / C_m : volt (unless refractory)
dge/dt = -ge / tau_exc : siemens
dgi/dt = -gi / tau_inh : siemens
"""


# additive STDP with NEST's stdp_synapse semantics (mu = 0): traces per synapse
STDP_MODEL = """
w : siemens
dapre/dt = -apre / tau_plus : 1 (event-driven)
dapost/dt = -apost / tau_minus : 1 (event-driven)
"""
STDP_PRE = """
w = clip(w - alpha * lam * w_max * apost, 0*nS, w_max)
ge_post += w
apre += 1
"""
STDP_POST = """
w = clip(w + lam * w_max * apre, 0*nS, w_max)
apost += 1
"""


def main():
    t_start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads (1 = no OpenMP)")
    parser.add_argument("--build-dir", default=None, help="default: a fresh temporary directory")
    parser.add_argument("--seed", type=int, default=1)
    # -55 mV: many neurons start above threshold, fire together, and the network is silent after
    # ~20 ms. -65 mV (E_leak - 5 mV, as in Brette et al. 2007's Brian script) gives sustained
    # asynchronous irregular activity at ~20 Hz.
    parser.add_argument("--v-mean-mv", type=float, default=-65.0, help="mean initial v (mV)")
    parser.add_argument("--stdp", action="store_true", help="STDP on the E -> E synapses")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="brian2_coba_") as tmp:
        result = run_coba(args, args.build_dir or tmp)
    result["total_s"] = time.perf_counter() - t_start
    print(json.dumps(result))


def run_coba(args, build_dir):
    # Imported here so that total_s includes importing Brian2 (and numpy, sympy, ...).
    import brian2 as b2
    import numpy as np

    b2.set_device("cpp_standalone", build_on_run=False)
    if args.threads > 1:
        b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
    b2.seed(args.seed)  # seeds numpy and the random numbers of the generated C++ code

    n = N_EXC + N_INH
    dt = 0.1 * b2.ms
    b2.defaultclock.dt = dt
    neurons = b2.NeuronGroup(
        n,
        EQS,
        threshold="v > V_thresh",
        reset="v = V_reset",
        refractory=5 * b2.ms,
        method="exponential_euler",
        namespace={
            "C_m": 200 * b2.pF,
            "g_leak": 10 * b2.nS,
            "E_leak": -60 * b2.mV,
            "V_thresh": -50 * b2.mV,
            "V_reset": -60 * b2.mV,
            "E_exc": 0 * b2.mV,
            "E_inh": -80 * b2.mV,
            "tau_exc": 5 * b2.ms,
            "tau_inh": 10 * b2.ms,
        },
    )
    neurons.v = f"(randn()*5 + {args.v_mean_mv})*mV"
    neurons.ge = "clip((randn()*1.5 + 4)*10, 0, inf)*nS"
    neurons.gi = "clip((randn()*12 + 20)*10, 0, inf)*nS"

    # delay = dt (0.1 ms): a spike at step t arrives at step t + 1. nbbrain's COBA preset uses
    # one-step delays (0.1 ms) with the same meaning, so the two now have the same delay.
    exc = neurons[:N_EXC]
    if args.stdp:
        syn_ee = b2.Synapses(exc, exc, STDP_MODEL, on_pre=STDP_PRE, on_post=STDP_POST,
                             delay=dt, namespace={"tau_plus": 20 * b2.ms,
                                                  "tau_minus": 20 * b2.ms, "lam": 0.01,
                                                  "alpha": 1.05, "w_max": 12 * b2.nS})  # fmt: skip
        syn_ee.connect(p=0.02)
        syn_ee.w = "6*nS"
        syn_exc = b2.Synapses(exc, neurons[N_EXC:], on_pre="ge += 6*nS", delay=dt)
        syn_exc.connect(p=0.02)
        excitatory = [syn_ee, syn_exc]
    else:
        syn_exc = b2.Synapses(exc, neurons, on_pre="ge += 6*nS", delay=dt)
        syn_exc.connect(p=0.02)
        excitatory = [syn_exc]
    syn_inh = b2.Synapses(neurons[N_EXC:], neurons, on_pre="gi += 67*nS", delay=dt)
    syn_inh.connect(p=0.02)
    spikes = b2.SpikeMonitor(neurons)

    net = b2.Network(neurons, *excitatory, syn_inh, spikes)
    net.run(args.duration_ms * b2.ms)
    # Generate code, compile and run. build() does not use set_device's directory: pass it here.
    b2.device.build(directory=build_dir, compile=True, run=True)

    # Spike statistics; CV of the ISIs over excitatory neurons with >= 3 spikes.
    t_ms = np.asarray(spikes.t / b2.ms)
    trains = spikes.spike_trains()
    isis = [np.diff(np.asarray(trains[i] / b2.ms)) for i in range(N_EXC)]
    cvs = [isi.std() / isi.mean() for isi in isis if isi.size >= 2]
    return {
        "brian2_version": b2.__version__,
        "duration_ms": args.duration_ms,
        "v_mean_mv": args.v_mean_mv,
        "threads": args.threads,
        "seed": args.seed,
        "n_neurons": n,
        "stdp": args.stdp,
        "n_synapses": sum(len(s) for s in excitatory) + len(syn_inh),
        "n_spikes": t_ms.size,
        "mean_rate_hz": t_ms.size / n / (args.duration_ms / 1000.0),
        "last_spike_ms": float(t_ms.max(initial=0.0)),
        "cv_isi_mean": float(np.mean(cvs)) if cvs else None,
        "run_s": float(b2.device._last_run_time),
        "binary_s": float(b2.device.timers["run_binary"]),
    }


if __name__ == "__main__":
    main()
