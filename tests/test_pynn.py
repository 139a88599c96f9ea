"""nbbrain as a PyNN backend (``nbbrain.pynn``): PyNN's units into nbbrain's, the same
network as one built directly, parameters read back, plastic weights read back, PyNN's
example script, and what it refuses. PyNN's own scenarios: ``test_pynn_scenarios.py``."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyNN")
import nbbrain as nb  # noqa: E402
import nbbrain.pynn as sim  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / ".cache" / "pynn-0.13.0" / "examples"
TIMES = [2.0, 5.0, 5.5, 9.0, 20.0]


def _pynn_trace():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=TIMES))
    lif = sim.IF_curr_exp(cm=0.25, tau_m=10.0, v_rest=-65.0, tau_syn_E=2.0, i_offset=0.4,
                          tau_refrac=2.0)  # fmt: skip
    cell = sim.Population(1, lif)
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0),
                   receptor_type="excitatory")  # fmt: skip
    cell.record(["v", "spikes"])
    sim.run(40.0)
    seg = cell.get_data().segments[0]
    v = np.asarray(seg.analogsignals[0]).ravel()
    spikes = np.asarray(seg.spiketrains[0])
    sim.end()
    return v, spikes


def test_pynn_units_become_nbbrain_units():
    v, spikes = _pynn_trace()
    brain = nb.Brain(dt_ms=0.1, seed=1)
    brain.add_population("src", 1, nb.SpikeSource(times_ms=TIMES, indices=[0] * len(TIMES)))
    brain.add_population("cell", 1, nb.CurrentLIF(c_m_pf=250.0, g_leak_ns=25.0, e_leak_mv=-65.0,
                                                  v_reset_mv=-65.0, v_thresh_mv=-50.0,
                                                  tau_exc_ms=2.0, tau_inh_ms=5.0,
                                                  i_bias_pa=400.0, t_ref_ms=2.0))  # fmt: skip
    brain.connect("src", "cell", nb.AllToAll(), weight_pa=500.0, delay_ms=1.0, receptor="exc")
    brain.record_state("cell", "v")
    brain.record_spikes("cell")
    s = brain.build()
    s.set_state("cell", "v", np.array([-65.0]))
    s.run(duration_ms=40.0)
    _t, want = s.recorded_state("cell", "v")
    assert v.shape == (401,)  # (PyNN's signals end with the state after the last step)
    np.testing.assert_allclose(v[:400], want[:, 0], rtol=1e-6)
    np.testing.assert_allclose(spikes, s.spikes("cell")[0])
    assert spikes.size >= 2


def test_pynn_izhikevich_is_nests_with_delta_synapses():
    """PyNN's Izhikevich (NEST's izhikevich: weights in mV, i_offset in nA, v and u from
    PyNN's initial values) against the same cell built in nbbrain."""
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=TIMES))
    cell = sim.Population(1, sim.Izhikevich(a=0.02, b=0.2, c=-65.0, d=6.0, i_offset=0.008))
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=4.0, delay=1.0))
    cell.record(["v", "u", "spikes"])
    sim.run(40.0)
    seg = cell.get_data().segments[0]
    v, u = (np.asarray(seg.filter(name=x)[0]).ravel() for x in ("v", "u"))
    spikes = np.asarray(seg.spiketrains[0])
    sim.end()
    brain = nb.Brain(dt_ms=0.1, seed=1)
    brain.add_population("src", 1, nb.SpikeSource(times_ms=TIMES, indices=[0] * len(TIMES)))
    brain.add_population("cell", 1, nb.DeltaIzhikevich(d=6.0, i_bias_pa=8.0))
    brain.connect("src", "cell", nb.AllToAll(), weight_mv=4.0, delay_ms=1.0, receptor="exc")
    for x in ("v", "u"):
        brain.record_state("cell", x)
    brain.record_spikes("cell")
    s = brain.build()
    s.set_state("cell", "v", -70.0)
    s.set_state("cell", "u", -14.0)
    s.run(duration_ms=40.0)
    np.testing.assert_allclose(v[:400], s.recorded_state("cell", "v")[1][:, 0], rtol=1e-6)
    np.testing.assert_allclose(u[:400], s.recorded_state("cell", "u")[1][:, 0], rtol=1e-6)
    np.testing.assert_allclose(spikes, s.spikes("cell")[0])
    assert spikes.size >= 2 and v[0] == -70.0


def test_parameters_read_back_in_pynn_units():
    sim.setup(timestep=0.1)
    p = sim.Population(3, sim.IF_cond_exp(cm=0.5, tau_m=12.0, i_offset=0.2))
    p[1:].set(tau_m=15.0)
    got = p.get(["cm", "tau_m", "i_offset"])
    np.testing.assert_allclose(got[0], 0.5)
    np.testing.assert_allclose(got[1], [12.0, 15.0, 15.0])
    np.testing.assert_allclose(got[2], 0.2)
    sim.end()


