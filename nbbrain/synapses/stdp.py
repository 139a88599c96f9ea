"""``STDP``: NEST's ``stdp_synapse`` (Guetig et al. 2003), all-to-all pairing, or nearest-
neighbour pairing (NEST's ``stdp_nn_symm_synapse``) with ``nearest=True``.

With ``w`` in [0, ``w_max``] (the projection's unit) and ``K+``, ``K-`` the pre- and
postsynaptic traces (each spike adds 1, or sets 1 for nearest pairing; they decay with
``tau_plus_ms`` and ``tau_minus_ms``):

- a postsynaptic spike facilitates: ``w/w_max += lambda_ (1 - w/w_max)**mu_plus K+``;
- a presynaptic spike depresses: ``w/w_max -= alpha lambda_ (w/w_max)**mu_minus K-``;

clipped to [0, w_max] (``mu = 0``: additive; ``mu = 1``: multiplicative). The presynaptic
spike then carries the new weight. ``tau_minus_ms`` is a parameter of the postsynaptic
neuron in NEST; here it is the rule's. As in NEST, nearest pairing starts as if the
presynaptic neuron had spiked at time 0 (``K+`` starts at 1).

``modulator=name`` gives the amplitudes a gain: ``lambda_`` is multiplied by
``max(0, 1 + n)`` at each pairing, ``n`` the concentration of that modulator
(``Brain.add_modulator``; acetylcholine, noradrenaline) at that step: at 0 the rule is
NEST's, above it learns faster, below (a dip, ``n < 0``) slower, down to not at all.

Additive facilitation (``mu_plus = 0``) on a projection whose synapses share one dendritic
delay (0 included: the delays all axonal, as in Brian2) is *deferred*: a postsynaptic spike
then changes no synapse, only its neuron's numbers, and each synapse applies the
facilitation of the postsynaptic spikes since its last presynaptic one at its next (or
when its weight is read or set). The sum of
a synapse's facilitations between two presynaptic spikes is ``lambda_ K+(t0) S`` with

    S = sum over the postsynaptic spikes t in (t0, T] of  g(t) exp(-(t - t0) / tau_plus)

(``t0`` the last presynaptic event, ``g`` the gain): each spike adds ``g(t) exp(-(t - E) /
tau_plus)`` to its neuron's sum ``P`` (``E`` the start of the current epoch, a stretch of
steps over which ``tau_plus`` and ``tau_minus`` decay at most ``exp(-EPOCH_DECAY)``), the
synapse keeps ``P`` as of ``t0``, and ``S`` is the difference times ``exp((t0 - E) /
tau_plus)``. The traces are kept scaled to ``E`` in the same way (``K+(t0) exp((t0 - E) /
tau_plus)`` in the synapse's record, ``K-`` per neuron, since the synapses share its
postsynaptic spikes at one delay): between spikes they are constant, and a presynaptic
spike's updates read the same tables' entries for all its synapses. At each epoch's start
every such synapse applies what it has gathered and starts anew (``carry``): ``P``
restarts from 0 and the traces are scaled to the new start, so that a difference never
loses more than ``exp(EPOCH_DECAY)`` times the rounding of a sum. Clipping at ``w_max``
once for the sum is clipping at each spike, since facilitations are all of one sign. The
weights are NEST's up to rounding.
"""

import numpy as np

from ..jit import forced_inline, inner
from ..neurons.base import Param
from .base import PlasticityRule, positive, required
from .traces import DECAY_STEPS, W, exp_near, exp_steps, pair_traces, store_traces

#: how far the traces decay over an epoch of deferred facilitation, at most (see above)
EPOCH_DECAY = 16.0


