"""The contract of a neuron model: what a model file declares and the functions it defines.

A neuron model is a subclass of :class:`NeuronModel` in a file of its own. It declares

- ``parameters``: name -> :class:`Param` (the unit is the name's suffix: ``_ms``, ``_mv``,
  ``_ns``, ``_pf``, ``_pa``, ``_hz``, ``_mm``; a default; the valid range);
- ``state``: name -> :class:`State` (unit, initial value: a number or a parameter's name,
  lowest valid value, whether it is optional);
- ``receptors``: name -> :class:`Receptor` (the state variable an arriving weight is added
  to, the weight keywords it takes, their sign);
- ``derive(p, dt_ms)``: the constants computed at build from the parameters (plain numpy:
  each value of ``p`` is a float or, where it differs between neurons, an array);

and four scalar functions of one neuron, which the CPU and the CUDA kernels both compile
and call (with ``s`` the neuron's state and ``c`` its constants, both namedtuples of
float32 by name: every parameter, every derived constant):

- ``integrate(s, c, i_in, refractory)``: the state after one step ``dt``, from its value at
  the start of the step; ``i_in`` is the injected current (pA, bias included, see
  ``bias_parameter``), ``refractory`` whether the neuron is refractory. Returns the new
  state as a tuple in the order of ``state``.
- ``threshold(s, c)``: whether the neuron spikes (at most once per step). A model that
  never spikes (its output is its state) says so with ``spikes = False``: plasticity
  rules that read postsynaptic spikes then refuse it as a target, and it releases no
  modulator.
- ``reset(s, c)``: the state after a spike, as a tuple.
- ``receive(s, c, x, refractory)`` (optional): what arriving input does; ``x`` holds the
  weights arriving at this step, one value per receptor target (in the order of
  ``receptor_targets()``). By default each is added to its target state variable.

One step of a neuron is ``integrate``, then ``receive``, then ``threshold`` and ``reset``:
an input arriving at step t first moves a synaptic variable at t and the membrane at t + 1
(a jump of ``v`` itself appears at t), as in NEST.

Write the functions with float32 arithmetic (``np.float32`` constants) where speed
matters: a float64 literal promotes the computation to float64 (correct, slower). They
must be pure functions of their arguments (no globals that change, no arrays, no random
numbers) so that both backends compile them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.fixed import Fixable
from ..model.units import check_units
from ..model.values import Distribution, check_value

#: unit suffixes of parameter and state names, and what they mean
UNITS = {"_ms": "ms", "_mv": "mV", "_ns": "nS", "_pf": "pF", "_pa": "pA", "_hz": "Hz",
         "_mm": "mM"}  # fmt: skip


@dataclass(frozen=True)
class Param:
    """A parameter: its default and valid range (``low``/``high`` inclusive unless
    ``strict``; ``None`` for no bound); ``doc`` says what it is."""

    default: float
    low: float | None = None
    high: float | None = None
    strict: bool = False
    doc: str = ""

    def expected(self) -> str:
        lo = "" if self.low is None else (f"> {self.low:g}" if self.strict else f">= {self.low:g}")
        hi = "" if self.high is None else f"<= {self.high:g}"
        return " and ".join(x for x in (lo, hi) if x)

    def bad(self, x: np.ndarray) -> np.ndarray:
        """Where the values ``x`` lie outside the range."""
        out = np.zeros(np.shape(x), bool)
        if self.low is not None:
            out |= (x <= self.low) if self.strict else (x < self.low)
        if self.high is not None:
            out |= x > self.high
        return out


@dataclass(frozen=True)
class State:
    """A state variable: ``unit``, initial value ``init`` (a number, the name of a parameter
    whose value it takes, or a function of the parameters), lowest valid value ``low``
    (``set_state`` and restored checkpoints are checked against it), and ``optional``: a
    variable that costs nothing where it is unused. An unused optional variable is the
    constant 0 in the compiled functions, and so are its ``constants`` (the parameters and
    derived constants only it needs), so that the compiler removes its arithmetic. It is in
    use where a projection targets it, its initial value is nonzero or the parameters say so
    (``NeuronModel.activates``). Where populations of one model use different optional
    variables, each of them integrates all those in use (one loop, not one per
    combination): so an optional variable must stay 0 unless it is put in use."""

    unit: str
    init: object = 0.0
    low: float | None = None
    optional: bool = False
    constants: tuple = ()
    doc: str = ""


@dataclass(frozen=True)
class Receptor:
    """A synaptic input: the state variable ``target`` its weights are added to, the weight
    keywords it takes (``units``: keyword -> factor, 1.0 or the name of a parameter of the
    target neuron the weight is multiplied by), and the sign of its weights (+1: >= 0,
    -1: <= 0, 0: any)."""

    target: str
    units: dict
    sign: int = 0


class NeuronModel(Fixable):
    """Base class of neuron models (see the module docstring for the contract).

    An instance holds the values of the parameters for one population: scalars, arrays (one
    value per neuron) or distributions (drawn per neuron at build), e.g.
    ``nb.ConductanceLIF(v_thresh_mv=nb.Normal(-50, 1))``.
    """

    parameters: dict = {}
    state: dict = {}
    receptors: dict = {}
    #: the parameter holding the refractory period in ms (``None``: never refractory)
    refractory_parameter: str | None = None
    #: the parameter a rhythm's ``threshold_mv`` shifts (``None``: not modulable)
    threshold_parameter: str | None = None
    #: the constant current added to injected current (``None``: none); a rhythm's
    #: ``depth`` scales their sum
    bias_parameter: str | None = None
    #: whether the model takes injected current (run inputs, noise currents)
    current_input: bool = True
    #: whether the model can spike (False: its output is its state, e.g. ``EulerLI``)
    spikes: bool = True

    def __init__(self, **params):
        name = type(self).__name__
        unknown = sorted(set(params) - set(self.parameters))
        if unknown:
            raise TypeError(f"{name}: unknown parameter(s) {unknown}; expected some of "
                            f"{sorted(self.parameters)}")  # fmt: skip
        values = {k: p.default for k, p in self.parameters.items()}
        for key, value in params.items():
            values[key] = _check_param(value, self.parameters[key], f"{name}: {key}")
            if not isinstance(values[key], Distribution):
                check_units(key, values[key], name)
        self._check_all(values, name)
        self.params = values

    # ---- the description ----------------------------------------------------------------
    def _check_all(self, values, who):
        """The cross-parameter checks (``check``) on scalars and arrays (distributions are
        checked per neuron at build, once drawn)."""
        fixed = {k: v for k, v in values.items() if not isinstance(v, Distribution)}
        if len(fixed) == len(values):
            self.check(values, who)

    def check(self, p: dict, who: str) -> None:
        """Raise a ValueError where parameters contradict each other (each value a float or
        an array); ``who`` begins the message."""

    @classmethod
    def derive(cls, p: dict, dt_ms: float) -> dict:
        """Constants computed at build from the parameters ``p`` (floats or arrays)."""
        return {}

    def activates(self, p: dict) -> set:
        """Optional state variables that parameter values ``p`` put in use (beyond those a
        projection targets or an initial value makes nonzero)."""
        return set()

    @classmethod
    def receptor_targets(cls) -> tuple:
        """The state variables receptors add to, in order of first appearance: each is an
        input channel (receptors that add to the same variable share it)."""
        out = []
        for r in cls.receptors.values():
            if r.target not in out:
                out.append(r.target)
        return tuple(out)

    @classmethod
    def channel(cls, receptor: str) -> int:
        return cls.receptor_targets().index(cls.receptors[receptor].target)

    def default_state(self, var: str):
        """The initial value of ``var`` where the user gives none."""
        init = self.state[var].init
        if isinstance(init, str):
            return self.params[init]
        return init(self.params) if callable(init) else float(init)

    @property
    def state_vars(self) -> dict:
        """name -> unit of the state variables (what ``record_state`` and ``state`` take)."""
        return {k: s.unit for k, s in self.state.items()}

    def __getattr__(self, key):
        params = self.__dict__.get("params", {})
        if key in params:
            return params[key]
        raise AttributeError(key)

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    # ---- compiled functions (see the module docstring) -----------------------------------
    receive = None  # the default: add each input to its target


def _short(v):
    if isinstance(v, np.ndarray):
        return f"<{v.size} values>"
    return f"{v:g}" if isinstance(v, float) else repr(v)


def _check_param(value, param: Param, what: str):
    """A parameter value: a finite scalar, a 1-D array or a distribution, in range where it
    can be checked now (distributions: once drawn)."""
    if isinstance(value, str):
        raise TypeError(f"{what} must be a number, got {value!r}")
    value = check_value(value, None, what)
    if isinstance(value, Distribution):
        return value
    bad = param.bad(np.asarray(value))
    if np.any(bad):
        x = float(np.atleast_1d(value)[np.atleast_1d(bad)][0])
        raise ValueError(f"{what} must be {param.expected()}, got {x}")
    return value


def check_range(values, param: Param, what: str):
    """``values`` (drawn or given per neuron) against the range of ``param``."""
    bad = param.bad(values)
    if np.any(bad):
        i = int(np.flatnonzero(np.atleast_1d(bad))[0])
        x = float(np.atleast_1d(values)[i])
        raise ValueError(f"{what} must be {param.expected()}, got {x:g} (neuron {i})")


def float32_ok(x) -> bool:
    """Whether values are finite and fit float32 (no overflow to inf)."""
    return float32_problem(x) is None


def float32_problem(x, underflow=False):
    """The first value of ``x`` that is not finite or overflows float32 (and, with
    ``underflow``, that is nonzero but becomes 0 in float32), or None."""
    a = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        bad = ~(np.abs(a) <= np.finfo(np.float32).max)  # (NaN too)
        if underflow:
            bad |= (a != 0) & (a.astype(np.float32) == 0)
    return float(a[bad].flat[0]) if bad.any() else None


def check_below(p, low: str, high: str, who: str):
    """Raise where parameter ``low`` is not below parameter ``high`` (floats or arrays)."""
    a, b = np.broadcast_arrays(np.asarray(p[low], np.float64), np.asarray(p[high], np.float64))
    bad = np.flatnonzero(np.atleast_1d(a >= b))
    if bad.size:
        i = bad[0]
        where = f" (neuron {i})" if a.ndim else ""
        raise ValueError(f"{who}: {low} ({np.atleast_1d(a)[i]}) must be below {high} "
                         f"({np.atleast_1d(b)[i]}){where}")  # fmt: skip


def exp_decay(dt_ms, tau_ms):
    """``exp(-dt / tau)`` (numpy: floats or arrays)."""
    return np.exp(-dt_ms / np.asarray(tau_ms, np.float64))


def tau_m(p):
    return np.asarray(p["c_m_pf"], np.float64) / np.asarray(p["g_leak_ns"], np.float64)


def lif_parameters(c_m_pf, g_leak_ns, e_leak_mv, v_thresh_mv, v_reset_mv, t_ref_ms) -> dict:
    """The parameters of every leaky integrate-and-fire model, with these defaults."""
    pos = dict(low=0.0, strict=True)
    return {
        "c_m_pf": Param(c_m_pf, **pos, doc="membrane capacitance"),
        "g_leak_ns": Param(g_leak_ns, **pos, doc="leak conductance"),
        "e_leak_mv": Param(e_leak_mv, doc="leak reversal potential"),
        "v_thresh_mv": Param(v_thresh_mv, doc="spike threshold"),
        "v_reset_mv": Param(v_reset_mv, doc="reset potential"),
        "t_ref_ms": Param(t_ref_ms, low=0.0, doc="refractory period (whole steps)"),
        "i_bias_pa": Param(0.0, doc="constant injected current"),
    }


class LIFModel(NeuronModel):
    """Base of the leaky integrate-and-fire models (``lif_parameters``): refractory for
    ``t_ref_ms``, a threshold a rhythm can shift, a bias current, a reset below threshold."""

    refractory_parameter = "t_ref_ms"
    threshold_parameter = "v_thresh_mv"
    bias_parameter = "i_bias_pa"

    def check(self, p, who):
        check_below(p, "v_reset_mv", "v_thresh_mv", who)
