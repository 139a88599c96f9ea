"""Connectivity rules: property tests of the compiled generators and of the built CSR.

Two levels: the generators in ``nbbrain.assemble.connect`` (local (pre, post) pairs, cheap, many
examples), and whole brains through the public API, read back from ``sim.net``'s CSR
(``indptr``, ``syn`` = ``delay << shift | target``, unpacked as ``target = channel * N +
post`` and ``delay`` in steps; ``weight``).
"""

from collections import Counter

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nbbrain as nb
from nbbrain.assemble import connect as C
from nbbrain.assemble.network import build_network

DT = 0.1
KEYS = st.integers(0, 2**64 - 1).map(np.uint64)
SIZES = st.integers(1, 60)
# p below ~4e-18 overflows the geometric skip (see test_fixed_probability_tiny_p_...)
PROBABILITIES = st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-3, 1.0))
COND_CHANNEL = {"ampa": 0, "gaba_a": 1, "nmda": 2, "gaba_b": 3}
CUR_CHANNEL = {"exc": 0, "inh": 1}


# ---- helpers ----------------------------------------------------------------------------
def csr(net):
    """Every synapse of the CSR: global pre (from the row), global post, channel, weight,
    delay (steps)."""
    n = net.n
    pre = np.repeat(np.arange(n, dtype=np.int64), np.diff(net.row_ptr))
    channel, post = np.divmod(net.target.astype(np.int64), n)
    return pre, post, channel, net.weight, net.delay.astype(np.int64)


def check_csr(net):
    """The invariants of the packed CSR."""
    ip = net.row_ptr
    assert net.indptr.dtype == np.int64 and net.indptr.shape == (net.n * net.n_parts + 1,)
    assert ip.shape == (net.n + 1,)
    assert ip[0] == 0 and ip[-1] == net.n_synapses
    assert np.all(np.diff(ip) >= 0)
    m = net.n_synapses
    assert net.syn.shape == net.weight.shape == (m,)
    assert net.weight.dtype == np.float32
    # 8 bytes per synapse: delay and target packed in 32 bits while they fit
    assert net.shift == max(1, (net.n_channels * net.n - 1).bit_length())
    wide = net.shift + (net.n_slots - 1).bit_length() > 32
    assert net.syn.dtype == (np.uint64 if wide else np.uint32)
    if m:
        assert net.target.min() >= 0 and net.target.max() < net.n_channels * net.n
        assert net.delay.min() >= 1 and int(net.delay.max()) < net.n_slots
        assert np.all(np.isfinite(net.weight))
        # each part of a row holds its part's targets, ordered by delay: a spike's
        # synapses arrive as one run per step and part
        d, segs = net.delay, np.repeat(np.arange(net.n * net.n_parts), np.diff(net.indptr))
        assert np.all((np.diff(d) >= 0) | (np.diff(segs) != 0))
        part = (net.target % net.n) * net.n_parts // net.n
        assert np.array_equal(part, segs % net.n_parts)


def local(net, g):
    """(population name, local index) of each global index."""
    k = np.searchsorted(net.lo, g, side="right") - 1
    return [(net.names[a], int(b)) for a, b in zip(k, g - net.lo[k])]


def described(net, channel=None):
    """Multiset of (pre name, local pre, post name, local post, channel, weight, delay)."""
    pre, post, ch, w, d = csr(net)
    sel = slice(None) if channel is None else ch == channel
    rows = zip(local(net, pre[sel]), local(net, post[sel]), ch[sel], w[sel], d[sel])
    return Counter((a, i, b, j, int(c), float(x), int(y)) for (a, i), (b, j), c, x, y in rows)


def pairs_of(net, channel=None):
    """Multiset of global (pre, post) pairs, optionally of one channel."""
    pre, post, ch, _, _ = csr(net)
    if channel is not None:
        pre, post = pre[ch == channel], post[ch == channel]
    return Counter(zip(pre.tolist(), post.tolist()))


def one_pop(n, rule, seed=1, receptor="ampa", **kw):
    """A self-projection of one ConductanceLIF population ``a`` of ``n`` neurons."""
    brain = nb.Brain(dt_ms=DT, seed=seed)
    brain.add_population("a", n, nb.ConductanceLIF())
    kw.setdefault("weight_ns", 1.0)
    brain.connect("a", "a", rule, receptor=receptor, **kw)
    net = build_network(brain)  # (the network only: no kernels to compile)
    check_csr(net)
    return net


def two_pops(n_pre, n_post, rule, seed=1, dt_ms=DT, **kw):
    """``a`` (n_pre) -> ``b`` (n_post), both ConductanceLIF, AMPA."""
    brain = nb.Brain(dt_ms=dt_ms, seed=seed)
    brain.add_population("a", n_pre, nb.ConductanceLIF())
    brain.add_population("b", n_post, nb.ConductanceLIF())
    kw.setdefault("weight_ns", 1.0)
    brain.connect("a", "b", rule, receptor="ampa", **kw)
    net = build_network(brain)  # (the network only: no kernels to compile)
    check_csr(net)
    return net


def binomial_ok(count, n, p):
    """``count`` within 5 sigma of Binomial(n, p) (plus one for the discreteness)."""
    return abs(count - n * p) <= 5 * np.sqrt(n * p * (1 - p)) + 1