class STDP(PlasticityRule):
    # (the rule as users see it: the module's text up to the derivation of deferred
    # facilitation)
    __doc__ = __doc__.split("\n\nAdditive facilitation")[0] + "\n"
    parameters = {
        "tau_plus_ms": positive(20.0, "presynaptic trace time constant"),
        "tau_minus_ms": positive(20.0, "postsynaptic trace time constant"),
        "lambda_": Param(0.01, 0.0, doc="learning rate (step size of facilitation)"),
        "alpha": Param(1.0, 0.0, doc="depression relative to facilitation"),
        "mu_plus": Param(1.0, 0.0, doc="weight dependence of facilitation (0: additive)"),
        "mu_minus": Param(1.0, 0.0, doc="weight dependence of depression (0: additive)"),
        "w_max": required("largest weight (the projection's unit)", 0.0, strict=True),
    }
    synapse_state = {"k_plus": 0.0, "k_minus": 0.0}

    def __init__(self, nearest: bool = False, modulator: str | None = None, **values):
        if modulator is not None and (not isinstance(modulator, str) or not modulator):
            raise TypeError(f"STDP: modulator must be None or the name of a modulator "
                            f"(Brain.add_modulator), got {modulator!r}")  # fmt: skip
        self.nearest = bool(nearest)
        self.modulator, self.modulated = modulator, modulator is not None
        super().__init__(**values)

    @property
    def kind_name(self):
        return "stdp_nearest" if self.nearest else "stdp"

    def constants(self, dt_ms, tau_mod_ms=None):
        p = self.params
        # (and 1 / w_max, for deferred facilitation)
        return np.array([p["tau_plus_ms"], p["tau_minus_ms"], p["lambda_"], p["alpha"],
                         p["mu_plus"], p["mu_minus"], p["w_max"], 1.0 / p["w_max"]])  # fmt: skip

    def weight_range(self):
        return (0.0, self.w_max)

    def decays(self, dt_ms, tau_mod_ms=None):
        # (K+, K-, the growths that undo their decays, for deferred facilitation; the
        # modulator)
        out = [(dt_ms / self.tau_plus_ms, "exp"), (dt_ms / self.tau_minus_ms, "exp"),
               (-dt_ms / self.tau_plus_ms, "exp"), (-dt_ms / self.tau_minus_ms, "exp")]  # fmt: skip
        return out + ([(dt_ms / tau_mod_ms, "exp")] if self.modulated else [])

    def initial(self):
        return np.array([1.0 if self.nearest else 0.0, 0.0])

    def defers(self, dendritic_steps) -> bool:
        """Whether facilitation is deferred (see above) on a projection whose synapses all
        have the dendritic delay ``dendritic_steps`` (None: not all the same)."""
        return self.mu_plus == 0.0 and dendritic_steps is not None

    def epoch_steps(self, dt_ms) -> int:
        """The steps of an epoch of deferred facilitation."""
        tau_ms = min(self.tau_plus_ms, self.tau_minus_ms)
        return int(max(1, min(DECAY_STEPS**2 - 1, EPOCH_DECAY * tau_ms / dt_ms)))

    def __repr__(self):
        out = super().__repr__()[:-1] + (", nearest=True" if self.nearest else "")
        return out + (f", modulator={self.modulator!r})" if self.modulated else ")")


@inner
def _power(x, mu):
    return 1.0 if mu == 0.0 else (x if mu == 1.0 else x**mu)


@inner
def gain(tab, rate, T, ht, hn, hl, m):
    """The amplitudes' gain at step ``T``: ``max(0, 1 + n)``, ``n`` the concentration of
    modulator ``m`` (its history: the last change at step ``ht[m, hl[m] - 1]``, no later
    than ``T``, to ``hn[m, hl[m] - 1]``)."""
    last = hl[m] - 1
    n = hn[m, last]
    if n != 0.0:
        n *= exp_steps(tab, rate, 4, T - ht[m, last])
    return max(0.0, 1.0 + n)


@inner
def on_pre(p, tab, rate, T, rec, k, scale, nearest, g):
    """(``g``: the gain, 1 without a modulator)"""
    kp, km, pending = pair_traces(rec, k, T, tab, rate, 0, 1, nearest)
    w_max = p[6]
    r = rec[k, W] / w_max
    r = max(r - p[3] * p[2] * g * _power(r, p[5]) * km, 0.0)
    rec[k, W] = r * w_max
    store_traces(rec, k, T, 1.0 if nearest else kp + 1.0, km, pending)
    return rec[k, W] * scale


