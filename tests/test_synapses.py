"""Synapses you can read and write: ``sim.connections(proj)`` gives every synapse of a
projection in user units, ``sim.set_weights`` writes them, and every rule takes weights and
delays per synapse, as a matrix or from a distribution."""

import numpy as np
import pytest

import nbbrain as nb


def two_pops(seed=1):
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    brain.add_population("a", 30, nb.ConductanceLIF())
    brain.add_population("b", 20, nb.CurrentLIF())
    brain.add_population("c", 10, nb.ConductanceLIF())
    return brain


def test_connections_of_from_arrays_are_what_was_given():
    brain = two_pops()
    pre = np.array([0, 5, 5, 29, 3])
    post = np.array([1, 2, 2, 19, 0])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    d = np.array([0.1, 0.5, 0.2, 1.0, 0.3])
    proj = brain.connect("a", "b", nb.FromArrays(pre, post), weight_mv=w, delay_ms=d,
                         receptor="exc")  # fmt: skip
    sim = brain.build()
    c = sim.connections(proj)
    assert set(c._fields) == {"pre", "post", "weight", "delay_ms"}
    got = sorted(zip(c.pre.tolist(), c.post.tolist(), np.round(c.weight, 5).tolist(),
                     np.round(c.delay_ms, 6).tolist()))  # fmt: skip
    want = sorted(zip(pre.tolist(), post.tolist(), w.tolist(), d.tolist()))
    assert got == want  # weight_mv back in mV (stored as pA: times g_leak)
    assert sim.connections(proj.name).weight.size == 5


@pytest.mark.parametrize("rule", [nb.AllToAll(), nb.OneToOne(), nb.FixedProbability(0.3),
                                  nb.FixedIndegree(4), nb.FixedOutdegree(3),
                                  nb.FixedTotalNumber(50)], ids=repr)  # fmt: skip
def test_every_rule_takes_matrices_and_distributions(rule):
    """A weight matrix ``[n_pre, n_post]`` gives synapse i -> j the weight W[i, j]; a delay
    distribution gives whole steps in its range."""
    brain = two_pops()
    n_pre = 30 if not isinstance(rule, nb.OneToOne) else 10
    pre = "a" if n_pre == 30 else "c"
    W = np.arange(n_pre * 10, dtype=float).reshape(n_pre, 10) * 0.01
    proj = brain.connect(pre, "c", rule, weight_ns=W, delay_ms=nb.Uniform(0.1, 2.0),
                         receptor="ampa")  # fmt: skip
    sim = brain.build()
    c = sim.connections(proj)
    assert c.pre.size > 0
    np.testing.assert_allclose(c.weight, W[c.pre, c.post], rtol=1e-6)
    steps = c.delay_ms / 0.1
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert steps.min() >= 1 and steps.max() <= 20


def test_connections_follow_the_rule_and_a_list_of_populations():
    brain = two_pops()
    proj = brain.connect(["a", "c"], "b", nb.FixedIndegree(7), weight_pa=30.0, receptor="exc")
    sim = brain.build()
    c = sim.connections(proj)
    assert np.all(np.bincount(c.post, minlength=20) == 7)
    assert c.pre.max() < 40 and np.all(c.weight == 30.0)  # pre indexes a then c


def test_projections_sharing_populations_and_receptor_are_told_apart():
    """Two projections with the same pre, post and receptor: each reads back its own."""
    brain = two_pops()
    p1 = brain.connect("a", "c", nb.FixedIndegree(3), weight_ns=1.0, receptor="ampa",
                       name="first")  # fmt: skip
    p2 = brain.connect("a", "c", nb.FixedIndegree(2), weight_ns=2.0, receptor="ampa",
                       name="second", delay_ms=0.5)  # fmt: skip
    sim = brain.build()
    c1, c2 = sim.connections(p1), sim.connections(p2)
    assert c1.pre.size == 30 and c2.pre.size == 20
    assert np.all(c1.weight == 1.0) and np.all(c2.weight == 2.0)
    assert np.allclose(c2.delay_ms, 0.5) and np.allclose(c1.delay_ms, 0.1)
    m = sim.memory()
    assert m["connectivity_bytes"] - (sim.net.n + 1) * 8 == 10 * m["n_synapses"]  # a tag