@st.composite
def overlap(draw):
    """(n_pre, n_post, self_post): a block of ``s`` neurons shared by pre and post lists."""
    n_pre, n_post = draw(SIZES), draw(SIZES)
    s = draw(st.integers(0, min(n_pre, n_post)))
    a = draw(st.integers(0, n_pre - s))
    b = draw(st.integers(0, n_post - s))
    self_post = np.full(n_pre, -1, np.int64)
    self_post[a : a + s] = b + np.arange(s)
    return n_pre, n_post, self_post


# ---- compiled generators ------------------------------------------------------------------
@given(overlap(), st.booleans())
def test_all_to_all_generator(shape, autapses):
    n_pre, n_post, self_post = shape
    pre, post = C.all_to_all(n_pre, n_post, self_post, autapses)
    shared = int((self_post >= 0).sum())
    assert pre.size == n_pre * n_post - (0 if autapses else shared)
    want = {(i, j) for i in range(n_pre) for j in range(n_post)}
    if not autapses:
        want -= {(i, int(self_post[i])) for i in range(n_pre) if self_post[i] >= 0}
    got = list(zip(pre.tolist(), post.tolist()))
    assert len(set(got)) == len(got) and set(got) == want
    assert np.all(np.diff(pre) >= 0)


@given(overlap(), st.booleans(), PROBABILITIES, KEYS)
def test_fixed_probability_generator(shape, autapses, p, key):
    n_pre, n_post, self_post = shape
    pre, post = C.fixed_probability(key, n_pre, n_post, p, self_post, autapses)
    assert pre.dtype == post.dtype == np.int32 and pre.shape == post.shape
    if pre.size:
        assert 0 <= pre.min() and pre.max() < n_pre
        assert 0 <= post.min() and post.max() < n_post
    assert np.all(np.diff(pre) >= 0)  # rows in order
    pairs = list(zip(pre.tolist(), post.tolist()))
    assert len(set(pairs)) == len(pairs)  # never a multapse
    if not autapses:
        assert not np.any(post == self_post[pre])
    shared = int((self_post >= 0).sum())
    n_pairs = n_pre * n_post - (0 if autapses else shared)
    if p == 1.0:
        assert pre.size == n_pairs
    elif p == 0.0:
        assert pre.size == 0
    assert binomial_ok(pre.size, n_pairs, p)
    again = C.fixed_probability(key, n_pre, n_post, p, self_post, autapses)
    assert np.array_equal(again[0], pre) and np.array_equal(again[1], post)


@given(SIZES, SIZES, st.floats(0.05, 0.95), KEYS)
def test_fixed_probability_rows_are_independent(n_pre, extra, p, key):
    """Adding rows does not change earlier ones: each row has its own random stream."""
    n_post = 30
    none = np.full(n_pre + extra, -1, np.int64)
    pre1, post1 = C.fixed_probability(key, n_pre, n_post, p, none[:n_pre], True)
    pre2, post2 = C.fixed_probability(key, n_pre + extra, n_post, p, none, True)
    first = pre2 < n_pre
    assert np.array_equal(pre2[first], pre1) and np.array_equal(post2[first], post1)


@pytest.mark.parametrize("p", [1e-20, 1e-300])
def test_fixed_probability_tiny_p_stays_in_bounds(p):
    pre, post = C.fixed_probability(np.uint64(12345), 50, 50, p, np.full(50, -1, np.int64), True)
    assert post.size == 0 or (0 <= post.min() and post.max() < 50)
    assert binomial_ok(pre.size, 2500, p)


@st.composite
def degree_case(draw):
    """(n_rows, n_other, k, self_other, autapses, multapses) that the rule accepts."""
    n_rows, n_other, self_other = draw(overlap())
    autapses, multapses = draw(st.booleans()), draw(st.booleans())
    has_self = bool((self_other >= 0).any()) and not autapses
    avail = n_other - (1 if has_self else 0)
    assume(avail >= 1)
    k = draw(st.integers(0, 3 * avail if multapses else avail))
    return n_rows, n_other, k, self_other, autapses, multapses


@given(degree_case(), KEYS)
def test_fixed_degree_generator(case, key):
    n_rows, n_other, k, self_other, autapses, multapses = case
    rows, other = C.fixed_degree(key, n_rows, n_other, k, self_other, autapses, multapses)
    assert rows.size == other.size == n_rows * k
    assert np.array_equal(np.bincount(rows, minlength=n_rows), np.full(n_rows, k))
    assert np.all(np.diff(rows) >= 0)
    if other.size:
        assert 0 <= other.min() and other.max() < n_other
    if not autapses:
        assert not np.any(other == self_other[rows])
    if not multapses:
        pairs = list(zip(rows.tolist(), other.tolist()))
        assert len(set(pairs)) == len(pairs)
    again = C.fixed_degree(key, n_rows, n_other, k, self_other, autapses, multapses)
    assert np.array_equal(again[0], rows) and np.array_equal(again[1], other)


