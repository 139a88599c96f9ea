"""Record NEST 3.10's plastic synapses driven by given spike trains, for the plasticity tests.

Writes ``tests/data/nest_plasticity.json``: for each case, the rule's parameters, the pre-
and postsynaptic spike times (and the modulator's, where the rule reads one), the delay and,
for every presynaptic spike, the weight NEST sent with it (``weight_recorder``), which
``tests/plasticity_reference.py`` must reproduce.

Each case connects two ``parrot_neuron``s (each repeating the spikes of its own
``spike_generator``); the plastic synapse goes to receptor 1 of the postsynaptic parrot, which
archives spikes for STDP and ignores the input there. Spike times below are the parrots',
read back from spike recorders. Every other connection has a delay of one step, so that
NEST's minimum delay, and with it the interval at which its volume transmitter updates the
dopamine synapses, is one step: with a longer one, ``stdp_dopamine_synapse`` may apply a
postsynaptic spike that the synapse sees in the same interval as a presynaptic one, but after
it, before that presynaptic spike's depression.

Run it in NEST's interpreter (a Python 3.13 virtualenv with ``nest-simulator==3.10.0``)::

    $NBBRAIN_NEST_PYTHON docs/benchmarks/nest_plasticity.py [--out tests/data/nest_plasticity.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nest
import numpy as np

DT = 0.1
T_SIM_MS = 2000.0

#: case -> (NEST synapse model, synapse parameters, postsynaptic parrot parameters)
STDP = dict(tau_plus=20.0, alpha=1.1, mu_plus=0.0, mu_minus=0.0, Wmax=10.0, weight=4.0)
CASES = {
    "stdp additive": ("stdp_synapse", {**STDP, "lambda": 0.05}, dict(tau_minus=30.0)),
    "stdp multiplicative": (
        "stdp_synapse",
        {
            **STDP,
            "lambda": 0.1,
            "tau_plus": 15.0,
            "alpha": 0.9,
            "mu_plus": 1.0,
            "mu_minus": 1.0,
            "Wmax": 5.0,
            "weight": 2.5,
        },
        dict(tau_minus=20.0),
    ),  # fmt: skip
    "stdp guetig": (
        "stdp_synapse",
        {
            **STDP,
            "lambda": 0.08,
            "alpha": 1.0,
            "mu_plus": 0.4,
            "mu_minus": 0.4,
            "Wmax": 3.0,
            "weight": 1.5,
        },
        dict(tau_minus=20.0),
    ),  # fmt: skip
    "stdp nearest": (
        "stdp_nn_symm_synapse",
        {**STDP, "lambda": 0.05, "alpha": 1.0},
        dict(tau_minus=20.0),
    ),  # fmt: skip
    "tsodyks2 depressing": (
        "tsodyks2_synapse",
        dict(U=0.5, u=0.5, x=1.0, tau_rec=400.0, tau_fac=0.0, weight=10.0),
        {},
    ),
    "tsodyks2 facilitating": (
        "tsodyks2_synapse",
        dict(U=0.1, u=0.1, x=1.0, tau_rec=100.0, tau_fac=500.0, weight=10.0),
        {},
    ),
    "vogels-sprekeler": (
        "vogels_sprekeler_synapse",
        dict(tau=20.0, eta=0.01, alpha=0.12, Wmax=20.0, weight=5.0),
        dict(tau_minus=20.0),
    ),
    "dopamine stdp": (
        "stdp_dopamine_synapse",
        dict(
            A_plus=0.05,
            A_minus=0.06,
            tau_plus=20.0,
            tau_c=200.0,
            tau_n=100.0,
            b=0.01,
            Wmin=0.0,
            Wmax=20.0,
            weight=5.0,
        ),
        dict(tau_minus=20.0),
    ),  # fmt: skip
}


def trains(seed):
    """Pre, post and modulator spike times (ms, on the grid, generator times) of a case:
    Poisson trains with some near coincidences, so that both orders of pairing occur."""
    rng = np.random.default_rng(seed)

    def poisson(rate_hz):
        steps = np.flatnonzero(rng.random(int(T_SIM_MS / DT) - 20) < rate_hz * DT * 1e-3)
        return (steps + 10) * DT

    pre = poisson(20.0)
    post = np.union1d(poisson(15.0), np.round(pre[::3] + rng.choice([-3.0, 2.0, 5.0]), 1))
    post = post[(post > 1.0) & (post < T_SIM_MS - 2.0)]
    return pre, post, poisson(10.0)


def run_case(name, delay_ms, seed):
    model, syn, post_params = CASES[name]
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": 1})
    pre_t, post_t, mod_t = trains(seed)
    gens = nest.Create("spike_generator", 3, [{"spike_times": t.tolist()}
                                              for t in (pre_t, post_t, mod_t)])  # fmt: skip
    parrots = nest.Create("parrot_neuron", 3)
    nest.SetStatus(parrots[1], post_params)
    for g, p in zip(gens, parrots):
        nest.Connect(g, p, syn_spec={"delay": DT})
    recorders = nest.Create("spike_recorder", 3)
    for p, r in zip(parrots, recorders):
        nest.Connect(p, r)
    wr = nest.Create("weight_recorder")
    params, common = dict(syn), {"weight_recorder": wr}
    if model == "stdp_dopamine_synapse":  # (its parameters are common to all its synapses)
        vt = nest.Create("volume_transmitter")
        nest.Connect(parrots[2], vt, syn_spec={"delay": DT})
        common.update(volume_transmitter=vt, **{k: v for k, v in syn.items() if k != "weight"})
        params = {"weight": syn["weight"]}
    nest.CopyModel(model, "recorded", common)
    nest.Connect(parrots[0], parrots[1],
                 syn_spec={"synapse_model": "recorded", "delay": delay_ms, "receptor_type": 1,
                           **params})  # fmt: skip
    nest.Simulate(T_SIM_MS + 20.0)
    times = [np.round(r.get("events")["times"], 4).tolist() for r in recorders]
    ev = wr.get("events")
    return {
        "model": model,
        "params": syn,
        "post_params": post_params,
        "delay_ms": delay_ms,
        "pre_ms": times[0],
        "post_ms": times[1],
        # (the volume transmitter sees a dopamine spike one connection delay, DT, later)
        "modulator_ms": (
            np.round(np.array(times[2]) + DT, 4).tolist()
            if model == "stdp_dopamine_synapse"
            else []
        ),  # fmt: skip
        "sent_ms": np.round(ev["times"], 4).tolist(),
        "sent_weight": ev["weights"].tolist(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    out = Path(__file__).resolve().parents[2] / "tests" / "data" / "nest_plasticity.json"
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args()
    nest.set_verbosity("M_ERROR")
    cases = {}
    for k, name in enumerate(CASES):
        for delay_ms in (1.0, 3.5):
            cases[f"{name}, delay {delay_ms} ms"] = run_case(name, delay_ms, seed=k)
    meta = {"nest": nest.__version__, "dt_ms": DT, "t_sim_ms": T_SIM_MS}
    args.out.write_text(json.dumps({"meta": meta, "cases": cases}, indent=1) + "\n")
    print(f"{len(cases)} cases -> {args.out}")


if __name__ == "__main__":
    main()
