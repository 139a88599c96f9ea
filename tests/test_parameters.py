"""Any neuron parameter per neuron: a scalar, an array or a distribution, stored per neuron
only where it varies; populations of one model merged into one compiled loop; optional
state variables that cost nothing until used."""

import numpy as np
import pytest
from conftest import all_spikes

import nbbrain as nb
from nbbrain import config


def test_parameters_per_neuron_scalar_array_distribution():
    brain = nb.Brain(dt_ms=0.1, seed=3)
    cell = nb.ConductanceLIF(v_thresh_mv=nb.Normal(-50.0, 1.0), c_m_pf=np.linspace(150, 250, 40),
                             t_ref_ms=nb.Uniform(0.96, 1.04))  # fmt: skip
    brain.add_population("p", 40, cell)
    sim = brain.build()
    p = sim.parameters("p")
    assert p["v_thresh_mv"].shape == (40,) and abs(p["v_thresh_mv"].mean() + 50) < 0.6
    assert 0.5 < p["v_thresh_mv"].std() < 1.5
    np.testing.assert_array_equal(p["c_m_pf"], np.linspace(150, 250, 40))
    assert np.all(p["g_leak_ns"] == 10.0)
    assert np.all(p["t_ref_ms"] == 1.0)  # a drawn period: whole steps
    # drawn from the seed: the same again; another seed, other thresholds
    again = brain.build().parameters("p")["v_thresh_mv"]
    np.testing.assert_array_equal(again, p["v_thresh_mv"])
    brain.seed = 4
    assert not np.array_equal(brain.build().parameters("p")["v_thresh_mv"], p["v_thresh_mv"])
    # stored per neuron only where it varies: thresholds, capacitance and what derives from
    # it (dt / c_m); g_leak, the reversals... once for the group
    group = sim.net.groups[0]
    assert set(group.variant.per_neuron) == {"v_thresh_mv", "c_m_pf", "dt_cm"}
    assert isinstance(group.constants["g_leak_ns"], float)
    assert sim.net.tables.pn.size == 3 * 40


def test_per_neuron_thresholds_act_per_neuron():
    """Neurons differ only in threshold: the lower the threshold, the sooner and more often
    each one fires (a test that the kernel reads each neuron's own)."""
    brain = nb.Brain(dt_ms=0.1, seed=1)
    thr = np.linspace(-55.0, -45.0, 11)
    brain.add_population("p", 11, nb.CurrentLIF(v_thresh_mv=thr, e_leak_mv=-60.0,
                                                 i_bias_pa=120.0))  # fmt: skip
    brain.record_spikes("p")
    sim = brain.build()
    sim.run(duration_ms=500.0)
    counts = np.bincount(sim.spikes("p")[1], minlength=11)
    assert np.all(np.diff(counts) <= 0) and counts[0] > counts[-1] == 0  # v_inf is -48 mV


@pytest.mark.parametrize("bad, match", [
    (dict(t_ref_ms=nb.Normal(2.0, 1.0)), r"t_ref_ms \(drawn from .*\) must be >= 0, got -"),
    (dict(c_m_pf=nb.Uniform(-1.0, 1.0)), r"c_m_pf \(drawn from .*\) must be > 0"),
    (dict(v_reset_mv=np.array([-60.0, -49.0] * 25)), r"v_reset_mv \(-49.0\) must be below "
                                                     r"v_thresh_mv \(-50.0\) \(neuron 1\)"),
    (dict(t_ref_ms=np.array([1.0, 1.05] * 25)), r"t_ref_ms=1.05 must be a whole number"),
])  # fmt: skip
def test_bad_per_neuron_parameters_are_refused(bad, match):
    brain = nb.Brain(dt_ms=0.1, seed=0)
    try:
        model = nb.ConductanceLIF(**bad)
    except ValueError as err:  # arrays are checked at once, distributions at build
        assert __import__("re").search(match, str(err)), str(err)
        return
    with pytest.raises(ValueError, match=match):
        brain.add_population("p", 50, model)
        brain.build()


def test_array_of_the_wrong_length_is_refused_at_add_population():
    brain = nb.Brain()
    with pytest.raises(ValueError, match=r"population 'p': v_thresh_mv must have length 4"):
        brain.add_population("p", 4, nb.CurrentLIF(v_thresh_mv=np.full(3, -50.0)))
    assert not brain.populations


