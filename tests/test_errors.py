"""Bad input raises a clear ValueError/TypeError naming what was wrong, and changes nothing.

Each case checks the exception type and a message fragment (the population, parameter, value
or what was expected), then that the brain (or the simulation) is exactly as before and still
builds and runs.
"""

import math
import re
import warnings

import numpy as np
import pytest

import nbbrain as nb
from nbbrain.assemble.network import build_network

NAN = float("nan")


def make_brain(seed=3):
    """A small brain with every kind of population, projections and monitors."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    exc = brain.add_population("exc", 8, nb.ConductanceLIF())
    brain.add_population("cur", 6, nb.CurrentLIF())
    brain.add_population("src", 5, nb.SpikeSource())
    brain.add_population("poi", 4, nb.PoissonSource(800.0))
    brain.add_region("ctx").add_population("l4", 5, nb.ConductanceLIF())
    brain.add_region("empty")
    exc.init(v=nb.Uniform(-60.0, -51.0))
    brain.connect("poi", ["exc", "ctx.l4"], nb.FixedIndegree(2), weight_ns=8.0, receptor="ampa")
    brain.connect("src", "cur", nb.AllToAll(), weight_pa=80.0, receptor="exc")
    brain.connect("exc", "exc", nb.FixedProbability(0.3), weight_ns=1.0, receptor="gaba_a",
                  delay_ms=0.5)  # fmt: skip
    brain.record_spikes(["exc", "cur", "poi"])
    brain.record_state("exc", "v", indices=[0, 3])
    return brain


def _plain(x):
    if isinstance(x, np.ndarray):
        return ("array", x.tolist())
    return x if isinstance(x, (int, float, str)) else repr(x)


def snapshot(brain):
    """Everything a user can see of a description, by value and identity."""
    return {
        "dt_seed": (brain.dt_ms, brain.seed),
        "populations": [
            (
                name,
                id(p),
                p.n,
                id(p.model),
                repr(p.model),
                sorted((k, _plain(v)) for k, v in p.initial.items()),
            )
            for name, p in brain.populations.items()
        ],
        "regions": [
            (name, id(r), [p.name for p in r.populations]) for name, r in brain.regions.items()
        ],
        "projections": [(id(p), p.name, len(p.pre), len(p.post)) for p in brain.projections],
        "spike_monitors": sorted(
            (k, None if v.indices is None else v.indices.tolist(), v.window_steps)
            for k, v in brain.spike_monitors.items()
        ),
        "rate_monitors": sorted(brain.rate_monitors.items()),
        "state_monitors": [
            (s.population, s.var, s.every_steps, s.indices.tolist(), s.window_steps)
            for s in brain.state_monitors
        ],
    }


def still_usable(brain, before):
    assert snapshot(brain) == before
    sim = brain.build()
    sim.run(n_steps=10)
    assert sim.step == 10


def fails_cleanly(brain, exc, match, call):
    before = snapshot(brain)
    with pytest.raises(exc, match=match):
        call(brain)
    still_usable(brain, before)


# ---- the description: Brain methods ---------------------------------------------------------
def conn(pre, post, rule, **kw):
    return lambda b: b.connect(pre, post, rule, **kw)


FP = nb.FixedProbability(0.5)
BRAIN_CASES = {
    # unknown names
    "connect unknown pre": (ValueError, r"unknown population or region 'nope'.*'exc'",
                            conn("nope", "exc", FP, weight_ns=1.0, receptor="ampa")),
    "connect unknown post": (ValueError, r"unknown population or region 'nope'",
                             conn("exc", "nope", FP, weight_ns=1.0, receptor="ampa")),
    "connect unknown in list": (ValueError, r"unknown population or region 'l4'",
                                conn(["exc", "l4"], "exc", FP, weight_ns=1.0, receptor="ampa")),
    "connect empty list": (ValueError, r"empty list",
                           conn([], "exc", FP, weight_ns=1.0, receptor="ampa")),
    "connect empty region": (ValueError, r"region 'empty' has no populations",
                             conn("empty", "exc", FP, weight_ns=1.0, receptor="ampa")),
    "record_spikes unknown": (ValueError, r"unknown population or region 'nope'",
                              lambda b: b.record_spikes("nope")),
    "record_spikes list with unknown": (ValueError, r"unknown population or region 'nope'",
                                        lambda b: b.record_spikes(["src", "nope"])),
    "record_state unknown population": (ValueError, r"unknown population or region 'nope'",
                                        lambda b: b.record_state("nope", "v")),
    "record_state unknown variable": (ValueError, r"population 'exc': unknown state variable "
                                      r"'w'.*'g_ampa'", lambda b: b.record_state("exc", "w")),
    "record_state of two populations": (ValueError, r"record_state takes one population, got "
                                        r"\['exc', 'cur'\]",
                                        lambda b: b.record_state(["exc", "cur"], "v")),
    "record_state 2-D indices": (ValueError, r"indices must be a non-empty 1-D integer array",
                                 lambda b: b.record_state("exc", "v", indices=[[0, 1]])),
    "population of another brain": (ValueError, r"population 'exc' belongs to another brain",
                                    lambda b: b.connect(make_brain().populations["exc"], "exc",
                                                        FP, weight_ns=1.0, receptor="ampa")),
    "record_state bad every_ms": (ValueError, r"every_ms=0.05 must be a whole number",
                                  lambda b: b.record_state("exc", "v", every_ms=0.05)),
    "record_state bad indices": (ValueError, r"record_state\('exc'\): indices must lie in "
                                 r"\[0, 8\)", lambda b: b.record_state("exc", "v", indices=[8])),
    # receptors
    "unknown receptor": (ValueError, r"unknown receptor 'glu' for population 'exc' "
                         r"\(ConductanceLIF\); expected one of \['ampa'",
                         conn("exc", "exc", FP, weight_ns=1.0, receptor="glu")),
    "receptor of another model": (ValueError, r"unknown receptor 'ampa' for population 'cur' "
                                  r"\(CurrentLIF\); expected one of \['exc', 'inh'\]",
                                  conn("exc", ["exc", "cur"], FP, weight_ns=1.0,
                                       receptor="ampa")),
    "missing receptor": (ValueError, r"receptor must be given, one of \['ampa'",
                         conn("exc", "exc", FP, weight_ns=1.0)),
    "target without receptors": (ValueError, r"population 'src' \(SpikeSource\) has no "
                                 r"receptors", conn("exc", "src", FP, weight_ns=1.0)),
    # duplicate names
    "duplicate population": (ValueError, r"duplicate name 'exc'",
                             lambda b: b.add_population("exc", 3, nb.ConductanceLIF())),
    "duplicate population in a region": (ValueError, r"duplicate name 'ctx.l4'",
                                         lambda b: b.regions["ctx"].add_population(
                                             "l4", 3, nb.ConductanceLIF())),
    "population named like a region": (ValueError, r"duplicate name 'ctx'",
                                       lambda b: b.add_population("ctx", 3, nb.CurrentLIF())),
    "duplicate region": (ValueError, r"duplicate name 'ctx'", lambda b: b.add_region("ctx")),
    "region named like a population": (ValueError, r"duplicate name 'exc'",
                                       lambda b: b.add_region("exc")),
    "bad population name": (ValueError, r"population name must be .*got 'a\.b'",
                            lambda b: b.add_population("a.b", 3, nb.CurrentLIF())),
    "population size 0": (ValueError, r"population 'z': n must be a whole number >= 1, got 0",
                          lambda b: b.add_population("z", 0, nb.CurrentLIF())),
    "Poisson rates of the wrong length": (ValueError, r"population 'z': rate_hz array must have "
                                          r"length 3", lambda b: b.add_population(
                                              "z", 3, nb.PoissonSource([1.0, 2.0]))),
    "model is not a model": (TypeError, r"population 'z': model must be a neuron model",
                             lambda b: b.add_population("z", 3, "lif")),
    # initial values
    "init unknown variable": (ValueError, r"population 'exc': unknown state variable 'w'",
                              lambda b: b.populations["exc"].init(w=1.0)),
    "init wrong length": (ValueError, r"population 'exc': v must have length 8, got 7",
                          lambda b: b.populations["exc"].init(v=np.full(7, -55.0))),
    "init NaN in array": (ValueError, r"population 'cur': v must be finite, got nan at index 2",
                          lambda b: b.populations["cur"].init(v=[-55, -55, NAN, -55, -55, -55])),
    "init NaN scalar": (ValueError, r"population 'exc': g_ampa must be finite, got nan",
                        lambda b: b.populations["exc"].init(g_ampa=NAN)),
    "init one good one bad": (ValueError, r"population 'exc': g_nmda must have length 8",
                              lambda b: b.populations["exc"].init(v=-50.0, g_nmda=[1.0])),
    "init on a SpikeSource": (ValueError, r"population 'src': unknown state variable 'v'",
                              lambda b: b.populations["src"].init(v=0.0)),
    # delays
    "delay zero": (ValueError, r"delay_ms=0.0 is below one step \(dt_ms=0.1\)",
                   conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa", delay_ms=0.0)),
    "delay negative": (ValueError, r"delay_ms=-1.0 is below one step",
                       conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa", delay_ms=-1.0)),
    "delay below dt, rounded": (ValueError, r"delay_ms=0.04 is below one step",
                                conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa",
                                     delay_ms=0.04, delay_rounding="round")),
    "delay below dt, floored": (ValueError, r"delay_ms=0.09 is below one step",
                                conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa",
                                     delay_ms=0.09, delay_rounding="floor")),
    "delay not a multiple of dt": (ValueError, r"delay_ms=0.25 is not a whole number of steps "
                                   r"of dt_ms=0.1; pass delay_rounding='round'",
                                   conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa",
                                        delay_ms=0.25)),
    "delay NaN": (ValueError, r"delay_ms must be finite, got nan",
                  conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa", delay_ms=NAN)),
    "delay array with one bad": (ValueError, r"delay_ms=0.0 is below one step",
                                 conn("exc", "exc", nb.OneToOne(), weight_ns=1.0,
                                      receptor="ampa", delay_ms=[0.1] * 7 + [0.0])),
    "delay array wrong length": (ValueError, r"delay_ms must have length 8, got 3",
                                 conn("exc", "exc", nb.OneToOne(), weight_ns=1.0,
                                      receptor="ampa", delay_ms=[0.1] * 3)),
    "delay dict missing a source": (ValueError, r"missing \['src'\]",
                                    conn(["exc", "src"], "cur", FP, weight_pa=1.0,
                                         receptor="exc", delay_ms={"exc": 0.1})),
    "delay dict with an unknown source": (ValueError, r"unknown \['cur'\]",
                                          conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa",
                                               delay_ms={"exc": 0.1, "cur": 0.2})),
    "unknown delay_rounding": (ValueError, r"delay_rounding must be None, 'round'.*'nearest'",
                               conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa",
                                    delay_ms=0.25, delay_rounding="nearest")),
    # weight shapes
    "weights wrong length, FromArrays": (ValueError, r"weight_ns must have length 2, got 3",
                                         conn("exc", "exc", nb.FromArrays([0, 1], [1, 2]),
                                              weight_ns=[1.0, 2.0, 3.0], receptor="ampa")),
    "weights wrong length, OneToOne": (ValueError, r"exc -> exc: weight_ns must have length 8, "
                                       r"got 9", conn("exc", "exc", nb.OneToOne(),
                                                      weight_ns=np.ones(9), receptor="ampa")),
    "weights wrong length, FixedIndegree": (ValueError, r"weight_pa must have length 18, got 6",
                                            conn("src", "cur", nb.FixedIndegree(3),
                                                 weight_pa=np.ones(6), receptor="exc")),
    "weights wrong length, FixedOutdegree": (ValueError, r"weight_pa must have length 10",
                                             conn("src", "cur", nb.FixedOutdegree(2),
                                                  weight_pa=np.ones(6), receptor="exc")),
    "weights array with FixedProbability": (ValueError, r"weight_ns: one value per synapse "
                                            r"needs a rule with a known synapse count",
                                            conn("exc", "exc", FP, weight_ns=np.ones(32),
                                                 receptor="ampa")),
    "weights 2-D": (ValueError, r"weight_ns: a matrix must have shape \(8, 8\) \(n_pre, "
                    r"n_post\), got \(8, 1\)",
                    conn("exc", "exc", nb.OneToOne(), weight_ns=np.ones((8, 1)),
                         receptor="ampa")),
    "weight NaN": (ValueError, r"weight_ns must be finite, got nan",
                   conn("exc", "exc", FP, weight_ns=NAN, receptor="ampa")),
    "weight not a number": (TypeError, r"weight_ns must be a number, array or distribution",
                            conn("exc", "exc", FP, weight_ns="1 nS", receptor="ampa")),
    # explicit indices
    "FromArrays pre out of range": (ValueError, r"FromArrays pre index 8 out of range \[0, 8\)",
                                    conn("exc", "cur", nb.FromArrays([0, 8], [1, 2]),
                                         weight_pa=1.0, receptor="exc")),
    "FromArrays post negative": (ValueError, r"FromArrays post index -1 out of range \[0, 6\)",
                                 conn("exc", "cur", nb.FromArrays([0, 1], [-1, 2]),
                                      weight_pa=1.0, receptor="exc")),
    "FromArrays post past a list": (ValueError, r"FromArrays post index 11 out of range "
                                    r"\[0, 11\)", conn("exc", ["cur", "ctx.l4"],
                                                       nb.FromArrays([0], [11]), weight_ns=1.0,
                                                       receptor="ampa")),
    # units
    "weight_pa onto a conductance receptor": (TypeError, r"weight_pa does not fit receptor "
                                              r"'ampa' of population 'exc' \(ConductanceLIF\); "
                                              r"expected weight_ns",
                                              conn("exc", "exc", FP, weight_pa=1.0,
                                                   receptor="ampa")),
    "weight_ns onto CurrentLIF": (TypeError, r"weight_ns does not fit receptor 'exc' of "
                                  r"population 'cur' \(CurrentLIF\); expected weight_pa or "
                                  r"weight_mv", conn("exc", "cur", FP, weight_ns=1.0,
                                                     receptor="exc")),
    "two weights": (TypeError, r"give exactly one of .*got \['weight_ns', 'weight_pa'\]",
                    conn("exc", "exc", FP, weight_ns=1.0, weight_pa=1.0, receptor="ampa")),
    "no weight": (TypeError, r"give exactly one of \('weight_ns', 'weight_pa', 'weight_mv'\), "
                  r"got \[\]", conn("exc", "exc", FP, receptor="ampa")),
    # signs
    "negative weight_ns": (ValueError, r"weight_ns for receptor 'ampa' must be >= 0, got -1.0",
                           conn("exc", "exc", FP, weight_ns=-1.0, receptor="ampa")),
    "negative weight_ns in an array": (ValueError, r"weight_ns for receptor 'gaba_a' must be "
                                       r">= 0, got -2.0",
                                       conn("exc", "exc", nb.OneToOne(),
                                            weight_ns=[1.0] * 7 + [-2.0], receptor="gaba_a")),
    "positive weight onto inh": (ValueError, r"weight_pa for receptor 'inh' must be <= 0, "
                                 r"got 5.0", conn("exc", "cur", FP, weight_pa=5.0,
                                                  receptor="inh")),
    "negative weight_mv onto exc": (ValueError, r"weight_mv for receptor 'exc' must be >= 0",
                                    conn("exc", "cur", FP, weight_mv=-0.5, receptor="exc")),
    # rules against sizes
    "OneToOne of different sizes": (ValueError, r"exc -> cur: OneToOne needs equal sizes, got "
                                    r"8 and 6", conn("exc", "cur", nb.OneToOne(), weight_pa=1.0,
                                                     receptor="exc")),
    "FixedIndegree k above the population": (ValueError, r"FixedIndegree\(k=6\) without "
                                             r"multapses needs at most 5 distinct partners",
                                             conn("src", "cur", nb.FixedIndegree(6),
                                                  weight_pa=1.0, receptor="exc")),
    "FixedIndegree k = n without autapses": (ValueError, r"FixedIndegree\(k=8\) without "
                                             r"multapses needs at most 7",
                                             conn("exc", "exc",
                                                  nb.FixedIndegree(8, allow_autapses=False),
                                                  weight_ns=1.0, receptor="ampa")),
    "FixedOutdegree k above the population": (ValueError, r"FixedOutdegree\(k=7\) without "
                                              r"multapses needs at most 6",
                                              conn("exc", "cur", nb.FixedOutdegree(7),
                                                   weight_pa=1.0, receptor="exc")),
    "rule is not a rule": (TypeError, r"rule must be e.g. nb.FixedProbability\(0.1\), got 'all'",
                           conn("exc", "exc", "all", weight_ns=1.0, receptor="ampa")),
    "name not a string": (TypeError, r"connect: name must be a non-empty string or None, got 123",
                          conn("exc", "exc", FP, weight_ns=1.0, receptor="ampa", name=123)),
    "delay beyond the longest": (ValueError, r"connection exc -> cur: delay_ms=1e\+06 is "
                                 r"10000000 steps of dt_ms=0.1; at most 65535",
                                 conn("exc", "cur", FP, weight_pa=1.0, receptor="exc",
                                      delay_ms=1e6)),
    "delay not finite": (ValueError, r"connection exc -> cur: delay_ms must be finite, got inf",
                         conn("exc", "cur", FP, weight_pa=1.0, receptor="exc",
                              delay_ms=float("inf"))),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BRAIN_CASES))
def test_bad_description_changes_nothing(case):
    exc, match, call = BRAIN_CASES[case]
    fails_cleanly(make_brain(), exc, match, call)


def test_fixed_indegree_without_any_partner():
    brain = nb.Brain()
    brain.add_population("one", 1, nb.ConductanceLIF())
    rule = nb.FixedIndegree(1, allow_autapses=False, allow_multapses=True)
    call = lambda b: b.connect("one", "one", rule, weight_ns=1.0, receptor="ampa")  # noqa: E731
    fails_cleanly(brain, ValueError, r"FixedIndegree has no partner to choose from", call)


def test_delay_dict_with_an_array():
    brain = make_brain()
    delays = {"exc": np.full(48, 0.1), "src": 0.1}
    call = conn(["exc", "src"], "cur", nb.AllToAll(), weight_pa=1.0, receptor="exc",
                delay_ms=delays)  # fmt: skip
    fails_cleanly(brain, ValueError, r"delay_ms\[.exc.\] must be a scalar or a distribution", call)


def test_rounding_accepts_off_grid_delays():
    """What is an error without ``delay_rounding`` is accepted with it."""
    brain = make_brain()
    for rounding in ("round", "floor", "ceil"):  # 0.27 ms: 3, 2 and 3 steps
        brain.connect("exc", "exc", nb.OneToOne(), weight_ns=1.0, receptor="nmda",
                      delay_ms=0.27, delay_rounding=rounding, name=rounding)  # fmt: skip
    net = build_network(brain)
    nmda = net.target // net.n == 2
    assert sorted(np.unique(net.delay[nmda]).tolist()) == [2, 3]
    assert np.sum(net.delay[nmda] == 2) == 8 and np.sum(net.delay[nmda] == 3) == 16


def test_delay_below_dt_says_below_one_step():
    brain = make_brain()
    with pytest.raises(ValueError, match=r"below one step"):
        brain.connect("exc", "exc", FP, weight_ns=1.0, receptor="ampa", delay_ms=0.05)


# ---- values made without a brain: neuron models, rules, distributions, Brain itself -----------
CONSTRUCTOR_CASES = {
    "negative c_m": (ValueError, r"ConductanceLIF: c_m_pf must be > 0, got -1.0",
                     lambda: nb.ConductanceLIF(c_m_pf=-1)),
    "zero c_m": (ValueError, r"CurrentLIF: c_m_pf must be > 0, got 0.0",
                 lambda: nb.CurrentLIF(c_m_pf=0)),
    "negative g_leak": (ValueError, r"g_leak_ns must be > 0, got -5.0",
                        lambda: nb.ConductanceLIF(g_leak_ns=-5.0)),
    "zero tau": (ValueError, r"CurrentLIF: tau_inh_ms must be > 0, got 0.0",
                 lambda: nb.CurrentLIF(tau_inh_ms=0.0)),
    "NaN tau": (ValueError, r"ConductanceLIF: tau_ampa_ms must be finite, got nan",
                lambda: nb.ConductanceLIF(tau_ampa_ms=NAN)),
    "inf potential": (ValueError, r"ConductanceLIF: e_leak_mv must be finite, got inf",
                      lambda: nb.ConductanceLIF(e_leak_mv=math.inf)),
    "negative refractory period": (ValueError, r"CurrentLIF: t_ref_ms must be >= 0, got -1.0",
                                   lambda: nb.CurrentLIF(t_ref_ms=-1)),
    "negative Mg": (ValueError, r"mg_mm must be >= 0, got -1.0",
                    lambda: nb.ConductanceLIF(mg_mm=-1)),
    "reset above threshold": (ValueError, r"v_reset_mv \(-40.0\) must be below v_thresh_mv "
                              r"\(-50.0\)", lambda: nb.ConductanceLIF(v_reset_mv=-40.0)),
    "reset at threshold": (ValueError, r"CurrentLIF: v_reset_mv \(-50.0\) must be below",
                           lambda: nb.CurrentLIF(v_reset_mv=-50.0, v_thresh_mv=-50.0)),
    "unknown parameter": (TypeError, r"ConductanceLIF: unknown parameter\(s\) \['tau_foo_ms'\]; "
                          r"expected some of \['c_m_pf'", lambda: nb.ConductanceLIF(tau_foo_ms=1)),
    "parameter not a number": (TypeError, r"ConductanceLIF: c_m_pf must be a number, got 'big'",
                               lambda: nb.ConductanceLIF(c_m_pf="big")),
    "negative Poisson rate": (ValueError, r"PoissonSource: rate_hz must be >= 0, got -1.0",
                              lambda: nb.PoissonSource(-1.0)),
    "NaN Poisson rate": (ValueError, r"PoissonSource: rate_hz must be finite",
                         lambda: nb.PoissonSource(NAN)),
    "Brain dt 0": (ValueError, r"Brain: dt_ms must be a finite number > 0, got 0.0",
                   lambda: nb.Brain(dt_ms=0)),
    "Brain dt negative": (ValueError, r"dt_ms must be a finite number > 0, got -0.1",
                          lambda: nb.Brain(dt_ms=-0.1)),
    "Brain dt NaN": (ValueError, r"dt_ms must be a finite number > 0, got nan",
                     lambda: nb.Brain(dt_ms=NAN)),
    "Brain dt text": (TypeError, r"Brain: dt_ms must be a number, got 'fast'",
                      lambda: nb.Brain(dt_ms="fast")),
    "Brain seed -1": (ValueError, r"Brain: seed must be in \[0, 2\*\*63\), got -1",
                      lambda: nb.Brain(seed=-1)),
    "Brain seed 1.5": (TypeError, r"Brain: seed must be an integer, got 1.5",
                       lambda: nb.Brain(seed=1.5)),
    "Brain seed True": (TypeError, r"Brain: seed must be an integer, got True",
                        lambda: nb.Brain(seed=True)),
    "Normal negative sd": (ValueError, r"Normal: sd must be >= 0, got -1.0",
                           lambda: nb.Normal(0.0, -1.0)),
    "Normal NaN mean": (ValueError, r"Normal: mean must be finite, got nan",
                        lambda: nb.Normal(NAN, 1.0)),
    "LogNormal negative sigma": (ValueError, r"LogNormal: sigma must be >= 0, got -0.5",
                                 lambda: nb.LogNormal(0.0, -0.5)),
    "Uniform low above high": (ValueError, r"Uniform: low \(2.0\) must not exceed high \(1.0\)",
                               lambda: nb.Uniform(2.0, 1.0)),
    "FixedProbability p 1.5": (ValueError, r"FixedProbability: p must be in \[0, 1\], got 1.5",
                               lambda: nb.FixedProbability(p=1.5)),
    "FixedProbability p negative": (ValueError, r"p must be in \[0, 1\], got -0.1",
                                    lambda: nb.FixedProbability(-0.1)),
    "FixedProbability p NaN": (ValueError, r"p must be in \[0, 1\], got nan",
                               lambda: nb.FixedProbability(NAN)),
    "FixedProbability p text": (TypeError, r"FixedProbability: p must be a number",
                                lambda: nb.FixedProbability("often")),
    "FixedIndegree k -1": (ValueError, r"FixedIndegree: k must be a whole number >= 0, got -1",
                           lambda: nb.FixedIndegree(k=-1)),
    "FixedOutdegree k 2.5": (ValueError, r"FixedOutdegree: k must be a whole number >= 0, got "
                             r"2.5", lambda: nb.FixedOutdegree(2.5)),
    "FromArrays float indices": (TypeError, r"FromArrays: pre must be a 1-D integer array, got "
                                 r"float64", lambda: nb.FromArrays([0.5, 1.0], [0, 1])),
    "FromArrays lengths differ": (ValueError, r"FromArrays: pre and post differ in length "
                                  r"\(2 vs 1\)", lambda: nb.FromArrays([0, 1], [0])),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CONSTRUCTOR_CASES))
def test_bad_values(case):
    exc, match, call = CONSTRUCTOR_CASES[case]
    brain = make_brain()
    before = snapshot(brain)
    with pytest.raises(exc, match=match):
        call()
    still_usable(brain, before)


# ---- build ------------------------------------------------------------------------------------
def test_unknown_backend():
    brain = make_brain()
    fails_cleanly(brain, ValueError, r"unknown backend 'nope'; available: \['cpu', 'cuda'\]",
                  lambda b: b.build(backend="nope"))  # fmt: skip


def test_empty_brain():
    with pytest.raises(ValueError, match=r"the brain has no populations"):
        nb.Brain().build()


def test_model_too_large_for_memory():
    """Refused from the estimate, with the number, before anything is allocated."""
    brain = make_brain()
    brain.add_population("huge", 2_000_000, nb.ConductanceLIF())
    brain.connect("huge", "huge", nb.FixedProbability(1.0), weight_ns=1.0, receptor="ampa")
    before = snapshot(brain)
    with pytest.raises(nb.MemoryBudgetError, match=r"the model \(synapses [0-9.,]+ GiB, .*\) "
                       r"needs at least [0-9.,]+ GiB .* make the brain smaller"):  # fmt: skip
        brain.build()
    assert snapshot(brain) == before


def poisson_brain(rate, dt_ms=0.1):
    brain = nb.Brain(dt_ms=dt_ms)
    brain.add_population("fast", 3, nb.PoissonSource(rate))
    return brain


@pytest.mark.parametrize("rate", [20_000.0, [10.0, 10.0, 10_001.0], nb.Uniform(9_000, 11_000)])
def test_poisson_rate_above_one_spike_per_step(rate):
    brain = nb.Brain(dt_ms=0.1)
    with pytest.raises(ValueError, match=r"population 'fast': rate_hz=[0-9.]+ exceeds one "
                                         r"spike per step \(10000 Hz at dt_ms=0.1\)"):  # fmt: skip
        brain.add_population("fast", 3, nb.PoissonSource(rate))
    assert not brain.populations
    poisson_brain(rate, dt_ms=0.05).build().run(n_steps=10)  # fine at a smaller step


def test_poisson_rate_distribution_without_bound_checked_at_build():
    brain = poisson_brain(nb.Normal(15_000.0, 10.0))
    before = snapshot(brain)
    with pytest.raises(ValueError, match=r"population 'fast': rate_hz above 10000 Hz \(one "
                                         r"spike per step at dt_ms=0.1\)"):  # fmt: skip
        brain.build()
    assert snapshot(brain) == before


def test_poisson_rate_set_between_runs():
    brain = poisson_brain(10.0)
    brain.record_spikes("fast")
    sim = brain.build()
    with pytest.raises(ValueError, match=r"set_state\('fast', 'rate_hz'\): rates must lie in "
                                         r"\[0, 10000\] Hz"):  # fmt: skip
        sim.set_state("fast", "rate_hz", 20_000.0)
    assert np.all(sim.state("fast", "rate_hz") == 10.0)
    sim.run(n_steps=10)


@pytest.mark.parametrize("how", ["add_population", "init"])
def test_poisson_rate_refused_when_given(how):
    brain = nb.Brain(dt_ms=0.1)
    with pytest.raises(ValueError, match=r"rate_hz"):
        if how == "add_population":
            brain.add_population("fast", 3, nb.PoissonSource(20_000.0))
        else:
            brain.add_population("fast", 3, nb.PoissonSource(10.0)).init(rate_hz=-5.0)


def test_refractory_period_off_the_grid_refused_when_added():
    brain = nb.Brain(dt_ms=0.1)
    with pytest.raises(ValueError, match=r"population 'a'.*t_ref_ms=0.25"):
        brain.add_population("a", 3, nb.CurrentLIF(t_ref_ms=0.25))


def test_weight_distribution_with_the_wrong_sign_at_build():
    brain = make_brain()
    brain.connect("exc", "cur", nb.AllToAll(), weight_pa=nb.Normal(-5.0, 20.0), receptor="inh",
                  name="noisy")  # fmt: skip
    before = snapshot(brain)
    msg = r"connection noisy: weight_pa for receptor 'inh' must be <= 0; the distribution .* drew "
    with pytest.raises(ValueError, match=msg + r".*\(clip it\)"):
        brain.build()
    assert snapshot(brain) == before


# ---- running ------------------------------------------------------------------------------------
STATE_VARS = {name: sorted(p.model.state_vars) for name, p in make_brain().populations.items()}


def sim_snapshot(sim):
    """Everything a user can read back from a simulation."""
    out = {"step": sim.step}
    for name, variables in STATE_VARS.items():
        for var in variables:
            out[name, var] = sim.state(name, var).tolist()
    for name in ("exc", "cur", "poi"):
        t, idx = sim.spikes(name)
        out["spikes", name] = (t.tolist(), idx.tolist())
    t, v = sim.recorded_state("exc", "v")
    out["v", "exc"] = (t.tolist(), v.tolist())
    return out


def good_inputs(n_steps):
    rng = np.random.default_rng(n_steps)
    return {"src": rng.random((n_steps, 5)) < 0.3, "cur": np.full(6, 20.0, np.float32)}


RUN_CASES = {
    "negative duration": (ValueError, r"run: duration_ms must be a finite number >= 0, got -1.0",
                          dict(duration_ms=-1)),
    "NaN duration": (ValueError, r"duration_ms must be a finite number >= 0, got nan",
                     dict(duration_ms=NAN)),
    "duration off the grid": (ValueError, r"run: duration_ms=0.25 must be a whole number "
                              r"\(>= 0\) of steps of dt_ms=0.1", dict(duration_ms=0.25)),
    "duration not a number": (TypeError, r"duration_ms must be a number, got 'long'",
                              dict(duration_ms="long")),
    "both duration and steps": (TypeError, r"run: give exactly one of duration_ms or n_steps",
                                dict(duration_ms=1.0, n_steps=10)),
    "neither duration nor steps": (TypeError, r"give exactly one of duration_ms or n_steps",
                                   dict()),
    "negative n_steps": (ValueError, r"run: n_steps must be >= 0, got -1", dict(n_steps=-1)),
    "fractional n_steps": (TypeError, r"run: n_steps must be an integer, got 2.5",
                           dict(n_steps=2.5)),
    "input of the wrong length": (ValueError, r"run: inputs\['cur'\]: expected shape \(6,\) or "
                                  r"\(10, 6\) \(n_steps, neurons\), got \(5,\)",
                                  dict(n_steps=10, inputs={"cur": np.zeros(5)})),
    "input of the wrong duration": (ValueError, r"inputs\['src'\]: expected shape \(5,\) or "
                                    r"\(10, 5\).*got \(9, 5\)",
                                    dict(n_steps=10, inputs={"src": np.zeros((9, 5), bool)})),
    "input transposed": (ValueError, r"inputs\['cur'\]: expected shape .*got \(6, 10\)",
                         dict(n_steps=10, inputs={"cur": np.zeros((6, 10))})),
    "float spikes": (TypeError, r"run: inputs\['src'\]: spikes must be booleans \(or 0/1 "
                     r"integers\), got float64", dict(n_steps=10, inputs={"src": np.ones(5)})),
    "integer spikes other than 0/1": (TypeError, r"inputs\['src'\]: spikes must be booleans",
                                      dict(n_steps=10, inputs={"src": np.full(5, 2)})),
    "boolean current": (TypeError, r"inputs\['cur'\]: a current in pA must be a float array, "
                        r"got bool", dict(n_steps=10, inputs={"cur": np.ones(6, bool)})),
    "unknown input name": (ValueError, r"unknown population or region 'nope'",
                           dict(n_steps=10, inputs={"nope": np.zeros(5)})),
    "input keyed by number": (TypeError, r"inputs keys must be population or region names, got 0",
                              dict(n_steps=10, inputs={0: np.zeros(5)})),
    "inputs not a dict": (TypeError, r"run: inputs must be a dict .*got list",
                          dict(n_steps=10, inputs=[np.zeros(5)])),
    "inputs an empty list": (TypeError, r"run: inputs must be a dict .*got list",
                             dict(n_steps=10, inputs=[])),
    "inputs zero": (TypeError, r"run: inputs must be a dict .*got int",
                    dict(n_steps=10, inputs=0)),
    "duration True": (TypeError, r"run: duration_ms must be a number, got True",
                      dict(duration_ms=True)),
    "duration a string of a number": (TypeError, r"run: duration_ms must be a number, got '10'",
                                      dict(duration_ms="10")),
    "ragged input": (ValueError, r"run: inputs\['cur'\]: expected a rectangular array .* ragged "
                     r"list", dict(n_steps=2, inputs={"cur": [[1.0] * 6, [1.0] * 5]})),
    "NaN current": (ValueError, r"run: inputs\['exc'\]: the current must be finite",
                    dict(n_steps=10, inputs={"exc": np.full(8, NAN)})),
    "inf current in one step": (ValueError, r"inputs\['cur'\]: the current must be finite",
                                dict(n_steps=10, inputs={"cur": np.where(
                                    np.arange(60).reshape(10, 6) == 59, np.inf, 1.0)})),
    "input for a PoissonSource": (ValueError, r"run: inputs\['poi'\]: population 'poi' "
                                  r"\(PoissonSource\) takes no input",
                                  dict(n_steps=10, inputs={"poi": np.ones(4)})),
    "good input with a bad one": (ValueError, r"inputs\['cur'\]: the current must be finite",
                                  dict(n_steps=10, inputs={"src": np.ones(5, bool),
                                                           "cur": np.full(6, NAN)})),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RUN_CASES))
def test_bad_run_changes_nothing(case):
    exc, match, kwargs = RUN_CASES[case]
    sim, twin = make_brain().build(), make_brain().build()
    for s in (sim, twin):
        s.run(n_steps=30, inputs=good_inputs(30))
    before = sim_snapshot(sim)
    assert before["step"] == 30 and before == sim_snapshot(twin)
    with pytest.raises(exc, match=match):
        sim.run(**kwargs)
    assert sim_snapshot(sim) == before
    # a following valid run continues exactly as if the bad call had never happened
    results = [s.run(n_steps=40, inputs=good_inputs(40)) for s in (sim, twin)]
    assert sim.step == 70
    assert results[0].spike_counts == results[1].spike_counts
    assert sim_snapshot(sim) == sim_snapshot(twin)


STATE_CASES = {
    "state of unknown population": (ValueError, r"unknown population or region 'nope'; known: "
                                    r"\['ctx.l4', 'cur'", lambda s: s.state("nope", "v")),
    "state of unknown variable": (ValueError, r"population 'exc': unknown state variable 'w'; "
                                  r"ConductanceLIF has \['g_adapt', 'g_ampa'",
                                  lambda s: s.state("exc", "w")),
    "state of a variable of another model": (ValueError, r"population 'cur': unknown state "
                                             r"variable 'g_ampa'; CurrentLIF has",
                                             lambda s: s.state("cur", "g_ampa")),
    "state of a SpikeSource": (ValueError, r"population 'src': unknown state variable 'v'",
                               lambda s: s.state("src", "v")),
    "set_state of unknown population": (ValueError, r"unknown population or region 'nope'",
                                        lambda s: s.set_state("nope", "v", 0.0)),
    "set_state wrong shape": (ValueError, r"set_state\('exc', 'v'\): expected a scalar or shape "
                              r"\(8,\), got \(3,\)", lambda s: s.set_state("exc", "v", [1, 2, 3])),
    "set_state NaN": (ValueError, r"set_state\('cur', 'i_exc'\): values must be finite",
                      lambda s: s.set_state("cur", "i_exc", NAN)),
    "spikes not recorded": (ValueError, r"spikes of 'src' are not recorded: call "
                            r"brain.record_spikes\('src'\)", lambda s: s.spikes("src")),
    "state not recorded": (ValueError, r"state 'g_ampa' of 'exc' is not recorded",
                           lambda s: s.recorded_state("exc", "g_ampa")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(STATE_CASES))
def test_bad_state_access_changes_nothing(case):
    exc, match, call = STATE_CASES[case]
    sim = make_brain().build()
    sim.run(n_steps=20, inputs=good_inputs(20))
    before = sim_snapshot(sim)
    with pytest.raises(exc, match=match):
        call(sim)
    assert sim_snapshot(sim) == before
    sim.run(n_steps=10)
    assert sim.step == 30


def test_messages_name_the_projection():
    """A projection's errors carry its name (given or made from the populations)."""
    brain = make_brain()
    with pytest.raises(ValueError, match=re.escape("connection exc+ctx.l4 -> cur: ")):
        brain.connect(["exc", "ctx.l4"], "cur", FP, weight_pa=1.0, receptor="exc",
                      delay_ms=0.0)  # fmt: skip
    with pytest.raises(ValueError, match=re.escape("connection feedback: ")):
        brain.connect("exc", "cur", FP, weight_pa=1.0, receptor="exc", delay_ms=0.0,
                      name="feedback")  # fmt: skip


