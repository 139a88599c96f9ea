"""nbbrain.torch: tensor readouts (zero-copy where promised) and BrainModule.

BrainModule's contract: shapes, state that persists across calls (a run cut into calls
gives the readouts of one call), reset, batches of copies, errors that change nothing,
devices, and a closed loop with a torch policy (one forward per 20 ms window).
"""

import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nbbrain as nb  # noqa: E402
import nbbrain.torch as nbt  # noqa: E402
from nbbrain.presets.sensorimotor import MOTOR_POPULATIONS, N_SENSORY, SENSORY  # noqa: E402
from nbbrain.torch import BrainModule  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "closed_loop.md"
READOUTS = ["ctx.exc", "ctx.inh", "ctx"]
N_IN = 8 + 40  # "src" (SpikeSource), then "ctx.exc" (ConductanceLIF)


def tiny(seed=0):
    """Two populations in a region, a spike source and Poisson background (so that the
    seed matters), dt 1 ms."""
    b = nb.Brain(dt_ms=1.0, seed=seed)
    b.add_population("src", 8, nb.SpikeSource())
    ctx = b.add_region("ctx")
    ctx.add_population("exc", 40, nb.ConductanceLIF(i_bias_pa=95.0))
    ctx.add_population("inh", 10, nb.ConductanceLIF(i_bias_pa=95.0))
    b.add_population("bg", 20, nb.PoissonSource(20.0))
    b.connect("src", "ctx.exc", nb.FixedIndegree(4), weight_ns=3.0, receptor="ampa")
    b.connect("bg", "ctx", nb.FixedIndegree(5), weight_ns=2.0, receptor="ampa")
    b.connect("ctx.exc", "ctx", nb.FixedProbability(0.1), weight_ns=1.0, receptor="ampa",
              delay_ms=2.0)  # fmt: skip
    b.connect("ctx.inh", "ctx", nb.FixedProbability(0.2), weight_ns=4.0, receptor="gaba_a")
    b.record_spikes("ctx")
    return b


def module(**kw):
    args = dict(inputs=["src", "ctx.exc"], readouts=READOUTS, window_ms=10.0)
    return BrainModule(tiny(), **(args | kw))


def drive(T, B=None, seed=0):
    """Spikes (0/1 floats) for "src" and a current (pA) for "ctx.exc", ``[T, 48]`` or
    ``[B, T, 48]``."""
    g = torch.Generator().manual_seed(seed)
    shape = (T,) if B is None else (B, T)
    x = torch.empty(*shape, N_IN)
    x[..., :8] = (torch.rand(*shape, 8, generator=g) < 0.3).float()
    x[..., 8:] = 20.0 * torch.rand(*shape, 40, generator=g)
    return x


def snapshot(m):
    """Everything that determines a module's future."""
    return m.t_ms, m.batch, [m.simulation.checkpoint()]


def assert_same(a, b):
    assert a[:2] == b[:2] and len(a[2]) == len(b[2])
    for ca, cb in zip(a[2], b[2]):
        assert ca.keys() == cb.keys()
        for k in ca:
            np.testing.assert_array_equal(ca[k], cb[k])


# ---- import ------------------------------------------------------------------------------
def test_import_nbbrain_does_not_import_torch():
    code = ("import sys, nbbrain; assert 'torch' not in sys.modules, 'torch imported'; "
            "import nbbrain.torch; assert 'torch' in sys.modules")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- readouts and their memory -----------------------------------------------------------
def test_to_tensor_shares_memory_where_it_can():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = nbt.to_tensor(a)
    assert t.data_ptr() == a.ctypes.data
    a[0, 0] = 42.0
    assert t[0, 0] == 42.0
    col = a[:, 1]  # strided: still shared
    assert nbt.to_tensor(col).data_ptr() == col.ctypes.data
    flipped = a[::-1]  # negative strides: torch cannot share; a copy
    np.testing.assert_array_equal(nbt.to_tensor(flipped).numpy(), flipped)
    ro = np.ones(3)
    ro.flags.writeable = False  # read-only: copied, so the tensor can never write to it
    t = nbt.to_tensor(ro)
    assert t.data_ptr() != ro.ctypes.data
    with pytest.raises(TypeError, match="no torch equivalent"):
        nbt.to_tensor(np.array(["a"]))