def test_static_projections_keep_8_bytes_a_synapse():
    sim = nb.presets.coba().build()
    m = sim.memory()
    assert m["connectivity_bytes"] - (sim.net.n + 1) * 8 == 8 * m["n_synapses"]


def test_set_weights_round_trips_and_acts():
    brain = nb.Brain(dt_ms=0.1, seed=2)
    brain.add_population("src", 1, nb.SpikeSource(times_ms=[1.0]))
    brain.add_population("dst", 4, nb.CurrentLIF())
    proj = brain.connect("src", "dst", nb.AllToAll(), weight_mv=1.0, receptor="exc")
    brain.record_state("dst", "v")
    sim = brain.build()
    w = np.array([0.5, 1.0, 2.0, 4.0])
    c = sim.connections(proj)
    sim.set_weights(proj, w[c.post])
    np.testing.assert_allclose(sim.connections(proj).weight, w[c.post], rtol=1e-6)
    sim.run(duration_ms=20.0)
    _, v = sim.recorded_state("dst", "v")
    peak = v.max(axis=0) + 60.0
    np.testing.assert_allclose(peak / peak[1], w / w[1], rtol=1e-4)  # PSPs scale
    sim.set_weights(proj, 0.0)
    assert np.all(sim.connections(proj).weight == 0.0)


@pytest.mark.parametrize("value, err, match", [
    (np.ones(3), ValueError, r"expected a scalar or 4 weights"),
    (np.nan, ValueError, "weights must be finite"),
    (-1.0, ValueError, r"weight_mv for receptor 'exc' must be >= 0, got -1"),
    ("big", TypeError, "expected numbers"),
])  # fmt: skip
def test_bad_weights_change_nothing(value, err, match):
    brain = nb.Brain(dt_ms=0.1)
    brain.add_population("src", 1, nb.SpikeSource())
    brain.add_population("dst", 4, nb.CurrentLIF())
    proj = brain.connect("src", "dst", nb.AllToAll(), weight_mv=1.0, receptor="exc")
    sim = brain.build()
    before = sim.connections(proj).weight.copy()
    with pytest.raises(err, match=match):
        sim.set_weights(proj, value)
    np.testing.assert_array_equal(sim.connections(proj).weight, before)


def test_unknown_projection_is_refused():
    brain = two_pops()
    brain.connect("c", "c", nb.OneToOne(), weight_ns=1.0, receptor="ampa")
    sim = brain.build()
    other = two_pops().connect("c", "c", nb.OneToOne(), weight_ns=1.0, receptor="ampa")
    with pytest.raises(ValueError, match="is not a projection of this simulation's brain"):
        sim.connections(other)
    with pytest.raises(ValueError, match="unknown projection 'x'"):
        sim.connections("x")


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_small_brains_order_their_rows_in_numpy_exactly_as_the_compiled_sort(parts):
    """``sort_rows_small`` (numpy, which small brains use: no compilation to wait for)
    gives the order and the part pointers of the compiled ``sort_rows``, ties included."""
    from nbbrain.assemble import rows as R

    rng = np.random.default_rng(parts)
    n, shift, n_slots = 50, 8, 6
    counts = rng.integers(0, 30, n)
    rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    delay = rng.integers(0, n_slots, rows[-1]).astype(np.uint32)
    target = rng.integers(0, 2 * n, rows[-1]).astype(np.uint32)  # (two channels)
    syn = (delay << np.uint32(shift)) | target
    weight = rng.normal(size=rows[-1]).astype(np.float32)
    tag = rng.integers(0, 3, rows[-1]).astype(np.uint16)
    part_of = np.tile(rng.integers(0, parts, n).astype(np.uint8), 2)
    out = []
    for sort in (R.sort_rows, R.sort_rows_small):
        s, w, t = syn.copy(), weight.copy(), tag.copy()
        seg = np.empty(n * parts + 1, np.int64)
        sort(rows, s, w, t, np.uint32(shift), np.uint32((1 << shift) - 1), n_slots, part_of,
             seg)  # fmt: skip
        out.append((s, w, t, seg))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)
