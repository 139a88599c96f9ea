"""The CUDA backend's own behaviour: its paths (one block, a cooperative grid), the state on
the device, the inputs already on the device, and the clear refusal of what it cannot run.
(The behaviour tests that every backend passes run on it through the ``engine`` fixture.)

Runs on numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, set in conftest.py) unless
``NBBRAIN_TEST_REAL_GPU=1``. The simulator runs every CUDA thread as a Python thread
(8 per block here, grouped by 4 for the spike propagation), so the networks are tiny and
the runs short. It runs the one-block path, and the grid path with one block; a grid of
many blocks needs a GPU (``NBBRAIN_CUDA_PATH=grid``, docs/benchmarks/gpu_bench.py).

Where the backends may differ: the GPU adds the weights of a step's spikes into the ring
with atomics, in whatever order its threads get there, and fuses multiply-adds where NVVM
chooses (the CPU where LLVM chooses, the simulator nowhere): each changes the last bit of
some float32 sums. On these networks and run lengths no threshold crossing hangs on such a
bit (even the float64 reference stepper gives the same spikes, test_reference.py), so the
spikes are compared exactly and the state to 1e-3; over a longer run of a recurrent
network one flipped spike spreads, so there the test compares rates.
"""

import json

import numpy as np
import pytest
from conftest import all_spikes
from test_plasticity_runs import fingerprint, plastic_brain
from test_reference import cond_brain, cur_brain

import nbbrain as nb
from nbbrain import config

cuda = pytest.importorskip("numba.cuda")
if getattr(cuda, "implementation", None) != "NVIDIA":
    pytest.skip("numba-cuda is not installed", allow_module_level=True)

from nbbrain.backends.cuda import backend as cuda_backend  # noqa: E402
from nbbrain.backends.cuda import kernel as cuda_kernel  # noqa: E402
from nbbrain.backends.plastic_host import PlasticHost  # noqa: E402

SIMULATED = cuda_backend._simulated()
try:
    cuda_backend.check_available()
except RuntimeError as e:  # NBBRAIN_TEST_REAL_GPU=1 on a machine without a usable GPU
    pytest.skip(str(e), allow_module_level=True)


@pytest.fixture(autouse=True)
def small_groups(monkeypatch):
    """Under the simulator: propagation groups of 4 threads, so that 8 threads make two."""
    if SIMULATED:
        monkeypatch.setattr(cuda_kernel, "_WARP", 4)
        monkeypatch.setattr(config, "CUDA_SIM_THREADS", 8)


def both(make, n_steps, inputs=None, calls=None):
    """Build ``make()`` on both backends and run them alike; check the spikes, counts and
    per-step counts agree; return the two simulations."""
    sims = make().build(), make().build(backend="cuda")
    for sim in sims:
        results = [sim.run(n_steps=n, inputs=inputs(a, n) if inputs else None)
                   for a, n in _calls(calls or [n_steps])]  # fmt: skip
        sim.results = results
    cpu, gpu = sims
    assert all_spikes(gpu) == all_spikes(cpu)
    for rc, rg in zip(cpu.results, gpu.results):
        assert rg.spike_counts == rc.spike_counts
        np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
    return cpu, gpu


def _calls(lengths):
    start = 0
    for n in lengths:
        yield start, n
        start += n


def assert_state_close(cpu, gpu, pops_vars):
    for name, var in pops_vars:
        np.testing.assert_allclose(gpu.state(name, var), cpu.state(name, var), rtol=1e-5,
                                   atol=1e-3, err_msg=f"{name}.{var}")  # fmt: skip


def test_monitors_on_the_device_across_chunks():
    """State monitors (v, a channel, a Poisson rate, a noise current) sample on the device,
    across calls and chunks, as on the CPU."""

    def make():
        brain = cond_brain(1)
        brain.add_noise_current("inh", sd_pa=20.0, tau_ms=3.0)
        brain.record_state("exc", "v", every_ms=0.3, indices=[0, 5, 59])
        brain.record_state("exc", "g_nmda", every_ms=0.2)
        brain.record_state("drive", "rate_hz", every_ms=1.0, indices=[3])
        brain.record_state("inh", "i_noise_pa", every_ms=0.5)
        return brain

    cpu, gpu = both(make, None, calls=[60, 0, 40])
    assert len(all_spikes(cpu)) > 300
    for pop, var in (("exc", "v"), ("exc", "g_nmda"), ("drive", "rate_hz"),
                     ("inh", "i_noise_pa")):  # fmt: skip
        tc, xc = cpu.recorded_state(pop, var)
        tg, xg = gpu.recorded_state(pop, var)
        np.testing.assert_array_equal(tg, tc)
        np.testing.assert_allclose(xg, xc, rtol=1e-5, atol=1e-3)
    assert_state_close(cpu, gpu, [("exc", "v"), ("inh", "v"), ("exc", "g_gaba_b"),
                                  ("inh", "g_ampa"), ("exc", "g_nmda")])  # fmt: skip


