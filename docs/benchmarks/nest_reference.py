"""Reference traces from NEST 3.10 for testing nbbrain's neuron models against NEST's semantics.

Writes one JSON file (default ``tests/data/nest_reference.json``) with, for each case below,
NEST's spike times and its multimeter samples (every 0.1 ms around a single arrival, every
1 ms for the long runs). All simulations use a
resolution of 0.1 ms and a fresh ``nest.ResetKernel()`` per case. Run it in a Python that has
NEST 3.10 (kept outside nbbrain's environment)::

    python3.13 -m venv ../nest-venv   # any Python 3.13, outside the repository
    ../nest-venv/bin/pip install nest-simulator==3.10.0 numpy
    ../nest-venv/bin/python docs/benchmarks/nest_reference.py --out tests/data/nest_reference.json

Cases (top-level keys of the JSON):

- ``adex``: ``aeif_cond_exp`` in the eight firing patterns of Naud et al. (2008), Table 1 /
  Fig. 4, driven by ``I_e`` from t = 0, starting at V_m = E_L, w = 0, with V_peak = 0 mV (the
  spike cut-off used by the Brian2 example below) and t_ref = 0. V_m and w every 1 ms.
- ``izhikevich``: NEST's ``izhikevich`` (``consistent_integration`` True) in five classes of
  Izhikevich (2003), Fig. 2, with I_e = 10, V_m = c, U_m = b * c.
- ``delta_arrival``: a ``spike_generator`` spike at 10 ms reaching an ``iaf_psc_delta`` (NEST
  defaults) after 1.5 ms, with a weight too small and one large enough to make it spike.
- ``exp_arrival``: the same into an ``iaf_psc_exp`` (tau_syn_ex = 2 ms), weight 100 pA.
- ``iaf_psc_exp_dc``: ``iaf_psc_exp`` with I_e = 400 pA for 200 ms.

Times are in ms as NEST reports them, rounded to 1e-10 ms to drop float noise: a spike's stamp
is the end of the step in which it happened, and a sample at t is the state at the end of the
step that ends at t. Samples run from their interval to the case's end time. V is in mV, w in
pA.

The AdEx parameters (C, gL, EL, VT, DeltaT, a, tauw, b, Vr, I) are those of Brian2's example
``examples/frompapers/Naud_et_al_2008_adex_firing_patterns.py`` (Schmitt & Billaudelle 2022),
which gives Naud et al.'s Table 1 with values "adapted by P. Mueller to match figures", checked
against a second public listing of the eight sets (a plain-NumPy AdEx script); the two agree in
every value. Other copies found online differ for transient spiking (some give I = 350 pA, with
which this NEST model fires 3 spikes and then tonically, not transiently), so that row is the one
to doubt; with I = 180 pA it fires once, at 30.3 ms, and then stays silent.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import nest

DT_MS = 0.1
EVERY_MS = 1.0  # the long traces (AdEx, Izhikevich, DC) are stored every 1 ms
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "nest_reference.json"

# Naud et al. (2008), Table 1, as Brian2's example gives it: C (pF), gL (nS), EL, VT, DeltaT
# (mV), a (nS), tauw (ms), b (pA), Vr (mV), I (pA); then the simulated time (ms) chosen here.
NAUD_2008 = {
    "tonic spiking": (200, 10, -70, -50, 2, 2, 30, 0, -58, 500, 500),
    "adaptation": (200, 12, -70, -50, 2, 2, 300, 60, -58, 500, 500),
    "initial burst": (130, 18, -58, -50, 2, 4, 150, 120, -50, 400, 500),
    "regular bursting": (200, 10, -58, -50, 2, 2, 120, 100, -46, 210, 500),
    "delayed accelerating": (200, 12, -70, -50, 2, -10, 300, 0, -58, 300, 500),
    "delayed regular bursting": (100, 10, -65, -50, 2, -10, 90, 30, -47, 110, 500),
    "transient spiking": (100, 10, -65, -50, 2, 10, 90, 100, -47, 180, 500),
    "irregular spiking": (100, 12, -60, -50, 2, -11, 130, 30, -48, 160, 800),
}

# Izhikevich (2003), Fig. 2: a, b, c, d.
IZHIKEVICH_2003 = {
    "regular spiking": (0.02, 0.2, -65.0, 8.0),
    "intrinsically bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
    "fast spiking": (0.1, 0.2, -65.0, 2.0),
    "low-threshold spiking": (0.02, 0.25, -65.0, 2.0),
}

GENERATOR_SPIKE_MS = 10.0
DELAY_MS = 1.5
# Parameters of iaf_psc_exp read back from NEST (before simulating) for the JSON.
IAF_PSC_EXP_KEYS = (
    "C_m",
    "tau_m",
    "t_ref",
    "E_L",
    "V_reset",
    "V_th",
    "V_m",
    "I_e",
    "tau_syn_ex",
    "tau_syn_in",
)


def t_ms(t):
    return round(float(t), 10)


def reset():
    """Fresh kernel at 0.1 ms, errors only."""
    nest.ResetKernel()
    # NEST 3.10 keeps set_verbosity for backward compatibility and warns about it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        nest.set_verbosity("M_ERROR")
    nest.resolution = DT_MS


def record(node, t_sim, recordables=("V_m",)):
    """Simulate ``t_sim`` ms; return spike times and each recordable every 0.1 ms to t_sim."""
    sr = nest.Create("spike_recorder")
    nest.Connect(node, sr)
    mm = nest.Create("multimeter", params={"interval": DT_MS, "record_from": list(recordables)})
    nest.Connect(mm, node)
    # The multimeter's sample at t arrives one step later: run one step past t_sim, then trim.
    nest.Simulate(t_sim + DT_MS)
    end = t_sim + DT_MS / 2
    spikes = [t_ms(t) for t in sr.events["times"] if t < end]
    ev = mm.events
    keep = ev["times"] < end
    samples = {k: [float(v) for v in ev[k][keep]] for k in recordables}
    times = [t_ms(t) for t in ev["times"][keep]]
    assert len(times) == round(t_sim / DT_MS) and times[0] == DT_MS and times[-1] == t_sim
    return spikes, times, samples


def every(samples):
    """The samples at every ``EVERY_MS`` (from EVERY_MS on), rounded to 1e-6: the long traces
    are kept coarse, so that the file stays small."""
    k = round(EVERY_MS / DT_MS)
    return [round(float(x), 6) for x in samples[k - 1 :: k]]


def adex_cases():
    out = {}
    for name, (c, g_l, e_l, v_t, d_t, a, tau_w, b, v_r, i, t_sim) in NAUD_2008.items():
        reset()
        params = {
            "C_m": float(c),
            "g_L": float(g_l),
            "E_L": float(e_l),
            "V_th": float(v_t),
            "Delta_T": float(d_t),
            "a": float(a),
            "tau_w": float(tau_w),
            "b": float(b),
            "V_reset": float(v_r),
            "V_peak": 0.0,
            "t_ref": 0.0,
            "I_e": float(i),
            "V_m": float(e_l),
            "w": 0.0,
        }
        node = nest.Create("aeif_cond_exp", params=params)
        spikes, _, s = record(node, float(t_sim), ("V_m", "w"))
        out[name] = {
            "params": params,
            "t_sim_ms": float(t_sim),
            "spikes_ms": spikes,
            "v_every_ms": EVERY_MS,
            "v_mv": every(s["V_m"]),
            "w_pa": every(s["w"]),
        }
    return out


def izhikevich_cases(t_sim=500.0):
    out = {}
    for name, (a, b, c, d) in IZHIKEVICH_2003.items():
        reset()
        params = {
            "a": a,
            "b": b,
            "c": c,
            "d": d,
            "I_e": 10.0,
            "V_th": 30.0,
            "consistent_integration": True,
            "V_m": c,
            "U_m": b * c,
        }
        node = nest.Create("izhikevich", params=params)
        spikes, _, s = record(node, t_sim)
        out[name] = {"params": params, "t_sim_ms": t_sim, "spikes_ms": spikes,
                     "v_every_ms": EVERY_MS, "v_mv": every(s["V_m"])}  # fmt: skip
    return out


def arrival(model, weight, t_sim, params=None, keys=()):
    """One generator spike at 10 ms into a fresh ``model`` node after the delay.

    Returns the target's parameters ``keys`` (read before simulating), its spikes, the sample
    times and V_m.
    """
    reset()
    gen = nest.Create("spike_generator", params={"spike_times": [GENERATOR_SPIKE_MS]})
    target = nest.Create(model, params=params or {})
    target_params = {k: float(target.get(k)) for k in keys}
    nest.Connect(gen, target, syn_spec={"weight": weight, "delay": DELAY_MS})
    spikes, times, s = record(target, t_sim)
    return target_params, spikes, times, s["V_m"]


def delta_arrival_case(t_sim=20.0):
    out = {"generator_spike_ms": GENERATOR_SPIKE_MS, "delay_ms": DELAY_MS}
    for key, weight in (("small", 2.0), ("large", 20.0)):
        _, spikes, times, v = arrival("iaf_psc_delta", weight, t_sim)
        out[key] = {"weight_mv": weight, "t_ms": times, "v_mv": v}
        if key == "large":
            out[key]["target_spikes_ms"] = spikes
        else:
            assert not spikes, "the small weight must not make the target spike"
    return out


def exp_arrival_case(t_sim=50.0, weight=100.0):
    params, _, times, v = arrival(
        "iaf_psc_exp", weight, t_sim, {"tau_syn_ex": 2.0}, IAF_PSC_EXP_KEYS
    )
    return {
        "generator_spike_ms": GENERATOR_SPIKE_MS,
        "delay_ms": DELAY_MS,
        "weight_pa": weight,
        "params": params,
        "t_ms": times,
        "v_mv": v,
    }


def iaf_psc_exp_dc_case(t_sim=200.0):
    reset()
    node = nest.Create("iaf_psc_exp", params={"I_e": 400.0})
    params = {k: float(node.get(k)) for k in IAF_PSC_EXP_KEYS}
    spikes, _, s = record(node, t_sim)
    return {
        "params": params,
        "spikes_ms": spikes,
        "v_every_ms": EVERY_MS,
        "v_mv": every(s["V_m"]),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON file ({DEFAULT_OUT})")
    args = p.parse_args(argv)

    data = {
        "nest_version": nest.__version__,
        "dt_ms": DT_MS,
        "adex": adex_cases(),
        "izhikevich": izhikevich_cases(),
        "delta_arrival": delta_arrival_case(),
        "exp_arrival": exp_arrival_case(),
        "iaf_psc_exp_dc": iaf_psc_exp_dc_case(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
