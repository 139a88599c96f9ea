"""Fuzzed: random descriptions and calls, valid and invalid. Each call either raises a
documented error (ValueError, TypeError, MemoryError, or BlowUpError when a network blows
up) and changes nothing, or succeeds, and then the simulation runs on with finite state:
never a numba error, another exception, a hang, a crash or NaN.

``make test`` runs ``NBBRAIN_FUZZ_EXAMPLES`` (default 150) examples, ``make fuzz``
10,000. The brains share one shape (the same models, receptors and kinds of input, in
varying sizes, parameters, connectivity, weights and delays), so that the examples share
one compiled kernel.
"""

import functools
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import nbbrain as nb

EXAMPLES = int(os.environ.get("NBBRAIN_FUZZ_EXAMPLES", "150"))
DOCUMENTED = (ValueError, TypeError, MemoryError)
#: (no shrinking: a failing example is reported as drawn; shrinking reruns it hundreds of
#: times)
PHASES = (Phase.explicit, Phase.generate)

#: numbers as a hostile user gives them: plausible ones, extremes, NaN, inf, wrong types
ANY = st.one_of(
    st.floats(-100.0, 100.0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e39, -1e39, 1e-60, 2**40, True, "1", None, [1.0, 2.0]]),
)
#: hostile lengths of a run (not the huge valid ones: those run as long as asked)
LENGTH = st.sampled_from([-1, -0.1, 0.05, float("nan"), float("inf"), True, "1", None, 2.5])


def attempt(call):
    """``call()``, or None after a documented error."""
    try:
        return call()
    except DOCUMENTED:
        return None


def maybe(data, valid, label, hostile=ANY):
    """A valid value most of the time, anything now and then."""
    return data.draw(st.one_of(valid, hostile) if data.draw(st.booleans()) else valid,
                     label=label)  # fmt: skip


def describe(data):
    brain = nb.Brain(dt_ms=0.1, seed=data.draw(st.integers(0, 2**32), label="seed"))
    sizes = {k: data.draw(st.integers(1, 30), label=f"n {k}") for k in ("e", "c", "p", "s")}
    params = {
        "v_thresh_mv": maybe(data, st.floats(-55.0, -45.0), "v_thresh_mv"),
        "t_ref_ms": maybe(data, st.sampled_from([0.0, 0.5, 2.0]), "t_ref_ms"),
        "g_leak_ns": maybe(data, st.floats(1.0, 30.0), "g_leak_ns"),
        "i_bias_pa": maybe(data, st.floats(0.0, 400.0), "i_bias_pa"),
    }
    model = attempt(lambda: nb.ConductanceLIF(**params))
    if model is None or attempt(lambda: brain.add_population("e", sizes["e"], model)) is None:
        brain.add_population("e", sizes["e"], nb.ConductanceLIF())
    brain.add_population("c", sizes["c"], nb.CurrentLIF(i_bias_pa=200.0))
    rate = maybe(data, st.floats(0.0, 900.0), "rate_hz")
    if attempt(lambda: brain.add_population("p", sizes["p"], nb.PoissonSource(rate))) is None:
        brain.add_population("p", sizes["p"], nb.PoissonSource(300.0))
    brain.add_population("s", sizes["s"], nb.SpikeSource())
    init = maybe(data, st.floats(-70.0, -50.0), "init v")
    attempt(lambda: brain.populations["e"].init(v=init))
    rules = [lambda: nb.FixedProbability(maybe(data, st.floats(0.0, 1.0), "p")),
             lambda: nb.FixedIndegree(maybe(data, st.integers(1, 5), "k")),
             lambda: nb.AllToAll(), lambda: nb.OneToOne()]  # fmt: skip
    for k in range(data.draw(st.integers(1, 5), label="projections")):
        pre, post = data.draw(st.sampled_from([("p", "e"), ("s", "c"), ("e", "e"), ("e", "c"),
                                               ("c", "e")]), label="pair")  # fmt: skip
        receptor, unit = ("ampa", "weight_ns") if post == "e" else ("exc", "weight_pa")
        rule = attempt(data.draw(st.sampled_from(rules), label="rule"))
        kw = {unit: maybe(data, st.floats(0.0, 5.0), "weight"), "receptor": receptor,
              "delay_ms": maybe(data, st.sampled_from([0.1, 0.3, 1.0, 2.5]), "delay")}  # fmt: skip
        before = len(brain.projections)
        made = attempt(functools.partial(brain.connect, pre, post, rule, name=f"p{k}", **kw))
        assert made is not None or len(brain.projections) == before
    brain.connect("e", "e", nb.FixedProbability(0.1), weight_ns=1.0, receptor="gaba_a",
                  name="inhibition")  # fmt: skip
    attempt(lambda: brain.add_poisson_input("c", rate_hz=maybe(data, st.floats(0, 500), "in"),
                                            weight_pa=20.0, receptor="exc"))  # fmt: skip
    brain.record_spikes(["e", "c", "p", "s"])
    attempt(lambda: brain.record_spikes("c", indices=maybe(data, st.just([0]), "indices"),
                                        window_ms=maybe(data, st.sampled_from([None, 0.5, 3.0]),
                                                        "window")))  # fmt: skip
    attempt(lambda: brain.record_rate(["e", "c"], bin_ms=maybe(data, st.sampled_from([0.1, 2.5]),
                                                                 "bin")))  # fmt: skip
    brain.record_state("e", "v", indices=[0])
    return brain