def test_every_kind_of_population_and_region_counts():
    """The brain of test_errors.py: conductance and current LIF, spike and Poisson sources,
    a region, an empty region; counts of populations and regions."""
    from test_errors import make_brain

    rng = np.random.default_rng(2)
    given = rng.random((80, 5)) < 0.2
    cpu, gpu = both(make_brain, 80, inputs=lambda a, n: {"src": given[a : a + n]})
    assert cpu.results[0].spike_counts["cur"] > 0 and cpu.results[0].spike_counts["ctx"] > 0
    tc, vc = cpu.recorded_state("exc", "v")
    tg, vg = gpu.recorded_state("exc", "v")
    np.testing.assert_array_equal(tg, tc)
    np.testing.assert_allclose(vg, vc, atol=1e-3)


def test_record_buffers_grow_mid_chunk(monkeypatch):
    """Rates far above the record buffers' 50 Hz estimate: the kernel stops at a step
    boundary, the buffers grow, it launches again; counts and records still agree."""
    monkeypatch.setattr(config, "CHUNK_STEPS", 120)

    def make():
        brain = nb.Brain(dt_ms=0.1, seed=3)
        brain.add_population("p", 30, nb.PoissonSource(3000.0))
        brain.record_spikes("p")
        return brain

    cpu, gpu = both(make, 150)
    t_ms, _ = gpu.spikes("p")
    assert gpu.results[0].spike_counts["p"] == t_ms.size > 30 * 150 * 0.2
    assert np.all(np.diff(t_ms) >= 0)


def test_grid_path_gives_the_block_paths_spikes(monkeypatch):
    """The cooperative-grid kernel: one block of 10 threads under the simulator (the last
    two, outside the groups of 4, take no part in the propagation); 4 blocks of 32 on a
    GPU."""
    monkeypatch.setattr(config, "CUDA_SIM_THREADS", 10)
    monkeypatch.setattr(config, "CUDA_GRID_THREADS", 32)
    block = cond_brain(2).build(backend="cuda")
    monkeypatch.setattr(config, "CUDA_PATH", "grid")
    grid = cond_brain(2).build(backend="cuda")
    assert grid.backend_object.grid_path and not block.backend_object.grid_path
    block.run(n_steps=50)
    grid.run(n_steps=50)
    assert all_spikes(grid) == all_spikes(block)
    assert len(all_spikes(block)) > 100
    np.testing.assert_allclose(grid.state("exc", "v"), block.state("exc", "v"), atol=1e-4)


def test_set_state_between_runs_reaches_the_device():
    """``set_state`` writes through to the device; a first NMDA conductance puts "inh"'s
    unused NMDA channel (no NMDA projection in the brain) in use, as on the CPU."""
    sims = cond_brain(5, nmda=False).build(), cond_brain(5, nmda=False).build(backend="cuda")
    for sim in sims:
        inh = sim.net.index("inh")
        sim.run(n_steps=30)
        assert "g_nmda" not in sim.net.desc.active[inh]
        sim.set_state("inh", "g_nmda", np.linspace(0.0, 3.0, 20))
        sim.set_state("drive", "rate_hz", 900.0)
        sim.set_state("exc", "v", -52.0)
        assert "g_nmda" in sim.net.desc.active[inh]
        sim.run(n_steps=40)
    cpu, gpu = sims
    assert all_spikes(gpu) == all_spikes(cpu)
    assert_state_close(cpu, gpu, [("exc", "v"), ("inh", "g_nmda"), ("drive", "rate_hz")])