def test_state_is_a_live_view_of_the_simulation():
    sim = tiny().build()
    v = nbt.state(sim, "ctx.exc", "v")
    view = sim.live_state("ctx.exc", "v")
    assert v.dtype == torch.float32 and v.shape == (40,)
    assert v.data_ptr() == view.ctypes.data  # shares memory with the simulation's state
    sim.run(n_steps=50)
    np.testing.assert_array_equal(v.numpy(), sim.state("ctx.exc", "v"))  # shows the run
    g = nbt.state(sim, "ctx.inh", "g_ampa")
    assert g.data_ptr() == sim.live_state("ctx.inh", "g_ampa").ctypes.data
    copied = nbt.state(sim, "ctx.exc", "v", copy=True)
    assert copied.data_ptr() != view.ctypes.data
    sim.run(n_steps=5)
    assert not torch.equal(copied, v)  # the copy kept the old values
    with pytest.raises(ValueError, match="unknown state variable"):
        nbt.state(sim, "ctx.exc", "w")


def test_step_counts_share_memory_and_rates_match_run_result():
    sim = tiny().build()
    spk = np.zeros((100, 8), bool)
    spk[::7] = True
    res = sim.run(n_steps=100, inputs={"src": spk})
    counts, names = nbt.step_counts(res)
    assert counts.data_ptr() == res.step_counts.ctypes.data and counts.dtype == torch.int32
    assert names == list(sim.net.names) and counts.shape == (100, len(names))
    r = nbt.rates(res, READOUTS, bin_ms=20.0)
    assert r.shape == (5, 3) and r.dtype == torch.float32
    for j, name in enumerate(READOUTS):
        np.testing.assert_array_equal(r[:, j].numpy(), res.rates_hz(name, 20.0).astype(np.float32))
    r64 = nbt.rates(res, "ctx", bin_ms=30.0, dtype=torch.float64)  # 3 bins, the rest dropped
    np.testing.assert_array_equal(r64[:, 0].numpy(), res.rates_hz("ctx", 30.0))
    assert nbt.rates(res, ["ctx"], 10.0, dtype=torch.bfloat16).dtype == torch.bfloat16


def test_spikes_readout():
    sim = tiny().build()
    sim.run(n_steps=200)
    t_ms, idx = nbt.spikes(sim, "ctx.exc")
    want_t, want_idx = sim.spikes("ctx.exc")
    assert t_ms.dtype == torch.float64 and not idx.is_floating_point() and len(t_ms) > 0
    np.testing.assert_array_equal(t_ms.numpy(), want_t)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    m = module()
    m(drive(100))
    t_ms, idx = nbt.spikes(m, "ctx.inh")
    assert len(t_ms) == len(idx) and float(t_ms.max()) < 100.0
    assert nbt.state(m, "ctx.exc", "v").shape == (40,)
    with pytest.raises(ValueError, match="copies"):
        nbt.state(m, "ctx.exc", "v", b=1)


# ---- BrainModule ---------------------------------------------------------------------------
def test_forward_shapes_and_values_match_a_plain_simulation():
    m = module()
    assert m.n_in == N_IN and m.n_out == 3 and m.window_steps == 10
    assert m.input_slices == {"src": slice(0, 8), "ctx.exc": slice(8, 48)}
    x = drive(100)
    y = m(x)
    assert y.shape == (10, 3) and y.dtype == torch.float32 and y.device.type == "cpu"
    assert not y.requires_grad and m.t_ms == 100.0 and m.batch == 1
    sim = tiny().build()
    res = sim.run(n_steps=100, inputs={"src": x[:, :8].numpy() > 0, "ctx.exc": x[:, 8:].numpy()})
    for j, name in enumerate(READOUTS):
        np.testing.assert_array_equal(y[:, j].numpy(), res.rates_hz(name, 10.0).astype(np.float32))
    assert res.spike_counts["ctx"] > 0
    assert m.last_results[0].spike_counts == res.spike_counts
    y2 = m(drive(30, seed=1))
    assert y2.shape == (3, 3)
    assert y2.data_ptr() != y.data_ptr()  # each call returns its own memory
    # bool spikes, for a module fed by SpikeSources only; integer 0/1 too
    ms = module(inputs=["src"], readouts=["ctx.exc"])
    spk = torch.rand(40, 8, generator=torch.Generator().manual_seed(3)) < 0.3
    yb = ms(spk)
    assert yb.shape == (4, 1)
    ms.reset()
    torch.testing.assert_close(ms(spk.to(torch.uint8)), yb, rtol=0, atol=0)
    ms.reset()
    torch.testing.assert_close(ms(spk.double()), yb, rtol=0, atol=0)