@given(st.integers(1, 40), st.integers(2, 40), st.booleans(), KEYS)
def test_fixed_degree_full_rows_take_every_partner(n_rows, n_other, autapses, key):
    """Without multapses, k = every allowed partner gives each of them exactly once."""
    self_other = np.arange(n_rows, dtype=np.int64) % n_other
    k = n_other if autapses else n_other - 1
    rows, other = C.fixed_degree(key, n_rows, n_other, k, self_other, autapses, False)
    for r in range(n_rows):
        want = set(range(n_other)) - (set() if autapses else {int(self_other[r])})
        assert sorted(other[rows == r].tolist()) == sorted(want)


@pytest.mark.parametrize("multapses", [False, True])
def test_fixed_degree_partners_are_uniform(multapses):
    """Partners are drawn uniformly among the allowed ones (the excluded one never)."""
    n_rows, n_other, k, exclude = 20_000, 10, 3, 4
    self_other = np.full(n_rows, exclude, np.int64)
    _, other = C.fixed_degree(np.uint64(7), n_rows, n_other, k, self_other, False, multapses)
    counts = np.bincount(other, minlength=n_other)
    assert counts[exclude] == 0
    expected = n_rows * k / (n_other - 1)
    allowed = np.delete(counts, exclude)
    assert np.all(np.abs(allowed - expected) < 5 * np.sqrt(expected))


def test_different_keys_give_different_synapses():
    none = np.full(40, -1, np.int64)
    a = C.fixed_probability(np.uint64(1), 40, 40, 0.3, none, True)
    b = C.fixed_probability(np.uint64(2), 40, 40, 0.3, none, True)
    assert not (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]))
    a = C.fixed_degree(np.uint64(1), 40, 40, 10, none, True, False)
    b = C.fixed_degree(np.uint64(2), 40, 40, 10, none, True, False)
    assert not np.array_equal(a[1], b[1])


@given(st.lists(st.tuples(st.integers(0, 59), st.integers(1, 9), st.integers(0, 99)),
                max_size=300), st.integers(0, 40))  # fmt: skip
def test_sort_synapses_orders_by_row_delay_target(syn, extra):
    rows, delay, target = (
        (np.array(c, np.int64).reshape(-1) for c in zip(*syn))
        if syn
        else (np.zeros(0, np.int64),) * 3
    )
    n_rows = (int(rows.max()) + 1 if rows.size else 0) + extra
    indptr, order = C.sort_synapses(rows, delay, target, n_rows)
    assert indptr.shape == (n_rows + 1,) and indptr[0] == 0 and indptr[-1] == rows.size
    assert np.array_equal(np.diff(indptr), np.bincount(rows, minlength=n_rows))
    assert sorted(order.tolist()) == list(range(rows.size))
    assert np.array_equal(order, np.lexsort((target, delay, rows)))  # stable, as lexsort


@given(st.lists(st.lists(st.integers(1, 4), max_size=8), max_size=12), st.integers(1, 7))
def test_delays_ascend_in_chunks_as_whole(rows, chunk):
    from nbbrain.assemble.synapses import _delays_ascend

    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    delays = np.array([d for r in rows for d in r], np.uint32)
    want = all(r == sorted(r) for r in rows)
    assert _delays_ascend(indptr, delays << np.uint32(3), 3, chunk) == want


# ---- rules through the public API ----------------------------------------------------------
@given(SIZES, st.booleans())
def test_all_to_all_self_projection(n, autapses):
    net = one_pop(n, nb.AllToAll(allow_autapses=autapses))
    pairs = pairs_of(net)
    assert net.n_synapses == n * n - (0 if autapses else n)
    assert max(pairs.values(), default=1) == 1
    assert any(i == j for i, j in pairs) == autapses
    assert np.all(net.weight == 1.0) and np.all(net.delay == 1)


@given(SIZES, SIZES)
def test_all_to_all_between_populations(n_pre, n_post):
    net = two_pops(n_pre, n_post, nb.AllToAll(allow_autapses=False))
    want = {(i, n_pre + j) for i in range(n_pre) for j in range(n_post)}
    assert pairs_of(net) == Counter(want)


@given(SIZES, st.booleans())
def test_one_to_one(n, swap):
    """a -> b and b -> a: local i to local i, whichever population comes first."""
    brain = nb.Brain(dt_ms=DT, seed=3)
    brain.add_population("a", n, nb.ConductanceLIF())
    brain.add_population("b", n, nb.ConductanceLIF())
    pre, post = ("b", "a") if swap else ("a", "b")
    brain.connect(pre, post, nb.OneToOne(), weight_ns=2.0, receptor="nmda", delay_ms=0.3)
    net = build_network(brain)
    check_csr(net)
    want = Counter((pre, i, post, i, 2, 2.0, 3) for i in range(n))
    assert described(net) == want


@given(SIZES, PROBABILITIES, st.booleans(), st.integers(0, 2**32))
def test_fixed_probability(n, p, autapses, seed):
    net = one_pop(n, nb.FixedProbability(p, allow_autapses=autapses), seed=seed)
    pre, post, ch, _, _ = csr(net)
    assert np.all(ch == 0) and np.all((0 <= post) & (post < n))
    if not autapses:
        assert not np.any(pre == post)
    assert max(pairs_of(net).values(), default=1) == 1
    assert binomial_ok(net.n_synapses, n * n - (0 if autapses else n), p)


