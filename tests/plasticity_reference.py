"""Plain-numpy float64 references of NEST's plastic synapses, event by event, from given
spike times: the semantics the plasticity kernels must keep.

Each function takes one synapse's presynaptic spike times, its postsynaptic neuron's spike
times (ms; and a modulator's, where the rule reads one), its delay and its parameters in
NEST's names, and returns the weight sent with each presynaptic spike (what NEST's
``weight_recorder`` records). As in NEST, the whole delay is dendritic unless said otherwise:
the synapse sees a presynaptic spike at its time and a postsynaptic spike one delay after it.
``stdp`` also takes a dendritic fraction ``f`` of the delay ``d`` (PyNN's
``dendritic_delay_fraction``): the synapse then sees a presynaptic spike ``(1 - f) d`` after
it and a postsynaptic one ``f d`` after it (``f = 0``: Brian2's axonal delay). Where the
synapse sees a pre- and a postsynaptic spike at the same time, the postsynaptic one comes
first and neither counts the other (NEST), except with no dendritic delay (``f = 0``): then
the presynaptic one comes first and the postsynaptic one counts it (Brian2's order; the
presynaptic spike's input arrives at that time and may cause the postsynaptic one).
Checked against NEST 3.10 (``tests/data/nest_plasticity.json``,
``docs/benchmarks/nest_plasticity.py``).
"""

from __future__ import annotations

import math

import numpy as np


def post_trace(post_ms, t, tau_minus):
    """NEST's ``get_K_value(t)``: the sum of ``exp(-(t - t_post) / tau_minus)`` over the
    postsynaptic spikes strictly before ``t``."""
    before = np.asarray(post_ms)[np.asarray(post_ms) < t - 1e-9]
    return float(np.exp(-(t - before) / tau_minus).sum())


def nearest_post_trace(post_ms, t, tau_minus):
    """The nearest-neighbour form: ``exp(-(t - t_last) / tau_minus)`` of the last
    postsynaptic spike strictly before ``t`` (0 without one)."""
    before = np.asarray(post_ms)[np.asarray(post_ms) < t - 1e-9]
    return float(math.exp(-(t - before[-1]) / tau_minus)) if before.size else 0.0


def _posts_between(post_ms, lo, hi, delay):
    """Postsynaptic spikes that the synapse sees in (lo, hi]: those with ``lo < t + delay <=
    hi``, in order; with no dendritic delay, in [lo, hi) (a presynaptic spike comes before
    a postsynaptic one at its time: see ``stdp``)."""
    seen = np.asarray(post_ms) + delay
    if delay == 0:
        return seen[(seen > lo - 1e-9) & (seen < hi - 1e-9)]
    return seen[(seen > lo + 1e-9) & (seen <= hi + 1e-9)]


def stdp(pre_ms, post_ms, delay, tau_plus, lambda_, alpha, mu_plus, mu_minus, Wmax, weight,
         tau_minus, nearest=False, dendritic_fraction=1.0, gain=None):  # fmt: skip
    """NEST's ``stdp_synapse`` (``nearest``: ``stdp_nn_symm_synapse``): at each presynaptic
    spike the synapse sees, facilitation for each postsynaptic spike it has seen since the
    last one, then depression by the postsynaptic trace as the synapse sees it; the weight
    stays in [0, Wmax]. ``gain(t)``: a factor of ``lambda_`` at the time a pairing is seen
    (a modulator's gain; for a presynaptic spike with no dendritic delay, before the jumps
    of its step, which the input it brings may cause). Returns the weight at each
    presynaptic spike."""
    lam = (lambda t: lambda_) if gain is None else (lambda t: lambda_ * gain(t))
    early = 1e-6 if dendritic_fraction == 0.0 else 0.0  # (jumps lie on a grid of steps)
    axonal = (1.0 - dendritic_fraction) * delay
    pre_ms = np.asarray(pre_ms) + axonal  # when the synapse sees them
    delay = dendritic_fraction * delay  # (the part of the delay a postsynaptic spike sees)

    def facilitate(w, k, t):
        x = w / Wmax + lam(t) * (1.0 - w / Wmax) ** mu_plus * k
        return min(x, 1.0) * Wmax

    def depress(w, k, t):
        x = w / Wmax - alpha * lam(t) * (w / Wmax) ** mu_minus * k
        return max(x, 0.0) * Wmax

    w, kplus, t_last, sent = weight, 0.0, 0.0, []
    for t in pre_ms:
        for seen in _posts_between(post_ms, t_last, t, delay):
            k = 1.0 if nearest else kplus
            w = facilitate(w, k * math.exp((t_last - seen) / tau_plus), seen)
        trace = nearest_post_trace if nearest else post_trace
        w = depress(w, trace(post_ms, t - delay, tau_minus), t - early)
        sent.append(w)
        kplus = 1.0 if nearest else kplus * math.exp((t_last - t) / tau_plus) + 1.0
        t_last = t
    return np.array(sent)


def tsodyks2(pre_ms, U, u, x, tau_rec, tau_fac, weight):
    """NEST's ``tsodyks2_synapse`` (as of NEST 3.9): the first spike is sent with the initial
    ``x u w``; at each later one, ``x`` recovers from the loss of ``u x`` at the last one and
    ``u`` decays over the interval, ``u`` is incremented, and the spike is sent with
    ``x u w``."""
    t_last, sent = None, []
    for t in pre_ms:
        if t_last is None:
            sent.append(x * u * weight)
            t_last = t
            continue
        h = t - t_last
        x_decay = math.exp(-h / tau_rec)
        u_decay = 0.0 if tau_fac < 1e-10 else math.exp(-h / tau_fac)
        x = 1.0 + (x - x * u - 1.0) * x_decay
        u = U + u * (1.0 - U) * u_decay
        sent.append(x * u * weight)
        t_last = t
    return np.array(sent)


