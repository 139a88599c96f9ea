"""A plain-numpy float64 reference stepper: the oracle the compiled kernels are compared to.

It reads the built network (parameters, CSR, initial state) and restates the contract of
DESIGN.md section 1 as directly as possible, one step at a time, in float64 with numpy's
exp. It shares no code with the kernels except the layout constants; its counter-based
random numbers are an independent numpy implementation of the same SplitMix64 hash.
"""

from __future__ import annotations

import numpy as np

from nbbrain.kernels import layout as L

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_GOLDEN, _ODD = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD6E8FEB86659FD93)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniform32(key, a, b):
    """Same bits as nbbrain.kernels.rng.uniform32, vectorised over ``b``."""
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(key) ^ (np.uint64(a) * _GOLDEN))
        h = _mix(h ^ (np.asarray(b, np.uint64) * _ODD))
    return (h >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)


def run_reference(net, n_steps, *, currents=None, given=None):
    """Run ``n_steps`` from the network's initial state. ``currents``/``given`` map a
    population index to a [n_steps, n] array of pA / spikes. Returns the list of spikes
    as (step, global index) pairs, sorted, and the final v."""
    dt = net.dt_ms
    n = net.n
    v = net.v.astype(np.float64)
    g = net.g.astype(np.float64)
    ref = net.ref.astype(np.int64)
    rate = net.rate.astype(np.float32)
    ring = np.zeros((net.n_slots, net.n_channels, n))
    post = net.target % n
    chan = net.target // n
    out = []
    for step in range(n_steps):
        slot = step % net.n_slots
        g[: net.n_channels] += ring[slot]
        ring[slot] = 0.0
        spiking = []
        for k in range(len(net.names)):
            lo, hi = net.lo[k], net.hi[k]
            f = net.fpar[k].astype(np.float64)
            kind = net.ipar[k, L.I_KIND]
            sl = slice(lo, hi)
            drive, dv_th = 1.0, 0.0
            if net.mod_osc[k] >= 0:  # rhythm: phase from the step count
                o = net.mod_osc[k]
                phase = net.osc_phase[o] + 2 * np.pi * net.osc_freq[o] * step * dt * 1e-3
                c = np.cos(phase)
                drive = float(np.float32(1.0 + net.mod_depth[k] * c))
                dv_th = float(np.float32(-net.mod_thr[k] * c))
            if kind in (L.COND_LIF, L.CUR_LIF):
                i_ext = currents[k][step] if currents and k in currents else 0.0
                i_in = (f[L.F_IBIAS] + i_ext) * drive
                if kind == L.COND_LIF:
                    gs = g[:, sl].copy()
                    gs[2] = gs[2] / (1.0 + f[L.F_MG] * np.exp(-0.062 * v[sl]))
                    e = f[L.F_E0 : L.F_E0 + 4, None]
                    g_tot = f[L.F_GL] + gs.sum(0)
                    v_inf = (f[L.F_GL] * f[L.F_EL] + (gs * e).sum(0) + i_in) / g_tot
                    v_new = v_inf + (v[sl] - v_inf) * np.exp(-dt / f[L.F_CM] * g_tot)
                    channels = 4
                else:
                    # exact: the currents decay within the step (iaf_psc_exp's propagators)
                    v_inf = f[L.F_EL] + i_in / f[L.F_GL]
                    v_new = v_inf + (v[sl] - v_inf) * np.exp(-dt * f[L.F_GL] / f[L.F_CM])
                    tau_m = f[L.F_CM] / f[L.F_GL]
                    for c in range(2):
                        tau_s = -dt / np.log(f[L.F_DEC0 + c])
                        p21 = (tau_s * tau_m / (f[L.F_CM] * (tau_m - tau_s))
                               * (np.exp(-dt / tau_m) - np.exp(-dt / tau_s)))  # fmt: skip
                        v_new = v_new + p21 * g[c, sl]
                    channels = 2
                refractory = ref[sl] > 0
                v[sl] = np.where(refractory, v[sl], v_new)
                ref[sl] = np.maximum(ref[sl] - 1, 0)
                for c in range(channels):
                    g[c, sl] *= f[L.F_DEC0 + c]
                fired = lo + np.flatnonzero(v[sl] > f[L.F_VTH] + dv_th)
                v[fired] = f[L.F_VRESET]
                ref[fired] = net.ipar[k, L.I_REF_STEPS]
            elif kind == L.POISSON:
                u = uniform32(net.pop_key[k], step, np.arange(hi - lo))
                p = rate[sl] * ((np.float32(dt) * np.float32(1e-3)) * np.float32(drive))
                fired = lo + np.flatnonzero(u < p)
            else:
                fired = lo + np.flatnonzero(given[k][step]) if given and k in given else []
            spiking.extend(int(i) for i in fired)
        for i in spiking:
            out.append((step, i))
            for s in range(net.row_ptr[i], net.row_ptr[i + 1]):
                ring[(slot + int(net.delay[s])) % net.n_slots, chan[s], post[s]] += net.weight[s]
    return sorted(out), v