@given(SIZES, SIZES, st.data())
def test_fixed_indegree(n_pre, n_post, data):
    """Every post neuron gets exactly k synapses (self-projection on ``a`` or a -> b)."""
    self_proj = data.draw(st.booleans())
    autapses, multapses = data.draw(st.booleans()), data.draw(st.booleans())
    n_post = n_pre if self_proj else n_post
    avail = n_pre - (1 if self_proj and not autapses else 0)
    assume(avail >= 1)
    k = data.draw(st.integers(0, 2 * avail if multapses else avail))
    rule = nb.FixedIndegree(k, allow_autapses=autapses, allow_multapses=multapses)
    if self_proj:
        net = one_pop(n_pre, rule)
        post_lo, pre_range = 0, (0, n_pre)
    else:
        net = two_pops(n_pre, n_post, rule)
        post_lo, pre_range = n_pre, (0, n_pre)
    pre, post, _, _, _ = csr(net)
    assert net.n_synapses == k * n_post
    assert np.array_equal(np.bincount(post - post_lo, minlength=n_post), np.full(n_post, k))
    assert np.all((pre_range[0] <= pre) & (pre < pre_range[1]))
    if self_proj and not autapses:
        assert not np.any(pre == post)
    if not multapses:
        assert max(pairs_of(net).values(), default=1) == 1


@given(SIZES, SIZES, st.data())
def test_fixed_outdegree(n_pre, n_post, data):
    """Every pre neuron's row holds exactly k synapses."""
    self_proj = data.draw(st.booleans())
    autapses, multapses = data.draw(st.booleans()), data.draw(st.booleans())
    n_post = n_pre if self_proj else n_post
    avail = n_post - (1 if self_proj and not autapses else 0)
    assume(avail >= 1)
    k = data.draw(st.integers(0, 2 * avail if multapses else avail))
    rule = nb.FixedOutdegree(k, allow_autapses=autapses, allow_multapses=multapses)
    net = one_pop(n_pre, rule) if self_proj else two_pops(n_pre, n_post, rule)
    post_lo = 0 if self_proj else n_pre
    pre, post, _, _, _ = csr(net)
    rows = np.diff(net.row_ptr)
    assert np.array_equal(rows[:n_pre], np.full(n_pre, k))
    assert not rows[n_pre:].any()
    assert np.all((post_lo <= post) & (post < post_lo + n_post))
    if self_proj and not autapses:
        assert not np.any(pre == post)
    if not multapses:
        assert max(pairs_of(net).values(), default=1) == 1


@st.composite
def explicit_synapses(draw):
    n_pre, n_post = draw(SIZES), draw(SIZES)
    m = draw(st.integers(0, 150))
    pre = draw(st.lists(st.integers(0, n_pre - 1), min_size=m, max_size=m))
    post = draw(st.lists(st.integers(0, n_post - 1), min_size=m, max_size=m))
    return n_pre, n_post, np.array(pre, np.int64), np.array(post, np.int64)


@given(explicit_synapses(), st.integers(1, 255), st.booleans())
def test_from_arrays(case, d_max, per_synapse):
    """Exactly the given synapses (repeats included), each with its own weight and delay."""
    n_pre, n_post, pre, post = case
    m = pre.size
    rng = np.random.default_rng(m)
    if per_synapse:
        weight = rng.uniform(0.0, 10.0, m).round(3)
        steps = rng.integers(1, d_max + 1, m)
        kw = dict(weight_ns=weight, delay_ms=steps * DT)
    else:
        weight, steps = np.full(m, 2.5), np.full(m, d_max)
        kw = dict(weight_ns=2.5, delay_ms=d_max * DT)
    net = two_pops(n_pre, n_post, nb.FromArrays(pre, post), **kw)
    assert net.n_synapses == m
    want = Counter(
        ("a", int(i), "b", int(j), 0, float(np.float32(w)), int(s))
        for i, j, w, s in zip(pre, post, weight, steps)
    )
    assert described(net) == want


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 10)), max_size=60), st.booleans())
def test_multi_population_connect_maps_local_indices(pairs, reverse):
    """Lists of populations are concatenated in the order given (not name order)."""
    pre = np.array([i for i, _ in pairs], np.int64)
    post = np.array([j for _, j in pairs], np.int64)
    sizes = {"a": 3, "b": 4, "c": 5, "d": 6}
    brain = nb.Brain(dt_ms=DT, seed=0)
    for name in ("d", "b", "c", "a"):
        g_leak = 10.0 if name == "c" else 25.0
        brain.add_population(name, sizes[name], nb.CurrentLIF(g_leak_ns=g_leak))
    pres, posts = (["b", "a"], ["d", "c"]) if reverse else (["a", "b"], ["c", "d"])
    weight = np.linspace(0.5, 3.0, pre.size).round(3)
    brain.connect(pres, posts, nb.FromArrays(pre, post), weight_mv=weight, receptor="exc")
    net = build_network(brain)
    check_csr(net)

    def where(names, i):
        for name in names:
            if i < sizes[name]:
                return name, int(i)
            i -= sizes[name]
        raise AssertionError(i)

    want = Counter()
    for i, j, w in zip(pre, post, weight):
        post_name, jj = where(posts, j)
        g_leak = 10.0 if post_name == "c" else 25.0  # weight_mv -> pA with the target's g_leak
        want[(*where(pres, i), post_name, jj, 0, float(np.float32(w * g_leak)), 1)] += 1
    assert described(net) == want