@pytest.mark.slow
def test_longer_recurrent_run_rates_agree():
    """Over a longer run a spike that float rounding flips may spread through the
    recurrent network: compare rates, not spikes."""
    cpu = cond_brain(7).build()
    gpu = cond_brain(7).build(backend="cuda")
    rc, rg = cpu.run(n_steps=300), gpu.run(n_steps=300)
    for pop in ("exc", "inh"):
        assert rc.rate_hz(pop) > 5
        assert abs(rg.rate_hz(pop) / rc.rate_hz(pop) - 1) < 0.1


# ---- refusals --------------------------------------------------------------------------------
class _FakeCuda:
    """numba.cuda as numba-cuda presents it on a machine where the driver fails."""

    implementation = "NVIDIA"

    def __init__(self, error):
        self.error = error

    @property
    def gpus(self):
        raise self.error


@pytest.mark.parametrize("what, match", [
    ("import", r"needs numba-cuda, which does not import here .*pip install"),
    ("builtin", r"needs numba-cuda, which is not installed"),
    ("driver", r"no CUDA driver: the NVIDIA driver library \(libcuda\) cannot be found"),
    ("no_gpu", r"no GPU: the CUDA driver finds no NVIDIA GPU"),
])  # fmt: skip
def test_unusable_gpu_is_refused_at_build(monkeypatch, what, match):
    def fake_import():
        if what == "import":
            raise ImportError("No module named 'cuda.bindings'")
        if what == "builtin":
            return type("BuiltinCuda", (), {"implementation": "Built-in"})()
        msg = {"driver": "Error at driver init: \n\nCUDA driver library cannot be found.",
               "no_gpu": "Error at driver init: Call to cuInit results in "
                         "CUDA_ERROR_NO_DEVICE (100)"}[what]  # fmt: skip
        return _FakeCuda(RuntimeError(msg))

    monkeypatch.setattr(cuda_backend, "_import_cuda", fake_import)
    monkeypatch.setattr(cuda_backend, "_simulated", lambda: False)
    brain = cond_brain(1)
    with pytest.raises(RuntimeError, match=match) as info:
        brain.build(backend="cuda")
    assert "backend='cpu'" in str(info.value)


def test_model_too_large_for_the_gpu_is_refused(monkeypatch):
    monkeypatch.setattr(cuda_backend, "_free_device_bytes", lambda cuda: 2.0**20)
    with pytest.raises(MemoryError, match=r"needs about 0\.\d+ GiB of GPU memory \(synapses .*"
                                          r"ring .* GiB\) but only 0\.00 GiB is free"):  # fmt: skip
        nb.presets.coba(n_neurons=2000).build(backend="cuda")


def test_threads_are_for_the_cpu():
    with pytest.raises(ValueError, match="threads are for backend='cpu'"):
        cond_brain(1).build(backend="cuda", threads=2)


def test_checkpoint_restore_on_the_device():
    """Spikes in flight (the device ring) and the state survive a checkpoint; a CPU
    simulation of the same brain continues from the device's checkpoint identically."""
    gpu = cond_brain(3).build(backend="cuda")
    gpu.run(n_steps=30)
    cp = gpu.checkpoint()
    first = gpu.run(n_steps=20)
    gpu.restore(cp)
    again = gpu.run(n_steps=20)
    np.testing.assert_array_equal(again.step_counts, first.step_counts)
    cpu = cond_brain(3).build()
    cpu.restore(cp)
    on_cpu = cpu.run(n_steps=20)
    np.testing.assert_array_equal(on_cpu.step_counts, first.step_counts)


