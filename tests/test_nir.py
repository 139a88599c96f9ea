"""NIR import and export (``nbbrain/interop/nir.py``): against snnTorch (the same spikes),
against a float64 reference of NIR's equations stepped by forward Euler from the graph's
raw numbers, round trips, and bad graphs."""

from pathlib import Path

import numpy as np
import pytest
from conftest import ENGINES

import nbbrain as nb

nir = pytest.importorskip("nir")

DT_MS = 0.1
DT_S = DT_MS * 1e-3


def _spike_matrix(sim, name, n, steps, lag=0):
    """The recorded spikes of ``name`` as booleans [steps, n], shifted back by ``lag``
    steps."""
    t, i = sim.spikes(name)
    k = np.round(t / DT_MS).astype(np.int64) - lag
    out = np.zeros((steps, n), bool)
    keep = (k >= 0) & (k < steps)
    out[k[keep], i[keep]] = True
    return out


def test_a_network_exported_from_snntorch_spikes_as_in_snntorch():
    torch = pytest.importorskip("torch")
    snn = pytest.importorskip("snntorch")
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    n_in, n_h, n_out, steps = 5, 7, 3, 300

    def leaky(n, beta):
        return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.ones(n),
                         init_hidden=True, reset_mechanism="zero")  # fmt: skip

    linear = [torch.nn.Linear(n_in, n_h, bias=False), torch.nn.Linear(n_h, n_out, bias=False)]
    net = torch.nn.Sequential(linear[0], leaky(n_h, 0.875), linear[1], leaky(n_out, 0.75))
    with torch.no_grad():  # (weights in 1/64: every sum exact in float32, in both libraries)
        for m in net:
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.round(torch.rand_like(m.weight) * 48 - 8) / 64)
    x = (torch.rand(steps, n_in) < 0.3).float()
    want = {1: [], 3: []}
    with torch.no_grad():
        for t in range(steps):
            h = x[t]
            for k, m in enumerate(net):
                h = m(h)
                if k in want:
                    want[k].append(h.numpy() > 0)
    graph = export_to_nir(net, torch.zeros(n_in))
    brain = nb.from_nir(graph, dt_ms=DT_MS)
    brain.record_spikes("node_1")
    sim = brain.build()
    spikes = np.vstack([x.numpy() > 0, np.zeros((2, n_in), bool)])
    sim.run(n_steps=steps + 2, inputs={"input": spikes})
    for layer, n in ((1, n_h), (3, n_out)):  # (each layer answers one step after the last)
        got = _spike_matrix(sim, f"node_{layer}", n, steps, lag=(layer + 1) // 2)
        assert got.sum() > 20
        np.testing.assert_array_equal(got, np.array(want[layer]))


def _graph(rng):
    """Input (3) -> Affine -> CubaLIF (4) -> Linear -> Delay -> IF (2); CubaLIF -> Linear ->
    LI (3); IF and LI to outputs. Times in seconds."""
    n_in, n_c, n_if, n_li = 3, 4, 2, 3
    u = rng.uniform
    nodes = {
        "inp": nir.Input(input_type=np.array([n_in])),
        "w1": nir.Affine(weight=u(0.5, 3.0, (n_c, n_in)), bias=u(0, 0.4, n_c)),
        "cuba": nir.CubaLIF(tau_syn=u(2e-3, 5e-3, n_c), tau_mem=u(5e-3, 2e-2, n_c),
                            r=u(1.0, 2.0, n_c), v_leak=u(-0.1, 0.1, n_c),
                            v_threshold=u(0.8, 1.2, n_c), v_reset=u(-0.3, 0.0, n_c),
                            w_in=u(0.5, 1.5, n_c)),
        "w2": nir.Linear(weight=rng.uniform(-0.5, 2.0, (n_if, n_c))),
        "d2": nir.Delay(delay=np.array([3 * DT_S, 7 * DT_S])),
        "if_": nir.IF(r=rng.uniform(3000.0, 6000.0, n_if), v_threshold=np.full(n_if, 1.0),
                      v_reset=np.zeros(n_if)),
        "w3": nir.Linear(weight=rng.uniform(-1.0, 1.0, (n_li, n_c))),
        "li": nir.LI(tau=rng.uniform(5e-3, 1e-2, n_li), r=rng.uniform(0.5, 1.5, n_li),
                     v_leak=np.zeros(n_li)),
        "out_if": nir.Output(output_type=np.array([n_if])),
        "out_li": nir.Output(output_type=np.array([n_li])),
    }  # fmt: skip
    edges = [("inp", "w1"), ("w1", "cuba"), ("cuba", "w2"), ("w2", "d2"), ("d2", "if_"),
             ("cuba", "w3"), ("w3", "li"), ("if_", "out_if"), ("li", "out_li")]  # fmt: skip
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _reference(g, x, steps):
    """NIR's equations of ``_graph`` stepped by forward Euler in float64, from the graph's
    numbers; an edge takes one step, a Delay its own (whole steps)."""
    n = g.nodes
    c, f, li = n["cuba"], n["if_"], n["li"]
    i_c, v_c = np.zeros(4), c.v_leak.copy()
    v_f, v_l = np.zeros(2), li.v_leak.copy()
    spk_c = np.zeros((steps, 4), bool)
    spk_f = np.zeros((steps, 2), bool)
    v_li = np.zeros((steps, 3))
    d = np.round(n["d2"].delay / DT_S).astype(int)
    for t in range(steps):
        drive = n["w1"].bias + (n["w1"].weight @ x[t - 1] if t >= 1 else 0.0)
        i_c = i_c + DT_S / c.tau_syn * (c.w_in * drive - i_c)
        v_c = v_c + DT_S / c.tau_mem * (c.v_leak - v_c + c.r * i_c)
        spk_c[t] = v_c > c.v_threshold
        v_c[spk_c[t]] = c.v_reset[spk_c[t]]
        w2 = n["w2"].weight
        drive = np.array([w2[j] @ spk_c[t - d[j]] if t >= d[j] else 0.0 for j in range(2)])
        v_f = v_f + DT_S * f.r * drive
        spk_f[t] = v_f > f.v_threshold
        v_f[spk_f[t]] = f.v_reset[spk_f[t]]
        drive = n["w3"].weight @ spk_c[t - 1] if t >= 1 else 0.0
        v_l = v_l + DT_S / li.tau * (li.v_leak - v_l + li.r * drive)
        v_li[t] = v_l
    return spk_c, spk_f, v_li


@pytest.fixture(scope="module")
def graph():
    return _graph(np.random.default_rng(3))


def _run(brain, x, engine=None):
    brain.record_spikes("cuba")
    sim = brain.build() if engine is None else engine.build(brain)
    sim.run(n_steps=x.shape[0], inputs={"inp": x})
    return sim


# (the plain CPU, a batch on threads, and CUDA: the generic loops of every model run on all
# engines in the other tests; here the Euler models, at a compilation per engine)
@pytest.mark.parametrize("engine", [e for e in ENGINES if str(e) in
                                    ("cpu-b1-t1", "cpu-b3-t2", "cuda-b1-t1")], ids=str)  # fmt: skip
def test_every_primitive_follows_the_equations_of_nir(graph, engine):
    steps = engine.steps(400)
    x = np.random.default_rng(4).random((steps, 3)) < 0.4
    sim = _run(nb.from_nir(graph, dt_ms=DT_MS), x, engine)
    spk_c, spk_f, v_li = _reference(graph, x.astype(float), steps)
    assert spk_c.sum() > 10 and spk_f.sum() > 2
    np.testing.assert_array_equal(_spike_matrix(sim, "cuba", 4, steps), spk_c)
    np.testing.assert_array_equal(_spike_matrix(sim, "if_", 2, steps), spk_f)
    t, v = sim.recorded_state("li", "v")  # (a sample at step k: the state after k steps)
    k = np.round(t / DT_MS).astype(int)
    np.testing.assert_allclose(v[k > 0], v_li[k[k > 0] - 1], rtol=1e-4, atol=1e-6)


def test_the_graph_survives_export_and_import(graph, tmp_path):
    brain = nb.from_nir(graph, dt_ms=DT_MS)
    back = nb.to_nir(brain)
    path = tmp_path / "net.nir"
    nir.write(path, back)
    again = nir.read(path)
    kinds = {k: type(v).__name__ for k, v in again.nodes.items()}
    assert {k: kinds[k] for k in ("inp", "cuba", "if_", "li")} == {
        "inp": "Input", "cuba": "CubaLIF", "if_": "IF", "li": "LI"}  # fmt: skip
    for key in ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"):
        np.testing.assert_allclose(getattr(again.nodes["cuba"], key),
                                   getattr(graph.nodes["cuba"], key), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(again.nodes["if_"].r, graph.nodes["if_"].r, rtol=1e-12)
    np.testing.assert_allclose(again.nodes["li"].tau, graph.nodes["li"].tau, rtol=1e-12)
    w1 = again.nodes["inp->cuba:weights"]
    assert type(w1).__name__ == "Affine"
    np.testing.assert_allclose(w1.weight, graph.nodes["w1"].weight, rtol=1e-6)
    np.testing.assert_allclose(w1.bias, graph.nodes["w1"].bias, rtol=1e-12)
    np.testing.assert_allclose(again.nodes["cuba->if_:delay"].delay, graph.nodes["d2"].delay)
    assert ("if_", "output_if_") in [tuple(e) for e in again.edges]
    # and the graph read back runs as the original does
    steps = 300
    x = np.random.default_rng(5).random((steps, 3)) < 0.2
    a = _run(nb.from_nir(graph, dt_ms=DT_MS), x)
    b = _run(nb.from_nir(again, dt_ms=DT_MS), x)
    for name, n in (("cuba", 4), ("if_", 2)):
        np.testing.assert_array_equal(_spike_matrix(a, name, n, steps),
                                      _spike_matrix(b, name, n, steps))  # fmt: skip


def test_export_of_a_brain_written_in_nbbrain():
    brain = nb.Brain(dt_ms=DT_MS, seed=2)
    brain.add_population("src", 4, nb.SpikeSource())
    brain.add_population("lif", 3, nb.EulerLIF(tau_mem_ms=nb.Uniform(5.0, 9.0)))
    brain.connect("src", "lif", nb.AllToAll(), weight_pa=nb.Uniform(0.1, 0.5), receptor="in")
    brain.record_spikes("lif")
    sim = brain.build()
    g = nb.to_nir(sim)
    lif = g.nodes["lif"]
    assert type(lif).__name__ == "LIF"
    np.testing.assert_allclose(lif.tau * 1e3, sim.parameters("lif")["tau_mem_ms"])
    w = g.nodes["src -> lif:weights"].weight
    c = sim.connections(brain.projections[0])
    np.testing.assert_allclose(w[c.post, c.pre], c.weight, rtol=1e-6)
    assert ("lif", "output_lif") in [tuple(e) for e in g.edges]


def test_graphs_nbbrain_cannot_run_are_refused_by_name():
    inp = nir.Input(input_type=np.array([2]))
    out = nir.Output(output_type=np.array([2]))
    g = nir.NIRGraph(nodes={"inp": inp, "th": nir.Threshold(threshold=np.ones(2)), "out": out},
                     edges=[("inp", "th"), ("th", "out")], type_check=False)  # fmt: skip
    with pytest.raises(ValueError, match="node 'th' is a Threshold"):
        nb.from_nir(g, dt_ms=DT_MS)
    lif = nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                  v_threshold=np.ones(2))  # fmt: skip
    two = nir.NIRGraph(nodes={"inp": inp, "a": nir.Linear(weight=np.eye(2)),
                              "b": nir.Linear(weight=np.eye(2)), "lif": lif, "out": out},
                       edges=[("inp", "a"), ("a", "b"), ("b", "lif"), ("lif", "out")])  # fmt: skip
    with pytest.raises(ValueError, match="at most one Affine or Linear"):
        nb.from_nir(two, dt_ms=DT_MS)
    bad_if = nir.NIRGraph(nodes={"inp": inp, "f": nir.IF(r=np.array([1.0, -1.0]),
                                                         v_threshold=np.ones(2)), "out": out},
                          edges=[("inp", "f"), ("f", "out")])  # fmt: skip
    with pytest.raises(ValueError, match="IF 'f': r must be > 0"):
        nb.from_nir(bad_if, dt_ms=DT_MS)
    with pytest.raises(ValueError, match="dt_ms must be a positive number"):
        nb.from_nir(bad_if, dt_ms=0.0)


def test_brains_nir_cannot_hold_are_refused_by_name():
    brain = nb.Brain(dt_ms=DT_MS)
    brain.add_population("exc", 2, nb.ConductanceLIF())
    with pytest.raises(ValueError, match="population 'exc' is ConductanceLIF"):
        nb.to_nir(brain)
    brain = nb.Brain(dt_ms=DT_MS)
    brain.add_population("src", 2, nb.SpikeSource())
    brain.add_population("lif", 2, nb.EulerLIF())
    brain.connect("src", "lif", nb.AllToAll(), weight_pa=1.0, receptor="in",
                  delay_ms=np.array([[0.1, 0.2], [0.3, 0.1]]))  # fmt: skip
    with pytest.raises(ValueError, match="different delays onto one neuron"):
        nb.to_nir(brain)


def test_the_nir_page_runs(tmp_path, monkeypatch):
    pytest.importorskip("snntorch")
    from test_docs import python_blocks

    monkeypatch.chdir(tmp_path)  # (the page writes net.nir)
    page = Path(__file__).resolve().parent.parent / "docs" / "nir.md"
    namespace = {"__name__": "__nir_page__"}
    for k, block in enumerate(python_blocks(page.read_text())):
        exec(compile(block, f"nir.md[block {k}]", "exec"), namespace)
    assert len(namespace["t_ms"]) > 0