def test_multi_population_all_to_all_without_autapses():
    """Only neurons in both lists lose their autapse."""
    brain = nb.Brain(dt_ms=DT, seed=0)
    for name, n in (("a", 3), ("b", 4), ("c", 5)):
        brain.add_population(name, n, nb.ConductanceLIF())
    brain.connect(["a", "b"], ["b", "c"], nb.AllToAll(allow_autapses=False), weight_ns=1.0,
                  receptor="ampa")  # fmt: skip
    net = build_network(brain)
    check_csr(net)
    pre, post, _, _, _ = csr(net)
    assert net.n_synapses == 7 * 9 - 4
    assert not np.any(pre == post)
    assert pairs_of(net) == Counter((i, j) for i in range(7) for j in range(3, 12) if i != j)


def test_multi_population_all_to_all_accepts_per_synapse_weights():
    brain = nb.Brain(dt_ms=DT, seed=0)
    for name, n in (("a", 3), ("b", 4), ("c", 5)):
        brain.add_population(name, n, nb.ConductanceLIF())
    weight = np.arange(1, 7 * 9 - 4 + 1, dtype=np.float64)
    brain.connect(["a", "b"], ["b", "c"], nb.AllToAll(allow_autapses=False), weight_ns=weight,
                  receptor="ampa")  # fmt: skip
    net = build_network(brain)
    assert sorted(net.weight.tolist()) == weight.tolist()


@given(st.lists(st.sampled_from(["ampa", "gaba_a", "nmda", "gaba_b"]), min_size=1, max_size=4))
def test_receptor_channels(receptors):
    """Each projection's synapses target its receptor's channel; n_channels covers them."""
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("a", 5, nb.ConductanceLIF())
    brain.add_population("b", 6, nb.ConductanceLIF())
    for r in receptors:
        brain.connect("a", "b", nb.AllToAll(), weight_ns=1.0, receptor=r)
    net = build_network(brain)
    check_csr(net)
    _, post, ch, _, _ = csr(net)
    assert net.n_channels == 1 + max(COND_CHANNEL[r] for r in receptors)
    want = Counter(COND_CHANNEL[r] for r in receptors for _ in range(30))
    assert Counter(ch.tolist()) == want
    assert np.all((5 <= post) & (post < 11))


# ---- a whole brain: CSR invariants, weights, delays, seeds, order --------------------------
POP_SPECS = [
    ("exc", nb.ConductanceLIF()),
    ("inh", nb.ConductanceLIF(g_leak_ns=12.0)),
    ("cur", nb.CurrentLIF(g_leak_ns=20.0)),
    ("src", nb.SpikeSource()),
]


@st.composite
def brain_case(draw):
    sizes = {name: draw(st.integers(1, 25)) for name, _ in POP_SPECS}
    order = draw(st.permutations(range(len(POP_SPECS))))
    p = draw(PROBABILITIES)
    k_in = draw(st.integers(0, 5))
    k_out = draw(st.integers(0, 5))
    delays = draw(st.lists(st.integers(1, 30), min_size=4, max_size=4))
    weights = draw(st.lists(st.floats(0.0, 50.0, width=32), min_size=4, max_size=4))
    seed = draw(st.integers(0, 2**40))
    return sizes, order, p, k_in, k_out, delays, weights, seed


def make_brain(case, pop_order=None, proj_order=None):
    sizes, order, p, k_in, k_out, delays, weights, seed = case
    brain = nb.Brain(dt_ms=DT, seed=seed)
    for k in pop_order if pop_order is not None else order:
        name, model = POP_SPECS[k]
        brain.add_population(name, sizes[name], model)
    n_exc = sizes["exc"]
    w, d = weights, [x * DT for x in delays]
    projections = [
        lambda: brain.connect(["exc", "src"], ["exc", "inh"], nb.FixedProbability(p),
                              weight_ns=w[0], receptor="ampa", delay_ms=d[0]),
        lambda: brain.connect("inh", ["exc", "inh"],
                              nb.FixedIndegree(min(k_in, sizes["inh"] - 1),
                                               allow_autapses=False),
                              weight_ns=w[1], receptor="gaba_a", delay_ms=d[1]),
        lambda: brain.connect("exc", "cur", nb.FixedOutdegree(k_out, allow_multapses=True),
                              weight_mv=w[2], receptor="exc", delay_ms=d[2]),
        lambda: brain.connect(["src", "exc"], "exc", nb.AllToAll(allow_autapses=False),
                              weight_ns=w[3], receptor="nmda",
                              delay_ms={"src": d[3], "exc": nb.Uniform(0.0, d[3])}),
        lambda: brain.connect("exc", "exc", nb.OneToOne(), weight_ns=w[0], receptor="gaba_b",
                              delay_ms=np.full(n_exc, d[1])),
    ]  # fmt: skip
    for k in proj_order if proj_order is not None else range(len(projections)):
        projections[k]()
    return brain


