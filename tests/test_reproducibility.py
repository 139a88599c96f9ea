"""Same seed and description: the same spikes, bit for bit, whatever the chunking of the
run; another seed: other spikes."""

import numpy as np
import pytest
from conftest import all_spikes
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reference import cond_brain

import nbbrain as nb
from nbbrain import config
from nbbrain.assemble.neurons import neuron_parts


def run_in_calls(seed, calls, chunk=None, monkeypatch=None):
    if chunk is not None:
        monkeypatch.setattr(config, "CHUNK_STEPS", chunk)
    sim = cond_brain(seed).build()
    for n in calls:
        sim.run(n_steps=n)
    return all_spikes(sim), sim.state("exc", "v"), sim.state("inh", "g_gaba_a")


def test_chunking_does_not_change_spikes(monkeypatch):
    one = run_in_calls(1, [1000])
    ten = run_in_calls(1, [100] * 10)
    odd = run_in_calls(1, [1, 333, 2, 664], chunk=7, monkeypatch=monkeypatch)
    assert len(one[0]) > 500
    for other in (ten, odd):
        assert other[0] == one[0]
        np.testing.assert_array_equal(other[1], one[1])
        np.testing.assert_array_equal(other[2], one[2])


def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = (run_in_calls(s, [400])[0] for s in (7, 7, 8))
    assert a == b
    assert a != c


def test_spike_buffer_growth_keeps_every_spike(monkeypatch):
    """Rates far above the buffer's 50 Hz estimate: the kernel stops early, the buffers
    grow, the run continues; counts and records still agree."""
    monkeypatch.setattr(config, "CHUNK_STEPS", 500)
    brain = nb.Brain(dt_ms=0.1, seed=3)
    brain.add_population("p", 300, nb.PoissonSource(rate_hz=3000.0))
    brain.record_spikes("p")
    sim = brain.build()
    res = sim.run(n_steps=1200)
    t_ms, idx = sim.spikes("p")
    assert res.spike_counts["p"] == t_ms.size > 300 * 1200 * 0.25
    assert np.all(np.diff(t_ms) >= 0)


def test_state_monitor_times_across_chunks(monkeypatch):
    monkeypatch.setattr(config, "CHUNK_STEPS", 13)
    brain = cond_brain(2)
    brain.record_state("exc", "v", every_ms=0.3, indices=[0, 5])
    brain.record_state("inh", "g_ampa", every_ms=0.1)
    sim = brain.build()
    v_start = sim.state("exc", "v")[[0, 5]]
    sim.run(n_steps=50)
    sim.run(n_steps=51)
    t_ms, v = sim.recorded_state("exc", "v")
    np.testing.assert_allclose(t_ms, np.arange(0, 101, 3) * 0.1)
    np.testing.assert_array_equal(v[0], v_start)
    t2, g = sim.recorded_state("inh", "g_ampa")
    assert g.shape == (101, 20) and np.allclose(t2, np.arange(101) * 0.1)


@pytest.mark.parametrize("calls", [[0], [0, 5, 0]])
def test_zero_step_runs(calls):
    sim = cond_brain(1).build()
    for n in calls:
        res = sim.run(n_steps=n)
        assert res.n_steps == n
    assert sim.step == sum(calls)


def test_threads_give_the_same_spikes(monkeypatch):
    """Several threads update blocks of neurons; the propagation walks the blocks in
    order, so the float sums, and hence the spikes, are those of one thread."""
    monkeypatch.setattr(config, "BLOCK_NEURONS", 16)  # several blocks per population
    one = cond_brain(4).build(threads=1)
    two = cond_brain(4).build(threads=2)
    assert two.backend_object.blocks().lo.size > one.backend_object.blocks().lo.size
    assert (one.net.n_parts, two.net.n_parts) == (1, 2)  # a part of the targets per thread
    one.run(n_steps=300)
    two.run(n_steps=300)
    assert all_spikes(one) == all_spikes(two)
    np.testing.assert_array_equal(one.state("exc", "v"), two.state("exc", "v"))
    np.testing.assert_array_equal(one.checkpoint()["ring"], two.checkpoint()["ring"])