def test_a_delay_drawn_beyond_the_longest_names_the_connection():
    brain = make_brain()
    brain.connect("exc", "cur", nb.FixedIndegree(2), weight_pa=1.0, receptor="exc",
                  delay_ms=nb.Uniform(1.0, 1e5), name="far")  # fmt: skip
    with pytest.raises(ValueError, match=r"connection far: a delay of \d+ steps exceeds the "
                       r"65535 steps supported"):  # fmt: skip
        brain.build()


def test_dt_must_be_a_number_not_a_string():
    with pytest.raises(TypeError, match=r"Brain: dt_ms must be a number, got '0.1'"):
        nb.Brain(dt_ms="0.1")


def test_memory_without_synapses_has_no_bytes_per_synapse():
    brain = nb.Brain()
    brain.add_population("a", 10, nb.CurrentLIF())
    mem = brain.build().memory()
    assert mem["n_synapses"] == 0 and math.isnan(mem["bytes_per_synapse"])


def test_a_description_is_fixed_once_a_brain_uses_it():
    """Models, connectivity rules and plasticity rules refuse changes once added or
    connected (the build reads them again); the brain builds what it was given."""
    import copy
    import pickle

    model = nb.CurrentLIF(v_thresh_mv=np.full(4, -50.0))
    rule, stdp = nb.FixedProbability(0.5), nb.STDP(w_max=1.0)
    with pytest.raises(TypeError, match=r"give v_reset_mv when making it"):
        model.v_reset_mv = -70.0  # (it would not reach the parameters)
    brain = nb.Brain(seed=1)
    brain.add_population("a", 4, model)
    brain.add_population("src", 4, nb.SpikeSource())
    brain.connect("src", "a", rule, weight_pa=0.5, receptor="exc", plasticity=stdp)
    changes = [lambda: setattr(rule, "p", 7), lambda: model.params.__setitem__("c_m_pf", -5),
               lambda: setattr(model, "v_thresh_mv", 0.0), lambda: model.params.update(a=1),
               lambda: setattr(stdp, "lambda_", 7.0), lambda: stdp.params.pop("w_max"),
               lambda: model.params["v_thresh_mv"].__setitem__(0, 0.0)]  # fmt: skip
    for change in changes:
        with pytest.raises((TypeError, ValueError), match="fixed once a brain uses it|read-only"):
            change()
    assert rule.p == 0.5 and stdp.lambda_ == 0.01 and model.params["c_m_pf"] == 200.0
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert repr(twin) == repr(model) and twin.params.keys() == model.params.keys()
        np.testing.assert_array_equal(twin.params["v_thresh_mv"], model.params["v_thresh_mv"])
    brain.build().run(duration_ms=1.0)