@inner
def on_post(p, tab, rate, T, rec, k, nearest, g):
    kp, km, _pending = pair_traces(rec, k, T, tab, rate, 0, 1, nearest)
    w_max = p[6]
    r = rec[k, W] / w_max
    r = min(r + p[2] * g * _power(1.0 - r, p[4]) * kp, 1.0)
    rec[k, W] = r * w_max
    store_traces(rec, k, T, kp, km, 1)


# Deferred facilitation (see above). ``post[s, r]``: neuron ``r``'s numbers for the group in
# slot ``s``: (P, K- just before its last spike, K- just after it, the step of that spike),
# both K- scaled to the epoch's first step ``E`` (``K-(t) = post * exp(-(t - E) /
# tau_minus)``: constant between spikes). A synapse's record holds its weight, its K+ scaled
# in the same way, and P as of its last presynaptic event. Tables: row 2 is the growth
# ``exp(h dt / tau_plus)``, row 3 ``exp(h dt / tau_minus)``. ``new_epoch`` (the kernels)
# brings every number and record to the next epoch, so that no growth exceeds an epoch's.


@inner
def arrive(tab, T, post, s, r, nearest, g, E):
    """A postsynaptic spike reaches the synapses onto ``r`` at ``T`` (``g``: the gain)."""
    post[s, r, 0] += g * exp_near(tab, 0, T - E)
    post[s, r, 1] = post[s, r, 2]
    up = exp_near(tab, 3, T - E)
    post[s, r, 2] = up if nearest else post[s, r, 2] + up
    post[s, r, 3] = np.float64(T)


@inner
def restart(tab, span, post, s, r):
    """Bring neuron ``r``'s numbers to the next epoch, ``span`` steps on: K- scaled to it,
    ``P`` anew."""
    d = exp_near(tab, 1, span)
    post[s, r, 0] = 0.0
    post[s, r, 1] *= d
    post[s, r, 2] *= d


@inner
def _facilitated(p, rec, k, post_s, r):
    """Synapse ``k``'s weight over ``w_max`` with the facilitation it has gathered
    (``post_s``: the numbers of its group's slot, ``post[s]``)."""
    return min(rec[k, W] * p[7] + p[2] * rec[k, 1] * (post_s[r, 0] - rec[k, 2]), 1.0)


@inner
def gather(p, rec, k, post, s, r):
    """Apply synapse ``k``'s gathered facilitation (it gathers anew from here)."""
    rec[k, W] = _facilitated(p, rec, k, post[s], r) * p[6]
    rec[k, 2] = post[s, r, 0]


@inner
def carry(p, tab, span, rec, k, post, s, r):
    """``gather``, and bring synapse ``k``'s record to the next epoch, ``span`` steps on."""
    gather(p, rec, k, post, s, r)
    rec[k, 1] *= exp_near(tab, 0, span)
    rec[k, 2] = 0.0


@inner
def spike_factors(p, tab, T, E, g):
    """What the synapses that defer share at a presynaptic spike at ``T`` (``g``: the
    gain): (``K-``'s decay and ``K+``'s growth since ``E``, depression's amplitude)."""
    return exp_near(tab, 1, T - E), exp_near(tab, 2, T - E), p[3] * p[2] * g


@forced_inline  # (in a loop of its own: ``cpu/plastic.py``)
def on_pre_deferred(p, rec, k, keep, post_s, r, T, decay, growth, amp):
    """``on_pre`` where facilitation is deferred (``decay``, ``growth``, ``amp``: the
    spike's ``spike_factors``; ``keep``: 1 where K+ adds up, 0 where a spike sets it, for
    nearest pairing; ``post_s``: the numbers of the group's slot, ``post[s]``)."""
    x = _facilitated(p, rec, k, post_s, r)
    km = post_s[r, 1] if np.int64(post_s[r, 3]) == T else post_s[r, 2]
    x = max(x - amp * _power(x, p[5]) * (km * decay), 0.0)
    rec[k, W] = x * p[6]
    rec[k, 1] = keep * rec[k, 1] + growth  # (exact for keep 0 and 1, fused or not)
    rec[k, 2] = post_s[r, 0]
    return rec[k, W]
