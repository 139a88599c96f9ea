"""A plain-numpy float64 reference stepper: the oracle the compiled kernels are compared to.

It restates the contract of docs/architecture.md ("One step") as directly as possible, one
step at a time, in float64 with numpy's exp, from what a user can see of a simulation: the
description's models and their raw parameters (``sim.parameters``: drawn per neuron, never
the build's derived constants), the synapses (``sim.connections``), the initial state
(``sim.state``) and the description's rhythms and Poisson inputs. Its counter-based random
numbers and Poisson tables are an independent numpy implementation of the same
SplitMix64 hash and inversion, keyed as nbbrain keys them. It shares no code with nbbrain.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

import nbbrain as nb

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN, _ODD = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD6E8FEB86659FD93)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hash3(key, a, b):
    """SplitMix64 twice over (key, a, b), vectorised over ``b``."""
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(key) ^ (np.uint64(a) * _GOLDEN))
        return _mix(h ^ (np.asarray(b, np.uint64) * _ODD))


def _mix32(x):
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(0x7FEB352D)
        x = x ^ (x >> np.uint32(15))
        x = x * np.uint32(0x846CA68B)
        return x ^ (x >> np.uint32(16))


def word32(key, a, b, idx):
    """Words ``idx`` of the stream seeded by ``hash3(key, a, b)`` (two rounds of lowbias32
    of the index, offset and masked by the seed's halves)."""
    z = hash3(key, a, b)
    lo, hi = np.uint32(z & np.uint64(0xFFFFFFFF)), np.uint32(z >> np.uint64(32))
    with np.errstate(over="ignore"):
        return _mix32(_mix32(np.asarray(idx, np.uint32) + lo) ^ hi)


def uniform32(key, a, b):
    return (hash3(key, a, b) >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)


def key(*parts):
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def poisson_thresholds(lam, size=256):
    """``floor(P(X <= k) 2**32)`` of Poisson(lam), accumulated in float64 as a CDF walk."""
    thr = np.zeros(size)
    p = math.exp(-lam)
    cdf = p
    for k in range(size - 1):
        thr[k] = min(math.floor(cdf * 4294967296.0), 4294967296.0)
        p = p * lam / (k + 1)
        cdf = cdf + p
    thr[-1] = 4294967296.0
    return thr


def membrane_exact(v, i_const, e_leak, g_leak, c_m, dt):
    v_inf = e_leak + i_const / g_leak
    return v_inf + (v - v_inf) * np.exp(-dt * g_leak / c_m)


def p21(dt, c_m, tau_m, tau_s):
    if np.all(tau_m == tau_s):
        return dt / c_m * np.exp(-dt / tau_m)
    return tau_s * tau_m / (c_m * (tau_m - tau_s)) * (np.exp(-dt / tau_m) - np.exp(-dt / tau_s))


def _copy0(x):
    """Copy 0 of a batch's values (float64)."""
    x = np.asarray(x, np.float64)
    return x[0] if x.ndim == 2 else x


class _Pop:
    """One population's state and parameters in the reference."""

    def __init__(self, sim, name, dt):
        self.name, self.pop = name, sim.populations[name]
        self.model, self.n = self.pop.model, self.pop.n
        self.dt = dt
        self.state = {v: _copy0(sim.state(name, v)) for v in self.model.state}
        is_source = isinstance(self.model, nb.PoissonSource | nb.SpikeSource)
        self.p = {} if is_source else sim.parameters(name)
        self.ref = np.zeros(self.n, np.int64)
        self.inbox = {}  # state variable -> weights arriving this step

    def step(self, i_in, dv_th):
        """integrate, receive, threshold, reset; returns the local indices that spiked."""
        m, s, p, dt = type(self.model).__name__, self.state, self.p, self.dt
        refr = self.ref > 0
        x = {k: self.inbox.get(k, 0.0) for k in s}
        if m == "ConductanceLIF":
            v = s["v"]
            gn = s["g_nmda"] / (1.0 + p["mg_mm"] / 3.57 * np.exp(-0.062 * v))
            g = {"ampa": s["g_ampa"], "gaba_a": s["g_gaba_a"], "nmda": gn,
                 "gaba_b": s["g_gaba_b"], "adapt": s["g_adapt"]}  # fmt: skip
            g_tot = p["g_leak_ns"] + sum(g.values())
            g_e = p["g_leak_ns"] * p["e_leak_mv"] + sum(g[r] * p[f"e_{r}_mv"] for r in g)
            v_inf = (g_e + i_in) / g_tot
            v_new = v_inf + (v - v_inf) * np.exp(-dt * g_tot / p["c_m_pf"])
            s["v"] = np.where(refr, v, v_new)
            for r in g:
                s[f"g_{r}"] = s[f"g_{r}"] * np.exp(-dt / p[f"tau_{r}_ms"]) + x[f"g_{r}"]
            fired = s["v"] > p["v_thresh_mv"] + dv_th
        elif m == "CurrentLIF":
            tau_m = p["c_m_pf"] / p["g_leak_ns"]
            v = membrane_exact(s["v"], i_in, p["e_leak_mv"], p["g_leak_ns"], p["c_m_pf"], dt)
            for r in ("exc", "inh"):
                v = v + p21(dt, p["c_m_pf"], tau_m, p[f"tau_{r}_ms"]) * s[f"i_{r}"]
            s["v"] = np.where(refr, s["v"], v)
            for r in ("exc", "inh"):
                s[f"i_{r}"] = s[f"i_{r}"] * np.exp(-dt / p[f"tau_{r}_ms"]) + x[f"i_{r}"]
            fired = s["v"] > p["v_thresh_mv"] + dv_th
        elif m == "DeltaLIF":
            v = membrane_exact(s["v"], i_in, p["e_leak_mv"], p["g_leak_ns"], p["c_m_pf"], dt)
            s["v"] = np.where(refr, s["v"], v + x["v"])  # input while refractory is lost
            fired = s["v"] >= p["v_thresh_mv"] + dv_th
        elif m == "Izhikevich":
            v, u = s["v"], s["u"]
            i = i_in + s["i_exc"] + s["i_inh"]
            s["v"] = v + dt * (0.04 * v * v + 5.0 * v + 140.0 - u + i)
            s["u"] = u + dt * p["a"] * (p["b"] * v - u)
            for r in ("exc", "inh"):
                s[f"i_{r}"] = s[f"i_{r}"] * np.exp(-dt / p[f"tau_{r}_ms"]) + x[f"i_{r}"]
            fired = s["v"] >= p["v_peak_mv"] + dv_th
        elif m == "DeltaIzhikevich":  # (NEST's izhikevich: the spikes added after the step)
            v, u = s["v"], s["u"]
            s["v"] = v + dt * (0.04 * v * v + 5.0 * v + 140.0 - u + i_in) + x["v"]
            s["u"] = u + dt * p["a"] * (p["b"] * v - u)
            fired = s["v"] >= p["v_peak_mv"] + dv_th
        else:
            raise NotImplementedError(m)
        if "t_ref_ms" in p:
            self.ref = np.maximum(self.ref - 1, 0)
        idx = np.flatnonzero(fired)
        if m in ("Izhikevich", "DeltaIzhikevich"):
            s["v"][idx] = p["c_mv"][idx]
            s["u"][idx] += p["d"][idx]
        else:
            s["v"][idx] = p["v_reset_mv"][idx]
        if m == "ConductanceLIF":
            s["g_adapt"][idx] += p["delta_g_adapt_ns"][idx]
        if "t_ref_ms" in p:
            self.ref[idx] = np.round(p["t_ref_ms"][idx] / dt).astype(np.int64)
        self.inbox = {}
        return idx


def _rhythm(brain, name, step, dt):
    if name not in brain.modulations:
        return 1.0, 0.0
    osc, depth, thr = brain.modulations[name]
    o = brain.oscillators[osc]
    c = np.cos(o.phase_rad + 2 * np.pi * o.freq_hz * step * dt * 1e-3)
    return float(np.float32(1.0 + np.float32(depth) * c)), float(np.float32(-np.float32(thr) * c))


def _synapses(sim, brain):
    """(pre name, pre local, post name, post local, target state var, weight, delay steps)
    of every synapse, from ``sim.connections``."""
    out = []
    for proj in brain.projections:
        c = sim.connections(proj)
        pre_names = np.concatenate([[p.name] * p.n for p in proj.pre])
        pre_local = np.concatenate([np.arange(p.n) for p in proj.pre])
        post_names = np.concatenate([[p.name] * p.n for p in proj.post])
        post_local = np.concatenate([np.arange(p.n) for p in proj.post])
        scale = np.concatenate([_unit_scale(sim, p, proj.receptor, proj.weight_unit)
                                for p in proj.post])  # fmt: skip
        for k in range(c.pre.size):
            post = proj.post[0].model.receptors[proj.receptor].target
            out.append((pre_names[c.pre[k]], pre_local[c.pre[k]], post_names[c.post[k]],
                        post_local[c.post[k]], post, float(np.float32(c.weight[k]
                                                                    * scale[c.post[k]])),
                        int(round(c.delay_ms[k] / brain.dt_ms))))  # fmt: skip
    return out


def _unit_scale(sim, pop, receptor, unit):
    f = pop.model.receptors[receptor].units[unit]
    return sim.parameters(pop.name)[f] if isinstance(f, str) else np.ones(pop.n)


def run_reference(sim, brain, n_steps, *, currents=None, given=None):
    """Run ``n_steps`` from the simulation's current (initial) state, described by
    ``brain``. ``currents``/``given`` map population names to [n_steps, n] arrays of pA /
    spikes. Returns the sorted list of (step, population, local index) spikes and the final
    state ``{name: {var: values}}``."""
    dt = brain.dt_ms
    pops = {name: _Pop(sim, name, dt) for name in sim.populations}
    syn = _synapses(sim, brain)
    by_pre = {}
    for s in syn:
        by_pre.setdefault((s[0], s[1]), []).append(s[2:])
    pending = {}  # step -> list of (post name, local, var, weight)
    pin = _poisson_inputs(brain, dt)
    out = []
    for step in range(n_steps):
        for post, local, var, w in pending.pop(step, []):
            p = pops[post]
            p.inbox.setdefault(var, np.zeros(p.n))[local] += w
        for name, q in pin:
            _add_poisson_input(pops, name, q, step, brain.seed)
        fired_all = {}
        for name, p in pops.items():
            drive, dv_th = _rhythm(brain, name, step, dt)
            model = p.model
            if isinstance(model, nb.PoissonSource):
                u = uniform32(key(brain.seed, "neurons", name), step, np.arange(p.n))
                rate = p.state["rate_hz"].astype(np.float32)
                fired = np.flatnonzero(u < rate * (np.float32(dt) * np.float32(1e-3)
                                                   * np.float32(drive)))  # fmt: skip
            elif isinstance(model, nb.SpikeSource):
                hit = np.zeros(p.n, bool)
                if given and name in given:
                    hit |= given[name][step].astype(bool)
                if model.timed:
                    at = np.round(model.times_ms / dt).astype(int) == step
                    hit[model.indices[at]] = True
                fired = np.flatnonzero(hit)
            else:
                i_ext = currents[name][step] if currents and name in currents else 0.0
                bias = p.p.get("i_bias_pa", 0.0)
                fired = p.step((bias + i_ext) * drive, dv_th)
            fired_all[name] = fired
        for name, fired in fired_all.items():
            for i in fired:
                out.append((step, name, int(i)))
                for post, local, var, w, d in by_pre.get((name, int(i)), []):
                    pending.setdefault(step + d, []).append((post, local, var, w))
    return sorted(out), {name: p.state for name, p in pops.items()}


def _poisson_inputs(brain, dt):
    out = []
    for q in brain.poisson_inputs:
        lam = q.n_sources * q.rate_hz * dt * 1e-3
        m = max(1, math.ceil(lam / 64.0))
        out.append((q.name, (q, m, poisson_thresholds(lam / m))))
    return out


def _add_poisson_input(pops, name, spec, step, seed):
    q, m, thr = spec
    if step < round(q.delay_ms / pops[q.targets[0].name].dt):
        return
    k0 = key(seed, "poisson input", name)
    off = 0
    for target in q.targets:
        p = pops[target.name]
        idx = np.arange(target.n, dtype=np.uint64) + np.uint64(off)
        count = np.zeros(target.n)
        for d in range(m):
            u = word32(k0, step, d, idx)
            count += np.searchsorted(thr, u.astype(np.float64), side="right")
        f = target.model.receptors[q.receptor].units[q.weight_unit]
        w = q.weight * (p.p[f] if isinstance(f, str) else 1.0)
        var = target.model.receptors[q.receptor].target
        p.inbox.setdefault(var, np.zeros(p.n))[:] += np.float32(count * w)
        off += target.n


def reference_spikes(sim):
    """Every recorded spike of a simulation as sorted (step, population, local index)."""
    out = []
    for name in sim.recorded:
        t_ms, idx = sim.spikes(name)
        steps = np.round(t_ms / sim.dt_ms).astype(np.int64)
        out += [(int(s), name, int(i)) for s, i in zip(steps, idx)]
    return sorted(out)
