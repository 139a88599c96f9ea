"""The contract of a plasticity rule: what a rule file declares and the functions it defines.

A rule is a subclass of :class:`PlasticityRule` in a file of its own. It declares

- ``parameters``: name -> :class:`~nbbrain.neurons.base.Param` (NEST's names, with our unit
  suffixes; one value per projection);
- ``synapse_state``: the names of its per-synapse variables besides the weight, with their
  initial values (the columns of the synapse's record after the weight: ``traces.py``);
- ``post_events``: whether a postsynaptic spike changes a synapse (then the build indexes
  the synapses by their target);
- ``post_spikes``: whether the rule reads its targets' spikes at all (``connect`` refuses
  a target that never spikes);
- ``modulated``: whether it reads a neuromodulator (``modulator=`` names it);
- ``constants(dt_ms)``: the float64 vector the compiled functions read (``p``);
- ``decays(dt_ms)``: the decays they read from tables by whole steps (``tab``, ``rate``);

and two scalar functions of one synapse ``k``, which the kernels compile and call when
the synapse sees an event at step ``T``:

- ``on_pre(p, tab, rate, T, rec, k, scale)``: a presynaptic spike arrives at the synapse;
  changes its record ``rec[k]`` (the weight, in the projection's unit, its variables and
  the step of its last event: see ``traces.py``) in place and returns the weight the spike
  carries to the target (``scale``: the presynaptic neuron's share, 1 unless the rule keeps
  state per presynaptic neuron);
- ``on_post(p, tab, rate, T, rec, k)``: a postsynaptic spike arrives at the synapse.

Events of one synapse come in time order. Where a presynaptic and a postsynaptic spike
reach a synapse at the same step, the postsynaptic one comes first and neither counts the
other (NEST's order), except where the synapse's dendritic delay is zero steps: then the
presynaptic one comes first (its input arrives in that step and may cause the
postsynaptic spike) and the postsynaptic one counts it (Brian2's order); it reads the
modulators as they were before that step's jumps, which its input may cause.
"""

from __future__ import annotations

import numpy as np

from ..model.fixed import Fixable
from ..model.units import check_units
from ..neurons.base import Param

#: the compiled rules, by kind (the kernels dispatch on it); the build gives the last two to
#: STDP where it defers facilitation (``stdp.py``)
KINDS = ("stdp", "stdp_nearest", "tsodyks", "tsodyks_pre", "dopamine", "vogels_sprekeler",
         "homeostasis", "stdp_deferred", "stdp_nearest_deferred")  # fmt: skip


class PlasticityRule(Fixable):
    """Base of the plasticity rules: parameters checked and stored at construction."""

    parameters: dict = {}
    synapse_state: dict = {}  # name -> initial value (a number or a parameter's name)
    post_events = True
    post_spikes = True
    modulated = False
    per_presynaptic = False

    def __init__(self, **values):
        name = type(self).__name__
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            raise TypeError(f"{name}: unknown parameter(s) {unknown}; known: "
                            f"{sorted(self.parameters)}")  # fmt: skip
        self.params = {}
        for key in self.parameters:
            self.params[key] = self.checked(key, values.get(key))
            check_units(key, self.params[key], name, stacklevel=4)
        self.check()

    @classmethod
    def checked(cls, key, value) -> float:
        """Parameter ``key``'s value ``value`` (None: its default) as a float, checked."""
        name, spec = cls.__name__, cls.parameters[key]
        value = spec.default if value is None else value
        if value is None:
            raise TypeError(f"{name}: {key} is required ({spec.doc})")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name}: {key} must be a number, got {value!r}")
        value = float(value)
        if not np.isfinite(value) or spec.bad(np.asarray(value)):
            raise ValueError(f"{name}: {key} must be {spec.expected() or 'finite'}, "
                             f"got {value:g}")  # fmt: skip
        return value

    def __getattr__(self, key):
        params = self.__dict__.get("params", {})
        if key in params:
            return params[key]
        raise AttributeError(key)

    def check(self):
        """Checks across parameters (raise ValueError naming them)."""

    @property
    def kind(self) -> int:
        return KINDS.index(self.kind_name)

    kind_name = ""

    def constants(self, dt_ms: float) -> np.ndarray:
        """The vector ``p`` of the compiled functions."""
        raise NotImplementedError

    def decays(self, dt_ms: float, tau_mod_ms: float | None = None) -> list:
        """The decays the compiled functions tabulate by whole steps: (rate per step,
        ``"exp"`` or ``"expm1"``) each (``traces.exp_steps``); ``tau_mod_ms``: the time
        constant of the rule's modulator."""
        raise NotImplementedError

    def weight_range(self) -> tuple:
        """The weights the rule keeps (low, high), in the projection's unit."""
        return (-np.inf, np.inf)

    def initial(self) -> np.ndarray:
        """The initial value of each per-synapse variable."""
        return np.array([self.params[v] if isinstance(v, str) else float(v)
                         for v in self.synapse_state.values()], np.float64)  # fmt: skip

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def required(doc, low=None, strict=False, high=None) -> Param:
    """A parameter without a default."""
    return Param(None, low, high, strict, doc)


def positive(default, doc) -> Param:
    return Param(default, 0.0, None, True, doc)