def test_state_persists_chunked_equals_one_call_and_reset():
    x = drive(200)
    one = module()
    y_one = one(x)
    chunked = module()
    parts = [chunked(x[a:b]) for a, b in ((0, 50), (50, 60), (60, 200))]
    torch.testing.assert_close(torch.cat(parts), y_one, rtol=0, atol=0)
    assert chunked.t_ms == 200.0
    chunked.reset()
    assert chunked.t_ms == 0.0
    torch.testing.assert_close(chunked(x), y_one, rtol=0, atol=0)  # as built again
    # the state carries over: the second half alone, from a fresh build, differs
    assert not torch.equal(module()(x[100:]), y_one[10:])
    # the seed matters (Poisson background), and seed= overrides the brain's
    other = module(seed=5)
    assert other.brain.seed == 5 and not torch.equal(other(x), y_one)


def test_batch_copies_are_independent_and_fixed():
    x = drive(60, B=3)
    x[2] = x[0]
    m = module()
    y = m(x)
    assert y.shape == (3, 6, 3) and m.batch == 3 and m.simulation.batch == 3
    assert len(m.simulations) == 1 and len(m.last_results) == 3
    single = module()
    # copy 0 is the brain itself with its input; the copies have their own seeds, so
    # copy 2 differs from copy 0 even with the same input
    torch.testing.assert_close(y[0], single(x[0]), rtol=0, atol=0)
    assert not torch.equal(y[2], y[0]) and not torch.equal(y[1], y[0])
    assert m.last_results[0].spike_counts == single.last_results[0].spike_counts
    sim = tiny().build(batch=3)  # each copy b is copy b of the batched brain
    res = sim.run(n_steps=60, inputs={"src": x[..., :8].numpy() > 0, "ctx.exc": x[..., 8:].numpy()})
    for j, name in enumerate(READOUTS):
        np.testing.assert_array_equal(
            y[..., j].numpy(), res.rates_hz(name, 10.0).astype(np.float32)
        )
    before = snapshot(m)
    with pytest.raises(ValueError, match="batch size is fixed at 3"):
        m(drive(60, B=2))
    with pytest.raises(ValueError, match="batch size is fixed at 3"):
        m(drive(60))  # unbatched is B = 1
    assert_same(snapshot(m), before)
    m.reset(batch=2)
    assert m.batch == 2 and m.t_ms == 0.0
    torch.testing.assert_close(m(x[:2]), y[:2], rtol=0, atol=0)
    m.reset(batch=1)
    torch.testing.assert_close(m(x[0]), y[0], rtol=0, atol=0)  # [T, n] once B is 1
    assert m(x[:1, :10]).shape == (1, 1, 3)
    with pytest.raises(ValueError, match=">= 1"):
        m.reset(batch=0)


