"""Simulations saved to a file: a fresh process, another thread count, the other backend or
a batch continue bit for bit; damaged, foreign and newer files are refused."""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from conftest import all_spikes
from test_reference import cond_brain

import nbbrain as nb
from nbbrain.presets.cue_action import cue_action


def saved(path, threads=2, batch=1):
    """A conductance network run 200 steps, a static weight changed, saved; and the spikes
    of its next 300 steps."""
    brain = cond_brain(1)
    brain.record_state("exc", "v", every_ms=0.5, indices=[0, 1])
    sim = brain.build(threads=threads, batch=batch)
    sim.run(n_steps=200)
    proj = sim._projections[0]
    sim.set_weights(proj, sim.connections(proj).weight * 1.1)
    sim.save(path)
    sim.run(n_steps=300)
    return sim


def test_a_fresh_process_continues_bit_for_bit(tmp_path):
    path = tmp_path / "sim.npz"
    sim = saved(path)
    code = textwrap.dedent(f"""
        import json, sys
        import nbbrain as nb
        sim = nb.load({str(path)!r})
        sim.run(n_steps=300)
        out = {{name: [a.tolist() for a in sim.spikes(name)] for name in sorted(sim.recorded)}}
        out["v"] = sim.recorded_state("exc", "v")[1].tolist()
        json.dump(out, sys.stdout)
    """)  # (the script that made the brain is not run there)
    got = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True).stdout)  # fmt: skip
    for name in sim.recorded:  # (the spikes recorded before the save came along)
        assert got[name] == [a.tolist() for a in sim.spikes(name)]
    assert got["v"] == sim.recorded_state("exc", "v")[1].tolist()


@pytest.mark.parametrize("backend, threads", [("cpu", 1), ("cuda", None)])
def test_another_thread_count_or_the_other_backend_continues_bit_for_bit(tmp_path, backend,
                                                                          threads):  # fmt: skip
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    path = tmp_path / "sim.npz"
    sim = saved(path)
    again = nb.load(path, backend=backend, threads=threads)
    assert again.step == 200 and again.backend == backend
    again.run(n_steps=300)
    assert all_spikes(again) == all_spikes(sim)


def test_a_batch_and_a_plastic_brain_continue_bit_for_bit(tmp_path):
    sim = saved(tmp_path / "batch.npz", threads=1, batch=2)
    again = nb.load(tmp_path / "batch.npz")
    again.run(n_steps=300)
    for c in range(2):
        assert all_spikes(again, copy=c) == all_spikes(sim, copy=c)
    plastic = cue_action(seed=2).build()
    plastic.run(duration_ms=150.0)
    plastic.reward("dopamine", 0.01)  # (a reward pending at the save)
    plastic.save(tmp_path / "plastic.npz", monitors=False)
    plastic.run(duration_ms=150.0)
    loaded = nb.load(tmp_path / "plastic.npz")
    assert loaded.spikes("striatum")[0].size == 0  # (saved without the monitors)
    loaded.run(duration_ms=150.0)
    for proj in plastic._projections:
        np.testing.assert_array_equal(loaded.connections(proj.name).weight,
                                      plastic.connections(proj.name).weight)  # fmt: skip
    t, i = plastic.spikes("striatum")
    t2, i2 = loaded.spikes("striatum")
    np.testing.assert_array_equal(t[t >= 150.0], t2)
    np.testing.assert_array_equal(i[t >= 150.0], i2)
    # a file of format version 1 holds the plastic state in another layout: refused
    with np.load(tmp_path / "plastic.npz") as z:
        arrays = {k: z[k] for k in z.files}
    manifest = json.loads(str(arrays["manifest"]))
    arrays["manifest"] = np.array(json.dumps(dict(manifest, version=1)))
    np.savez(tmp_path / "old.npz", **arrays)
    with pytest.raises(nb.FileFormatError, match="format version 1 .*plastic state"):
        nb.load(tmp_path / "old.npz")


def test_the_file_holds_the_connectivity_and_load_uses_it(tmp_path, monkeypatch):
    """On as many thread parts the saved synapses are used as they are (a generator that
    would now draw other synapses is not called); on others, or from a file saved with
    ``connectivity=False`` (which is smaller), they are regenerated; either way the run
    continues bit for bit, changed weights included."""
    import nbbrain.assemble.network as network

    path, small = tmp_path / "sim.npz", tmp_path / "small.npz"
    sim = saved(path)
    regenerate = network.build_synapses

    def no_generation(*args, **kwargs):
        raise AssertionError("the connectivity was generated again")

    monkeypatch.setattr(network, "build_synapses", no_generation)
    again = nb.load(path)
    assert again.threads == 2
    again.save(small, connectivity=False)
    assert small.stat().st_size < path.stat().st_size - 7 * sim.net.n_synapses
    for name in ("syn", "indptr", "tag"):
        np.testing.assert_array_equal(getattr(again.net, name), getattr(sim.net, name))
    monkeypatch.setattr(network, "build_synapses", regenerate)
    for loaded in (again, nb.load(path, threads=1), nb.load(small)):
        assert loaded.step == 200
        loaded.run(n_steps=300)
        assert all_spikes(loaded) == all_spikes(sim)
    with zipfile.ZipFile(path) as z:
        members = {k: z.read(k) for k in z.namelist()}
    members["synapses/rest.npy"] = members["synapses/rest.npy"][:-40] + bytes(40)
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    with pytest.raises(nb.FileFormatError, match="damaged .its connectivity"):
        nb.load(tmp_path / "bad.npz")


def test_damaged_foreign_and_newer_files_are_refused(tmp_path):
    good = tmp_path / "good.npz"
    nb.presets.cuba(n_neurons=200).build().save(good)
    data = good.read_bytes()
    cases = {}
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    cases["cut.npz"] = "not an nbbrain simulation file|damaged"
    flipped = bytearray(data)
    with zipfile.ZipFile(good) as z:  # a byte inside the largest member's data
        info = max(z.infolist(), key=lambda i: i.compress_size)
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    flipped[at] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    cases["flipped.npz"] = "damaged .truncated or corrupted: Bad CRC-32"
    (tmp_path / "text.npz").write_text("hello")
    cases["text.npz"] = "not an nbbrain simulation file"
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    cases["foreign.npz"] = "not an nbbrain simulation file .no nbbrain manifest"

    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    manifest = json.loads(str(arrays["manifest"]))
    arrays["manifest"] = np.array(json.dumps(dict(manifest, version=99)))
    np.savez(tmp_path / "newer.npz", **arrays)
    cases["newer.npz"] = "format version 99, newer than this nbbrain"
    for name, match in cases.items():
        with pytest.raises(nb.FileFormatError, match=match):
            nb.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        nb.load(tmp_path / "missing.npz")
    nb.load(good).run(duration_ms=1.0)  # (the good one still loads)


def test_save_refuses_what_it_cannot_write_and_changes_nothing(tmp_path):
    brain = nb.presets.cuba(n_neurons=200)
    sim = brain.build()
    with pytest.raises(ValueError, match="save: the folder .* does not exist"):
        sim.save(tmp_path / "no" / "such.npz")
    brain.add_population("late", 3, nb.CurrentLIF())
    with pytest.raises(ValueError, match="the brain was changed after it was built"):
        sim.save(tmp_path / "late.npz")

    class Local(nb.CurrentLIF):  # (defined in a function: cannot be found by name)
        pass

    local = nb.Brain()
    local.add_population("a", 2, Local())
    with pytest.raises(ValueError, match="the brain's description cannot be written"):
        local.build().save(tmp_path / "local.npz")
    assert sorted(os.listdir(tmp_path)) == []