@given(brain_case())
def test_whole_brain_csr(case):
    sizes, _, p, k_in, k_out, delays, weights, _ = case
    net = build_network(make_brain(case))
    check_csr(net)
    assert net.names == sorted(sizes)  # populations in name order
    for k, name in enumerate(net.names):
        assert net.hi[k] - net.lo[k] == sizes[name]
        assert net.index(name) == k
    assert net.lo[0] == 0 and np.array_equal(net.lo[1:], net.hi[:-1]) and net.hi[-1] == net.n
    pre, post, ch, w, d = csr(net)
    syn = described(net)
    # gaba_a (FixedIndegree(k) without autapses): every exc and inh neuron gets k from inh
    k = min(k_in, sizes["inh"] - 1)
    into = Counter()
    for (_, _, b, j, c, _, _), m in syn.items():
        if c == 1:
            into[b, j] += m
    assert all(into[("exc", j)] == k for j in range(sizes["exc"]))
    assert all(into[("inh", j)] == k for j in range(sizes["inh"]))
    # exc (FixedOutdegree onto cur, channel 0 of cur): k_out per exc neuron, weight in pA
    lo_cur = net.lo[net.index("cur")]
    to_cur = (post >= lo_cur) & (post < lo_cur + sizes["cur"])
    assert np.all(ch[to_cur] == 0)
    lo_exc = net.lo[net.index("exc")]
    assert np.array_equal(
        np.bincount(pre[to_cur] - lo_exc, minlength=sizes["exc"]), np.full(sizes["exc"], k_out)
    )
    assert np.all(w[to_cur] == np.float32(weights[2] * 20.0))
    assert np.all(d[to_cur] == delays[2])
    # weights and delays per channel (OneToOne and FixedProbability share ampa/gaba_b weight)
    for c, wi, di in ((1, 1, 1), (3, 0, 1)):
        assert np.all(w[ch == c] == np.float32(weights[wi]))
        assert np.all(d[ch == c] == delays[di])
    assert np.sum(ch == 3) == sizes["exc"]
    ampa = (ch == 0) & ~to_cur
    assert np.all(w[ampa] == np.float32(weights[0])) and np.all(d[ampa] == delays[0])
    assert np.all(w[ch == 2] == np.float32(weights[3]))
    n_pairs = (sizes["exc"] + sizes["src"]) * (sizes["exc"] + sizes["inh"])
    assert binomial_ok(int(ampa.sum()), n_pairs, p)
    # nmda (AllToAll src+exc -> exc without autapses): per-source delays
    nmda = ch == 2
    assert nmda.sum() == (sizes["src"] + sizes["exc"]) * sizes["exc"] - sizes["exc"]
    from_src = nmda & (pre >= net.lo[net.index("src")]) & (pre < net.hi[net.index("src")])
    assert np.all(d[from_src] == delays[3])
    assert np.all((d[nmda & ~from_src] >= 1) & (d[nmda & ~from_src] <= delays[3]))


@given(brain_case())
def test_same_seed_same_synapses(case):
    a, b = build_network(make_brain(case)), build_network(make_brain(case))
    for attr in ("indptr", "target", "weight", "delay"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr))
        assert getattr(a, attr).dtype == getattr(b, attr).dtype


def test_other_seed_other_synapses():
    case = ({"exc": 25, "inh": 25, "cur": 25, "src": 25}, [0, 1, 2, 3], 0.3, 5, 5,
            [1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0], 1)  # fmt: skip
    a = build_network(make_brain(case))
    b = build_network(make_brain(case[:-1] + (2,)))
    assert a.n_synapses != b.n_synapses or not np.array_equal(a.target, b.target)
    assert not np.array_equal(a.delay, b.delay)  # the Uniform delays are drawn anew


@given(brain_case(), st.permutations(range(5)))
def test_order_of_adding_does_not_matter(case, proj_order):
    """Population and (distinctly named) projection order change no synapse."""
    reference = described(build_network(make_brain(case, pop_order=range(len(POP_SPECS)))))
    shuffled = build_network(make_brain(case, proj_order=proj_order))
    assert described(shuffled) == reference


# ---- weights and delays --------------------------------------------------------------------
ROUNDING = {"round": np.round, "floor": np.floor, "ceil": np.ceil}


def delays_of(ms, rounding, dt_ms=DT):
    """Steps of each per-synapse delay (weights 0, 1, ... tell the synapses apart)."""
    m = len(ms)
    pairs = np.arange(m) % 5
    net = two_pops(5, 5, nb.FromArrays(pairs, pairs), weight_ns=np.arange(m, dtype=float),
                   delay_ms=np.asarray(ms), delay_rounding=rounding, dt_ms=dt_ms)  # fmt: skip
    return {int(x): int(y) for x, y in zip(net.weight, net.delay)}


@given(
    st.lists(st.tuples(st.integers(1, 200), st.floats(0.01, 0.45), st.booleans()), min_size=1,
             max_size=40),
    st.sampled_from(list(ROUNDING)),
)  # fmt: skip
def test_delays_off_the_grid_are_rounded_as_asked(cases, rounding):
    steps = np.array([s for s, _, _ in cases], np.float64)
    offset = np.array([o if up else -o for _, o, up in cases])
    want = ROUNDING[rounding](steps + offset)
    assume(np.all(steps + offset >= 1))  # delays below dt are refused whatever the rounding
    got = delays_of((steps + offset) * DT, rounding)
    assert got == {i: int(want[i]) for i in range(len(cases))}