def test_batch_gives_the_cpu_batchs_spikes(monkeypatch):
    """batch=2 on the one-block path (a block per copy), with per-copy inputs, a state
    monitor and record buffers that grow: the CPU batch's spikes, counts and samples."""
    monkeypatch.setattr(config, "CHUNK_STEPS", 25)

    def make():
        brain = nb.Brain(dt_ms=0.1, seed=4)
        brain.add_population("src", 12, nb.SpikeSource())
        brain.add_population("p", 10, nb.PoissonSource(nb.Uniform(100.0, 900.0)))
        exc = brain.add_population("exc", 16, nb.ConductanceLIF())
        exc.init(v=nb.Uniform(-65.0, -52.0))
        brain.connect(["src", "p"], "exc", nb.FixedIndegree(5), weight_ns=6.0,
                      receptor="ampa", delay_ms=nb.Uniform(0.1, 0.5))  # fmt: skip
        brain.record_spikes(["src", "p", "exc"])
        brain.record_state("exc", "v", every_ms=0.3, indices=[1, 2])
        return brain

    spikes = np.random.default_rng(1).random((2, 60, 12)) < 0.2
    sims = make().build(batch=2), make().build(backend="cuda", batch=2)
    results = [sim.run(n_steps=60, inputs={"src": spikes}) for sim in sims]
    cpu, gpu = sims
    for c in range(2):
        for name in ("src", "p", "exc"):
            for a, b in zip(cpu.spikes(name, copy=c), gpu.spikes(name, copy=c)):
                np.testing.assert_array_equal(a, b)
        for a, b in zip(cpu.recorded_state("exc", "v", c), gpu.recorded_state("exc", "v", c)):
            np.testing.assert_allclose(a, b, atol=1e-3)
    assert cpu.spikes("exc", copy=0)[0].size > 0
    assert cpu.spikes("p", copy=0)[1].tolist() != cpu.spikes("p", copy=1)[1].tolist()
    np.testing.assert_array_equal(results[1].step_counts, results[0].step_counts)
    np.testing.assert_allclose(gpu.state("exc", "v"), cpu.state("exc", "v"), atol=1e-3)
    ck = gpu.checkpoint()
    assert ck["state"].shape[::2] == (2, 38) and ck["ring"].shape[0] == 2
    gpu.restore(ck)


def test_batch_on_the_grid_path_is_refused(monkeypatch):
    monkeypatch.setattr(config, "CUDA_PATH", "grid")
    with pytest.raises(NotImplementedError, match="batch=2 on the cuda backend's"):
        cur_brain(1).build(backend="cuda", batch=2)


# ---- inputs already on the device ------------------------------------------------------------
class CudaArrayDouble:
    """A stand-in for a torch CUDA tensor: host memory (the simulator's "device") exposed
    through ``__cuda_array_interface__`` with the given dict entries changed, and through
    ``__array_interface__`` (the simulator reads only memory it can see there)."""

    def __init__(self, a, host=True, **change):
        self.a, self.host, self.change = a, host, change

    @property
    def __cuda_array_interface__(self):
        d = self.a.__array_interface__
        desc = {k: d[k] for k in ("shape", "typestr", "data", "strides")}
        return desc | {"version": 3, "stream": None} | self.change

    def __getattr__(self, name):
        if name == "__array_interface__" and self.host:
            return self.a.__array_interface__
        raise AttributeError(name)


def on_device(a):
    """``a`` in device memory: the simulator's device arrays, or a real GPU's."""
    return cuda.to_device(a)


def device_ptr(a):
    """Where a (real or simulated) device array's data begins."""
    if SIMULATED:
        return a._ary.__array_interface__["data"][0]
    return a.__cuda_array_interface__["data"][0]


@pytest.fixture
def uploads(monkeypatch):
    """What the kernel receives as each chunk's inputs (``CudaBackend._upload``), and no
    input may take the host path (``inputs._as_numpy``) unless it is a host array."""
    from nbbrain.engine import inputs

    seen = []
    upload = cuda_backend.CudaBackend._upload

    def spy(self, name, host):
        out = upload(self, name, host)
        seen.append((name, out))
        return out

    as_numpy = inputs._as_numpy

    def host_only(x, what):
        assert isinstance(x, np.ndarray), f"{what} took the host path"
        return as_numpy(x, what)

    monkeypatch.setattr(cuda_backend.CudaBackend, "_upload", spy)
    monkeypatch.setattr(inputs, "_as_numpy", host_only)
    return seen