@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=5), parts=st.integers(1, 4))
def test_parts_cut_every_unit_evenly(sizes, parts):
    """A thread's part of the neurons holds a like share of every balance unit (pieces
    differ by at most one neuron), in one piece per unit."""
    hi = np.cumsum(sizes)
    part = neuron_parts(hi - sizes, hi, parts)
    for a, b in zip(hi - sizes, hi):
        mine = part[a:b]
        assert np.all(np.diff(mine.astype(int)) >= 0)  # contiguous pieces, in part order
        counts = np.bincount(mine, minlength=parts)
        assert counts.max() - counts.min() <= 1


def test_blocks_lie_in_one_part_unit_and_group(monkeypatch):
    monkeypatch.setattr(config, "BLOCK_NEURONS", 7)
    sim = cond_brain(4).build(threads=2)
    net = sim.net
    blk = sim.backend_object.blocks()
    lo, hi, part_ptr, part_blocks = blk.lo, blk.hi, blk.part_ptr, blk.part_blocks
    part = neuron_parts(net.unit_lo, net.unit_hi, net.n_parts)
    assert np.array_equal(part, net.part_of)
    assert np.array_equal(np.sort(part_blocks), np.arange(len(lo)))  # each block once
    assert lo[0] == 0 and np.array_equal(lo[1:], hi[:-1]) and hi[-1] == net.n
    assert np.all(hi - lo <= 7)
    unit = np.searchsorted(net.unit_lo, np.arange(net.n), side="right")
    for p in range(net.n_parts):
        for b in part_blocks[part_ptr[p] : part_ptr[p + 1]]:
            assert np.all(part[lo[b] : hi[b]] == p)
            assert np.all(unit[lo[b] : hi[b]] == unit[lo[b]])
            if blk.pop[b] >= 0:
                assert net.lo[blk.pop[b]] <= lo[b] and hi[b] <= net.hi[blk.pop[b]]
            if blk.kind[b] == 0:
                g = net.groups[blk.unit[b]]
                assert g.lo <= lo[b] and hi[b] <= g.hi
    # every synapse of part p targets a neuron of part p
    for r in range(net.n):
        for p in range(net.n_parts):
            a, e = net.indptr[r * net.n_parts + p], net.indptr[r * net.n_parts + p + 1]
            assert np.all(part[net.target[a:e] % net.n] == p)


def test_spikes_in_flight_list_grows_without_changing_the_run():
    """300 sources firing every step with delays up to 50 steps keep ~15,000 spikes in
    flight, more than the list first holds: the kernel stops, the list doubles, and the
    run goes on as if in one piece (against a step-by-step run of the same brain)."""
    brain = nb.Brain(dt_ms=0.1, seed=3)
    brain.add_population("src", 300, nb.SpikeSource())
    brain.add_population("dst", 50, nb.ConductanceLIF())
    brain.connect("src", "dst", nb.FixedIndegree(30), receptor="ampa", weight_ns=0.5,
                  delay_ms=nb.Uniform(0.1, 5.0))  # fmt: skip
    brain.record_spikes(["src", "dst"])
    fire = {"src": np.ones(300, bool)}
    whole = brain.build()
    first = whole.backend_object.act.shape[2]
    whole.run(n_steps=120, inputs=fire)
    assert whole.backend_object.act.shape[2] > first
    steps = brain.build()
    for _ in range(120):
        steps.run(n_steps=1, inputs=fire)
    assert all_spikes(whole) == all_spikes(steps) and whole.spikes("dst")[0].size > 0
    np.testing.assert_array_equal(whole.state("dst", "g_ampa"), steps.state("dst", "g_ampa"))
    np.testing.assert_array_equal(whole.checkpoint()["ring"], steps.checkpoint()["ring"])


@given(first=st.integers(0, 150), second=st.integers(1, 150), seed=st.integers(0, 3))
def test_checkpoint_restore_continues_bit_for_bit(first, second, seed):
    """Spikes in flight and all state come back: the continuation is identical, in the same
    simulation and in a fresh one built from the same brain."""
    brain = cond_brain(seed)
    sim = brain.build()
    sim.run(n_steps=first)
    cp = sim.checkpoint()
    n_before = len(all_spikes(sim))
    res = sim.run(n_steps=second)
    ref_v, ref_g, ref_steps = sim.state("exc", "v"), sim.state("inh", "g_gaba_b"), sim.step
    ref_spikes = all_spikes(sim)[n_before:]
    fresh = brain.build()
    for target in (sim, fresh):
        target.restore(cp)
        again = target.run(n_steps=second)
        assert target.step == ref_steps
        np.testing.assert_array_equal(again.step_counts, res.step_counts)
        np.testing.assert_array_equal(target.state("exc", "v"), ref_v)
        np.testing.assert_array_equal(target.state("inh", "g_gaba_b"), ref_g)
    assert all_spikes(fresh) == ref_spikes


