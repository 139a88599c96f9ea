"""The user's description of a brain: populations, regions, projections, inputs and monitors.

Everything here is plain Python and numpy. Each method checks its arguments completely
before it changes anything, so a call that raises leaves the brain as it was.
``Brain.build`` hands the description to ``nbbrain.assemble`` and a backend to make a
simulation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..neurons.base import NeuronModel
from ..neurons.sources import PoissonSource, Source, SpikeSource
from .connectivity import Rule
from .units import check_units
from .values import Distribution, TimedArray, _finite, check_int, check_value, whole_steps

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
WEIGHT_UNITS = ("weight_ns", "weight_pa", "weight_mv")
#: the longest delay (steps) the synapse words hold
MAX_DELAY_STEPS = 65535
#: the largest mean count of a Poisson input in one step into one neuron (the kernels draw
#: it in pieces: a larger one would take a step for ever)
MAX_POISSON_PER_STEP = 1e4


def delay_steps(ms, dt_ms, rounding="round"):
    """Delays in ms to whole steps. Values within 1e-6 of a whole step are that step (so
    that 0.3 / 0.1 = 2.9999999999999996 is 3 under every rounding); "round" takes halves
    up (0.25 ms at dt 0.1 is 3 steps)."""
    with np.errstate(over="ignore", invalid="ignore"):  # (a huge delay: inf, refused later)
        steps = np.asarray(ms, np.float64) / dt_ms
        near = np.floor(steps + 0.5)
        on_grid = np.abs(steps - near) <= 1e-6 * np.maximum(1.0, near)
    rounded = {"round": near, "floor": np.floor(steps), "ceil": np.ceil(steps)}[rounding]
    return np.where(on_grid, near, rounded)


def check_rate(rate, n, dt_ms, what):
    """Poisson source rates: >= 0 and at most one spike per step (the upper bound of a
    distribution where it has one)."""
    if isinstance(rate, TimedArray):
        if rate.values.ndim == 2 and rate.values.shape[1] not in (1, n):
            raise ValueError(f"{what}: a TimedArray of shape {rate.values.shape} needs 1 or "
                             f"{n} columns")  # fmt: skip
        rate.steps_per_value(dt_ms, what)
        lo, hi = float(rate.values.min()), float(rate.values.max())
    elif isinstance(rate, Distribution):
        lo, hi = rate.low, rate.high
    else:
        arr = np.atleast_1d(rate)
        if arr.size not in (1, n):
            raise ValueError(f"{what} array must have length {n}, got {arr.size}")
        lo, hi = float(arr.min()), float(arr.max())
    if lo is not None and lo < 0:
        raise ValueError(f"{what} must be >= 0, got {lo}")
    if hi is not None and hi * dt_ms * 1e-3 > 1:
        raise ValueError(f"{what}={hi} exceeds one spike per step ({1e3 / dt_ms:g} Hz at "
                         f"dt_ms={dt_ms})")  # fmt: skip


def check_seed(seed, what) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{what} must be an integer, got {seed!r}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"{what} must be in [0, 2**63), got {seed}")
    return int(seed)


def valid_name(name) -> bool:
    """Whether ``name`` can name a population, region, projection or modulator."""
    return isinstance(name, str) and bool(_NAME.match(name))


def _check_name(name, what):
    if not valid_name(name):
        raise ValueError(
            f"{what} name must be a non-empty string of letters, digits, '_' or '-' "
            f"(starting with a letter or '_'), got {name!r}"
        )


class Population:
    """A contiguous group of ``n`` neurons of one model. Made by ``Brain.add_population``."""

    def __init__(self, brain, name: str, n: int, model: NeuronModel):
        self.brain, self.name, self.n, self.model = brain, name, n, model
        self.initial: dict = {}

    def init(self, **values) -> Population:
        """Set initial values of state variables: scalar, array of length ``n`` or a
        distribution, e.g. ``pop.init(v=nb.Normal(-65, 5), g_ampa=40.0)``."""
        checked = {}
        for var, value in values.items():
            if var not in self.model.state:
                raise ValueError(
                    f"population {self.name!r}: unknown state variable {var!r}; "
                    f"{type(self.model).__name__} has {sorted(self.model.state)}"
                )
            checked[var] = check_value(value, self.n, f"population {self.name!r}: {var}")
            low = self.model.state[var].low
            if low is not None and not isinstance(checked[var], Distribution):
                if np.any(np.asarray(checked[var]) < low):
                    raise ValueError(f"population {self.name!r}: {var} must be >= {low:g}")
            if var == "rate_hz":
                if isinstance(self.model, PoissonSource) and self.model.timed:
                    raise ValueError(f"population {self.name!r}: its rates come from a "
                                     "TimedArray; rate_hz cannot be set")  # fmt: skip
                check_rate(checked[var], self.n, self.brain.dt_ms,
                           f"population {self.name!r}: {var}")  # fmt: skip
        self.initial.update(checked)
        return self

    def __repr__(self):
        return f"Population({self.name!r}, {self.n}, {self.model!r})"


class Region:
    """A named group of populations; its populations are called ``"region.pop"``."""

    def __init__(self, brain, name):
        self.brain, self.name = brain, name

    def add_population(self, name: str, n: int, model: NeuronModel) -> Population:
        _check_name(name, "population")
        return self.brain._add_population(f"{self.name}.{name}", n, model)

    @property
    def populations(self) -> list[Population]:
        return [p for p in self.brain.populations.values() if p.name.startswith(self.name + ".")]

    def __repr__(self):
        return f"Region({self.name!r}, {[p.name for p in self.populations]})"


@dataclass(eq=False)
class Projection:
    """Synapses from the concatenation of the ``pre`` populations to that of ``post``, made
    by ``Brain.connect``. Read and write its synapses with ``sim.connections(proj)`` and
    ``sim.set_weights(proj, w)``."""

    pre: list
    post: list
    rule: Rule
    receptor: str
    weight_unit: str
    weight: object
    delay: dict  # pre population name -> delay value (ms)
    delay_rounding: str | None
    name: str
    n_expected: float = field(default=0.0)
    plasticity: object = None  # a PlasticityRule, or None: static
    dendritic_fraction: float = 1.0

    @property
    def n_pre(self) -> int:
        return sum(p.n for p in self.pre)

    @property
    def n_post(self) -> int:
        return sum(p.n for p in self.post)

    def __repr__(self):
        rule = "" if self.plasticity is None else f", plasticity={self.plasticity!r}"
        return (f"Projection({self.name!r}, {self.rule!r}, receptor={self.receptor!r}, "
                f"{self.weight_unit}={self.weight!r}{rule})")  # fmt: skip


@dataclass(eq=False)
class PoissonInput:
    """Independent Poisson input into every neuron of ``targets``: ``n_sources`` trains at
    ``rate_hz`` each, through one receptor with one weight, drawn in the kernel (no
    synapses stored). Made by ``Brain.add_poisson_input``."""

    targets: list
    rate_hz: object  # float or TimedArray (1-D)
    n_sources: int
    receptor: str
    weight_unit: str
    weight: float
    delay_ms: float
    name: str


@dataclass(eq=False)
class NoiseCurrent:
    """An Ornstein-Uhlenbeck current (pA) into every neuron of ``targets``, independent per
    neuron: stationary mean ``mean_pa``, standard deviation ``sd_pa``, correlation time
    ``tau_ms``. Made by ``Brain.add_noise_current``."""

    targets: list
    mean_pa: float
    sd_pa: float
    tau_ms: float
    name: str


BANDS_HZ = {"delta": 2.0, "theta": 8.0, "alpha": 10.0, "beta": 20.0, "gamma": 40.0}


@dataclass
class Modulator:
    """A neuromodulator's concentration: it decays with ``tau_ms`` and jumps by
    ``amount`` at each spike of ``released_by`` (population names) and by what the user
    gives (``run(inputs={name: ...})``, ``Simulation.reward``). Made by
    ``Brain.add_modulator``."""

    name: str
    tau_ms: float
    released_by: list
    amount: float


@dataclass
class Oscillator:
    name: str
    freq_hz: float
    phase_rad: float


@dataclass
class StateMonitorSpec:
    population: str
    var: str
    every_steps: int
    indices: np.ndarray
    window_steps: int | None = None  # keep only the last ``window_steps`` (None: all)


@dataclass
class SpikeMonitorSpec:
    indices: np.ndarray | None  # the neurons recorded (None: all)
    window_steps: int | None = None  # keep only the last ``window_steps`` (None: all)


#: the state variable of a population's noise current (``add_noise_current``)
NOISE_VAR = "i_noise_pa"


def _indices(indices, pop, what):
    """Neuron indices of ``pop``: a non-empty 1-D integer array within the population."""
    idx = np.asarray(indices)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or idx.size == 0:
        raise ValueError(f"{what}: indices must be a non-empty 1-D integer array, got "
                         f"{np.asarray(indices).dtype} of shape {idx.shape}")  # fmt: skip
    if idx.min() < 0 or idx.max() >= pop.n:
        bad = idx[(idx < 0) | (idx >= pop.n)][0]
        raise ValueError(f"{what}: indices must lie in [0, {pop.n}) (population "
                         f"{pop.name!r}), got {bad}")  # fmt: skip
    return idx.astype(np.int64)


class Brain:
    """A description of a spiking network to be built into a simulation.

    ``dt_ms`` is the global time step (ms); ``seed`` keys the random draws of the build
    (connectivity, parameters, initial values) and ``noise_seed`` (default: ``seed``) those
    of the run (Poisson sources and inputs, noise currents), so the same description gives
    the same simulation; ``Simulation.reseed`` changes the noise without a rebuild.
    """

    def __init__(self, dt_ms: float = 0.1, seed: int = 0, noise_seed: int | None = None):
        if isinstance(dt_ms, (bool, np.bool_)) or not isinstance(dt_ms, (int, float, np.number)):
            raise TypeError(f"Brain: dt_ms must be a number, got {dt_ms!r}")
        dt_ms = float(dt_ms)
        if not (math.isfinite(dt_ms) and dt_ms > 0):
            raise ValueError(f"Brain: dt_ms must be a finite number > 0, got {dt_ms}")
        check_units("dt_ms", dt_ms, "Brain")
        self.dt_ms, self.seed = dt_ms, check_seed(seed, "Brain: seed")
        self.noise_seed = (
            self.seed if noise_seed is None else check_seed(noise_seed, "Brain: noise_seed")
        )
        self.populations: dict[str, Population] = {}
        self.regions: dict[str, Region] = {}
        self.projections: list[Projection] = []
        self.poisson_inputs: list[PoissonInput] = []
        self.noise_currents: list[NoiseCurrent] = []
        self.spike_monitors: dict[str, SpikeMonitorSpec] = {}
        self.rate_monitors: dict[str, int] = {}  # population -> bin width in steps
        self.state_monitors: list[StateMonitorSpec] = []
        self.oscillators: dict[str, Oscillator] = {}
        self.modulations: dict[str, tuple] = {}  # population -> (oscillator, depth, thr_mv)
        self.modulators: dict[str, Modulator] = {}

    def __setstate__(self, state):
        # descriptions saved (format version 1) before subsets, windows and rates
        if isinstance(state.get("spike_monitors"), set):
            state["spike_monitors"] = {n: SpikeMonitorSpec(None) for n in state["spike_monitors"]}
        state.setdefault("rate_monitors", {})
        self.__dict__.update(state)

    # ---- populations and regions ------------------------------------------------------
    def add_population(self, name: str, n: int, model: NeuronModel) -> Population:
        """Add ``n`` neurons of ``model`` called ``name``."""
        _check_name(name, "population")
        return self._add_population(name, n, model)

    def _add_population(self, name, n, model):
        if name in self.populations or name in self.regions:
            raise ValueError(f"duplicate name {name!r}: a population or region has it already")
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"population {name!r}: n must be a whole number >= 1, got {n!r}")
        if not isinstance(model, NeuronModel):
            raise TypeError(
                f"population {name!r}: model must be a neuron model such as "
                f"nb.ConductanceLIF(...), got {type(model).__name__}"
            )
        who = f"population {name!r}"
        for key, value in model.params.items():
            if isinstance(value, np.ndarray) and value.shape[0] != n:
                raise ValueError(f"{who}: {key} must have length {n}, got {value.shape[0]}")
        ref = model.refractory_parameter
        if ref is not None and not isinstance(model.params[ref], Distribution):
            for t in np.unique(np.atleast_1d(model.params[ref])):
                whole_steps(t, self.dt_ms, f"{who}: {ref}", minimum=0)
        if isinstance(model, PoissonSource):
            check_rate(model.rate_hz, n, self.dt_ms, f"{who}: rate_hz")
        if isinstance(model, SpikeSource) and model.timed:
            if model.indices.size and model.indices.max() >= n:
                raise ValueError(f"{who}: SpikeSource index {model.indices.max()} out of "
                                 f"range [0, {n})")  # fmt: skip
            for t in np.unique(model.times_ms):
                whole_steps(t, self.dt_ms, f"{who}: SpikeSource times_ms", minimum=0)
        pop = Population(self, name, int(n), model.fix())
        self.populations[name] = pop
        return pop

    def add_region(self, name: str) -> Region:
        """Add a region: a namespace for populations (``region.add_population``)."""
        _check_name(name, "region")
        if name in self.regions or name in self.populations:
            raise ValueError(f"duplicate name {name!r}: a population or region has it already")
        self.regions[name] = Region(self, name)
        return self.regions[name]

    def resolve(self, target) -> list[Population]:
        """Populations named by ``target``: a Population, a population or region name, or a
        list of these (in the order given, without repeats)."""
        items = target if isinstance(target, (list, tuple)) else [target]
        if not items:
            raise ValueError("an empty list names no population")
        out: list[Population] = []
        for item in items:
            if isinstance(item, Population):
                if self.populations.get(item.name) is not item:
                    raise ValueError(f"population {item.name!r} belongs to another brain")
                found = [item]
            elif isinstance(item, Region):
                found = item.populations
            elif isinstance(item, str) and item in self.populations:
                found = [self.populations[item]]
            elif isinstance(item, str) and item in self.regions:
                found = self.regions[item].populations
            else:
                known = sorted(self.populations) + sorted(self.regions)
                raise ValueError(f"unknown population or region {item!r}; known: {known}")
            if not found:
                raise ValueError(f"region {item!r} has no populations yet")
            out += [p for p in found if p not in out]
        return out

    # ---- projections ------------------------------------------------------------------
    def connect(self, pre, post, rule: Rule, *, weight_ns=None, weight_pa=None, weight_mv=None,
                delay_ms=None, receptor: str | None = None, delay_rounding: str | None = None,
                name: str | None = None, plasticity=None,
                dendritic_fraction: float = 1.0) -> Projection:  # fmt: skip
        """Connect the populations ``pre`` to ``post`` (names, regions, populations or lists
        of these, concatenated in the order given) by ``rule``; returns the Projection.

        - weight: exactly one of ``weight_ns`` (conductance receptors), ``weight_pa`` or
          ``weight_mv`` (current and voltage receptors): a scalar, a distribution, one value
          per synapse (rules with a known synapse count, in the rule's order), or a matrix
          ``[n_pre, n_post]`` (any rule: synapse ``i -> j`` takes ``W[i, j]``).
        - ``delay_ms``: conduction delay, at least one step, with NEST's and Brian2's meaning
          (an input that arrives at step t moves a synaptic variable at t): a scalar, a
          distribution (drawn in ms, rounded to whole steps by ``delay_rounding``, the
          nearest step by default, and clipped at one step), one value per synapse, a matrix
          ``[n_pre, n_post]``, or a dict giving a scalar or distribution per source
          population. Default: one step (``dt_ms``). Values given exactly must be whole
          numbers of steps unless ``delay_rounding`` is ``"round"``, ``"floor"`` or ``"ceil"``.
        - ``receptor``: the target's input, e.g. ``"ampa"``, ``"gaba_a"``, ``"nmda"``,
          ``"gaba_b"`` (ConductanceLIF) or ``"exc"``, ``"inh"`` (CurrentLIF, DeltaLIF).
        - ``plasticity``: a rule that changes the weights as the brain runs, e.g.
          ``nb.STDP(w_max=...)``, ``nb.TsodyksMarkram()``, ``nb.DopamineSTDP(...)``,
          ``nb.VogelsSprekeler(...)``, ``nb.Homeostasis(...)`` (``docs/plasticity.md``);
          the weights must lie in the rule's range. None (default): static weights.
        - ``dendritic_fraction``: the part of each delay that lies between the synapse and
          the target (PyNN's ``dendritic_delay_fraction``), in [0, 1]: 1 (default) is
          NEST's (a postsynaptic spike reaches the synapse a delay late, a presynaptic
          one at once), 0 Brian2's (the delay is axonal). Only plastic synapses see it.
        """
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise TypeError(f"connect: name must be a non-empty string or None, got {name!r}")
        pres, posts = self.resolve(pre), self.resolve(post)
        n_pre, n_post = sum(p.n for p in pres), sum(p.n for p in posts)
        label = name or f"{'+'.join(p.name for p in pres)} -> {'+'.join(p.name for p in posts)}"
        where = f"connection {label}"
        if not isinstance(rule, Rule):
            raise TypeError(f"{where}: rule must be e.g. nb.FixedProbability(0.1), got {rule!r}")
        n_shared = sum(p.n for p in pres if p in posts)
        rule.check(n_pre, n_post, n_shared, where)
        receptor = self._check_receptor(posts, receptor, where)
        unit, weight = self._one_weight(weight_ns, weight_pa, weight_mv, where)
        self._check_unit(posts, receptor, unit, where)
        n_exact = rule.expected_synapses(n_pre, n_post, n_shared)
        exact = not hasattr(rule, "p")  # all rules but FixedProbability know their count
        shape = (n_pre, n_post)
        weight = self._check_synaptic(weight, n_exact, exact, shape, f"{where}: {unit}")
        self._check_sign(weight, posts[0].model.receptors[receptor].sign, unit, receptor, where)
        if delay_rounding not in (None, "round", "floor", "ceil"):
            raise ValueError(f"{where}: delay_rounding must be None, 'round', 'floor' or "
                             f"'ceil', got {delay_rounding!r}")  # fmt: skip
        delays = self._check_delays(delay_ms, pres, n_exact, exact, shape, delay_rounding, where)
        fraction = self._check_plasticity(plasticity, dendritic_fraction, weight, posts,
                                          receptor, where)  # fmt: skip
        if not isinstance(weight, Distribution):
            check_units(unit, weight, where)
        rule.fix()  # (the build reads them again: see ``fixed.py``)
        if plasticity is not None:
            plasticity.fix()
        proj = Projection(pres, posts, rule, receptor, unit, weight, delays, delay_rounding,
                          label, n_exact, plasticity, fraction)  # fmt: skip
        self.projections.append(proj)
        return proj

    def _check_plasticity(self, rule, fraction, weight, posts, receptor, where):
        from ..synapses import PlasticityRule

        if isinstance(fraction, (bool, np.bool_)) or not isinstance(
            fraction, (int, float, np.number)
        ):
            raise TypeError(f"{where}: dendritic_fraction must be a number, got {fraction!r}")
        if not 0.0 <= float(fraction) <= 1.0:
            raise ValueError(f"{where}: dendritic_fraction must be in [0, 1], got {fraction}")
        if rule is None:
            return 1.0
        if not isinstance(rule, PlasticityRule):
            raise TypeError(f"{where}: plasticity must be a rule such as nb.STDP(w_max=...), "
                            f"got {rule!r}")  # fmt: skip
        silent = [p for p in posts if not p.model.spikes]
        if rule.post_spikes and silent:
            raise ValueError(f"{where}: {type(rule).__name__} reads the spikes of its targets, "
                             f"but population {silent[0].name!r} "
                             f"({type(silent[0].model).__name__}) never spikes")  # fmt: skip
        low, high = rule.weight_range()
        sign = posts[0].model.receptors[receptor].sign
        if (sign > 0 and -np.inf < low < 0) or (sign < 0 and 0 < high < np.inf):
            raise ValueError(f"{where}: {type(rule).__name__} keeps weights in [{low:g}, "
                             f"{high:g}], but receptor {receptor!r} takes weights "
                             f"{'>= 0' if sign > 0 else '<= 0'}")  # fmt: skip
        if not isinstance(weight, Distribution):
            w = np.asarray(weight, np.float64)
            bad = (w < low) | (w > high)
            if np.any(bad):
                raise ValueError(
                    f"{where}: weights must lie in [{low:g}, {high:g}] for "
                    f"{rule!r}, got {np.atleast_1d(w)[np.atleast_1d(bad)][0]:g}"
                )
        modulator = getattr(rule, "modulator", None)
        if modulator is not None and modulator not in self.modulators:
            raise ValueError(f"{where}: {type(rule).__name__} reads modulator {modulator!r}, "
                             f"which the brain lacks; add it first with "
                             f"brain.add_modulator({modulator!r}, tau_ms=..., "
                             f"released_by=...); known: {sorted(self.modulators)}")  # fmt: skip
        return float(fraction)

    @staticmethod
    def _one_weight(weight_ns, weight_pa, weight_mv, where):
        units = {k: v for k, v in (("weight_ns", weight_ns), ("weight_pa", weight_pa),
                                    ("weight_mv", weight_mv)) if v is not None}  # fmt: skip
        if len(units) != 1:
            raise TypeError(f"{where}: give exactly one of {WEIGHT_UNITS}, got {sorted(units)}")
        return next(iter(units.items()))

    @staticmethod
    def _check_unit(posts, receptor, unit, where):
        for p in posts:
            allowed = tuple(p.model.receptors[receptor].units)
            if unit not in allowed:
                raise TypeError(
                    f"{where}: {unit} does not fit receptor {receptor!r} of population "
                    f"{p.name!r} ({type(p.model).__name__}); expected {' or '.join(allowed)}"
                )

    @staticmethod
    def _check_receptor(posts, receptor, where):
        for p in posts:
            recs = p.model.receptors
            if not recs:
                raise ValueError(
                    f"{where}: population {p.name!r} ({type(p.model).__name__}) has no "
                    "receptors and cannot be a target"
                )
            if receptor is None and len(recs) == 1:
                receptor = next(iter(recs))
            if receptor is None:
                raise ValueError(f"{where}: receptor must be given, one of {sorted(recs)}")
            if receptor not in recs:
                raise ValueError(
                    f"{where}: unknown receptor {receptor!r} for population {p.name!r} "
                    f"({type(p.model).__name__}); expected one of {sorted(recs)}"
                )
        return receptor

    @staticmethod
    def _check_synaptic(value, n, exact, shape, what):
        """A weight or delay: scalar, distribution, one value per synapse or a matrix."""
        if isinstance(value, (np.ndarray, list, tuple)) and np.ndim(value) == 2:
            arr = np.asarray(value, dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{what}: a matrix must have shape {shape} (n_pre, n_post), "
                                 f"got {arr.shape}")  # fmt: skip
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{what} must be finite")
            return arr
        value = check_value(value, n if exact else None, what)
        if isinstance(value, np.ndarray) and not exact:
            raise ValueError(
                f"{what}: one value per synapse needs a rule with a known synapse count "
                f"(not FixedProbability); use a scalar, a distribution or a matrix {shape}"
            )
        return value

    @staticmethod
    def _check_sign(weight, sign, unit, receptor, where):
        if isinstance(weight, Distribution) or sign == 0:
            return
        w = np.atleast_1d(weight).ravel()
        bad = w[w * sign < 0]
        if bad.size:
            want = ">= 0" if sign > 0 else "<= 0"
            raise ValueError(f"{where}: {unit} for receptor {receptor!r} must be {want}, "
                             f"got {bad[0]}")  # fmt: skip

    def _check_delays(self, delay_ms, pres, n, exact, shape, rounding, where):
        if delay_ms is None:
            delay_ms = self.dt_ms
        if isinstance(delay_ms, dict):
            names = [p.name for p in pres]
            missing, extra = set(names) - set(delay_ms), set(delay_ms) - set(names)
            if missing or extra:
                raise ValueError(
                    f"{where}: delay_ms dict must name each source population "
                    f"{names}; missing {sorted(missing)}, unknown {sorted(extra)}"
                )
            for name, value in delay_ms.items():
                if not isinstance(value, (int, float, np.number, Distribution)):
                    raise ValueError(f"{where}: delay_ms[{name!r}] must be a scalar or a "
                                     f"distribution, got {type(value).__name__}")  # fmt: skip
            return {p.name: self._check_delay(delay_ms[p.name], None, False, shape, rounding,
                                              f"{where}: delay_ms[{p.name!r}]")
                    for p in pres}  # fmt: skip
        value = self._check_delay(delay_ms, n, exact, shape, rounding, f"{where}: delay_ms")
        return {p.name: value for p in pres}

    def _check_delay(self, value, n, exact, shape, rounding, what):
        value = self._check_synaptic(value, n, exact, shape, what)
        if isinstance(value, Distribution):
            return value
        ms = np.atleast_1d(value).ravel()
        if not np.all(np.isfinite(ms)):
            raise ValueError(f"{what} must be finite, got {ms[~np.isfinite(ms)][0]}")
        steps = delay_steps(ms, self.dt_ms, rounding or "round")
        short = (ms < self.dt_ms * (1 - 1e-6)) | (steps < 1)
        if short.any():
            bad = ms[short][0]
            raise ValueError(f"{what}={bad} is below one step (dt_ms={self.dt_ms}): "
                             "delays must be at least dt")  # fmt: skip
        if steps.max() > MAX_DELAY_STEPS:
            raise ValueError(f"{what}={ms[steps.argmax()]:g} is {steps.max():.0f} steps of "
                             f"dt_ms={self.dt_ms:g}; at most {MAX_DELAY_STEPS} steps are "
                             "supported")  # fmt: skip
        if rounding is None:
            off = np.abs(ms / self.dt_ms - steps) > 1e-6 * np.maximum(1, steps)
            if off.any():
                bad = ms[off][0]
                raise ValueError(
                    f"{what}={bad} is not a whole number of steps of dt_ms="
                    f"{self.dt_ms}; pass delay_rounding='round' to round it"
                )
        return value

    # ---- inputs ---------------------------------------------------------------------------
    def add_poisson_input(self, target, rate_hz, n_sources: int = 1, *, weight_ns=None,
                          weight_pa=None, weight_mv=None, receptor: str | None = None,
                          delay_ms: float | None = None,
                          name: str | None = None) -> PoissonInput:  # fmt: skip
        """Poisson input into every neuron of ``target`` (a population, region or list),
        independent for every neuron, drawn inside the kernel and storing no synapses: each
        step, each neuron receives a Poisson number of spikes of mean ``n_sources *
        rate_hz * dt`` through ``receptor``, each with the given weight (Brian2's
        ``PoissonInput``, NEST's ``poisson_generator`` connected to every target). Any rate:
        several spikes can arrive in one step. ``rate_hz`` is a number or a 1-D
        ``TimedArray``; ``delay_ms`` (default one step) delays a changing rate, as a
        generator's delay would."""
        pops = self.resolve(target)
        label = name or f"poisson -> {'+'.join(p.name for p in pops)}"
        where = f"poisson input {label}"
        if any(q.name == label for q in self.poisson_inputs):
            raise ValueError(f"{where}: a Poisson input of that name exists; pass name=")
        n_sources = check_int(n_sources, f"{where}: n_sources", 1)
        if isinstance(rate_hz, TimedArray):
            if rate_hz.values.ndim != 1:
                raise ValueError(f"{where}: rate_hz must be a 1-D TimedArray (one rate for "
                                 "all targets)")  # fmt: skip
            rate_hz.steps_per_value(self.dt_ms, where)
            if np.any(rate_hz.values < 0):
                raise ValueError(f"{where}: rate_hz must be >= 0")
        else:
            rate_hz = _finite(rate_hz, f"{where}: rate_hz")
            if rate_hz < 0:
                raise ValueError(f"{where}: rate_hz must be >= 0, got {rate_hz}")
        top = float(np.max(rate_hz.values)) if isinstance(rate_hz, TimedArray) else rate_hz
        per_step = n_sources * top * self.dt_ms * 1e-3
        if per_step > MAX_POISSON_PER_STEP:
            raise ValueError(f"{where}: n_sources * rate_hz = {n_sources * top:g} Hz is "
                             f"{per_step:g} spikes per step into each neuron; at most "
                             f"{MAX_POISSON_PER_STEP:g} are supported")  # fmt: skip
        receptor = self._check_receptor(pops, receptor, where)
        unit, weight = self._one_weight(weight_ns, weight_pa, weight_mv, where)
        self._check_unit(pops, receptor, unit, where)
        weight = _finite(weight, f"{where}: {unit}")
        self._check_sign(weight, pops[0].model.receptors[receptor].sign, unit, receptor, where)
        delay = self.dt_ms if delay_ms is None else delay_ms
        whole_steps(delay, self.dt_ms, f"{where}: delay_ms")
        for key, value in (("rate_hz", rate_hz), (unit, weight)):
            if not isinstance(value, TimedArray):
                check_units(key, value, where)
        inp = PoissonInput(pops, rate_hz, n_sources, receptor, unit, weight, float(delay), label)
        self.poisson_inputs.append(inp)
        return inp

    def add_noise_current(self, target, *, sd_pa: float, tau_ms: float, mean_pa: float = 0.0,
                          name: str | None = None) -> NoiseCurrent:  # fmt: skip
        """An Ornstein-Uhlenbeck current into every neuron of ``target`` (a population,
        region or list), independent per neuron, drawn from the counter-based generator:
        stationary mean ``mean_pa``, standard deviation ``sd_pa`` and correlation time
        ``tau_ms``; it starts in its stationary distribution. Each step the current is
        advanced exactly, ``x' = m + (x - m) e + sd sqrt(1 - e^2) z`` with ``e = exp(-dt /
        tau)`` and ``z`` standard normal, and drives the step as injected current does.
        Record it as state variable ``"i_noise_pa"``."""
        pops = self.resolve(target)
        label = name or f"noise -> {'+'.join(p.name for p in pops)}"
        where = f"noise current {label}"
        for p in pops:
            if isinstance(p.model, Source) or not p.model.current_input:
                raise ValueError(f"{where}: population {p.name!r} "
                                 f"({type(p.model).__name__}) takes no current")  # fmt: skip
            if any(p in z.targets for z in self.noise_currents):
                raise ValueError(f"{where}: population {p.name!r} has a noise current already")
        mean = _finite(mean_pa, f"{where}: mean_pa")
        sd = _finite(sd_pa, f"{where}: sd_pa")
        tau = _finite(tau_ms, f"{where}: tau_ms")
        if sd < 0:
            raise ValueError(f"{where}: sd_pa must be >= 0, got {sd}")
        if tau <= 0:
            raise ValueError(f"{where}: tau_ms must be > 0, got {tau}")
        noise = NoiseCurrent(pops, mean, sd, tau, label)
        self.noise_currents.append(noise)
        return noise

    # ---- rhythms -----------------------------------------------------------------------
    def add_modulator(
        self, name: str, tau_ms: float, *, released_by, amount: float | None = None
    ) -> Modulator:
        """Add a neuromodulator ``name`` (dopamine, acetylcholine, ...): a concentration
        that decays with ``tau_ms`` and jumps by ``amount`` (default ``1 / tau_ms``, as
        NEST's volume transmitter raises ``n``) at each spike of ``released_by``
        (populations, regions or their names) in the step of the spike, and by what the
        user gives: ``sim.run(inputs={name: amounts})`` (one value per step, or one for
        every step) and ``sim.reward(name, amount)`` between runs. ``released_by`` has no
        default, so that no modulator is left unreleased by mistake: ``released_by=None``
        says that only the user sets it. Rules read it by name
        (``nb.DopamineSTDP(modulator=name)``)."""
        _check_name(name, "modulator")
        where = f"add_modulator({name!r})"
        if name in self.modulators or name in self.populations or name in self.regions:
            raise ValueError(f"{where}: the name is taken by a modulator, population or region")
        tau_ms = _finite(tau_ms, f"{where}: tau_ms")
        if tau_ms <= 0:
            raise ValueError(f"{where}: tau_ms must be > 0, got {tau_ms:g}")
        pops = [] if released_by is None else self.resolve(released_by)
        silent = [p for p in pops if not p.model.spikes]
        if silent:
            raise ValueError(f"{where}: population {silent[0].name!r} "
                             f"({type(silent[0].model).__name__}) never spikes, so it "
                             f"cannot release it")  # fmt: skip
        amount = 1.0 / tau_ms if amount is None else _finite(amount, f"{where}: amount")
        if pops and amount == 0.0:
            raise ValueError(f"{where}: amount=0 releases nothing at the spikes of "
                             f"{[p.name for p in pops]}; give released_by=None for a "
                             f"modulator that only the user sets")  # fmt: skip
        mod = Modulator(name, tau_ms, [p.name for p in pops], float(amount))
        self.modulators[name] = mod
        return mod

    def add_oscillator(self, name: str, freq_hz: float | None = None, phase_rad: float = 0.0):
        """Add a rhythm: phase ``phase_rad + 2 pi freq_hz t``. Named bands have default
        frequencies (delta 2, theta 8, alpha 10, beta 20, gamma 40 Hz)."""
        _check_name(name, "oscillator")
        if name in self.oscillators:
            raise ValueError(f"duplicate oscillator name {name!r}")
        if freq_hz is None:
            if name not in BANDS_HZ:
                raise ValueError(f"oscillator {name!r}: give freq_hz (named bands with a "
                                 f"default: {sorted(BANDS_HZ)})")  # fmt: skip
            freq_hz = BANDS_HZ[name]
        freq_hz = _finite(freq_hz, f"oscillator {name!r}: freq_hz")
        phase_rad = _finite(phase_rad, f"oscillator {name!r}: phase_rad")
        if freq_hz < 0:
            raise ValueError(f"oscillator {name!r}: freq_hz must be >= 0, got {freq_hz}")
        self.oscillators[name] = Oscillator(name, freq_hz, phase_rad)
        return self.oscillators[name]

    def modulate(self, target, oscillator: str, depth: float = 0.0, threshold_mv: float = 0.0):
        """Let a rhythm gate populations (a population, region or list): their drive
        (the bias current plus injected and noise current of neurons, the rate of Poisson
        sources) is scaled by ``1 + depth cos(phase)`` (``0 <= depth <= 1``) and their
        threshold lowered by ``threshold_mv cos(phase)``. Each population follows at most
        one oscillator. The drive is scaled, not shifted: a population without bias,
        injected current or Poisson rate is untouched by ``depth``, and a negative bias
        swings in antiphase. Poisson inputs (``add_poisson_input``) are not modulated."""
        pops = self.resolve(target)
        if oscillator not in self.oscillators:
            raise ValueError(
                f"unknown oscillator {oscillator!r}; known: {sorted(self.oscillators)}"
            )
        depth = _finite(depth, f"modulate({oscillator!r}): depth")
        threshold_mv = _finite(threshold_mv, f"modulate({oscillator!r}): threshold_mv")
        if not 0 <= depth <= 1:
            raise ValueError(f"modulate({oscillator!r}): depth must be in [0, 1], got {depth}")
        for p in pops:
            if p.name in self.modulations:
                raise ValueError(f"population {p.name!r} already follows oscillator "
                                 f"{self.modulations[p.name][0]!r}")  # fmt: skip
            if threshold_mv and p.model.threshold_parameter is None:
                raise ValueError(f"population {p.name!r} ({type(p.model).__name__}) has no "
                                 "threshold to modulate")  # fmt: skip
        for p in pops:
            self.modulations[p.name] = (oscillator, depth, threshold_mv)

    # ---- monitors ---------------------------------------------------------------------
    def record_spikes(self, target, indices=None, window_ms: float | None = None) -> None:
        """Record the spikes of a population, a region, or a list of them.

        ``indices``: only these neurons of one population (``sim.spikes`` still gives each
        spike its index in the population). ``window_ms``: keep only the spikes of the last
        ``window_ms`` (a ring: memory bounded by the window, however long the runs). A
        second call for a population replaces the first."""
        pops = self.resolve(target)
        what = f"record_spikes({target!r})"
        idx = None
        if indices is not None:
            if len(pops) != 1:
                raise ValueError(f"{what}: indices select neurons of one population, got "
                                 f"{[p.name for p in pops]}")  # fmt: skip
            idx = _indices(indices, pops[0], what)
        window = self._window(window_ms, what)
        for p in pops:
            self.spike_monitors[p.name] = SpikeMonitorSpec(idx, window)

    def record_rate(self, target, bin_ms: float = 1.0) -> None:
        """Record the population rate of a population, a region or a list of them: spikes
        per neuron per second in bins of ``bin_ms`` (a whole number of steps), on one time
        axis across runs (``sim.rate``). Needs no spike monitor; costs 8 bytes per
        population per bin (2.9 MB per population per hour of 10 ms bins)."""
        what = f"record_rate({target!r})"
        bin_steps = whole_steps(bin_ms, self.dt_ms, f"{what}: bin_ms")
        for p in self.resolve(target):
            self.rate_monitors[p.name] = bin_steps

    def record_state(self, population, var: str, every_ms: float | None = None,
                     indices=None, window_ms: float | None = None) -> None:  # fmt: skip
        """Sample state variable ``var`` of ``population`` every ``every_ms`` (default: every
        step) for the neurons ``indices`` (default: all), at the start of each sampled step.
        ``"i_noise_pa"`` samples a noise current (``add_noise_current``). ``window_ms``:
        keep only the samples of the last ``window_ms``."""
        pops = self.resolve(population)
        if len(pops) != 1:
            raise ValueError(f"record_state takes one population, got {[p.name for p in pops]}")
        pop = pops[0]
        if var not in pop.model.state and not (var == NOISE_VAR and pop.model.current_input):
            raise ValueError(
                f"population {pop.name!r}: unknown state variable {var!r}; "
                f"{type(pop.model).__name__} has {sorted(pop.model.state)}"
            )
        what = f"record_state({pop.name!r})"
        every = 1 if every_ms is None else self._steps(every_ms, what)
        idx = np.arange(pop.n, dtype=np.int64) if indices is None else _indices(indices, pop,
                                                                                  what)  # fmt: skip
        window = self._window(window_ms, what)
        self.state_monitors.append(StateMonitorSpec(pop.name, var, every, idx, window))

    def _window(self, window_ms, what):
        if window_ms is None:
            return None
        return whole_steps(window_ms, self.dt_ms, f"{what}: window_ms")

    def _steps(self, ms, what):
        return whole_steps(ms, self.dt_ms, f"{what}: every_ms")

    # ---- build --------------------------------------------------------------------------
    def build(self, backend: str = "cpu", threads: int = 1, batch: int = 1, comm=None):
        """Check the description, generate connectivity and compile: returns a Simulation.
        ``backend`` is ``"cpu"`` or ``"cuda"`` (an NVIDIA GPU). ``threads`` > 1 updates the
        neurons on that many CPU threads (same results). ``batch`` > 1 builds that many
        independent copies of the brain (the connectivity shared; own state, noise and
        inputs; copy 0 equals the unbatched build), advanced together. ``comm``
        (``mpi4py.MPI.COMM_WORLD``, under ``mpiexec -n R``): one brain over R processes,
        each owning a part of the neurons and the synapses onto them, the spikes bit for
        bit those of one process (``nbbrain/engine/ranks.py``)."""
        from ..engine.simulation import Simulation

        return Simulation(self, backend=backend, threads=threads, batch=batch, comm=comm)

    def __repr__(self):
        return (f"Brain(dt_ms={self.dt_ms}, seed={self.seed}, populations="
                f"{[p.name for p in self.populations.values()]}, "
                f"projections={len(self.projections)})")  # fmt: skip