def test_device_inputs_are_read_in_place(monkeypatch, uploads):
    """Spikes and a current on the device, across chunks of 7 steps: the kernel reads
    the spikes in place (the only spike input: each chunk's rows of the caller's own
    memory); the currents, one on the device and one on the host, are packed into the
    chunk buffer. The spikes and counts are the CPU's with the same inputs."""
    monkeypatch.setattr(config, "CHUNK_STEPS", 7)
    rng = np.random.default_rng(0)
    given = rng.random((30, 10)) < 0.1
    current = rng.normal(0.0, 30.0, (30, 64)).astype(np.float32)
    constant = rng.normal(20.0, 5.0, 16)
    d_given, d_current = on_device(given), on_device(current)
    cpu, gpu = cur_brain(3).build(), cur_brain(3).build(backend="cuda")
    uploads.clear()
    rg = gpu.run(n_steps=30, inputs={"src": d_given, "exc": d_current, "inh": constant})
    rc = cpu.run(n_steps=30, inputs={"src": given, "exc": current, "inh": constant})
    np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
    assert all_spikes(gpu) == all_spikes(cpu) and rc.spike_counts["src"] > 10
    spk = [out for name, out in uploads if name == "spk_in"]
    assert [device_ptr(s) for s in spk] == [device_ptr(d_given) + 10 * a
                                            for a in range(0, 30, 7)]  # fmt: skip
    assert all(s.shape == (1, 7 if a < 28 else 2, 10) for s, a in zip(spk, range(0, 30, 7)))
    cur = [out for name, out in uploads if name == "cur_in"]
    assert len(cur) == 5 and all(device_ptr(c) == device_ptr(cur[0]) for c in cur[:4])  # reused
    assert device_ptr(cur[0]) not in (device_ptr(d_current), current.ctypes.data)


def test_device_batch_inputs_in_place_or_packed(monkeypatch, uploads):
    """A batch of 2 with per-copy currents on the device: read in place when a chunk
    covers the run (its rows are then one block), packed when chunks cut the copies'
    rows apart; currents given once for every copy are broadcast there."""
    rng = np.random.default_rng(5)
    current = rng.normal(400.0, 200.0, (2, 24, 64)).astype(np.float32)
    once = rng.normal(400.0, 200.0, (24, 64)).astype(np.float32)
    d_current = on_device(current)
    for chunk, in_place in ((24, True), (10, False)):
        monkeypatch.setattr(config, "CHUNK_STEPS", chunk)
        cpu, gpu = cur_brain(4).build(batch=2), cur_brain(4).build(backend="cuda", batch=2)
        uploads.clear()
        rg = gpu.run(n_steps=24, inputs={"exc": d_current})
        rc = cpu.run(n_steps=24, inputs={"exc": current})
        np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
        first = next(out for name, out in uploads if name == "cur_in")
        assert (device_ptr(first) == device_ptr(d_current)) == in_place
        rg = gpu.run(n_steps=24, inputs={"exc": on_device(once)})
        rc = cpu.run(n_steps=24, inputs={"exc": once})
        np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
    assert rc.spike_counts["exc"].min() > 0


def test_cuda_array_interface_objects_are_read_on_the_device(uploads):
    """Objects that expose ``__cuda_array_interface__`` (as torch CUDA tensors do; under
    the simulator a double over host memory): float32 read in place, float64 converted
    into the chunk buffer, int8 spikes read as bytes; a strided (column) view is packed."""
    rng = np.random.default_rng(1)
    given = (rng.random((20, 10)) < 0.2).astype(np.int8)
    wide = rng.normal(10.0, 30.0, (20, 80)).astype(np.float32)
    current = wide[:, :64]  # strided rows
    cpu = cur_brain(3).build()
    rc = cpu.run(n_steps=20, inputs={"src": given, "exc": current})
    interface = CudaArrayDouble if SIMULATED else cuda.to_device
    strided = CudaArrayDouble(current) if SIMULATED else cuda.to_device(wide)[:, :64]
    for x, in_place in ((strided, False), (interface(current.astype(np.float64)), False),
                        (interface(np.ascontiguousarray(current)), True)):  # fmt: skip
        gpu = cur_brain(3).build(backend="cuda")
        uploads.clear()
        rg = gpu.run(n_steps=20, inputs={"src": interface(given), "exc": x})
        np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
        cur = next(out for name, out in uploads if name == "cur_in")
        assert (device_ptr(cur) == x.__cuda_array_interface__["data"][0]) == in_place


GOOD = np.zeros((20, 64), np.float32)
BAD_DEVICE = {
    "shape": (dict(shape=(20, 63)), ValueError, r"expected shape \(64,\) or \(20, 64\)"),
    "steps": (dict(shape=(19, 64)), ValueError, r"expected .* got \(19, 64\)"),
    "dtype int": (dict(typestr="<i4"), TypeError, "a current in pA on the GPU must be float32 .*"
                  "got int32"),
    "dtype half": (dict(typestr="<f2"), TypeError, r"a current .* got float16; convert .*"
                   r"\(x.float\(\)\)"),
    "negative strides": (dict(strides=(-256, 4)), ValueError, "negative strides"),
    "mask": (dict(mask=object()), ValueError, "masked"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_DEVICE))