def check_finite(sim):
    for name, pop in sim.populations.items():
        for var in pop.model.state:
            assert np.all(np.isfinite(sim.state(name, var))), (name, var)


def act(data, sim):
    """One call, drawn."""
    calls = ["run", "steps", "inputs", "set_state", "restore", "weights", "reset", "reseed",
             "spikes", "rate"]  # fmt: skip
    what = data.draw(st.sampled_from(calls), label="call")
    if what == "run":
        sim.run(duration_ms=maybe(data, st.sampled_from([0.0, 0.1, 5.0, 12.3]), "duration",
                                  LENGTH))  # fmt: skip
    elif what == "steps":
        sim.run(n_steps=maybe(data, st.integers(0, 150), "n_steps", LENGTH))
    elif what == "inputs":
        n = data.draw(st.integers(1, 60), label="input steps")
        given = np.random.default_rng(n).random((n, sim.populations["s"].n)) < 0.2
        current = maybe(data, st.floats(-200.0, 200.0), "current")
        sim.run(n_steps=n, inputs={"s": given, "c": np.full(sim.populations["c"].n, current)
                                   if isinstance(current, float) else current})  # fmt: skip
    elif what == "set_state":
        name, var = data.draw(st.sampled_from([("e", "v"), ("e", "g_ampa"), ("c", "v"),
                                               ("c", "i_exc"), ("p", "rate_hz")]))  # fmt: skip
        sim.set_state(name, var, maybe(data, st.floats(-70.0, 50.0), "value"))
    elif what == "restore":
        cp = sim.checkpoint()
        sim.run(n_steps=20)
        field = data.draw(st.sampled_from([None, "state", "ref", "ring", "step"]))
        if field is not None:
            cp[field] = maybe(data, st.just(cp[field]), "field")
        sim.restore(cp)
    elif what == "weights":
        proj = data.draw(st.sampled_from([p.name for p in sim._projections]), label="proj")
        w = sim.connections(proj).weight
        sim.set_weights(proj, maybe(data, st.just(w * 0.5), "weights"))
    elif what == "reset":
        sim.reset()
    elif what == "reseed":
        sim.reseed(maybe(data, st.integers(0, 2**40), "noise_seed"))
    elif what == "rate":
        t, rate = sim.rate(data.draw(st.sampled_from(["e", "c", ["e", "c"], "p"])))
        assert t.shape == rate.shape and np.all(np.isfinite(rate) | np.isnan(rate))
    else:
        sim.spikes(data.draw(st.sampled_from(["e", "c", "s", "nope"])),
                   since_ms=maybe(data, st.floats(0.0, 30.0), "since"))  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(st.data())
def test_random_descriptions_and_calls_end_in_a_documented_error_or_run_finite(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nb.UnitWarning)  # (hints, not errors)
        brain = describe(data)
        sim = attempt(brain.build)
        if sim is None:
            return
        for _ in range(data.draw(st.integers(1, 6), label="calls")):
            try:
                act(data, sim)
            except nb.BlowUpError:
                return  # (documented: the network blew up; the next call would say it again)
            except DOCUMENTED:
                pass
            check_finite(sim)


def test_the_fuzzer_reaches_errors_and_runs():
    """(The fuzz test is not vacuous: both outcomes happen.)"""
    outcomes = set()

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.data())
    def probe(data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nb.UnitWarning)
            sim = attempt(describe(data).build)
            if sim is None:
                outcomes.add("refused")
                return
            try:
                act(data, sim)
                outcomes.add("ran")
            except DOCUMENTED:
                outcomes.add("refused")
            except nb.BlowUpError:
                outcomes.add("blew up")

    probe()
    assert {"ran", "refused"} <= outcomes


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