def test_stdp_weights_read_back_as_learned():
    sim.setup(timestep=0.1)
    pre = sim.Population(5, sim.SpikeSourcePoisson(rate=80.0))
    post = sim.Population(2, sim.IF_cond_exp())
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02,
                                            A_minus=0.01),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05),
        weight=0.02, delay=1.0)  # fmt: skip
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp, receptor_type="excitatory")
    sim.run(500.0)
    w = prj.get("weight", format="array")
    assert w.shape == (5, 2) and np.all((w >= 0) & (w <= 0.05))
    assert not np.allclose(w, 0.02)  # they learned
    c = sim.simulator.state.sim.connections(prj._built[0][0])
    np.testing.assert_allclose(np.sort(w.ravel()), np.sort(c.weight) / 1000.0)
    sim.end()


def test_each_run_after_a_reset_draws_new_noise():
    def segments():
        sim.setup(timestep=0.1, rng_seed=4)
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=200.0))
        src.record("spikes")
        for _ in range(2):
            sim.run(20.0)
            sim.reset()
        data = src.get_data().segments
        sim.end()
        return [np.concatenate([np.asarray(t) for t in seg.spiketrains]) for seg in data]

    first, second = segments()
    assert first.size > 20 and not np.array_equal(first, second)
    again = segments()  # (a new session with the same seed: the same two segments)
    np.testing.assert_array_equal(again[0], first)
    np.testing.assert_array_equal(again[1], second)


def test_changes_after_run_need_a_reset():
    sim.setup(timestep=0.1)
    p = sim.Population(2, sim.IF_curr_exp())
    sim.run(5.0)
    with pytest.raises(RuntimeError, match=r"set\(\) on .* after run\(\): call reset\(\) first"):
        p.set(tau_m=12.0)
    sim.reset()
    p.set(tau_m=12.0)
    sim.run(5.0)
    np.testing.assert_allclose(p.get("tau_m"), 12.0)
    from pyNN.standardmodels.synapses import SimpleStochasticSynapse

    class Stochastic(SimpleStochasticSynapse):  # (PyNN's, as another backend would give it)
        def _get_minimum_delay(self):
            return 0.1

    sim.reset()
    with pytest.raises(NotImplementedError, match="Stochastic is not supported"):
        sim.Projection(p, p, sim.AllToAllConnector(), Stochastic(p=0.5))
    sim.end()


def test_a_running_network_takes_static_weights_and_spike_times_but_not_delays():
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    cells = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.5))
    late = sim.Projection(src, cells, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=0.0, delay=0.11))  # fmt: skip
    assert late.get("delay", format="list", with_address=False) == [0.1, 0.1]  # (as it runs)
    cells.record("v")
    sim.run(5.0)
    connection = prj.connections[0]
    with pytest.raises(RuntimeError, match=r"Connection.delay\(delay\) after run\(\)"):
        connection.delay = 2.0
    assert prj.get("delay", format="list", with_address=False) == [0.1, 0.1]  # (unchanged)
    connection.weight = 0.0  # (written into the running simulation)
    src.set(spike_times=[1.0, 6.0])
    sim.run(5.0)
    v = cells.get_data().segments[0].analogsignals[0].magnitude
    assert v[30, 0] > -64.9  # (the first spike, weight 0.5)
    np.testing.assert_array_equal(v[:62, 0], v[:62, 1])
    assert v[-1, 1] > v[-1, 0] + 0.3  # (the second spike at 6 ms: weight 0 onto the first)
    with pytest.raises(ValueError, match="spike_precision must be 'on_grid' or 'off_grid'"):
        sim.setup(spike_precision="precise")
    sim.end()


@pytest.mark.parametrize("script, args, low, high", [
    ("VAbenchmarks.py", ["COBA"], 5.0, 40.0),  # (the benchmark's asynchronous ~15-20 Hz)
    ("brunel.py", [], 20.0, 300.0),  # (PyNN's downscaled Brunel network: 5 mV synapses)
])  # fmt: skip
def test_pynn_examples_run_unchanged(script, args, low, high, tmp_path):
    path = EXAMPLES / script
    assert path.is_file(), f"PyNN's examples are not in {EXAMPLES}: run make test"
    command = [sys.executable, "-m", "nbbrain.pynn.script", str(path), "nbbrain", *args]
    out = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    rates = [float(line.split(":")[1].split()[0]) for line in out.stdout.splitlines()
             if line.split(":")[0].strip() in ("Excitatory rate", "Inhibitory rate")]  # fmt: skip
    assert len(rates) == 2 and all(low < r < high for r in rates), out.stdout[-1500:]


def test_the_pynn_page_runs():
    from test_docs import python_blocks

    page = Path(__file__).resolve().parent.parent / "docs" / "pynn.md"
    namespace = {"__name__": "__pynn_page__"}
    for k, block in enumerate(python_blocks(page.read_text())):
        exec(compile(block, f"pynn.md[block {k}]", "exec"), namespace)
    assert len(namespace["block"].segments[0].spiketrains) == 10