def test_restore_refuses_a_checkpoint_of_a_brain_that_differs_only_in_a_seed_or_model():
    """The same shapes and synapse counts, another network: the fingerprint tells."""

    def brain(seed, model):
        b = nb.Brain(seed=seed)
        b.add_population("a", 20, model)
        b.add_population("s", 5, nb.SpikeSource())
        b.connect("s", "a", nb.FixedIndegree(2), weight_pa=1.0, receptor="exc")
        return b

    cp = brain(1, nb.CurrentLIF()).build().checkpoint()
    brain(1, nb.CurrentLIF()).build().restore(cp)  # (the same description: accepted)
    for other in (brain(2, nb.CurrentLIF()), brain(1, nb.CurrentLIF(v_thresh_mv=-51.0))):
        with pytest.raises(ValueError, match="checkpoint is of another brain .its description"):
            other.build().restore(cp)
    recorded = brain(1, nb.CurrentLIF())
    recorded.record_spikes("a")  # (monitors are not the network: accepted)
    recorded.record_rate("a", bin_ms=1.0)
    recorded.build().restore(cp)


def test_restore_keeps_the_monitors_one_history_and_reset_starts_again():
    """After a restore to step s, the monitors hold what they recorded before s and what
    the run records from s on: the spikes of the branch that was left are dropped. reset()
    empties them and returns to step 0: the same run again gives the same spikes."""
    brain = cond_brain(1)
    brain.record_state("exc", "v", every_ms=0.5, indices=[0, 1])
    sim = brain.build()
    sim.run(n_steps=200)
    first = all_spikes(sim)
    cp = sim.checkpoint()
    sim.run(n_steps=300)
    whole = all_spikes(sim)
    t_v, v = sim.recorded_state("exc", "v")
    sim.restore(cp)
    assert all_spikes(sim) == first
    assert sim.recorded_state("exc", "v")[0].size == np.sum(t_v < 200 * sim.dt_ms)
    sim.run(n_steps=300)
    assert all_spikes(sim) == whole  # (in time order, each spike once)
    np.testing.assert_array_equal(sim.recorded_state("exc", "v")[1], v)
    sim.reset()
    assert sim.step == 0 and all_spikes(sim) == [] and sim.recorded_state("exc", "v")[0].size == 0
    sim.run(n_steps=500)
    assert all_spikes(sim) == whole


def test_a_simulation_is_not_copied_and_its_noise_reseeds_without_a_rebuild():
    import copy
    import pickle

    brain = cond_brain(1)
    sim = brain.build()
    for how in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="a Simulation cannot be copied or pickled"):
            how(sim)
    first = sim.run(n_steps=300).spike_counts
    sim.reset()
    sim.reseed(7)
    other = sim.run(n_steps=300).spike_counts
    assert other != first  # (other Poisson spikes)
    b7 = cond_brain(1)
    b7.noise_seed = 7  # (as nb.Brain(seed=1, noise_seed=7) makes it)
    assert b7.build().run(n_steps=300).spike_counts == other
    cp = sim.checkpoint()  # the checkpoint carries the noise seed
    fresh = brain.build()
    fresh.restore(cp)
    assert fresh.net.noise_seed == 7
    with pytest.raises(ValueError, match=r"reseed: noise_seed must be in \[0, 2\*\*63\)"):
        sim.reseed(-1)


def test_restore_refuses_a_foreign_checkpoint():
    sim = cond_brain(1).build()
    other = nb.presets.coba(n_neurons=100).build()
    with pytest.raises(ValueError, match="checkpoint is of another brain"):
        sim.restore(other.checkpoint())
    with pytest.raises(ValueError, match="missing"):
        sim.restore({"state": 1})
    sim.run(n_steps=5)