def test_bad_device_inputs_are_refused_and_change_nothing(case):
    """Refused from the interface dict alone (its data pointer is never read)."""
    change, err, match = BAD_DEVICE[case]
    gpu = cur_brain(3).build(backend="cuda")
    gpu.run(n_steps=5)
    before = gpu.checkpoint()
    with pytest.raises(err, match=r"run: inputs\['exc'\]: " + match):
        gpu.run(n_steps=20, inputs={"exc": CudaArrayDouble(GOOD, data=(0, False), **change)})
    after = gpu.checkpoint()
    assert after["step"] == before["step"] == 5
    np.testing.assert_array_equal(after["state"], before["state"])


def test_bad_device_values_batches_and_memory_are_refused():
    """Values (checked on the device before anything runs), a batch of the wrong size,
    spikes of the wrong dtype, GPU memory the simulator cannot read, device memory for a
    CPU simulation: each a clear error, and the simulation unchanged."""
    gpu = cur_brain(3).build(backend="cuda", batch=2)
    nan = np.zeros((20, 64), np.float32)
    nan[7, 3] = np.nan
    two = np.zeros((20, 10), np.uint8)
    two[4, 4] = 2
    cases = [
        ({"exc": on_device(nan)}, ValueError, r"inputs\['exc'\]: the current must be finite"),
        ({"src": on_device(two)}, ValueError, r"inputs\['src'\]: spikes must be 0 or 1"),
        ({"src": on_device(two.astype(np.float32))}, TypeError,
         r"spikes on the GPU must be bool or uint8 .* got float32; .* \(x.bool\(\)\)"),
        ({"exc": on_device(np.zeros((3, 20, 64), np.float32))}, ValueError,
         r"batch=2 copies, got inputs for 3 \(shape \(3, 20, 64\)\)"),
    ]  # fmt: skip
    if SIMULATED:
        cases.append(({"exc": CudaArrayDouble(GOOD, host=False)}, TypeError,
                      r"under the CUDA simulator .* GPU memory cannot be read"))  # fmt: skip
    before = gpu.checkpoint()
    for inputs, err, match in cases:
        with pytest.raises(err, match=match):
            gpu.run(n_steps=20, inputs={"src": np.zeros(10, bool)} | inputs)
        after = gpu.checkpoint()
        assert after["step"] == 0
        np.testing.assert_array_equal(after["state"], before["state"])
    cpu = cur_brain(3).build()
    msg = (r"inputs\['exc'\]: GPU memory \(shape \(20, 64\), dtype float32\) for a simulation "
           r"on backend='cpu'; pass a host array \(x.cpu\(\) for a tensor\), or build with "
           r"backend='cuda'")  # fmt: skip
    for x in (on_device(GOOD), CudaArrayDouble(GOOD)):
        with pytest.raises(TypeError, match=msg):
            cpu.run(n_steps=20, inputs={"exc": x})
    assert cpu.step == 0


def test_constant_and_empty_device_inputs(uploads):
    """A current ``[n]`` on the device for every step (read in place: one row), and a run of
    0 steps with ``[0, n]`` inputs on the device."""
    constant = np.linspace(100.0, 400.0, 64).astype(np.float32)
    d_constant = on_device(constant)
    cpu, gpu = cur_brain(2).build(), cur_brain(2).build(backend="cuda")
    uploads.clear()
    rg = gpu.run(n_steps=20, inputs={"exc": d_constant})
    rc = cpu.run(n_steps=20, inputs={"exc": constant})
    np.testing.assert_array_equal(rg.step_counts, rc.step_counts)
    cur = next(out for name, out in uploads if name == "cur_in")
    assert device_ptr(cur) == device_ptr(d_constant) and cur.shape == (1, 1, 64)
    assert rc.spike_counts["exc"] > 0
    empty = gpu.run(n_steps=0, inputs={"exc": on_device(np.zeros((0, 64), np.float32))})
    assert empty.step_counts.shape == (0, len(gpu.net.names)) and gpu.step == 20


