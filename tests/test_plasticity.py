"""The plasticity kernels against the float64 references of ``plasticity_reference.py``
(checked against NEST there): independent pairs of a presynaptic spike source and a
postsynaptic neuron made to spike at given steps (by a teacher source), the weight read
right after each presynaptic event."""

import numpy as np
import plasticity_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbbrain as nb

DT = 0.1


def trains(rng, n_pairs, n_steps, n_pre, n_post):
    """Random spike steps per pair: presynaptic ones, and postsynaptic ones at least three
    steps apart (the neuron is refractory for one step after a spike)."""
    pre = [np.sort(rng.choice(np.arange(1, n_steps), n_pre, replace=False))
           for _ in range(n_pairs)]  # fmt: skip
    post = []
    for _ in range(n_pairs):
        s = np.sort(rng.choice(np.arange(2, n_steps // 3), n_post, replace=False)) * 3
        post.append(s)
    return pre, post


def every_rule(brain):
    """A synapse of every rule on spare neurons: the brains of these tests then compile one
    kernel between them (a kernel compiles only the rules its brain uses)."""
    brain.add_population("spare_in", 1, nb.SpikeSource())
    brain.add_population("spare", 1, nb.DeltaLIF(t_ref_ms=DT))
    brain.add_modulator("spare_da", tau_ms=50.0, released_by=None)
    for k, rule in enumerate([
        nb.STDP(w_max=1.0), nb.STDP(w_max=1.0, nearest=True),
        nb.STDP(w_max=1.0, mu_plus=0.0), nb.STDP(w_max=1.0, mu_plus=0.0, nearest=True),
        nb.TsodyksMarkram(),
        nb.TsodyksMarkram(per_presynaptic=True), nb.DopamineSTDP(w_max=1.0, modulator="spare_da"),
        nb.VogelsSprekeler(w_max=1.0, alpha=0.1),
        nb.Homeostasis(target_rate_hz=5.0, every_ms=50.0, w_max=1.0),
    ]):  # fmt: skip
        brain.connect("spare_in", "spare", nb.OneToOne(), weight_mv=0.1, receptor="exc",
                      plasticity=rule, name=f"spare {k}")  # fmt: skip


def pair_brain(rule, delays, fraction, n_pairs, modulator=None):
    brain = nb.Brain(dt_ms=DT, seed=3)
    every_rule(brain)
    brain.add_population("pre", n_pairs, nb.SpikeSource())
    brain.add_population("teacher", n_pairs, nb.SpikeSource())
    brain.add_population("post", n_pairs, nb.DeltaLIF(t_ref_ms=DT))
    if modulator is not None:
        brain.add_population("dopa", 1, nb.SpikeSource())
        brain.add_modulator("dopamine", tau_ms=modulator, released_by="dopa")
        # a decoy that moves otherwise, first in the modulators' order (the rules must read
        # theirs, not the first)
        brain.add_modulator("acetylcholine", tau_ms=20.0, released_by="teacher")
    brain.connect("teacher", "post", nb.OneToOne(), weight_mv=100.0, delay_ms=DT,
                  receptor="exc")  # fmt: skip
    proj = brain.connect("pre", "post", nb.OneToOne(), weight_mv=0.5, receptor="exc",
                         delay_ms=np.asarray(delays) * DT, plasticity=rule,
                         dendritic_fraction=fraction)  # fmt: skip
    return brain, proj


def sent_weights(rule, pre, post, delays, fraction, dopa=None, tau_n=None, threads=1,
                 dip=None, backend="cpu", write_back=False):  # fmt: skip
    """The weight of each pair's synapse right after each of its presynaptic events (the
    weight its spike carries), run chunk by chunk from event to event; ``dip``: (step,
    amount) added to the modulator by a run input; ``write_back``: each weight read is set
    again (``set_weights``)."""
    n_pairs = len(pre)
    brain, proj = pair_brain(rule, delays, fraction, n_pairs, tau_n)
    sim = brain.build(threads=threads, backend=backend)
    n_steps = max(int(max(p.max() for p in pre)), int(max(q.max() for q in post))) + 50
    pre_in = np.zeros((n_steps, n_pairs), bool)
    teach = np.zeros((n_steps, n_pairs), bool)
    for k in range(n_pairs):
        pre_in[pre[k], k] = True
        teach[post[k] - 1, k] = True  # (one step of delay to the post neuron)
    inputs = {"pre": pre_in, "teacher": teach}
    if dopa is not None:
        d = np.zeros((n_steps, 1), bool)
        d[dopa, 0] = True
        inputs["dopa"] = d
    if dip is not None:
        inputs["dopamine"] = np.zeros(n_steps)
        inputs["dopamine"][dip[0]] = dip[1]
    # the step after which each presynaptic event has been handled
    due = {}
    for k in range(n_pairs):
        dd = int(round(fraction * delays[k]))
        handled = pre[k] + (delays[k] - dd if dd > 0 else delays[k] - 1)
        for i, s in enumerate(handled):
            due.setdefault(int(s) + 1, []).append((k, i))
    out = [np.full(len(p), np.nan) for p in pre]
    step = 0
    for stop in sorted(due):
        sim.run(n_steps=stop - step, inputs={n: x[step:stop] for n, x in inputs.items()})
        step = stop
        w = sim.connections(proj).weight
        for k, i in due[stop]:
            out[k][i] = w[k]
        if write_back:
            sim.set_weights(proj, w)
    return out


STDP_KW = dict(tau_plus_ms=15.0, tau_minus_ms=25.0, lambda_=0.2, alpha=1.1, w_max=1.0)


def stdp_reference(pre, post, d, fraction, mu, nearest=False):
    return ref.stdp(pre * DT, post * DT, d * DT, tau_plus=15.0, lambda_=0.2, alpha=1.1,
                    mu_plus=mu, mu_minus=mu, Wmax=1.0, weight=0.5, tau_minus=25.0,
                    nearest=nearest, dendritic_fraction=fraction)  # fmt: skip


@pytest.mark.parametrize("fraction", [1.0, 0.0, 0.5])
@pytest.mark.parametrize("mu", [0.0, 1.0])
@pytest.mark.parametrize("nearest", [False, True])
def test_stdp_matches_reference(fraction, mu, nearest):
    rng = np.random.default_rng(int(fraction * 10 + mu + 7 * nearest))
    n_pairs = 12
    pre, post = trains(rng, n_pairs, 3000, 40, 30)
    delays = 2 * rng.integers(1, 20, n_pairs)  # (even: any fraction of 0.5 is whole)
    rule = nb.STDP(mu_plus=mu, mu_minus=mu, nearest=nearest, **STDP_KW)
    got = sent_weights(rule, pre, post, delays, fraction)
    for k in range(n_pairs):
        want = stdp_reference(pre[k], post[k], delays[k], fraction, mu, nearest)
        assert np.ptp(want) > 0.05
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("taus", [(1.0, 25.0), (25.0, 1.0)])  # (tau_plus, tau_minus)
@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("mu_minus", [0.0, 1.0])
@pytest.mark.parametrize("nearest", [False, True])
def test_deferred_facilitation_matches_reference(fraction, mu_minus, nearest, taus):
    """Additive facilitation on synapses of one dendritic delay is deferred (``stdp.py``):
    the weights are NEST's still, the weight read after each presynaptic event (in the
    middle of an epoch), over several epochs (of 16 times the shorter time constant: 160
    steps here). With the delays all axonal (Brian2's), they may differ."""
    rng = np.random.default_rng(int(10 * fraction + 2 * mu_minus + nearest + 20 * taus[0]))
    n_pairs, n_steps = 12, 3000
    pre, post = trains(rng, n_pairs, n_steps, 60, 40)
    delays = rng.integers(1, 20, n_pairs) if fraction == 0.0 else np.full(n_pairs, 8)
    kw = dict(STDP_KW, tau_plus_ms=taus[0], tau_minus_ms=taus[1], lambda_=0.05)
    rule = nb.STDP(mu_plus=0.0, mu_minus=mu_minus, nearest=nearest, **kw)
    brain, _ = pair_brain(rule, delays, fraction, n_pairs)
    pl = brain.build().net.plastic
    assert np.count_nonzero(pl.slot >= 0) == 3 and pl.epoch == 160  # (2 spares and this one)
    got = sent_weights(rule, pre, post, delays, fraction)
    for k in range(n_pairs):
        want = ref.stdp(pre[k] * DT, post[k] * DT, delays[k] * DT, tau_plus=taus[0],
                        lambda_=0.05, alpha=1.1, mu_plus=0.0, mu_minus=mu_minus, Wmax=1.0,
                        weight=0.5, tau_minus=taus[1], nearest=nearest,
                        dendritic_fraction=fraction)  # fmt: skip
        assert np.ptp(want) > 0.05
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-9)


def test_deferred_facilitation_takes_weights_set_between_runs():
    """Weights set in the middle of an epoch (here: those just read) hold from then on:
    what the synapses had gathered is applied first, as NEST would have."""
    rng = np.random.default_rng(5)
    pre, post = trains(rng, 12, 3000, 60, 40)
    delays = np.full(12, 8)
    rule = nb.STDP(mu_plus=0.0, mu_minus=0.0, **dict(STDP_KW, tau_plus_ms=1.0, lambda_=0.05))
    got = sent_weights(rule, pre, post, delays, 1.0, write_back=True)
    for k in range(12):
        want = ref.stdp(pre[k] * DT, post[k] * DT, delays[k] * DT, tau_plus=1.0,
                        lambda_=0.05, alpha=1.1, mu_plus=0.0, mu_minus=0.0, Wmax=1.0,
                        weight=0.5, tau_minus=25.0)  # fmt: skip
        np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("fraction", [1.0, 0.0])
@pytest.mark.parametrize("one_delay", [False, True])  # (True, or fraction 0: deferred)
@pytest.mark.parametrize("nearest", [False, True])
def test_stdp_with_a_modulators_gain_matches_reference(nearest, one_delay, fraction):
    """``lambda_`` times ``max(0, 1 + n)`` at each pairing, ``n`` a modulator's
    concentration: released by a population (up) and given as run inputs (down, below -1
    too: no learning then)."""
    rng = np.random.default_rng(11 + nearest)
    n_pairs, n_steps, tau_n = 10, 3000, 30.0
    pre, post = trains(rng, n_pairs, n_steps, 40, 30)
    delays = np.full(n_pairs, 7) if one_delay else rng.integers(1, 20, n_pairs)
    dopa = np.sort(rng.choice(np.arange(1, n_steps), 60, replace=False))
    rule = nb.STDP(mu_plus=0.0, mu_minus=0.0, nearest=nearest, modulator="dopamine",
                   **STDP_KW)  # fmt: skip
    # the releases raise n by 1/tau each; a dip of -3 at step 1500 (a run input)
    got = sent_weights(rule, pre, post, delays, fraction, dopa=dopa, tau_n=tau_n,
                       dip=(1500, -3.0))  # fmt: skip
    jumps = [(s * DT, 1.0 / tau_n) for s in dopa] + [(1500 * DT, -3.0)]

    def gain(t):
        n = sum(a * np.exp(-(t - s) / tau_n) for s, a in jumps if s <= t + 1e-9)
        return max(0.0, 1.0 + n)

    for k in range(n_pairs):
        want = ref.stdp(pre[k] * DT, post[k] * DT, delays[k] * DT, tau_plus=15.0,
                        lambda_=0.2, alpha=1.1, mu_plus=0.0, mu_minus=0.0, Wmax=1.0,
                        weight=0.5, tau_minus=25.0, nearest=nearest, gain=gain,
                        dendritic_fraction=fraction)  # fmt: skip
        plain = stdp_reference(pre[k], post[k], delays[k], fraction, 0.0, nearest)
        assert np.max(np.abs(want - plain)) > 0.02  # (the gain matters)
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


def test_tsodyks_matches_reference():
    """What each spike carries, ``x u w``, per synapse and per presynaptic neuron (the
    weight itself does not change)."""
    rng = np.random.default_rng(5)
    pre, _post = trains(rng, 8, 4000, 40, 1)
    delays = rng.integers(1, 30, 8)
    kw = dict(u=0.3, tau_rec_ms=40.0, tau_fac_ms=20.0)
    sims = {}
    for per_pre in (False, True):
        sims[per_pre] = carried_shares(nb.TsodyksMarkram(per_presynaptic=per_pre, **kw), pre,
                                       delays)  # fmt: skip
    for k in range(8):
        want = ref.tsodyks2(pre[k] * DT, U=0.3, u=0.3, x=1.0, tau_rec=40.0, tau_fac=20.0,
                            weight=1.0)  # fmt: skip
        for per_pre in (False, True):
            np.testing.assert_allclose(sims[per_pre][k], want, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("mu_plus", [0.0, 1.0])  # (0: STDP defers facilitation)
def test_per_presynaptic_state_is_its_projections_alone(mu_plus):
    """A neuron's per-presynaptic short-term state belongs to its projection: the neuron's
    synapses of another plastic projection carry their own weights."""
    brain = nb.Brain(dt_ms=DT, seed=3)
    brain.add_population("pre", 4, nb.SpikeSource())
    for name in ("a", "b"):
        brain.add_population(name, 4, nb.DeltaLIF(v_thresh_mv=1e6, c_m_pf=1e9, e_leak_mv=0.0,
                                                  v_reset_mv=0.0))  # fmt: skip
    brain.connect("pre", "a", nb.OneToOne(), weight_mv=1.0, receptor="exc", delay_ms=0.5,
                  plasticity=nb.TsodyksMarkram(u=0.5, tau_rec_ms=500.0,
                                               per_presynaptic=True))  # fmt: skip
    brain.connect("pre", "b", nb.OneToOne(), weight_mv=1.0, receptor="exc", delay_ms=0.5,
                  plasticity=nb.STDP(lambda_=0.0, mu_plus=mu_plus, w_max=2.0))  # fmt: skip
    sim = brain.build()
    x = np.zeros((200, 4), bool)
    x[::20] = True  # (10 spikes each)
    sim.run(n_steps=200, inputs={"pre": x})
    np.testing.assert_allclose(sim.state("b", "v"), 10.0, rtol=1e-4)  # (1 mV each)
    assert np.all(sim.state("a", "v") < 4.0)  # (depressed: 0.5 mV, then less)


def carried_shares(rule, pre, delays):
    """What each presynaptic spike carries (in units of the weight), read from a current
    target's membrane: a DeltaLIF that barely leaks."""
    n_pairs = len(pre)
    brain = nb.Brain(dt_ms=DT, seed=3)
    every_rule(brain)
    brain.add_population("pre", n_pairs, nb.SpikeSource())
    brain.add_population(
        "post", n_pairs, nb.DeltaLIF(v_thresh_mv=1e6, c_m_pf=1e9, e_leak_mv=0.0, v_reset_mv=0.0)
    )
    brain.connect("pre", "post", nb.OneToOne(), weight_mv=1.0, receptor="exc",
                  delay_ms=np.asarray(delays) * DT, plasticity=rule)  # fmt: skip
    sim = brain.build()
    n_steps = int(max(p.max() for p in pre)) + 40
    x = np.zeros((n_steps, n_pairs), bool)
    for k in range(n_pairs):
        x[pre[k], k] = True
    # v after each step at which a spike arrived: the running sum of what they carried
    stops = np.unique(np.concatenate([pre[k] + delays[k] + 1 for k in range(n_pairs)]))
    v, step = {}, 0
    for stop in stops:
        sim.run(n_steps=int(stop) - step, inputs={"pre": x[step:stop]})
        step = int(stop)
        v[step] = sim.state("post", "v").astype(np.float64)
    out = []
    for k in range(n_pairs):
        after = np.array([v[s][k] for s in pre[k] + delays[k] + 1])
        out.append(np.diff(after, prepend=0.0))
    return out


def test_vogels_sprekeler_matches_reference():
    rng = np.random.default_rng(11)
    n_pairs = 10
    pre, post = trains(rng, n_pairs, 3000, 40, 40)
    delays = rng.integers(1, 20, n_pairs)
    rule = nb.VogelsSprekeler(tau_ms=20.0, eta=0.05, alpha=0.3, w_max=1.0)
    got = sent_weights(rule, pre, post, delays, 1.0)
    for k in range(n_pairs):
        want = ref.vogels_sprekeler(pre[k] * DT, post[k] * DT, delays[k] * DT, tau=20.0,
                                    eta=0.05, alpha=0.3, Wmax=1.0, weight=0.5,
                                    tau_minus=20.0)  # fmt: skip
        assert np.ptp(want) > 0.05
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fraction", [1.0, 0.0])
@pytest.mark.parametrize("n_dopa", [5, 150])  # (150: more changes than a history holds)
def test_dopamine_stdp_matches_reference(n_dopa, fraction):
    rng = np.random.default_rng(n_dopa)
    n_pairs = 10
    pre, post = trains(rng, n_pairs, 6000, 40, 40)
    dopa = np.sort(rng.choice(np.arange(1, 6000), n_dopa, replace=False))
    delays = rng.integers(1, 20, n_pairs)
    kw = dict(a_plus=0.1, a_minus=0.15, tau_plus_ms=20.0, tau_minus_ms=15.0, tau_c_ms=100.0,
              b=0.02, w_min=0.0, w_max=1.0)  # fmt: skip
    got = sent_weights(nb.DopamineSTDP(**kw), pre, post, delays, fraction, dopa=dopa,
                       tau_n=50.0)  # fmt: skip
    for k in range(n_pairs):
        want = ref.dopamine_stdp(pre[k] * DT, post[k] * DT, dopa * DT, delays[k] * DT,
                                 tau_minus=15.0, A_plus=0.1, A_minus=0.15, tau_plus=20.0,
                                 tau_c=100.0, tau_n=50.0, b=0.02, Wmin=0.0, Wmax=1.0,
                                 weight=0.5, dendritic_fraction=fraction)  # fmt: skip
        assert np.ptp(want) > 1e-3
        np.testing.assert_allclose(got[k], want, rtol=1e-5, atol=1e-6)


def test_homeostasis_scales_towards_the_target_rate():
    """Each window of ``every_ms``, every synapse onto a neuron scales by the factor its
    spike count in that window gives (neurons made to fire at 0 Hz, at the target rate and
    above it)."""
    brain = nb.Brain(dt_ms=DT, seed=2)
    every_rule(brain)
    brain.add_population("pre", 5, nb.SpikeSource())
    brain.add_population("teacher", 3, nb.SpikeSource())
    brain.add_population("post", 3, nb.DeltaLIF(t_ref_ms=DT))
    brain.connect("teacher", "post", nb.OneToOne(), weight_mv=100.0, delay_ms=DT,
                  receptor="exc")  # fmt: skip
    rule = nb.Homeostasis(target_rate_hz=20.0, tau_ms=200.0, every_ms=50.0, w_max=2.0)
    proj = brain.connect("pre", "post", nb.AllToAll(), weight_mv=0.5, receptor="exc",
                         delay_ms=0.5, plasticity=rule)  # fmt: skip
    sim = brain.build()
    n_steps = 3000  # six windows
    teach = np.zeros((n_steps, 3), bool)
    teach[::500, 1] = True  # one spike a window, 20 Hz: unchanged
    teach[::62, 2] = True  # about 160 Hz: down
    sim.run(n_steps=n_steps, inputs={"teacher": teach})
    c = sim.connections(proj)
    counts = np.zeros((6, 3))
    for j in range(3):
        steps = np.flatnonzero(teach[:, j]) + 1  # the post neuron's spikes
        counts[:, j] = np.bincount(steps // 500, minlength=7)[:6]
    want = np.full(3, 0.5)
    for window in range(6):
        rate_hz = counts[window] / 0.05
        want = np.minimum(want * np.exp(50.0 / 200.0 * (1.0 - rate_hz / 20.0)), 2.0)
    np.testing.assert_allclose(c.weight, want[c.post], rtol=1e-5)
    assert want[0] > 0.5 and want[1] == 0.5 and want[2] < 0.5


def dopamine_weights(how):
    """A dopamine-gated synapse whose modulator is released by a population, given as run
    inputs, or given as rewards between runs: the same jumps at the same steps."""
    rng = np.random.default_rng(4)
    pre, post = trains(rng, 4, 2000, 30, 30)
    dopa = [300, 301, 900, 1500]
    brain, proj = pair_brain(nb.DopamineSTDP(a_plus=0.01, a_minus=0.012, tau_c_ms=80.0, w_max=1.0),
                             [5, 6, 7, 8], 1.0, 4, modulator=40.0)  # fmt: skip
    if how != "released":
        brain.modulators["dopamine"].released_by = []
    sim = brain.build()
    x, teach = np.zeros((2000, 4), bool), np.zeros((2000, 4), bool)
    for k in range(4):
        x[pre[k], k] = True
        teach[post[k] - 1, k] = True
    d = np.zeros((2000, 1), bool)
    d[dopa] = True
    amounts = d[:, 0] / 40.0
    inputs = {"pre": x, "teacher": teach, "dopa": d}
    if how == "released":
        sim.run(n_steps=2000, inputs=inputs)
    elif how == "inputs":
        sim.run(n_steps=2000, inputs=dict(inputs, dopamine=amounts))
    else:
        step = 0
        for s in dopa + [2000]:
            sim.run(n_steps=s - step, inputs={k: v[step:s] for k, v in inputs.items()})
            step = s
            if s < 2000:
                sim.reward("dopamine", 1.0 / 40.0)
    return sim.connections(proj).weight, sim.modulator("dopamine")


def test_modulator_from_population_inputs_or_rewards():
    w, n = dopamine_weights("released")
    assert np.ptp(w) > 1e-3
    want = sum(np.exp(-(1999 - s) * DT / 40.0) / 40.0 for s in (300, 301, 900, 1500))
    np.testing.assert_allclose(n, want, rtol=1e-12)
    for how in ("inputs", "rewards"):
        w2, n2 = dopamine_weights(how)
        np.testing.assert_array_equal(w2, w)
        assert n2 == n


@pytest.mark.parametrize("rule", ["stdp", "vogels_sprekeler", "dopamine"])
def test_rules_on_cuda_match_reference(rule):
    """The CUDA backend (on the simulator) runs the same rule files: shorter trains."""
    pytest.importorskip("numba.cuda")
    rng = np.random.default_rng(21)
    n_pairs, n_steps = 4, 900
    pre, post = trains(rng, n_pairs, n_steps, 12, 10)
    delays = 2 * rng.integers(1, 10, n_pairs)
    dopa = np.sort(rng.choice(np.arange(1, n_steps), 20, replace=False))
    kw = dict(a_plus=0.1, a_minus=0.15, tau_plus_ms=20.0, tau_minus_ms=15.0, tau_c_ms=100.0,
              b=0.02, w_min=0.0, w_max=1.0)  # fmt: skip
    if rule == "stdp":
        got = sent_weights(nb.STDP(**STDP_KW), pre, post, delays, 0.5, backend="cuda")
        want = [stdp_reference(pre[k], post[k], delays[k], 0.5, 1.0) for k in range(n_pairs)]
    elif rule == "vogels_sprekeler":
        got = sent_weights(nb.VogelsSprekeler(tau_ms=20.0, eta=0.05, alpha=0.3, w_max=1.0),
                           pre, post, delays, 1.0, backend="cuda")  # fmt: skip
        want = [ref.vogels_sprekeler(pre[k] * DT, post[k] * DT, delays[k] * DT, tau=20.0,
                                     eta=0.05, alpha=0.3, Wmax=1.0, weight=0.5,
                                     tau_minus=20.0) for k in range(n_pairs)]  # fmt: skip
    else:
        got = sent_weights(nb.DopamineSTDP(**kw), pre, post, delays, 1.0, dopa=dopa,
                           tau_n=50.0, backend="cuda")  # fmt: skip
        want = [ref.dopamine_stdp(pre[k] * DT, post[k] * DT, dopa * DT, delays[k] * DT,
                                  tau_minus=15.0, A_plus=0.1, A_minus=0.15, tau_plus=20.0,
                                  tau_c=100.0, tau_n=50.0, b=0.02, Wmin=0.0, Wmax=1.0,
                                  weight=0.5) for k in range(n_pairs)]  # fmt: skip
    for k in range(n_pairs):
        assert np.ptp(want[k]) > 1e-3
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6)


@settings(max_examples=200, deadline=None, database=None)
@given(st.floats(1e-7, 10.0), st.integers(0, 3_000_000))
def test_decay_tables_match_exp_and_expm1(rate, h):
    """The rules' decays by whole steps (one table entry below ``DECAY_STEPS``, the
    product of a fine and a coarse one up to its square, computed beyond) agree with
    ``exp`` and ``expm1`` to float64 rounding (of the exponent, whose error grows with it;
    and of the product near 1 that gives expm1 beyond the fine table)."""
    import math

    from nbbrain.synapses.traces import exp_steps, expm1_steps, tables

    tab, rates = tables([(rate, "exp"), (rate, "expm1")])
    rel = 1e-15 * (1.0 + h * rate)
    want = math.exp(-h * rate)
    assert abs(exp_steps(tab, rates, 0, h) - want) <= rel * want + 1e-300
    want = math.expm1(-h * rate)
    assert abs(expm1_steps(tab, rates, 1, h) - want) <= rel * abs(want) + 1e-15