@pytest.mark.parametrize("field, value, match", [
    ("step", "x", "step must be an integer >= 0"),
    ("step", -3, "step must be an integer >= 0"),
    ("state", np.nan, "restore: state holds nan, not a finite float32"),
    ("state", 1e39, "restore: state holds 1e\\+39, not a finite float32"),
    ("ref", -1, r"restore: 'drive': refractory counts must lie in \[0, 0\] steps .*got -1"),
    ("ref", 2**40, r"restore: 'drive': refractory counts .*got 1099511627776"),
    ("ring", -1e30, r"restore: 'exc': the input in flight to g_ampa must be >= 0, got -1e\+30"),
    ("noise_seed", -1, r"restore: noise_seed must be in \[0, 2\*\*63\)"),
    ("fingerprint", "0", "checkpoint is of another brain .its description"),
])  # fmt: skip
def test_restore_checks_every_field_before_writing(field, value, match):
    sim = cond_brain(1).build()
    sim.run(n_steps=20)
    cp = sim.checkpoint()
    sim.run(n_steps=20)
    before, step = sim.state("exc", "v"), sim.step
    bad = dict(cp)
    if isinstance(cp[field], np.ndarray):
        bad[field] = np.full(cp[field].shape, value, np.int64 if field == "ref" else np.float64)
    else:
        bad[field] = value
    with pytest.raises(ValueError, match=match):
        sim.restore(bad)
    np.testing.assert_array_equal(sim.state("exc", "v"), before)
    assert sim.step == step


def test_serial_and_parallel_kernels_are_cached_apart():
    """numba's disk cache tells closures apart by their closure variables only: the
    ``parallel`` flag must be part of one, or a parallel build would load the serial
    kernel compiled earlier (as it once did: ``threads=2`` then ran on one thread)."""
    from nbbrain.backends.cpu.kernel import make_run_chunk

    def closure(f):
        code = f.py_func.__code__
        return {n: c.cell_contents for n, c in zip(code.co_freevars, f.py_func.__closure__)}

    sim = cond_brain(1).build()
    gen, flags = sim.backend_object._gen, sim.backend_object.features(False)
    serial, parallel = make_run_chunk(gen, flags, False), make_run_chunk(gen, flags, True)
    assert closure(serial)["key"][2] is False and closure(parallel)["key"][2] is True
    assert closure(serial)["key"][0] == gen.key  # the generated loops' hash
    assert parallel.targetoptions["parallel"] and not serial.targetoptions.get("parallel")


@pytest.mark.parametrize("layer, warns", [("workqueue", True), ("default", False)])
def test_slow_threading_layer_warns(layer, warns):
    """numba's fallback thread pool (workqueue) makes every step of a threaded run slow: a
    warning says so and what to install; with OpenMP or TBB there is none."""
    import os
    import subprocess
    import sys

    code = (
        "import warnings, nbbrain as nb\n"
        "warnings.simplefilter('error', RuntimeWarning)\n"
        "nb.presets.coba(n_neurons=400, seed=1).build(threads=2).run(n_steps=20)\n"
    )
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if layer == "default" and "workqueue" in done.stderr:
        pytest.skip("no OpenMP or TBB on this machine: numba's default is workqueue")
    assert (done.returncode != 0) == warns, done.stderr[-2000:]
    if warns:
        assert "'workqueue' layer" in done.stderr and "libgomp" in done.stderr


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n_before=st.integers(0, 70), n=st.integers(1, 300),
       block=st.sampled_from([7, 64, 100, 1024]))  # fmt: skip
def test_every_neuron_above_threshold_spikes_once_in_order(data, n_before, n, block):
    """The spike scan skips runs of neurons where none crossed: wherever the crossings
    fall (block and run edges, a group that does not start at neuron 0), each spikes, in
    order."""
    above = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=n)))
    brain = nb.Brain(dt_ms=0.1, seed=0)
    if n_before:  # (other constants: a group of its own, before p's)
        brain.add_population("before", n_before, nb.CurrentLIF(v_thresh_mv=-45.0))
    v0 = np.full(n, -70.0)
    v0[above] = -40.0  # above the threshold of -50 mV, and still after one step
    brain.add_population("p", n, nb.CurrentLIF()).init(v=v0)
    brain.record_spikes("p")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config, "BLOCK_NEURONS", block)
        sim = brain.build()
        sim.run(n_steps=1)
    assert len(sim.net.groups) == 1 + (n_before > 0)
    t_ms, idx = sim.spikes("p")
    assert idx.tolist() == above and np.all(t_ms == 0.0)
