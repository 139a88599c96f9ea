"""Batched brains: ``brain.build(batch=B)`` runs B independent copies in one kernel call
per chunk. Copy 0 equals the unbatched build bit for bit; the other copies draw their own
initial values and noise; each copy takes its own inputs."""

import numpy as np
import pytest
from test_reference import cond_brain

import nbbrain as nb
from nbbrain import config


def copy_spikes(sim, copy):
    """Every recorded spike of copy ``copy`` as sorted (step, global index) pairs."""
    out = []
    for k, name in enumerate(sim.net.names):
        t_ms, idx = sim.spikes(name, copy=copy)
        steps = np.round(t_ms / sim.dt_ms).astype(np.int64)
        out += [(int(s), int(sim.net.lo[k] + i)) for s, i in zip(steps, idx)]
    return sorted(out)


def driven_brain(seed=5):
    """A SpikeSource and a current-driven population: inputs decide what happens."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("src", 30, nb.SpikeSource())
    exc = brain.add_population("exc", 40, nb.ConductanceLIF())
    exc.init(v=nb.Uniform(-65, -55))
    brain.connect("src", "exc", nb.FixedIndegree(6), weight_ns=4.0, receptor="ampa",
                  delay_ms=nb.Uniform(0.1, 0.8))  # fmt: skip
    brain.connect("exc", "exc", nb.FixedProbability(0.1), weight_ns=1.0, receptor="ampa",
                  delay_ms=0.2)  # fmt: skip
    brain.record_spikes(["src", "exc"])
    brain.record_state("exc", "v", every_ms=0.5, indices=[0, 3])
    return brain


def test_copy_0_equals_the_unbatched_build():
    one = cond_brain(1).build()
    many = cond_brain(1).build(batch=3)
    r1, rb = one.run(n_steps=800), many.run(n_steps=800)
    assert len(copy_spikes(one, 0)) > 300
    assert copy_spikes(many, 0) == copy_spikes(one, 0)
    for var in ("v", "g_ampa", "g_nmda"):
        np.testing.assert_array_equal(many.state("exc", var)[0], one.state("exc", var))
    assert many.state("exc", "v").shape == (3, 60)
    for name in r1.spike_counts:
        assert rb.spike_counts[name].shape == (3,)
        assert rb.spike_counts[name][0] == r1.spike_counts[name]
    np.testing.assert_array_equal(rb.step_counts[0], r1.step_counts)
    assert rb.step_counts.shape == (3, 800, 3)
    np.testing.assert_array_equal(rb.rates_hz("exc", 5.0)[0], r1.rates_hz("exc", 5.0))
    assert rb.rates_hz("exc", 5.0).shape == (3, 16)
    assert rb.rate_hz("exc")[0] == r1.rate_hz("exc")
    ck = one.checkpoint()
    ckb = many.checkpoint()
    for k in ("state", "ref", "noise", "ring"):
        np.testing.assert_array_equal(ckb[k][0], ck[k])
    assert many.memory()["state_bytes"] == 3 * one.memory()["state_bytes"]
    assert many.memory()["ring_bytes"] == 3 * one.memory()["ring_bytes"]


def test_copies_differ_and_each_is_its_own_brain():
    sim = cond_brain(1).build(batch=3)
    sim.run(n_steps=500)
    s = [copy_spikes(sim, c) for c in range(3)]
    assert s[0] != s[1] and s[1] != s[2] and s[0] != s[2]
    v = sim.state("exc", "v")
    assert not np.array_equal(v[0], v[1])
    # the copies are independent: copy 1 of a batch of 2 is copy 1 of a batch of 3
    two = cond_brain(1).build(batch=2)
    two.run(n_steps=500)
    assert copy_spikes(two, 1) == s[1]
    np.testing.assert_array_equal(two.state("exc", "v")[1], v[1])


def test_each_copy_takes_its_own_input():
    rng = np.random.default_rng(0)
    n = 600
    spikes = rng.random((2, n, 30)) < 0.05
    current = rng.uniform(0, 200, (2, 40)).astype(np.float32)
    batch = driven_brain().build(batch=2)
    batch.run(n_steps=n, inputs={"src": spikes, "exc": current})
    for c in range(2):  # copy 0: exactly the unbatched run with its input
        if c == 0:
            one = driven_brain().build()
            one.run(n_steps=n, inputs={"src": spikes[c], "exc": current[c]})
            assert copy_spikes(batch, 0) == copy_spikes(one, 0)
            t, x = batch.recorded_state("exc", "v", copy=0)
            t1, x1 = one.recorded_state("exc", "v")
            np.testing.assert_array_equal(t, t1)
            np.testing.assert_array_equal(x, x1)
    assert len(copy_spikes(batch, 0)) > 100
    # changing copy 1's input does not change copy 0
    other = spikes.copy()
    other[1] = rng.random((n, 30)) < 0.2
    changed = driven_brain().build(batch=2)
    changed.run(n_steps=n, inputs={"src": other, "exc": current})
    assert copy_spikes(changed, 0) == copy_spikes(batch, 0)
    assert copy_spikes(changed, 1) != copy_spikes(batch, 1)
    # an unbatched input goes to every copy
    same = driven_brain().build(batch=2)
    same.run(n_steps=n, inputs={"src": spikes[0], "exc": current[0]})
    assert copy_spikes(same, 0) == copy_spikes(batch, 0)
    assert len(copy_spikes(same, 1)) > 0


def test_batch_chunking_threads_and_restore(monkeypatch):
    def run(calls, chunk=None, threads=1):
        if chunk is not None:
            monkeypatch.setattr(config, "CHUNK_STEPS", chunk)
        sim = cond_brain(2).build(batch=3, threads=threads)
        for k in calls:
            sim.run(n_steps=k)
        return [copy_spikes(sim, c) for c in range(3)], sim.state("exc", "v")

    ref = run([600])
    for other in (run([1, 250, 349], chunk=37), run([600], threads=2)):
        assert other[0] == ref[0]
        np.testing.assert_array_equal(other[1], ref[1])
    # checkpoint / restore cover every copy
    sim = cond_brain(2).build(batch=3)
    sim.run(n_steps=300)
    ck = sim.checkpoint()
    assert ck["state"].shape[::2] == (3, 120) and ck["ring"].shape[0] == 3
    fresh = cond_brain(2).build(batch=3)
    fresh.restore(ck)
    fresh.run(n_steps=300)
    np.testing.assert_array_equal(fresh.state("exc", "v"), ref[1])
    with pytest.raises(ValueError, match="another brain"):
        cond_brain(2).build(batch=2).restore(ck)


def test_buffer_growth_with_uneven_copies(monkeypatch):
    """One copy fires far above the buffer estimate (stops early, is continued), the other
    is silent: counts and records still agree, per copy."""
    monkeypatch.setattr(config, "CHUNK_STEPS", 500)
    brain = nb.Brain(dt_ms=0.1, seed=3)
    brain.add_population("p", 200, nb.PoissonSource(rate_hz=0.0))
    brain.record_spikes("p")
    sim = brain.build(batch=2)
    sim.set_state("p", "rate_hz", np.array([[3000.0] * 200, [0.0] * 200]))
    res = sim.run(n_steps=1200)
    t_ms, _ = sim.spikes("p", copy=0)
    assert res.spike_counts["p"][0] == t_ms.size > 200 * 1200 * 0.25
    assert res.spike_counts["p"][1] == sim.spikes("p", copy=1)[0].size == 0
    assert np.all(np.diff(t_ms) >= 0)
    one = brain.build()
    one.set_state("p", "rate_hz", 3000.0)
    one.run(n_steps=1200)
    np.testing.assert_array_equal(one.spikes("p")[1], sim.spikes("p", copy=0)[1])


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda b: b.build(batch=0), ValueError, "batch must be >= 1"),
        (lambda b: b.build(batch=2.0), TypeError, "batch must be an integer"),
        (lambda b: b.build(batch=True), TypeError, "batch must be an integer"),
    ],
)
def test_bad_batch(make, exc, match):
    with pytest.raises(exc, match=match):
        make(driven_brain())


def test_bad_batched_inputs_change_nothing():
    sim = driven_brain().build(batch=2)
    before = sim.checkpoint()
    for bad, match in [
        ({"src": np.zeros((3, 10, 30), bool)}, "batch=2 copies, got inputs for 3"),
        ({"exc": np.zeros((3, 40))}, r"per copy \(2, 10, 40\) or \(2, 40\)"),
        ({"src": np.zeros((2, 9, 30), bool)}, "expected shape"),
    ]:
        with pytest.raises(ValueError, match=match):
            sim.run(n_steps=10, inputs=bad)
    after = sim.checkpoint()
    assert sim.step == 0
    for k in ("state", "ref", "noise", "ring"):
        np.testing.assert_array_equal(after[k], before[k])
    for call in (lambda: sim.spikes("src", copy=2), lambda: sim.recorded_state("exc", "v", 5),
                 lambda: sim.spikes("src", copy=-1)):  # fmt: skip
        with pytest.raises(
            ValueError, match=r"copy must be in \[0, 1\] \(the simulation has 2 copies\)"
        ):
            call()
    with pytest.raises(TypeError, match="copy must be an integer"):
        sim.spikes("src", copy=0.0)
    with pytest.raises(ValueError, match="expected a scalar or shape"):
        sim.set_state("exc", "v", np.zeros((3, 40)))