def vogels_sprekeler(pre_ms, post_ms, delay, tau, eta, alpha, Wmax, weight, tau_minus):
    """NEST's ``vogels_sprekeler_synapse``: ``|w|`` grows by ``eta`` times the presynaptic
    trace at each postsynaptic spike (seen one delay later) and by ``eta`` times the
    postsynaptic trace at each presynaptic spike, and shrinks by ``alpha eta`` at each
    presynaptic spike; it stays in [0, |Wmax|] with the sign of ``Wmax``."""

    def facilitate(w, k):
        return math.copysign(min(abs(w) + eta * k, abs(Wmax)), Wmax)

    def depress(w):
        return math.copysign(max(abs(w) - alpha * eta, 0.0), Wmax)

    w, kplus, t_last, sent = weight, 0.0, 0.0, []
    for t in pre_ms:
        for seen in _posts_between(post_ms, t_last, t, delay):
            w = facilitate(w, kplus * math.exp((t_last - seen) / tau))
        w = depress(facilitate(w, post_trace(post_ms, t - delay, tau_minus)))
        sent.append(w)
        kplus = kplus * math.exp((t_last - t) / tau) + 1.0
        t_last = t
    return np.array(sent)


class _Dopamine:
    """The state of one ``stdp_dopamine_synapse`` between events: weight, eligibility ``c``
    (at ``t``) and the dopamine concentration ``n`` (at the last dopamine spike)."""

    def __init__(self, p, dopa_ms):
        self.p, self.dopa = p, list(dopa_ms)
        self.w, self.c, self.n, self.idx = p["weight"], 0.0, 0.0, -1
        self.taus = (p["tau_c"] + p["tau_n"]) / (p["tau_c"] * p["tau_n"])

    def _t_dopa(self):
        return self.dopa[self.idx] if self.idx >= 0 else 0.0

    def _weight(self, c0, n0, minus_dt):
        """The weight after ``-minus_dt`` ms with ``c`` and ``n`` decaying from ``c0``, ``n0``
        (the closed form of ``dw/dt = c (n - b)``), clipped to [Wmin, Wmax]."""
        p = self.p
        self.w -= c0 * (n0 / self.taus * math.expm1(self.taus * minus_dt)
                        - p["b"] * p["tau_c"] * math.expm1(minus_dt / p["tau_c"]))  # fmt: skip
        self.w = min(max(self.w, p["Wmin"]), p["Wmax"])

    def _next_dopa(self):
        minus_dt = self._t_dopa() - self.dopa[self.idx + 1]
        self.idx += 1
        self.n = self.n * math.exp(minus_dt / self.p["tau_n"]) + 1.0 / self.p["tau_n"]

    def advance(self, t0, t1):
        """From ``t0`` to ``t1``, through the dopamine spikes in (t0, t1] (whether a spike at
        ``t1`` comes before or after an event at ``t1`` changes nothing)."""
        p = self.p
        if self.idx + 1 < len(self.dopa) and self.dopa[self.idx + 1] <= t1 + 1e-9:
            n0 = self.n * math.exp((self._t_dopa() - t0) / p["tau_n"])
            self._weight(self.c, n0, t0 - self.dopa[self.idx + 1])
            self._next_dopa()
            while self.idx + 1 < len(self.dopa) and self.dopa[self.idx + 1] <= t1 + 1e-9:
                cd = self.c * math.exp((t0 - self._t_dopa()) / p["tau_c"])
                self._weight(cd, self.n, self._t_dopa() - self.dopa[self.idx + 1])
                self._next_dopa()
            cd = self.c * math.exp((t0 - self._t_dopa()) / p["tau_c"])
            self._weight(cd, self.n, self._t_dopa() - t1)
        else:
            n0 = self.n * math.exp((self._t_dopa() - t0) / p["tau_n"])
            self._weight(self.c, n0, t0 - t1)
        self.c *= math.exp((t0 - t1) / p["tau_c"])


def dopamine_stdp(pre_ms, post_ms, dopa_ms, delay, tau_minus, dendritic_fraction=1.0, **p):
    """NEST's ``stdp_dopamine_synapse`` (Izhikevich 2007; Potjans et al. 2010): pairings
    change the eligibility ``c`` (``+A_plus`` times the presynaptic trace at a postsynaptic
    spike, ``-A_minus`` times the postsynaptic trace at a presynaptic one), and the weight
    follows ``dw/dt = c (n - b)`` in closed form between events, ``n`` the dopamine
    concentration (each dopamine spike adds ``1 / tau_n``). ``dendritic_fraction`` as in
    ``stdp``."""
    pre_ms = np.asarray(pre_ms) + (1.0 - dendritic_fraction) * delay
    delay = dendritic_fraction * delay
    s = _Dopamine(p, dopa_ms)
    kplus, t_last, sent = 0.0, 0.0, []
    for t in pre_ms:
        t0 = t_last
        for seen in _posts_between(post_ms, t_last, t, delay):
            s.advance(t0, seen)
            t0 = seen
            if t - (seen - delay) > 1e-9:  # (not for a pre and post spike at the same time)
                s.c += p["A_plus"] * kplus * math.exp((t_last - t0) / p["tau_plus"])
        s.advance(t0, t)
        s.c -= p["A_minus"] * post_trace(post_ms, t - delay, tau_minus)
        sent.append(s.w)
        kplus = kplus * math.exp((t_last - t) / p["tau_plus"]) + 1.0
        t_last = t
    return np.array(sent)