@given(
    st.lists(st.integers(1, 255), min_size=1, max_size=40),
    st.sampled_from([None, "round"]),
)
def test_delays_on_the_grid_are_exact(steps, rounding):
    """Delays typed as decimals (0.3, 1.1, ...) are that many steps."""
    ms = [float(f"{s * DT:.1f}") for s in steps]
    assert delays_of(ms, rounding) == dict(enumerate(steps))


@pytest.mark.parametrize("rounding, dt_ms, ms, steps", [
    ("floor", 0.1, [0.3, 0.6, 0.7, 1.2], [3, 6, 7, 12]),
    ("ceil", 0.01, [0.07, 0.14, 0.28, 0.56], [7, 14, 28, 56]),
])  # fmt: skip
def test_floor_and_ceil_keep_delays_on_the_grid(rounding, dt_ms, ms, steps):
    """A delay that is a whole number of steps stays that number whatever the rounding."""
    assert delays_of(ms, rounding, dt_ms) == dict(enumerate(steps))


@given(st.integers(1, 255))
def test_scalar_delay_in_steps(steps):
    net = two_pops(4, 4, nb.AllToAll(), delay_ms=steps * DT)
    assert np.all(net.delay == steps) and net.n_slots == steps + 1
    assert net.syn.dtype == np.uint32


def test_delay_and_target_beyond_32_bits_use_uint64():
    """17 bits of target (70,000 neurons) and 16 of delay (40,000 steps) need 64 bits."""
    net = two_pops(1, 70_000, nb.FromArrays([0, 0], [5, 69_999]), delay_ms=40_000 * DT)
    assert net.syn.dtype == np.uint64 and net.shift == 17
    assert np.all(net.delay == 40_000) and sorted(net.target % net.n) == [6, 70_000]


@given(st.floats(-5.0, 3.0), st.floats(0.0, 2.0), st.integers(0, 1000))
def test_distribution_delays_never_below_one_step(mean, sd, seed):
    net = one_pop(30, nb.AllToAll(), seed=seed, delay_ms=nb.Normal(mean, sd))
    assert net.delay.min() >= 1
    if mean + 5 * sd < 0.05:  # (almost) every draw is below half a step: clipped to 1
        assert np.all(net.delay == 1)


@given(st.floats(0.0, 5.0), st.floats(0.0, 5.0))
def test_uniform_delays_lie_in_their_range(a, b):
    low, high = min(a, b), max(a, b)
    net = one_pop(20, nb.AllToAll(), delay_ms=nb.Uniform(low, high))
    assert net.delay.min() >= max(1, np.floor(low / DT))
    assert net.delay.max() <= max(1, np.ceil(high / DT))