BAD = {
    "requires_grad": (lambda x: x.clone().requires_grad_(True), TypeError, "not differentiable"),
    "numpy": (lambda x: x.numpy(), TypeError, "torch.Tensor"),
    "n_in": (lambda x: x[:, :47], ValueError, r"shape \[T, 48\]"),
    "ndim": (lambda x: x[None, None], ValueError, r"shape \[T, 48\]"),
    "partial window": (lambda x: x[:15], ValueError, "whole number of windows"),
    "bool with currents": (lambda x: x > 0.5, TypeError, "float tensor"),
    "int64 currents": (lambda x: x.long(), TypeError, "float tensor"),
    "complex": (lambda x: x.to(torch.complex64), TypeError, "real"),
    "spike not 0/1": (lambda x: x.index_fill(1, torch.tensor([3]), 0.5), ValueError, "0 or 1"),
    "NaN current": (lambda x: x.index_fill(1, torch.tensor([9]), float("nan")), ValueError,
                    "finite"),
    "device": (lambda x: x.to("meta"), TypeError, "module is on cpu"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_raises_and_changes_nothing(case):
    make_bad, err, match = BAD[case]
    m, ref = module(), module()
    x = drive(40)
    torch.testing.assert_close(m(x), ref(x), rtol=0, atol=0)
    before = snapshot(m)
    with pytest.raises(err, match=match):
        m(make_bad(drive(20, seed=1)))
    assert_same(snapshot(m), before)
    x2 = drive(30, seed=2)
    torch.testing.assert_close(m(x2), ref(x2), rtol=0, atol=0)  # usable, and as before


def test_bad_input_of_a_batch_runs_no_copy():
    m = module()
    x = drive(20, B=2)
    x[1, 0, 9] = float("nan")  # copy 1 is bad: copy 0 must not run either
    with pytest.raises(ValueError, match="finite"):
        m(x)
    assert m.t_ms == 0.0 and m.batch is None and m.simulation.batch == 1


def test_constructor_errors():
    with pytest.raises(ValueError, match="not a population"):
        module(inputs=["ctx"])
    with pytest.raises(ValueError, match="takes no input"):
        module(inputs=["bg"])
    with pytest.raises(ValueError, match="named twice"):
        module(inputs=["src", "src"])
    with pytest.raises(ValueError, match="unknown population or region"):
        module(readouts=["ctx.ex"])
    with pytest.raises(ValueError, match="at least one"):
        module(readouts=[])
    with pytest.raises(ValueError, match="whole number"):
        module(window_ms=2.5)
    with pytest.raises(TypeError, match="nb.Brain"):
        BrainModule("brain", inputs=[], readouts=["x"], window_ms=1)
    with pytest.raises(ValueError, match="backend"):
        module(backend="tpu")
    # the module keeps its own copy of the description
    b = tiny()
    m = BrainModule(b, inputs=["src"], readouts=["ctx"], window_ms=5)
    b.add_population("late", 3, nb.SpikeSource())
    assert "late" not in m.brain.populations


def test_dtypes_and_devices():
    x = drive(40)
    m = module()
    y = m(x)
    m.reset().double()
    assert m.dtype == torch.float64
    y64 = m(x)
    assert y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), y, rtol=0, atol=0)
    assert m.reset().to(torch.float16)(x).dtype == torch.float16
    assert m.reset().bfloat16()(x).dtype == torch.bfloat16
    m.float()
    parent = torch.nn.ModuleDict({"brain": m, "policy": torch.nn.Linear(3, 3)})
    parent.double()  # reaches the brain through nn.Module._apply
    assert m.dtype == torch.float64 and parent["policy"].weight.dtype == torch.float64
    parent.to("cpu", torch.float32)
    assert m.dtype == torch.float32 and m.backend == "cpu"
    with pytest.raises(TypeError):
        m.to(torch.int32)
    with pytest.raises(ValueError, match="'cpu' or 'cuda'"):
        m.to("meta")
    assert m.dtype == torch.float32 and m.backend == "cpu"
    m.reset()
    m(x)
    t_ms = m.t_ms
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            assert m.cuda() is m
        except RuntimeError as err:  # no GPU here (and no CUDA simulator): unchanged
            assert "cuda" in str(err) and m.backend == "cpu" and m.t_ms == t_ms
            return
    assert m.backend == "cuda" and m.device == torch.device("cuda", 0)
    if caught:  # the state could not be carried over: it starts again
        assert "starts again" in str(caught[0].message) and m.t_ms == 0.0
    else:
        assert m.t_ms == t_ms
    with pytest.raises(TypeError, match="module is on cuda"):
        m(x)
    if torch.cuda.is_available():  # a real GPU, and a CUDA build of torch
        m.reset()
        torch.testing.assert_close(m(x.cuda()).cpu(), y)
    m.to("cpu")
    assert m.backend == "cpu" and m.device == torch.device("cpu")
    torch.testing.assert_close(m.reset()(x), y, rtol=0, atol=0)


