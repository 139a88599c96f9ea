"""Bad plasticity input: clear errors at construction, connect or build, and nothing
changed."""

import numpy as np
import pytest

import nbbrain as nb


def two_pops(dt_ms=0.1):
    brain = nb.Brain(dt_ms=dt_ms, seed=1)
    brain.add_population("a", 10, nb.SpikeSource())
    brain.add_population("b", 10, nb.CurrentLIF())
    return brain


@pytest.mark.parametrize("make, match", [
    (lambda: nb.STDP(w_max=-1.0), "STDP: w_max must be > 0, got -1"),
    (lambda: nb.STDP(), "STDP: w_max is required"),
    (lambda: nb.STDP(w_max=1.0, tau_plus=3), r"unknown parameter\(s\) \['tau_plus'\]"),
    (lambda: nb.STDP(w_max=1.0, lambda_="x"), "lambda_ must be a number"),
    (lambda: nb.TsodyksMarkram(u=1.5), "TsodyksMarkram: u must be >= 0 and <= 1, got 1.5"),
    (lambda: nb.DopamineSTDP(w_min=2.0, w_max=1.0), "w_min .2. must not exceed w_max .1."),
    (lambda: nb.DopamineSTDP(w_max=1.0, modulator=3), "modulator must be the name"),
    (lambda: nb.STDP(w_max=1.0, modulator=""), "STDP: modulator must be None or the name"),
    (lambda: nb.VogelsSprekeler(w_max=1.0), "exactly one of alpha or target_rate_hz"),
    (lambda: nb.VogelsSprekeler(w_max=0.0, alpha=0.1), "w_max must be nonzero"),
    (lambda: nb.Homeostasis(w_max=1.0), "target_rate_hz is required"),
    (lambda: nb.STDP(w_max=float("nan")), "w_max must be > 0, got nan"),
    (lambda: nb.VogelsSprekeler(w_max=1.0, target_rate_hz="x"),
     "VogelsSprekeler: target_rate_hz must be a number, got 'x'"),
    (lambda: nb.VogelsSprekeler(w_max=1.0, alpha=0.1, tau_ms="x"),
     "VogelsSprekeler: tau_ms must be a number, got 'x'"),
    (lambda: nb.VogelsSprekeler(w_max=1.0, target_rate_hz=-1.0),
     "VogelsSprekeler: target_rate_hz must be >= 0, got -1"),
    (lambda: nb.Homeostasis(target_rate_hz=5.0, w_max=0.0), "Homeostasis: w_max must be nonzero"),
])  # fmt: skip
def test_rule_parameters_are_checked(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


@pytest.mark.parametrize("kw, match", [
    (dict(plasticity="stdp"), "plasticity must be a rule such as nb.STDP"),
    (dict(plasticity=nb.STDP(w_max=1.0), weight_pa=2.0), r"weights must lie in \[0, 1\]"),
    (dict(plasticity=nb.STDP(w_max=1.0), receptor="inh", weight_pa=-0.5),
     "STDP keeps weights in .0, 1., but receptor 'inh' takes weights <= 0"),
    (dict(plasticity=nb.STDP(w_max=1.0), dendritic_fraction=1.5),
     r"dendritic_fraction must be in \[0, 1\], got 1.5"),
    (dict(plasticity=nb.DopamineSTDP(w_max=1.0)),
     "DopamineSTDP reads modulator 'dopamine', which the brain lacks; add it first"),
    (dict(plasticity=nb.STDP(w_max=1.0, modulator="ach")),
     "STDP reads modulator 'ach', which the brain lacks; add it first"),
    (dict(dendritic_fraction=5.0), r"dendritic_fraction must be in \[0, 1\], got 5"),
    (dict(plasticity=nb.STDP(w_max=1.0), post="li"),
     "STDP reads the spikes of its targets, but population 'li' .EulerLI. never spikes"),
    (dict(plasticity=nb.Homeostasis(target_rate_hz=5.0, w_max=1.0), post="li"),
     "Homeostasis reads the spikes of its targets, but population 'li'"),
])  # fmt: skip
def test_connect_refuses_and_changes_nothing(kw, match):
    brain = two_pops()
    brain.add_population("li", 10, nb.EulerLI())
    args = dict(receptor="exc", weight_pa=0.5)
    args.update(kw)
    post = args.pop("post", "b")
    if post == "li":
        args["receptor"] = "in"
    with pytest.raises((TypeError, ValueError), match=match):
        brain.connect("a", post, nb.OneToOne(), **args)
    assert brain.projections == []


def test_short_term_plasticity_onto_a_neuron_that_never_spikes():
    """TsodyksMarkram reads no postsynaptic spikes: an EulerLI target is fine."""
    brain = two_pops()
    brain.add_population("li", 10, nb.EulerLI())
    brain.connect("a", "li", nb.OneToOne(), receptor="in", weight_pa=0.5,
                  plasticity=nb.TsodyksMarkram())  # fmt: skip
    assert len(brain.projections) == 1


@pytest.mark.parametrize("kw, match", [
    (dict(weight_pa=nb.Uniform(0.0, 2.0), plasticity=nb.STDP(w_max=1.0)),
     r"connection a -> b: weights must lie in \[0, 1\] for STDP.*drew"),
    (dict(weight_pa=0.5, plasticity=nb.STDP(w_max=1.0), dendritic_fraction=0.5,
          delay_ms=0.3), "dendritic_fraction=0.5 splits a delay of 3 steps"),
    (dict(weight_pa=0.5, plasticity=nb.Homeostasis(target_rate_hz=5.0, w_max=1.0,
                                                   every_ms=0.25)),
     "every_ms=0.25 is not a whole number of steps"),
])  # fmt: skip
def test_build_refuses(kw, match):
    brain = two_pops()
    brain.connect("a", "b", nb.OneToOne(), receptor="exc", **kw)
    with pytest.raises(ValueError, match=match):
        brain.build()


def test_two_per_presynaptic_rules_on_one_neuron():
    brain = two_pops()
    brain.add_population("c", 10, nb.CurrentLIF())
    for post in ("b", "c"):
        brain.connect("a", post, nb.OneToOne(), receptor="exc", weight_pa=1.0,
                      plasticity=nb.TsodyksMarkram(per_presynaptic=True))  # fmt: skip
    with pytest.raises(ValueError, match="already keep per-presynaptic short-term"):
        brain.build()


def test_modulators_are_checked():
    brain = two_pops()
    brain.add_population("li", 10, nb.EulerLI())
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'released_by'"):
        brain.add_modulator("da", tau_ms=10.0)  # (None must be said: only the user sets it)
    with pytest.raises(ValueError, match="tau_ms must be > 0"):
        brain.add_modulator("da", tau_ms=0.0, released_by=None)
    with pytest.raises(ValueError, match="the name is taken"):
        brain.add_modulator("a", tau_ms=10.0, released_by=None)
    with pytest.raises(ValueError, match="unknown population or region 'nope'"):
        brain.add_modulator("da", tau_ms=10.0, released_by="nope")
    with pytest.raises(ValueError, match="population 'li' .EulerLI. never spikes, so it "
                       "cannot release it"):  # fmt: skip
        brain.add_modulator("da", tau_ms=10.0, released_by="li")
    with pytest.raises(ValueError, match=r"amount=0 releases nothing at the spikes of \['a'\]"):
        brain.add_modulator("da", tau_ms=10.0, released_by="a", amount=0.0)
    assert brain.modulators == {}
    brain.add_modulator("da", tau_ms=10.0, released_by=None)
    brain.connect("a", "b", nb.AllToAll(), receptor="exc", weight_pa=0.5,
                  plasticity=nb.DopamineSTDP(w_max=1.0, modulator="da"))  # fmt: skip
    sim = brain.build()
    with pytest.raises(ValueError, match="unknown modulator 'db'"):
        sim.reward("db", 1.0)
    with pytest.raises(ValueError, match="reward.'da'.: amount must be finite"):
        sim.reward("da", float("inf"))
    with pytest.raises(ValueError, match=r"a modulator takes a number .every step. or one "
                       r"amount per step, shape \(10,\); got shape \(3,\)"):  # fmt: skip
        sim.run(n_steps=10, inputs={"da": np.ones(3)})
    assert sim.step == 0


def test_set_weights_keeps_the_rules_range():
    brain = two_pops()
    proj = brain.connect("a", "b", nb.OneToOne(), receptor="exc", weight_pa=0.5,
                         plasticity=nb.STDP(w_max=1.0))  # fmt: skip
    sim = brain.build()
    before = sim.connections(proj).weight
    w = np.full(10, 0.5)
    w[3] = 1.5
    with pytest.raises(ValueError, match=r"set_weights.*weights must lie in \[0, 1\] for "
                       r"STDP.*got 1.5"):  # fmt: skip
        sim.set_weights(proj, w)
    np.testing.assert_array_equal(sim.connections(proj).weight, before)
