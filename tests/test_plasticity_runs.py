"""Plastic brains run exactly: the same spikes and learned weights whatever the threads, the
chunking, a batch or a checkpoint; copies of a batch learn independently."""

import numpy as np
import pytest

import nbbrain as nb


def plastic_brain(seed=1):
    """A small recurrent brain with every rule: STDP onto the excitatory neurons,
    per-presynaptic short-term depression onto the inhibitory ones, inhibitory plasticity
    back, dopamine-gated STDP from an input released by a dopamine population,
    homeostasis on the input, STDP that defers facilitation from the excitatory to the
    inhibitory neurons."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    exc = brain.add_population("exc", 160, nb.ConductanceLIF())
    inh = brain.add_population("inh", 40, nb.ConductanceLIF())
    inp = brain.add_population("input", 50, nb.PoissonSource(rate_hz=30.0))
    da = brain.add_population("da", 5, nb.PoissonSource(rate_hz=20.0))
    brain.add_modulator("dopamine", tau_ms=50.0, released_by=da)
    brain.add_modulator("acetylcholine", tau_ms=100.0, released_by=inh, amount=0.5)
    brain.add_poisson_input([exc, inh], rate_hz=2400.0, weight_ns=0.5, receptor="ampa")
    brain.connect(exc, exc, nb.FixedProbability(0.1), weight_ns=nb.Uniform(0.1, 0.6),
                  receptor="ampa", delay_ms=nb.Uniform(0.5, 3.0), delay_rounding="round",
                  plasticity=nb.STDP(w_max=1.0, lambda_=0.05, alpha=1.05))  # fmt: skip
    brain.connect(exc, inh, nb.FixedProbability(0.2), weight_ns=0.8, delay_ms=1.0, receptor="ampa",
                  plasticity=nb.TsodyksMarkram(u=0.4, tau_rec_ms=100.0,
                                               per_presynaptic=True))  # fmt: skip
    brain.connect(inh, exc, nb.FixedProbability(0.2), weight_ns=2.0, receptor="gaba_a",
                  delay_ms=0.8, plasticity=nb.VogelsSprekeler(eta=0.05, target_rate_hz=5.0,
                                                              w_max=10.0))  # fmt: skip
    brain.connect(inp, exc, nb.FixedProbability(0.2), weight_ns=0.5, delay_ms=1.5, receptor="ampa",
                  dendritic_fraction=0.0,
                  plasticity=nb.DopamineSTDP(a_plus=0.1, a_minus=0.12, tau_c_ms=200.0,
                                             w_max=2.0))  # fmt: skip
    brain.connect(inp, inh, nb.FixedProbability(0.2), weight_ns=0.5, delay_ms=1.0, receptor="ampa",
                  plasticity=nb.Homeostasis(target_rate_hz=10.0, tau_ms=500.0,
                                            every_ms=20.0, w_max=2.0))  # fmt: skip
    brain.connect(inh, inh, nb.FixedProbability(0.2), weight_ns=1.0, receptor="gaba_a")
    # (one dendritic delay and additive facilitation: deferred, over epochs of 80 ms)
    brain.connect(exc, inh, nb.FixedProbability(0.1), weight_ns=0.4, delay_ms=1.2, receptor="ampa",
                  plasticity=nb.STDP(tau_plus_ms=5.0, lambda_=0.05, alpha=1.1, mu_plus=0.0,
                                     w_max=1.0))  # fmt: skip
    brain.record_spikes([exc, inh])
    return brain


def fingerprint(sim, copy=0):
    """Spikes and every projection's weights, in an order that does not depend on the
    threads."""
    out = []
    for name in ("exc", "inh"):
        t, i = sim.spikes(name, copy)
        out += [t, i]
    for proj in sim._projections:
        c = sim.connections(proj, copy)
        order = np.lexsort((c.weight, c.delay_ms, c.post, c.pre))
        out.append(c.weight[order])
    return out


def same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def reference_run():
    sim = plastic_brain().build()
    sim.run(300.0)
    return sim, fingerprint(sim)


def test_weights_learn(reference_run):
    sim, _ = reference_run
    start = plastic_brain().build()
    changed = 0
    for proj, proj0 in zip(sim._projections, start._projections):
        w, w0 = sim.connections(proj).weight, start.connections(proj0).weight
        changed += not np.array_equal(np.sort(w), np.sort(w0))
    assert changed == 5  # all but the static and the short-term (weights kept) ones
    assert np.count_nonzero(sim.net.plastic.slot >= 0) == 1  # (the last one defers)
    assert sim.modulator("dopamine") > 0
    assert sim.modulator("acetylcholine") > sim.modulator("dopamine")  # (several at once)
    assert sum(sim.spikes(n)[0].size for n in ("exc", "inh")) > 500


@pytest.mark.parametrize("threads", [2])
def test_threads_and_chunks_give_the_same_run(reference_run, threads):
    _, want = reference_run
    sim = plastic_brain().build(threads=threads)
    for ms in (17.3, 0.1, 80.0, 2.6, 200.0):
        sim.run(ms)
    same(fingerprint(sim), want)


def test_batch_copies_learn_independently(reference_run):
    _, want = reference_run
    sim = plastic_brain().build(batch=2, threads=2)
    sim.run(300.0)
    same(fingerprint(sim, 0), want)
    w0 = sim.connections(sim._projections[0], 0).weight
    w1 = sim.connections(sim._projections[0], 1).weight
    assert not np.array_equal(w0, w1)


def test_checkpoint_restores_learning(reference_run):
    _, want = reference_run
    sim = plastic_brain().build()
    sim.run(120.0)
    saved = sim.checkpoint()
    sim.run(50.0)  # (moves on; the restore goes back)
    other = plastic_brain().build(threads=2)
    other.restore(saved)
    other.run(180.0)
    sim.restore(saved)
    sim.run(180.0)
    # the spikes before the checkpoint are not part of it: compare the weights, and the
    # spikes after it
    for a, b in zip(fingerprint(other)[4:], want[4:]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fingerprint(sim)[4:], want[4:]):
        np.testing.assert_array_equal(a, b)
    for name in ("exc", "inh"):
        t, i = other.spikes(name)
        tw, iw = reference_run[0].spikes(name)
        np.testing.assert_array_equal(t, tw[tw >= 120.0])
        np.testing.assert_array_equal(i, iw[tw >= 120.0])


def test_target_runs_cover_each_parts_targets_once():
    """The runs of consecutive targets by which the ring of plastic input in flight feeds
    the inbox hold each part's targets, once each, and no other part's."""
    from nbbrain.assemble.plastic import _target_runs

    rng = np.random.default_rng(0)
    targets = np.unique(rng.integers(0, 500, 300))
    part = rng.integers(0, 3, targets.size)
    ptr, lo, hi = _target_runs(targets, part, 3)
    assert np.all(hi > lo)
    for p in range(3):
        runs = [np.arange(lo[u], hi[u]) for u in range(ptr[p], ptr[p + 1])]
        np.testing.assert_array_equal(np.sort(np.concatenate(runs)), targets[part == p])
    ptr, lo, hi = _target_runs(np.zeros(0, np.int64), np.zeros(0, np.int64), 2)
    assert ptr.tolist() == [0, 0, 0] and lo.size == hi.size == 0