# ---- closed loop -------------------------------------------------------------------------
def test_closed_loop_policy_every_20_ms():
    """A torch policy reads the motor readout every 20 ms and writes the next sensory input;
    1 s of a small sensorimotor brain, one forward per window."""
    brain = nb.presets.sensorimotor(seed=0, scale=0.1, record=False)
    m = BrainModule(brain, inputs=[SENSORY], readouts=MOTOR_POPULATIONS, window_ms=20.0)
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append(args[0].shape))
    torch.manual_seed(0)
    policy = torch.nn.Sequential(torch.nn.Linear(len(MOTOR_POPULATIONS), N_SENSORY),
                                 torch.nn.Sigmoid())  # fmt: skip
    gen = torch.Generator().manual_seed(1)
    rate_hz, fed, motor = torch.full((N_SENSORY,), 10.0), [], []
    with torch.no_grad():
        for _ in range(50):
            spikes = torch.rand(20, N_SENSORY, generator=gen) < rate_hz * 1e-3
            y = m(spikes)
            assert y.shape == (1, 3)
            fed.append(spikes)
            motor.append(y)
            rate_hz = 80.0 * policy(y[0] / 50.0)
    motor = torch.cat(motor)
    assert m.t_ms == 1000.0 and calls == [torch.Size([20, N_SENSORY])] * 50
    assert torch.isfinite(motor).all() and (motor >= 0).all() and motor.sum() > 0
    assert len({tuple(f.sum(0).tolist()) for f in fed}) > 1  # the policy's input varied
    # replaying the inputs in one call gives the same readouts (the loop was deterministic,
    # and windows do not depend on how the run is cut into calls)
    m.reset()
    torch.testing.assert_close(m(torch.cat(fed)), motor, rtol=0, atol=0)
    t_ms = m.t_ms
    with pytest.raises(TypeError, match="not differentiable"):  # outside torch.no_grad()
        m(policy(motor[:1] / 50.0).expand(20, N_SENSORY))
    assert m.t_ms == t_ms


def test_closed_loop_doc_runs():
    """docs/closed_loop.md's example, at scale 0.1."""
    blocks = re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1 and "scale=1.0" in blocks[0]
    namespace = {"__name__": "__closed_loop__"}
    exec(compile(blocks[0].replace("scale=1.0", "scale=0.1"), DOC.name, "exec"), namespace)
    assert namespace["motor"].shape == (50, len(MOTOR_POPULATIONS))


# ---- the CUDA backend: tensors on the device ----------------------------------------------
def cuda_backend():
    """nbbrain's CUDA backend module, where this machine can run it (a GPU, or numba-cuda's
    simulator as the tests set it up); else the test is skipped."""
    cuda = pytest.importorskip("numba.cuda")
    if getattr(cuda, "implementation", None) != "NVIDIA":
        pytest.skip("numba-cuda is not installed")
    from nbbrain.backends.cuda import backend

    try:
        backend.check_available()
    except RuntimeError as e:
        pytest.skip(str(e))
    return backend


def device_ptr(dev, backend):
    """Where a numba device array's data begins (the simulator's: host memory)."""
    if backend._simulated():
        return dev._ary.ctypes.data
    return dev.__cuda_array_interface__["data"][0]


def test_state_on_the_cuda_backend_is_a_live_view_of_the_device():
    """CUDA backend: ``state`` is a view of the state on the device (a CUDA tensor; under
    the simulator a CPU tensor over its memory), live across runs, of the right copy."""
    backend = cuda_backend()
    sim = tiny().build(backend="cuda", batch=2)
    st, lo, n = sim.backend_object.d.st, sim.net.lo[sim.net.index("ctx.inh")], sim.net.n
    v = nbt.state(sim, "ctx.inh", "v", b=1)
    g = nbt.state(sim, "ctx.inh", "g_ampa")
    row = list(sim.populations["ctx.inh"].model.state).index("g_ampa")
    assert v.dtype == torch.float32 and v.shape == (10,) and g.shape == (10,)
    assert v.data_ptr() == device_ptr(st[1], backend) + 4 * lo
    assert g.data_ptr() == device_ptr(st[0], backend) + 4 * (row * n + lo)
    on_gpu = not backend._simulated()
    assert v.is_cuda == on_gpu and g.is_cuda == on_gpu
    copied = nbt.state(sim, "ctx.inh", "v", b=1, copy=True)
    assert copied.data_ptr() != v.data_ptr() and copied.is_cuda == on_gpu
    sim.run(n_steps=30)
    np.testing.assert_array_equal(v.cpu().numpy(), sim.state("ctx.inh", "v")[1])  # live
    np.testing.assert_array_equal(g.cpu().numpy(), sim.state("ctx.inh", "g_ampa")[0])
    assert not torch.equal(copied, v)
    with pytest.raises(ValueError, match="unknown state variable"):
        nbt.state(sim, "ctx.exc", "w")
    with pytest.raises(ValueError, match="copies"):
        nbt.state(sim, "ctx.exc", "v", b=2)