def many(n_pops, n_total=2000, vary=False, seed=2):
    """``n_pops`` populations of one model in one region, connected as one."""
    brain = nb.Brain(dt_ms=0.1, seed=seed)
    region = brain.add_region("r")
    size = n_total // n_pops
    for k in range(n_pops):
        bias = 200.0 + (k % 7 if vary else 0)
        pop = region.add_population(f"p{k:03d}", size, nb.ConductanceLIF(i_bias_pa=bias))
        pop.init(v=nb.Uniform(-60.0, -50.0))
    brain.connect("r", "r", nb.FixedIndegree(20), weight_ns=1.0, receptor="ampa")
    brain.record_spikes("r")
    return brain


def test_a_few_small_populations_keep_a_loop_each():
    """Fewer than ``MERGE_POPULATIONS`` small populations whose parameters differ are not
    merged (no loop with per-neuron constants to compile); equal neighbours still are;
    from ``MERGE_POPULATIONS`` on they merge."""
    few = nb.Brain(seed=2)
    for k, bias in enumerate((200.0, 201.0, 202.0, 202.0)):
        few.add_population(f"p{k}", 100, nb.ConductanceLIF(i_bias_pa=bias))
    sim = few.build()
    assert [g.pops for g in sim.net.groups] == [[0], [1], [2, 3]]
    assert len(sim.net.variants) == 1 and sim.net.variants[0].per_neuron == ()
    merged = many(8, n_total=800, vary=True).build()
    assert len(merged.net.groups) == 1
    assert merged.net.groups[0].variant.per_neuron == ("i_bias_pa",)


def test_many_small_populations_share_one_loop():
    """Populations of one model share a group where their parameters agree, and small ones
    even where they differ (then per neuron); the results are those of one loop per
    population (``MERGE_NEURONS=0``, equal parameters only), bit for bit."""
    same, varied = many(100).build(), many(100, vary=True).build()
    assert len(same.net.groups) == 1 and len(varied.net.groups) == 1
    assert varied.net.groups[0].variant.per_neuron == ("i_bias_pa",)
    for sim in (same, varied):
        sim.run(duration_ms=50.0)
    config.MERGE_NEURONS = 0
    try:
        apart = many(100, vary=True).build()
    finally:
        config.MERGE_NEURONS = 256
    assert len(apart.net.groups) == 100
    apart.run(duration_ms=50.0)
    assert all_spikes(apart) == all_spikes(varied) and len(all_spikes(varied)) > 100


def test_an_optional_channel_comes_into_use_when_set():
    """NMDA costs nothing where nothing targets it; set a nonzero NMDA conductance and the
    population's loop integrates it from then on (as a build with NMDA from the start)."""
    brain = nb.Brain(dt_ms=0.1, seed=1)
    brain.add_population("p", 10, nb.ConductanceLIF(i_bias_pa=150.0))
    sim = brain.build()
    assert "g_nmda" not in sim.net.groups[0].variant.active
    sim.set_state("p", "g_nmda", 3.0)
    assert "g_nmda" in sim.net.groups[0].variant.active
    sim.run(duration_ms=20.0)
    brain.populations["p"].init(g_nmda=3.0)
    ref = brain.build()
    ref.run(duration_ms=20.0)
    np.testing.assert_array_equal(sim.state("p", "v"), ref.state("p", "v"))
    assert sim.state("p", "g_nmda")[0] < 3.0  # decaying


def test_optional_channels_of_one_model_share_a_loop():
    """Populations using NMDA and populations using GABA_B share one loop with both in use
    (the plain ones keep theirs), and each population's spikes are those it has alone."""

    def brain(names):
        b = nb.Brain(dt_ms=0.1, seed=2)
        b.add_population("drive", 20, nb.PoissonSource(rate_hz=400.0))
        for name in names:
            b.add_population(name, 300, nb.ConductanceLIF(i_bias_pa=250.0))
        receptors = {"n": "nmda", "b": "gaba_b", "plain": "ampa"}
        for name in names:
            b.connect("drive", name, nb.FixedProbability(0.3), weight_ns=0.2,
                      receptor=receptors[name], delay_ms=0.5)  # fmt: skip
        b.record_spikes(list(names))
        return b.build()

    sim = brain(["b", "n", "plain"])
    assert len(sim.net.variants) == 2
    active = {sim.net.names[k]: g.variant.active for g in sim.net.groups for k in g.pops}
    assert active["n"] == active["b"] == ("v", "g_ampa", "g_gaba_a", "g_nmda", "g_gaba_b")
    assert active["plain"] == ("v", "g_ampa", "g_gaba_a")
    sim.run(duration_ms=100.0)
    for name in ("b", "n"):
        alone = brain([name])
        assert len(alone.net.variants[0].active) == 4
        alone.run(duration_ms=100.0)
        t, i = sim.spikes(name)
        assert t.size > 10
        np.testing.assert_array_equal(t, alone.spikes(name)[0])
        np.testing.assert_array_equal(i, alone.spikes(name)[1])