def blowing_up(backend="cpu", batch=2):
    """Five sources onto each of five neurons at the largest float32 weight: two spikes
    at once make the conductance infinite and the membrane NaN."""
    brain = nb.Brain(seed=1)
    brain.add_population("quiet", 3, nb.CurrentLIF())
    brain.add_population("a", 5, nb.ConductanceLIF())
    brain.add_population("s", 5, nb.SpikeSource())
    brain.connect("s", "a", nb.AllToAll(), receptor="ampa", weight_ns=3e38)
    return brain.build(backend=backend, batch=batch)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_a_blow_up_is_caught_in_its_chunk(backend, monkeypatch):
    """A NaN in the state stops the run at the end of its chunk, naming the population,
    the first neuron, the copy and the steps."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    monkeypatch.setattr(nb.config, "CHUNK_STEPS", 10)
    sim = blowing_up(backend)
    spikes = np.zeros((2, 30, 5), bool)
    spikes[1, 12] = True  # (copy 1, step 12: in the chunk of steps 10-19)
    with pytest.raises(nb.BlowUpError, match=r"population 'a': v of neuron 0 \(batch copy 1\) "
                       r"is nan after steps 10-19 \(t = 1-2 ms\): the network blew up \(5 "
                       r"neuron\(s\) affected\)"):  # fmt: skip
        sim.run(n_steps=30, inputs={"s": spikes})
    assert sim.step == 20
    spikes[1, 12] = False
    fine = blowing_up(backend)
    fine.run(n_steps=30, inputs={"s": spikes})  # (the same without the spikes: no error)


@pytest.mark.parametrize("make, match", [
    (lambda b: b.add_population("x", 2, nb.ConductanceLIF(g_leak_ns=1e-60)),
     r"population 'x': g_leak_ns = 1e-60 does not fit a float32"),
    (lambda b: b.add_population("x", 2, nb.ConductanceLIF(i_bias_pa=1e39)),
     r"population 'x': i_bias_pa = 1e\+39 does not fit a float32"),
    (lambda b: b.add_population("x", 2, nb.ConductanceLIF(e_ampa_mv=-1e39)),
     r"population 'x': e_ampa_mv = -1e\+39 does not fit a float32"),
    (lambda b: b.populations["exc"].init(v=1e39),
     r"population 'exc': the initial v = 1e\+39 does not fit a float32"),
    (lambda b: b.connect("src", "cur", nb.AllToAll(), weight_pa=1e39, receptor="exc",
                         name="big"), r"connection big: weight_pa: a weight of 1e\+39"),
    (lambda b: b.connect("src", "exc", nb.FixedTotalNumber(10), weight_ns=nb.Normal(3e38, 1e38),
                         receptor="ampa", name="drawn"),
     r"connection drawn: weight_ns: a weight of .* does not fit a float32"),
])  # fmt: skip
def test_values_beyond_float32_are_refused_at_build(make, match):
    brain = make_brain()
    make(brain)
    with pytest.raises(ValueError, match=match):
        brain.build()


def test_the_presets_give_no_unit_hints():
    with warnings.catch_warnings():
        warnings.simplefilter("error", nb.UnitWarning)
        for make in (nb.presets.coba, nb.presets.cuba, nb.presets.sensorimotor,
                     nb.presets.microcircuit, nb.presets.cue_action, nb.presets.distal_reward,
                     nb.presets.many_populations):  # fmt: skip
            make()
        nb.presets.coba(stdp=True)
        nb.presets.microcircuit(background="poisson")
        nb.CurrentLIF(v_thresh_mv=1e6)  # (a silent neuron: no hint)


@pytest.mark.parametrize("make, hint", [
    (lambda: nb.ConductanceLIF(c_m_pf=0.2), r"c_m_pf=0.2 pF is implausibly small; if you meant "
     r"0.2 nF, give c_m_pf=200"),
    (lambda: nb.Brain(dt_ms=1e-4), r"dt_ms=0.0001 ms is implausibly small; if you meant "
     r"0.0001 s, give dt_ms=0.1"),
    (lambda: nb.PoissonSource(rate_hz=0.01), r"rate_hz=0.01 Hz is implausibly small; if you "
     r"meant 0.01 kHz, give rate_hz=10"),
    (lambda: nb.AdEx(v_t_mv=-0.05), r"v_t_mv=-0.05 mV .* if you meant -0.05 V, give v_t_mv=-50"),
    (lambda: nb.CurrentLIF(t_ref_ms=np.full(5, 2e3 * 1e6)), r"t_ref_ms=2e\+09 ms is "
     r"implausibly large; if you meant 2e\+09 us, give t_ref_ms=2e\+06"),
    (lambda: make_brain().add_poisson_input("exc", rate_hz=0.002, weight_ns=1.0,
                                            receptor="ampa"), r"rate_hz=0.002 Hz"),
    (lambda: make_brain().connect("src", "exc", nb.AllToAll(), weight_ns=2e-9,
                                  receptor="ampa"), r"weight_ns=2e-09 nS is implausibly small"),
])  # fmt: skip
def test_unit_slips_get_a_hint(make, hint):
    """The value is used as given; the warning names the likely slip."""
    with pytest.warns(nb.UnitWarning, match=hint):
        make()


def test_a_poisson_input_of_more_than_ten_thousand_spikes_a_step_is_refused():
    """(It would take a step for ever; a larger rate overflowed at build.)"""
    brain = make_brain()
    for rate, n in ((4.9e57, 1), (2e6, 600)):
        with pytest.raises(ValueError, match=r"spikes per step into each neuron; at most 10000"):
            brain.add_poisson_input("exc", rate_hz=rate, n_sources=n, weight_ns=1.0,
                                    receptor="ampa")  # fmt: skip
    assert brain.poisson_inputs == []