@given(st.floats(0.0, 100.0), st.sampled_from(["ampa", "gaba_a", "nmda", "gaba_b"]))
def test_scalar_weight(w, receptor):
    net = one_pop(7, nb.FixedIndegree(3), receptor=receptor, weight_ns=w)
    assert np.all(net.weight == np.float32(w))
    assert np.all(net.target // net.n == COND_CHANNEL[receptor])


@pytest.mark.parametrize("receptor, unit, w, g_leak", [
    ("exc", "weight_pa", 30.0, 10.0), ("inh", "weight_pa", -30.0, 10.0),
    ("exc", "weight_mv", 0.5, 20.0), ("inh", "weight_mv", -0.5, 15.0),
])  # fmt: skip
def test_current_lif_weights(receptor, unit, w, g_leak):
    brain = nb.Brain(dt_ms=DT, seed=0)
    brain.add_population("a", 6, nb.CurrentLIF(g_leak_ns=g_leak))
    brain.connect("a", "a", nb.AllToAll(), receptor=receptor, **{unit: w})
    net = build_network(brain)
    scale = g_leak if unit == "weight_mv" else 1.0
    assert np.all(net.weight == np.float32(w * scale))
    assert np.all(net.target // net.n == CUR_CHANNEL[receptor])


@given(st.integers(0, 1000))
def test_distribution_weights(seed):
    net = one_pop(30, nb.AllToAll(), seed=seed, weight_ns=nb.Uniform(1.0, 2.0))
    assert np.all((net.weight >= 1.0) & (net.weight <= 2.0))
    assert np.unique(net.weight).size > 800  # drawn per synapse
    net2 = one_pop(30, nb.AllToAll(), seed=seed, weight_ns=nb.Normal(1.0, 5.0, low=0.0))
    assert net2.weight.min() == 0.0 and np.all(net2.weight >= 0.0)


@given(SIZES, st.integers(0, 400), st.booleans())
def test_fixed_total_number_self_projection(n, total, autapses):
    """Exactly ``total`` synapses, all in bounds, autapses only when allowed."""
    if n == 1 and not autapses and total:
        with pytest.raises(ValueError, match="no pair to draw"):
            one_pop(n, nb.FixedTotalNumber(total, allow_autapses=False))
        return
    net = one_pop(n, nb.FixedTotalNumber(total, allow_autapses=autapses))
    pairs = pairs_of(net)
    assert sum(pairs.values()) == total == net.n_synapses
    assert all(0 <= a < n and 0 <= b < n for a, b in pairs)
    if not autapses:
        assert all(a != b for a, b in pairs)


def test_fixed_total_number_is_uniform_and_seeded():
    """Each of 40 x 50 pairs is hit with probability 1/2000: in- and out-degrees are
    multinomial around 20000/50 and 20000/40; the same seed gives the same synapses."""
    net = two_pops(40, 50, nb.FixedTotalNumber(20_000))
    pre, post, _, _, _ = csr(net)
    out_deg = np.bincount(pre - net.lo[net.index("a")], minlength=40)
    in_deg = np.bincount(post - net.lo[net.index("b")], minlength=50)
    for deg, mean in ((out_deg, 500), (in_deg, 400)):
        assert np.all(np.abs(deg - mean) < 6 * np.sqrt(mean))  # multinomial, 6 sd
    again = two_pops(40, 50, nb.FixedTotalNumber(20_000))
    assert pairs_of(again) == pairs_of(net)
    assert pairs_of(two_pops(40, 50, nb.FixedTotalNumber(20_000), seed=2)) != pairs_of(net)


def test_fixed_total_number_weights_and_delays_follow_their_distributions():
    """Row-wise generation draws weights (ziggurat normals) and delays (their exact
    distribution on steps) per synapse: a KS test of the weights against the normal CDF,
    and each delay step's count against its binomial, 5 sd."""
    import math

    from nbbrain.assemble.rows import delay_cdf

    n, w, delay = 50_000, nb.Normal(2.0, 0.5), nb.Normal(1.5, 0.75, low=DT)
    net = two_pops(100, 100, nb.FixedTotalNumber(n), weight_ns=w, delay_ms=delay)
    x = np.sort(net.weight.astype(np.float64))
    cdf = 0.5 * (1 + np.vectorize(math.erf)((x - 2.0) / (0.5 * math.sqrt(2))))
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks < 1.95 / math.sqrt(n) + 1e-6  # float32 rounding of the weights: tiny
    p = np.diff(delay_cdf(delay, DT, "round", 65535))
    hist = np.bincount(net.delay, minlength=p.size + 1)
    assert hist.size == p.size + 1 and hist[0] == 0  # at least one step
    counts, expected = hist[1:], n * p
    assert np.all(np.abs(counts - expected) <= 5 * np.sqrt(expected * (1 - p)) + 1)


@given(st.floats(-2.0, 4.0), st.floats(0.0, 2.0), st.sampled_from(list(ROUNDING)),
       st.sampled_from([None, 0.05, 0.3]), st.sampled_from([None, 2.0]), st.booleans())  # fmt: skip
def test_delay_table_is_the_rounded_distribution(mean, sd, rounding, low, high, truncate):
    """``delay_cdf`` (the row-wise generator's delays) against numpy draws in ms rounded
    as the pair generators round them, clipped or truncated: the same probability of each
    step, 6 sd."""
    from nbbrain.assemble.rows import delay_cdf
    from nbbrain.model.brain import delay_steps

    assume(low is None or high is None or low <= high)
    truncate = truncate and (low is not None or high is not None)
    try:
        dist = nb.Normal(mean, sd, low=low, high=high, truncate=truncate)
    except ValueError:  # truncation that keeps too little of the distribution: refused
        assume(False)
    draws = dist.sample(np.random.default_rng(0), 20_000)
    steps = np.maximum(delay_steps(draws, DT, rounding), 1).astype(np.int64)
    cdf = delay_cdf(dist, DT, rounding, 65535)
    assert cdf[0] == 0 and cdf[-1] == 1 and np.all(np.diff(cdf) >= 0)
    p = np.diff(cdf)
    assert steps.max() <= p.size
    got = np.bincount(steps, minlength=p.size + 1)[1:] / draws.size
    assert np.all(np.abs(got - p) <= 6 * np.sqrt(p * (1 - p) / draws.size) + 1e-3)


def test_truncated_weights_are_drawn_again_not_clipped():
    """``truncate=True`` (NEST's redraw): no weight piles up at the bound, and the mean is
    the truncated normal's, on both generators (row-wise and pairs)."""
    import math

    w = nb.Normal(0.2, 1.0, low=0.0, truncate=True)
    phi = math.exp(-0.02) / math.sqrt(2 * math.pi)  # density of N(0.2, 1) at 0
    mean = 0.2 + phi / (1 - 0.5 * (1 + math.erf(-0.2 / math.sqrt(2))))
    for rule in (nb.FixedTotalNumber(40_000), nb.FixedProbability(1.0)):
        net = two_pops(200, 200, rule, weight_ns=w)
        x = net.weight.astype(np.float64)
        assert x.min() > 0 and np.count_nonzero(x == 0) == 0
        assert abs(x.mean() - mean) < 6 * x.std() / math.sqrt(x.size)
    clipped = two_pops(200, 200, nb.FixedTotalNumber(40_000), weight_ns=nb.Normal(0.2, 1, low=0))
    assert np.count_nonzero(clipped.weight == 0) > 10_000  # clipping: an atom at the bound


def test_truncation_that_keeps_too_little_is_refused():
    with pytest.raises(ValueError, match=r"keeps .* of the distribution"):
        nb.Normal(0.0, 1.0, low=6.0, truncate=True)
    with pytest.raises(ValueError, match=r"truncate=True needs low or high"):
        nb.Normal(0.0, 1.0, truncate=True)
