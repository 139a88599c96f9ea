"""PyNN's own system-test scenarios (``test/system/scenarios`` of PyNN 0.13.0's source
distribution, which ``make test`` fetches into ``.cache``; elsewhere set
``NBBRAIN_PYNN_SOURCE`` to its folder) run against ``nbbrain.pynn``. Each scenario is one
test; those that need what nbbrain does not have are expected to fail, strictly (one that
starts to pass fails the suite, so that this list stays true)."""

import importlib
import inspect
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyNN")
SOURCE = Path(os.environ.get("NBBRAIN_PYNN_SOURCE", Path(__file__).resolve().parent.parent
                             / ".cache" / "pynn-0.13.0"))  # fmt: skip
SCENARIOS = SOURCE / "test" / "system" / "scenarios"

_NO_ALPHA = "alpha-function conductances (IF_cond_alpha, EIF_cond_alpha_isfa_ista): no model"
_NO_ELECTRODES = (
    "current sources (DCSource, ACSource, StepCurrentSource, NoisyCurrentSource) are not supported"
)
#: scenario -> why it fails on nbbrain
EXPECTED_FAILURES = {
    "test_cell_types.test_EIF_cond_alpha_isfa_ista": _NO_ALPHA,
    "test_cell_types.test_HH_cond_exp": "Hodgkin-Huxley: no nbbrain model",
    "test_cell_types.test_SpikeSourceGamma": "SpikeSourceGamma: no nbbrain source",
    "test_cell_types.test_SpikeSourcePoissonRefractory":
        "SpikeSourcePoissonRefractory: no nbbrain source",
    "test_cell_types.test_composed_neuron_model_homogeneous_receptors":
        "composed neuron models (PointNeuron) are not supported",
    "test_electrodes.test_changing_electrode": _NO_ELECTRODES,
    "test_electrodes.test_issue165": _NO_ELECTRODES,
    "test_electrodes.test_issue321": _NO_ELECTRODES,
    "test_electrodes.test_issue437": _NO_ELECTRODES,
    "test_electrodes.test_issue442": _NO_ELECTRODES,
    "test_electrodes.test_issue445": _NO_ELECTRODES,
    "test_electrodes.test_issue451": _NO_ELECTRODES,
    "test_electrodes.test_issue483": _NO_ELECTRODES,
    "test_electrodes.test_issue487": _NO_ELECTRODES,
    "test_electrodes.test_issue497": _NO_ELECTRODES,
    "test_electrodes.test_issue512": _NO_ELECTRODES,
    "test_electrodes.test_issue631": _NO_ELECTRODES,
    "test_electrodes.test_issue759": _NO_ELECTRODES,
    "test_electrodes.test_issue_465_474_630": _NO_ELECTRODES,
    "test_electrodes.test_ticket226": _NO_ELECTRODES,
    "test_recording.test_issue499": _NO_ELECTRODES,
    "test_recording.test_record_with_filename": _NO_ELECTRODES,
    "test_scenario1.test_scenario1a": _NO_ALPHA,
    "test_scenario2.test_scenario2": _NO_ELECTRODES,
    "test_synapse_types.test_simple_stochastic_synapse":
        "stochastic synapses are not supported",
}  # fmt: skip


def _scenarios():
    """(name, function) of every scenario that PyNN runs on NEST (its reference)."""
    if not SCENARIOS.is_dir():
        return []
    sys.path.insert(0, str(SCENARIOS.parent))
    out = []
    for path in sorted(SCENARIOS.glob("test*.py")):
        module = importlib.import_module(f"scenarios.{path.stem}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "parametrize"]
            sims = [str(s.values[0]) for m in marks for s in m.args[1]]
            if name.startswith("test") and "pyNN.nest" in sims:
                out.append((f"{path.stem}.{name}", fn))
    return out


def test_the_scenarios_are_there():
    assert SCENARIOS.is_dir(), (f"PyNN's scenarios are not in {SCENARIOS}: run make test "
                                f"(it fetches them) or set NBBRAIN_PYNN_SOURCE")  # fmt: skip
    assert len(_scenarios()) > 50


@pytest.mark.parametrize(
    "name, fn",
    [
        pytest.param(
            n,
            f,
            id=n,
            marks=[pytest.mark.xfail(reason=EXPECTED_FAILURES[n], strict=True)]  # fmt: skip
            if n in EXPECTED_FAILURES
            else [],
        )
        for n, f in _scenarios()
    ],
)
def test_scenario(name, fn, tmp_path, monkeypatch):
    import nbbrain.pynn as sim

    monkeypatch.chdir(tmp_path)  # (some scenarios write files)
    kwargs = {"plot_figure": False} if "plot_figure" in inspect.signature(fn).parameters else {}
    fn(sim, **kwargs)