def test_readouts_of_a_cuda_simulation_on_its_device():
    """step_counts, rates and spikes of a CUDA simulation: the CPU backend's values, as
    CUDA tensors (under the simulator, whose device is host memory: CPU tensors)."""
    backend = cuda_backend()
    spk = np.zeros((60, 8), bool)
    spk[::5] = True
    sims = tiny().build(), tiny().build(backend="cuda")
    (rc, rg) = (s.run(n_steps=60, inputs={"src": spk}) for s in sims)
    on_gpu = not backend._simulated()
    counts, names = nbt.step_counts(rg)
    assert counts.is_cuda == on_gpu and names == nbt.step_counts(rc)[1]
    torch.testing.assert_close(counts.cpu(), nbt.step_counts(rc)[0], rtol=0, atol=0)
    r = nbt.rates(rg, READOUTS, bin_ms=20.0)
    assert r.is_cuda == on_gpu
    torch.testing.assert_close(r.cpu(), nbt.rates(rc, READOUTS, bin_ms=20.0), rtol=0, atol=0)
    for a, b in zip(nbt.spikes(sims[1], "ctx.exc"), nbt.spikes(sims[0], "ctx.exc")):
        assert a.is_cuda == on_gpu
        torch.testing.assert_close(a.cpu(), b, rtol=0, atol=0)


@pytest.mark.skipif(
    not (torch.cuda.is_available() and __import__("os").environ.get("NBBRAIN_TEST_REAL_GPU")),
    reason="a real GPU (NBBRAIN_TEST_REAL_GPU=1) and a CUDA build of torch",
)
def test_real_gpu_torch_inputs_stay_on_the_device(monkeypatch):
    """On a GPU: torch CUDA tensors reach the kernel in place (the same data pointer; the
    host path is never taken), readouts are CUDA tensors, and BrainModule on CUDA gives
    the CPU module's rates from CUDA inputs (in place where one population takes x)."""
    backend = cuda_backend()
    from nbbrain.engine import inputs

    seen = {}
    upload = backend.CudaBackend._upload

    def spy(self, name, host):
        out = upload(self, name, host)
        seen.setdefault(name, out)  # the first chunk's
        return out

    def ptr(name):
        return seen[name].__cuda_array_interface__["data"][0]

    monkeypatch.setattr(backend.CudaBackend, "_upload", spy)
    monkeypatch.setattr(inputs, "_as_numpy", lambda x, what: pytest.fail(f"{what} on host"))
    x = drive(60)
    current = x[:, 8:].contiguous().cuda()
    spikes = (x[:, :8] > 0).cuda()
    sim = tiny().build(backend="cuda")
    seen.clear()
    res = sim.run(n_steps=60, inputs={"src": spikes, "ctx.exc": current})
    assert ptr("cur_in") == current.data_ptr() and ptr("spk_in") == spikes.data_ptr()
    cpu = tiny().build()
    rc = cpu.run(n_steps=60, inputs={"src": x[:, :8].numpy() > 0, "ctx.exc": x[:, 8:].numpy()})
    np.testing.assert_array_equal(res.step_counts, rc.step_counts)
    v = nbt.state(sim, "ctx.exc", "v")
    assert v.is_cuda and nbt.step_counts(res)[0].is_cuda and nbt.rates(res, "ctx", 10.0).is_cuda
    torch.testing.assert_close(v.cpu(), nbt.state(cpu, "ctx.exc", "v"), rtol=1e-5, atol=1e-3)
    m, ref = module(inputs=["ctx.exc"]).cuda(), module(inputs=["ctx.exc"])
    x = drive(40)[:, 8:].contiguous()
    xc = x.cuda()
    seen.clear()
    y = m(xc)
    assert y.is_cuda and ptr("cur_in") == xc.data_ptr()
    torch.testing.assert_close(y.cpu(), ref(x))
    m, ref = module().cuda(), module()  # spikes and a current: through copies on the GPU
    torch.testing.assert_close(m(drive(40).cuda()).cpu(), ref(drive(40)))
