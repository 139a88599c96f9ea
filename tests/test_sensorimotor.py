"""The sensorimotor preset (docs/sensorimotor.md): six regions at the documented sizes, wired
as documented, running without input in a sane regime (every population within its rate
band), reproducibly."""

import importlib

import numpy as np
import pytest

import nbbrain as nb

sm = importlib.import_module("nbbrain.presets.sensorimotor")

REGIONS = {
    "thalamus": ["relay", "reticular"],
    "cortex": ["L23_exc", "L23_inh", "L4_exc", "L4_inh", "L5_exc", "L5_inh", "L6a_exc",
               "L6a_inh", "L6b_exc", "L6b_inh"],
    "hippocampus": ["DG_exc", "DG_inh", "CA3_exc", "CA3_inh", "CA2_exc", "CA2_inh",
                    "CA1_exc", "CA1_inh"],
    "prefrontal": ["exc", "inh"],
    "striatum": ["D1", "D2", "FSI"],
    "cerebellum": ["granule", "golgi", "mli", "purkinje", "deep_nuclei"],
}  # fmt: skip

#: Sane mean rates (Hz) over the last second, by population; the measured rates (seeds 0-2)
#: lie well inside (docs/sensorimotor.md). Purkinje cells are pacemakers firing tens of Hz,
#: cerebellar granule cells fire sparsely.
BANDS_HZ = {"cerebellum.purkinje": (10.0, 100.0), "cerebellum.granule": (0.2, 20.0)}
DEFAULT_BAND_HZ = (0.5, 50.0)
N_STEPS, SETTLE = 1500, 500


@pytest.fixture(scope="module")
def run():
    brain = nb.presets.sensorimotor(seed=0)
    sim = brain.build()
    return brain, sim, sim.run(n_steps=N_STEPS)


def region_pops(sim):
    return [n for n in sim.net.names if "." in n]


def test_sizes_and_regions(run):
    brain, sim, _ = run
    n_cells = sum(brain.populations[n].n for n in region_pops(sim))
    assert abs(n_cells - 26_400) <= 0.01 * 26_400
    assert n_cells == 26_384
    for name in region_pops(sim):
        assert isinstance(brain.populations[name].model, nb.ConductanceLIF)
    found = {}
    for name in region_pops(sim):
        region, pop = name.split(".", 1)
        found.setdefault(region, []).append(pop)
    assert {r: sorted(p) for r, p in found.items()} == {r: sorted(p) for r, p in REGIONS.items()}
    assert brain.populations["sensory"].n == 128
    assert 1_000_000 <= sim.net.n_synapses <= 4_000_000


def test_motor_readout_and_region_counts(run):
    brain, sim, res = run
    assert sm.MOTOR_POPULATIONS == ["striatum.D1", "striatum.D2", "cerebellum.deep_nuclei"]
    for name in sm.MOTOR_POPULATIONS:
        assert name in sim.net.names
        assert res.rates_hz(name, 10.0).shape == (N_STEPS // 10,)
    for region, pops in REGIONS.items():
        assert res.spike_counts[region] == sum(res.spike_counts[f"{region}.{p}"] for p in pops)


def test_rates_in_sane_bands_without_input(run):
    brain, sim, res = run
    bad = {}
    for name in region_pops(sim):
        rate = float(res.rates_hz(name, 1.0)[SETTLE:].mean())
        lo, hi = BANDS_HZ.get(name, DEFAULT_BAND_HZ)
        if not lo <= rate <= hi:
            bad[name] = rate
    assert not bad, bad
    assert res.spike_counts["sensory"] == 0


def test_recorded_spikes(run):
    brain, sim, res = run
    t_ms, idx = sim.spikes("cortex.L4_exc")
    assert t_ms.size == res.spike_counts["cortex.L4_exc"]
    assert idx.max() < brain.populations["cortex.L4_exc"].n


def test_wiring_delays():
    brain = sm.sensorimotor(seed=0, scale=0.05, record=False)
    by_pair = {(tuple(p.name for p in pr.pre), tuple(p.name for p in pr.post)): pr
               for pr in brain.projections}  # fmt: skip
    assert by_pair[("cortex.L6a_exc",), ("thalamus.reticular",)].delay == {"cortex.L6a_exc": 10.0}
    assert by_pair[("cortex.L6b_exc",), ("thalamus.relay",)].delay == {"cortex.L6b_exc": 5.0}
    assert by_pair[("sensory",), ("thalamus.relay",)].receptor == "ampa"
    assert by_pair[("striatum.D1", "striatum.D2"), ("striatum.D1", "striatum.D2")].receptor == (
        "gaba_a"
    )
    assert brain.modulations["hippocampus.CA1_exc"][:2] == ("theta", 0.3)
    assert brain.modulations["cortex.L4_inh"][0] == "gamma"
    n_cells = sum(p.n for p in brain.populations.values() if "." in p.name)
    assert abs(n_cells - 0.05 * 26_384) < 0.05 * 26_384 * 0.05 + 30


def test_reproducible(run):
    *_, res = run
    again = nb.presets.sensorimotor(seed=0, record=False).build().run(n_steps=N_STEPS)
    assert again.spike_counts == res.spike_counts
    other = nb.presets.sensorimotor(seed=1, record=False).build().run(n_steps=N_STEPS)
    assert other.spike_counts != res.spike_counts
    assert np.isclose(other.rate_hz("cortex"), res.rate_hz("cortex"), rtol=0.2)
