"""The plasticity references (``tests/plasticity_reference.py``) against NEST 3.10: the weight
sent with every presynaptic spike, for spike trains with pairings of both orders and two
delays (``tests/data/nest_plasticity.json``, made by ``docs/benchmarks/nest_plasticity.py``)."""

import json
from pathlib import Path

import numpy as np
import plasticity_reference as ref
import pytest

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
