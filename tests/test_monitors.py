"""Bounded monitors: spikes of a subset of neurons, rings of the last T ms, population rates
on one time axis across runs, and memory that is checked before it is allocated."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_reference import cond_brain

import nbbrain as nb
from nbbrain import memory

SUBSET = [0, 3, 4, 17, 59]


def spikes_of(sim, name, copy=0):
    t, i = sim.spikes(name, copy=copy)
    return np.round(t / sim.dt_ms).astype(np.int64), i


def test_a_subset_and_a_window_keep_exactly_their_part_of_the_whole(engine, small_config):
    """The same brain with whole monitors and with a subset, a window and a windowed state
    monitor: the bounded monitors hold exactly the whole one's spikes and samples of those
    neurons and of the last window, across many chunks (37 steps each) and runs."""
    whole, bounded = cond_brain(1), cond_brain(1)
    for b in (whole, bounded):
        b.record_state("exc", "v", indices=[2, 5])
    bounded.record_spikes("exc", indices=SUBSET)
    bounded.record_spikes("inh", window_ms=5.0)
    bounded.state_monitors[0].window_steps = 30
    sims = [engine.build(b) for b in (whole, bounded)]
    for n in (engine.steps(150), 1, engine.steps(100)):
        for sim in sims:
            sim.run(n_steps=n)
    w, b = sims
    s, i = spikes_of(w, "exc")
    keep = np.isin(i, SUBSET)
    np.testing.assert_array_equal(spikes_of(b, "exc")[0], s[keep])
    np.testing.assert_array_equal(spikes_of(b, "exc")[1], i[keep])
    s, i = spikes_of(w, "inh")
    recent = s >= w.step - 50
    assert recent.any() and not recent.all()
    np.testing.assert_array_equal(spikes_of(b, "inh")[0], s[recent])
    np.testing.assert_array_equal(spikes_of(b, "inh")[1], i[recent])
    np.testing.assert_array_equal(spikes_of(b, "drive")[0], spikes_of(w, "drive")[0])
    t_w, v_w = w.recorded_state("exc", "v")
    t_b, v_b = b.recorded_state("exc", "v")
    assert t_b.size == 30
    np.testing.assert_array_equal(v_b, v_w[-30:])
    np.testing.assert_array_equal(t_b, t_w[-30:])


def test_a_window_bounds_the_memory_of_a_long_run(small_config):
    """Windowed monitors hold at most the window and one chunk, however long the run."""
    brain = cond_brain(1)
    brain.record_spikes(["drive", "exc", "inh"], window_ms=2.0)
    brain.record_state("exc", "v", window_ms=2.0)
    sim = brain.build()
    sizes = []
    for _ in range(6):
        sim.run(n_steps=400)
        sizes.append(sim.memory()["recorded_bytes"])
    # 20 + 37 steps: 100 neurons at most once per 20 steps (2 ms refractory) x 12 bytes,
    # and 60 samples of 4 bytes a step
    assert max(sizes) <= 57 * 60 * 4 + 3 * 100 * 12
    assert sim.spikes("exc")[0].min() >= sim.t_ms - 2.0


def binned(steps, bin_steps, n_bins):
    return np.bincount(steps // bin_steps, minlength=n_bins)[:n_bins]


@given(pieces=st.lists(st.integers(0, 90), min_size=1, max_size=5),
       bin_steps=st.integers(1, 40))  # fmt: skip
def test_population_rate_is_the_binned_spike_count_across_runs(pieces, bin_steps):
    """record_rate gives each bin's spikes / (neurons x bin width) on one time axis over
    runs of any length; a region's rate is over all its neurons."""
    sim = _rated(bin_steps)
    for n in pieces:
        sim.run(n_steps=n)
    n_bins = -(-sim.step // bin_steps)
    t, rate = sim.rate("exc")
    np.testing.assert_allclose(t, np.arange(n_bins) * bin_steps * sim.dt_ms)
    covered = np.minimum(bin_steps, sim.step - np.arange(n_bins) * bin_steps)
    hz = 1e3 / (covered * sim.dt_ms)
    expect = binned(spikes_of(sim, "exc")[0], bin_steps, n_bins) / 60 * hz
    np.testing.assert_allclose(rate, expect, rtol=1e-12)
    both = binned(np.concatenate([spikes_of(sim, p)[0] for p in ("exc", "inh")]), bin_steps,
                  n_bins)  # fmt: skip
    np.testing.assert_allclose(sim.rate(["exc", "inh"])[1], both / 80 * hz, rtol=1e-12)


def _rated(bin_steps):
    brain = cond_brain(1)
    brain.record_rate(["exc", "inh"], bin_ms=bin_steps * brain.dt_ms)
    return brain.build()


def test_a_restore_cuts_the_rate_of_its_bin_and_reset_clears_it():
    sim = _rated(10)
    sim.run(n_steps=45)
    cp = sim.checkpoint()
    before = sim.rate("exc")[1][:4]
    sim.run(n_steps=100)
    sim.restore(cp)
    t, rate = sim.rate("exc")
    assert t.size == 5 and np.isnan(rate[4])  # (the cut bin: no step counted since)
    np.testing.assert_array_equal(rate[:4], before)
    sim.run(n_steps=25)
    s = spikes_of(sim, "exc")[0]
    cut = np.sum((s >= 45) & (s < 50)) / 60 / (5 * sim.dt_ms * 1e-3)
    assert sim.rate("exc")[1][4] == pytest.approx(cut)
    sim.reset()
    assert sim.rate("exc")[0].size == 0
    sim.run(n_steps=70)
    ahead = sim.checkpoint()
    sim.reset()
    sim.restore(ahead)  # (forward: the bins before step 70 were never run since the reset)
    sim.run(n_steps=10)
    t, rate = sim.rate("exc")
    assert t.size == 8 and np.all(np.isnan(rate[:7])) and np.isfinite(rate[7])


def test_bounded_monitors_save_and_load(tmp_path):
    brain = cond_brain(1)
    brain.record_spikes("exc", indices=SUBSET, window_ms=8.0)
    brain.record_rate("exc", bin_ms=0.7)
    sim = brain.build()
    sim.run(n_steps=130)
    cp = sim.checkpoint()
    sim.run(n_steps=20)
    sim.restore(cp)  # (a bin cut in the middle: 130 = 18 x 7 + 4)
    sim.run(n_steps=3)
    sim.save(tmp_path / "s.npz")
    back = nb.load(tmp_path / "s.npz")
    for s in (sim, back):
        s.run(n_steps=71)
    for a, b in zip(spikes_of(sim, "exc"), spikes_of(back, "exc")):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sim.rate("exc")[1], back.rate("exc")[1])


