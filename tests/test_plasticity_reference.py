"""The plasticity references (``tests/plasticity_reference.py``) against NEST 3.10: the weight
sent with every presynaptic spike, for spike trains with pairings of both orders and two
delays (``tests/data/nest_plasticity.json``, made by ``docs/benchmarks/nest_plasticity.py``)."""

import json
from pathlib import Path

import numpy as np
import plasticity_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

NEST = json.loads((Path(__file__).parent / "data" / "nest_plasticity.json").read_text())["cases"]


def reference(case):
    p, post = dict(case["params"]), case["post_params"]
    pre_ms, post_ms, d = case["pre_ms"], case["post_ms"], case["delay_ms"]
    model = case["model"]
    if model in ("stdp_synapse", "stdp_nn_symm_synapse"):
        p["lambda_"] = p.pop("lambda")
        return ref.stdp(pre_ms, post_ms, d, tau_minus=post["tau_minus"],
                        nearest=model == "stdp_nn_symm_synapse", **p)  # fmt: skip
    if model == "tsodyks2_synapse":
        return ref.tsodyks2(pre_ms, **p)
    if model == "vogels_sprekeler_synapse":
        return ref.vogels_sprekeler(pre_ms, post_ms, d, tau_minus=post["tau_minus"], **p)
    if model == "stdp_dopamine_synapse":
        return ref.dopamine_stdp(pre_ms, post_ms, case["modulator_ms"], d,
                                 tau_minus=post["tau_minus"], **p)  # fmt: skip
    raise KeyError(model)


@pytest.mark.parametrize("name", sorted(NEST))
def test_reference_sends_nests_weights(name):
    case = NEST[name]
    want = np.array(case["sent_weight"])
    assert want.size == len(case["pre_ms"]) > 10
    assert np.ptp(want) > 0.01 * np.abs(want).max()  # the weight does change
    np.testing.assert_allclose(reference(case), want, rtol=1e-9, atol=1e-12)


def test_pairings_by_hand():
    """One pre spike at 10 ms, one post spike at 15 ms, delay 2 ms, additive STDP: the post
    spike is seen at 17 ms, 7 ms after the pre spike, and facilitates at the next pre spike
    (30 ms), which is then depressed by the post trace at 28 ms (13 ms after the post)."""
    w = ref.stdp([10.0, 30.0], [15.0], 2.0, tau_plus=20.0, lambda_=0.1, alpha=1.0,
                 mu_plus=0.0, mu_minus=0.0, Wmax=10.0, weight=5.0, tau_minus=10.0)  # fmt: skip
    up = 5.0 + 10.0 * 0.1 * np.exp(-7.0 / 20.0)
    np.testing.assert_allclose(w, [5.0, up - 10.0 * 0.1 * np.exp(-13.0 / 10.0)], rtol=1e-12)


@pytest.mark.parametrize("fraction", [1.0, 0.0, 0.5])
def test_dendritic_fraction_pairings_by_hand(fraction):
    """Pre spikes at 10 and 40 ms, a post spike at 12 ms, delay 4 ms, additive STDP. With the
    whole delay dendritic (NEST) the synapse sees the pre spike at 10 ms and the post spike at
    16 ms: a causal pair 6 ms apart. With the whole delay axonal (Brian2) it sees the pre
    spike at 14 ms, after the post spike at 12 ms: an anti-causal pair 2 ms apart, depressing
    at once. Half and half: pre at 12, post at 14 ms, causal, 2 ms apart."""
    kw = dict(tau_plus=20.0, lambda_=0.1, alpha=1.0, mu_plus=0.0, mu_minus=0.0, Wmax=10.0,
              weight=5.0, tau_minus=10.0, dendritic_fraction=fraction)  # fmt: skip
    w = ref.stdp([10.0, 40.0], [12.0], 4.0, **kw)
    seen_pre = np.array([10.0, 40.0]) + (1 - fraction) * 4.0
    seen_post = 12.0 + fraction * 4.0
    if fraction == 0.0:  # post first: depression at the first pre spike
        first = 5.0 - 10.0 * 0.1 * np.exp(-2.0 / 10.0)
        np.testing.assert_allclose(w[0], first, rtol=1e-12)
        # the second pre spike: no post spike in between, depressed by the post trace
        np.testing.assert_allclose(w[1], first - 10.0 * 0.1 * np.exp(-(44.0 - 12.0) / 10.0),
                                   rtol=1e-12)  # fmt: skip
        return
    gap = seen_post - seen_pre[0]
    assert gap == {1.0: 6.0, 0.5: 2.0}[fraction]
    up = 5.0 + 10.0 * 0.1 * np.exp(-gap / 20.0)
    down = 10.0 * 0.1 * np.exp(-(seen_pre[1] - seen_post) / 10.0)
    np.testing.assert_allclose(w, [5.0, up - down], rtol=1e-12)


def eager_stdp(pre_ms, post_ms, delay, fraction, tau_plus, tau_minus, lambda_, alpha, mu,
               Wmax, weight):  # fmt: skip
    """STDP written the other way round (as Brian2 writes it): the synapse's events in time
    order, each applied when it happens, with traces summed from scratch; at equal times the
    postsynaptic event first, not counting the presynaptic one, unless the dendritic delay is
    zero: then the presynaptic event first, and the postsynaptic one counts it."""
    pre_first = fraction == 0.0
    # (times rounded, so that sums that meet on the grid compare equal)
    post_rank, pre_rank = (1, 0) if pre_first else (0, 1)
    events = sorted([(round(t + fraction * delay, 9), post_rank, False) for t in post_ms]
                    + [(round(t + (1 - fraction) * delay, 9), pre_rank, True)
                       for t in pre_ms])  # fmt: skip
    seen_pre, seen_post, w, sent = [], [], weight, []
    for t, _rank, is_pre in events:
        if is_pre:
            k = sum(np.exp(-(t - s) / tau_minus) for s in seen_post if s < t - 1e-9)
            w = max(w / Wmax - alpha * lambda_ * (w / Wmax) ** mu * k, 0.0) * Wmax
            sent.append(w)
            seen_pre.append(t)
        else:
            k = sum(np.exp(-(t - s) / tau_plus) for s in seen_pre
                    if s < t - 1e-9 or (pre_first and s <= t + 1e-9))  # fmt: skip
            w = min(w / Wmax + lambda_ * (1 - w / Wmax) ** mu * k, 1.0) * Wmax
            seen_post.append(t)
    return np.array(sent)


@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=25, unique=True),
    st.lists(st.integers(1, 400), max_size=25, unique=True),
    st.integers(1, 40),
    st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    st.sampled_from([0.0, 1.0]),
)
@settings(max_examples=200, deadline=None)
def test_stdp_reference_is_the_event_order(pre, post, delay_steps, fraction, mu):
    """The reference (facilitation applied at the next presynaptic spike, as NEST does) sends
    the weights of the events applied one by one in time order, for any split of the delay."""
    pre_ms, post_ms = np.sort(pre) * 0.1, np.sort(post) * 0.1
    kw = dict(tau_plus=15.0, tau_minus=25.0, lambda_=0.2, alpha=1.1, Wmax=3.0, weight=1.5)
    got = ref.stdp(pre_ms, post_ms, delay_steps * 0.1, mu_plus=mu, mu_minus=mu,
                   dendritic_fraction=fraction, **kw)  # fmt: skip
    want = eager_stdp(pre_ms, post_ms, delay_steps * 0.1, fraction, mu=mu, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.all((got >= 0) & (got <= 3.0))
