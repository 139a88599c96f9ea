"""The command line: run writes its summary and plot; bench prints its figures."""

import json
import re

import pytest

from nbbrain.cli import MODEL_HELP, MODELS, main, make_parser


def test_run_writes_summary_and_raster(tmp_path, capsys):
    raster, summary = tmp_path / "raster.png", tmp_path / "summary.txt"
    assert main(["run", "coba", "--duration-ms", "50", "--raster", str(raster),
                 "--summary", str(summary), "--no-progress"]) == 0  # fmt: skip
    text = summary.read_text()
    assert "4000 neurons" in text and "exc" in text and "Hz" in text
    assert raster.stat().st_size > 10_000 and raster.read_bytes()[:4] == b"\x89PNG"
    assert "build" in capsys.readouterr().out


@pytest.mark.parametrize("model, n", [("cuba", 4000), ("sensorimotor", 28912)])
def test_bench_prints_json(model, n, capsys):
    assert main(["bench", model, "--duration-ms", "20", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["n_neurons"] == n and out["run_s"] > 0 and out["bytes_per_synapse"] <= 12
    assert out["synaptic_events_per_s"] > 0


def test_bench_pieces_report_the_fastest_piece(capsys):
    """``--pieces 4``: each run cut into four of 5 ms; the figures are one piece's."""
    assert main(["bench", "cuba", "--duration-ms", "20", "--repeat", "1", "--pieces", "4",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["duration_ms"] == pytest.approx(5.0)
    # (50 steps in the piece: its wall time is 50 / steps_per_s, 5 ms of biological time)
    assert out["realtime_factor"] * out["steps_per_s"] == pytest.approx(50 / 5e-3, rel=0.01)
    assert out["mean_rate_hz"] > 1
    assert main(["bench", "cuba", "--pieces", "0"]) == 2
    assert "--pieces must be >= 1, got 0" in capsys.readouterr().err


def test_unknown_model_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["run", "nope"])
    assert "invalid choice" in capsys.readouterr().err


def test_bench_batch_reports_copy_steps(capsys):
    assert main(["bench", "cuba", "--duration-ms", "10", "--repeat", "1", "--batch", "2",
                 "--threads", "2", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["batch"] == 2 and out["copy_steps_per_s"] == pytest.approx(
        2 * out["steps_per_s"], rel=0.01, abs=2
    )
    assert out["synaptic_events_per_s"] > 0


def test_microcircuit_run_writes_bars_and_raster(tmp_path, capsys):
    """The PD14 microcircuit from the command line (here at 2 % of the neurons): the memory
    estimate first, then the rate bar chart (with the published rates) and the raster."""
    bars, raster = tmp_path / "bars.png", tmp_path / "raster.png"
    assert main(["run", "microcircuit", "--scale", "0.02", "--duration-ms", "30",
                 "--bars", str(bars), "--raster", str(raster), "--no-progress"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert "memory estimate:" in captured.err and "GiB" in captured.err
    assert "1544 neurons" in captured.out and "seed 55" in captured.out
    assert "peak memory" in captured.out
    for png in (bars, raster):
        assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5_000


def test_microcircuit_bench_warms_up(capsys):
    assert main(["bench", "microcircuit", "--scale", "0.02", "--duration-ms", "20",
                 "--warmup-ms", "10", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["warmup_ms"] == 10 and out["bytes_per_synapse"] <= 8.01
    assert out["peak_memory_gib"] > 0 and out["realtime_factor"] > 0


def test_microcircuit_bench_on_the_cuda_backend(capsys):
    """``--backend cuda`` (here on numba-cuda's simulator, conftest.py; tiny and short):
    the figures a GPU run reports, from the CUDA backend."""
    pytest.importorskip("numba.cuda")
    assert main(["bench", "microcircuit", "--backend", "cuda", "--scale", "0.01",
                 "--k-scale", "0.01", "--duration-ms", "1", "--warmup-ms", "0",
                 "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["backend"] == "cuda" and out["n_neurons"] == 771
    assert out["realtime_factor"] > 0 and out["n_synapses"] > 0


@pytest.mark.parametrize("argv, match", [
    (["bench", "cuba", "--backend", "cuda", "--threads", "2"], "--threads is for the cpu"),
    (["bench", "cuba", "--duration-ms", "0"], "--duration-ms must be a finite number > 0"),
    (["bench", "cuba", "--repeat", "-1"], "--repeat must be >= 1, got -1"),
    (["bench", "cuba", "--repeat", "0"], "--repeat must be >= 1, got 0"),
    (["run", "sensorimotor", "--input-hz", "-5"], "--input-hz must be a finite number >= 0"),
    (["run", "sensorimotor", "--input-hz", "nan"], "--input-hz must be a finite number"),
    (["run", "sensorimotor", "--input-hz", "1e9"], "--input-hz must be at most 1000 "),
    (["run", "coba", "--scale", "0.5"], "--scale does not apply to coba"),
    (["run", "coba", "--input-hz", "20"], "--input-hz does not apply to coba"),
    (["run", "microcircuit", "--stdp"], "--stdp does not apply to microcircuit"),
    (["bench", "cuba", "--plastic-aside"], "--plastic-aside does not apply to cuba"),
    (["run", "cue_action", "--raster", "r.png"], "--raster does not apply to cue_action"),
    (["run", "microcircuit", "--scale", "2"], r"--scale must be in \(0, 1\], got 2"),
    (["run", "coba", "--threads", "0"], "--threads must be >= 1, got 0"),
    (["run", "distal_reward", "--backend", "cuda"], "runs this experiment on the cpu"),
    (["run", "coba", "--raster", "no/such/folder/r.png"], "does not exist or cannot be written"),
    (["run", "coba", "--window-ms", "0"], "--window-ms must be a finite number > 0"),
    (["run", "cue_action", "--window-ms", "5"], "--window-ms does not apply to cue_action"),
    (["run", "coba", "--window-ms", "0.01"], "window_ms=0.01 must be a whole number"),
])  # fmt: skip
def test_bad_options_are_one_line_with_status_2_before_any_work(argv, match, capsys,
                                                                 monkeypatch):  # fmt: skip
    import nbbrain.model.brain as brain_module

    def no_build(*args, **kwargs):
        raise AssertionError("built")

    monkeypatch.setattr(brain_module.Brain, "build", no_build)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and re.search(match, err), err


def test_run_with_a_window_keeps_the_last_spikes_only(tmp_path, capsys):
    summary = tmp_path / "summary.txt"
    assert main(["run", "cuba", "--duration-ms", "60", "--window-ms", "20", "--summary",
                 str(summary), "--no-progress"]) == 0  # fmt: skip
    assert "ISI CV" in summary.read_text()


def test_a_value_the_model_refuses_is_one_line_with_status_2(capsys):
    assert main(["run", "many", "--populations", "100000", "--duration-ms", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("nbbrain run: error:"), err


def test_the_learning_models_run_their_experiments(tmp_path, capsys):
    """``run cue_action`` runs the task, ``run distal_reward`` the reward experiment; each
    writes its summary and its plot."""
    for model, extra, expect in (("cue_action", ["--trials", "12"], "12 trials: accuracy"),
                                 ("distal_reward", ["--duration-ms", "3000"], "rewards; its "
                                  "weight 0 ->")):  # fmt: skip
        summary, curve = tmp_path / f"{model}.txt", tmp_path / f"{model}.png"
        assert main(["run", model, *extra, "--summary", str(summary), "--curve", str(curve),
                     "--no-progress"]) == 0  # fmt: skip
        assert expect in summary.read_text() and curve.stat().st_size > 1000
    capsys.readouterr()


def test_version_and_help_for_every_option_and_model(capsys):
    import nbbrain as nb

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"nbbrain {nb.__version__}"
    assert set(MODEL_HELP) == set(MODELS)
    sub = next(a for a in make_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        for action in parser._actions:
            assert action.help, (name, action.dest)
        text = parser.format_help()
        assert all(model in text for model in MODELS), name


def test_the_summary_lists_the_sources_apart_and_the_raster_says_its_window(tmp_path, monkeypatch):
    from matplotlib.axes import Axes
    from test_reference import cond_brain

    from nbbrain.monitors.plots import raster

    sim = cond_brain(1).build()
    text = sim.run(n_steps=100).summary().splitlines()
    heads = [k for k, line in enumerate(text) if line.endswith(":")]
    assert [text[k].strip() for k in heads] == ["neurons:", "sources (background and input):"]
    assert [line.split()[0] for line in text[heads[1] + 1 :]] == ["drive"]
    assert {line.split()[0] for line in text[heads[0] + 1 : heads[1]]} == {"exc", "inh"}
    titles = []
    monkeypatch.setattr(Axes, "set_title", lambda self, t, *a, **k: titles.append(t))
    raster(sim, tmp_path / "r.png", t_range_ms=(4.0, 10.0))
    assert titles == ["spikes at 4-10 ms (of 10 ms run), up to 200 neurons per population"]