def test_descriptions_saved_before_subsets_and_rates_still_load():
    brain = cond_brain(1)
    state = dict(brain.__dict__, spike_monitors={"exc"})
    del state["rate_monitors"]
    old = nb.Brain.__new__(nb.Brain)
    old.__setstate__(state)
    again = pickle.loads(pickle.dumps(old))
    assert again.spike_monitors["exc"].indices is None and again.rate_monitors == {}
    assert "exc" in again.build().recorded


@pytest.mark.parametrize("call, match", [
    (lambda b: b.record_spikes(["exc", "inh"], indices=[1]), "indices select neurons of one"),
    (lambda b: b.record_spikes("exc", indices=[60]), r"indices must lie in \[0, 60\).*got 60"),
    (lambda b: b.record_spikes("exc", indices=[]), "non-empty 1-D integer"),
    (lambda b: b.record_spikes("exc", indices=[0.5]), "non-empty 1-D integer"),
    (lambda b: b.record_spikes("exc", window_ms=0.05), "window_ms=0.05 must be a whole"),
    (lambda b: b.record_spikes("exc", window_ms=-1.0), "window_ms=-1 must be a whole"),
    (lambda b: b.record_state("exc", "v", window_ms="1"), "window_ms must be a number, got '1'"),
    (lambda b: b.record_rate("exc", bin_ms=0.0), "bin_ms=0 must be a whole"),
    (lambda b: b.record_rate("nowhere"), "unknown population or region 'nowhere'"),
])  # fmt: skip
def test_bad_monitor_arguments_are_refused_and_change_nothing(call, match):
    brain = cond_brain(1)
    before = (dict(brain.spike_monitors), dict(brain.rate_monitors), list(brain.state_monitors))
    with pytest.raises((ValueError, TypeError), match=match):
        call(brain)
    assert before == (dict(brain.spike_monitors), dict(brain.rate_monitors),
                      list(brain.state_monitors))  # fmt: skip


def test_reading_a_rate_that_is_not_recorded_is_refused():
    brain = cond_brain(1)
    brain.record_rate("exc", bin_ms=1.0)
    brain.record_rate("inh", bin_ms=2.0)
    sim = brain.build()
    with pytest.raises(ValueError, match="rate of 'drive' is not recorded"):
        sim.rate("drive")
    with pytest.raises(ValueError, match="bins of different widths"):
        sim.rate(["exc", "inh"])


def test_memory_is_checked_before_it_is_allocated(monkeypatch):
    """A batch, a run's state samples and a checkpoint that do not fit are refused with the
    numbers, before anything is allocated or changed; a large checkpoint warns."""
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 * 2**20)
    brain = cond_brain(1)
    with pytest.raises(nb.MemoryBudgetError, match=r"the model with batch=10000 \(synapses "
                       r".*\) needs at least .* more than the 10 MiB available: .* fewer "
                       r"copies"):  # fmt: skip
        brain.build(batch=10000)
    brain.record_state("exc", "v")
    sim = brain.build()
    with pytest.raises(nb.MemoryBudgetError, match="state monitors' samples needs at least"):
        sim.run(n_steps=100_000)
    assert sim.step == 0 and sim.recorded_state("exc", "v")[0].size == 0
    sim.run(n_steps=10)  # (a run that fits)
    small = cond_brain(1)
    small.record_state("exc", "v", window_ms=1.0)
    small.build().run(n_steps=100_000 // 50)  # a window bounds the estimate too
    monkeypatch.setattr(memory, "available_bytes", lambda: 1000)
    with pytest.raises(nb.MemoryBudgetError, match="checkpoint needs at least .* ring of "
                       "spikes in flight"):  # fmt: skip
        sim.checkpoint()
    monkeypatch.undo()
    from nbbrain import config

    monkeypatch.setattr(config, "WARN_BYTES", 1000)
    with pytest.warns(nb.MemoryWarning, match="checkpoint takes"):
        sim.checkpoint()
    monkeypatch.setattr(config, "WARN_BYTES", 2**30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp = sim.checkpoint()
    assert sim.memory()["checkpoint_bytes"] >= sum(
        np.asarray(cp[k]).nbytes for k in ("state", "noise", "ring")
    )