@pytest.mark.skipif(not SIMULATED, reason="the smoke run is for the simulator")
def test_gpu_bench_script_runs(capsys):
    """docs/benchmarks/gpu_bench.py, the script run on a GPU machine, with ``--smoke`` (tiny
    sizes: checks the script, measures nothing): its report, microcircuit included."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "docs" / "benchmarks" / "gpu_bench.py"
    spec = importlib.util.spec_from_file_location("gpu_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--smoke"])
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["correctness"]["block"]["same_spikes"]
    assert report["correctness"]["grid"]["same_spikes"]
    assert report["microcircuit"]["n_neurons"] == 771 and report["microcircuit"]["n_synapses"] > 0
    assert len(report["scaling"]) == 2


# ---- plastic synapses and modulators: the CPU's plastic phase, run on the device --------
def plastic_fingerprint(sim):
    """Spikes, every projection's weights (in synapse order) and the modulators."""
    return fingerprint(sim), [sim.modulator(m) for m in ("dopamine", "acetylcholine")]


def assert_same_learning(gpu, cpu):
    """The same spikes; the same weights and modulators but for the last bits of float64
    (the CPU fuses multiply-adds, the simulator does not)."""
    (fg, mg), (fc, mc) = plastic_fingerprint(gpu), plastic_fingerprint(cpu)
    for k, (a, b) in enumerate(zip(fg, fc)):
        if k < 4:  # (the spikes of exc and inh)
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mg, mc, rtol=1e-12)


def test_plastic_brain_learns_as_on_the_cpu(monkeypatch):
    """Every rule (STDP, per-presynaptic short-term plasticity, inhibitory plasticity,
    dopamine-gated STDP released by a population, homeostasis) and two modulators, over
    chunks, with lists of plastic events that start with no room to spare (they grow)."""
    cpu = plastic_brain().build()
    cpu.run(20.0)
    monkeypatch.setattr(PlasticHost, "LIST_ROOM", 0)
    gpu = plastic_brain().build(backend="cuda")
    gpu.run(7.3)
    gpu.run(12.7)
    assert gpu.backend_object.pact.shape[2] > gpu.net.plastic.max_new  # (grew)
    assert_same_learning(gpu, cpu)
    fresh = plastic_brain().build()
    w0 = fresh.connections(fresh._projections[0]).weight
    assert not np.array_equal(gpu.connections(gpu._projections[0]).weight, w0)  # (learned)


def test_plastic_checkpoints_cross_backends():
    """A CPU checkpoint goes on on the device, and the device's checkpoint on the CPU, as
    the CPU run goes on."""
    cpu = plastic_brain().build()
    cpu.run(8.0)
    gpu = plastic_brain().build(backend="cuda")
    gpu.restore(cpu.checkpoint())
    gpu.run(6.0)
    back = plastic_brain().build()
    back.restore(gpu.checkpoint())
    back.run(6.0)
    cpu.run(12.0)
    w = [back.connections(p).weight for p in back._projections]
    for a, b in zip(w, [cpu.connections(p).weight for p in cpu._projections]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for name in ("exc", "inh"):
        t_b, i_b = back.spikes(name, since_ms=14.0)
        t_c, i_c = cpu.spikes(name, since_ms=14.0)
        np.testing.assert_array_equal(t_b, t_c)
        np.testing.assert_array_equal(i_b, i_c)


def test_plastic_batch_copies_learn_on_their_own_blocks():
    """A batch on the device: copy 0 learns as the CPU's single run does, copy 1 (its own
    noise) otherwise."""
    cpu = plastic_brain().build()
    cpu.run(10.0)
    gpu = plastic_brain().build(backend="cuda", batch=2)
    gpu.run(10.0)
    for k, proj in enumerate(gpu._projections):
        w0, w1 = gpu.connections(proj, 0).weight, gpu.connections(proj, 1).weight
        np.testing.assert_allclose(w0, cpu.connections(cpu._projections[k]).weight,
                                   rtol=1e-12, atol=1e-12)  # fmt: skip
        if k == 0:
            assert not np.array_equal(w0, w1)
    for name in ("exc", "inh"):
        np.testing.assert_array_equal(gpu.spikes(name, 0)[0], cpu.spikes(name)[0])
