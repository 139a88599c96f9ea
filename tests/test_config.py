"""Every tunable is checked: a bad value is a clear error, never a hang or a silent no-op."""

import os
import subprocess
import sys

import pytest

import nbbrain as nb
from nbbrain import config


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("NBBRAIN_CHUNK_STEPS", "0", "NBBRAIN_CHUNK_STEPS=0: expected a whole number >= 1"),
        ("NBBRAIN_BLOCK_NEURONS", "-1", "NBBRAIN_BLOCK_NEURONS=-1: expected a whole number >= 1"),
        ("NBBRAIN_MERGE_NEURONS", "1.5", "NBBRAIN_MERGE_NEURONS='1.5': expected a whole number"),
        ("NBBRAIN_CUDA_PATH", "fast", "NBBRAIN_CUDA_PATH='fast': expected one of"),
        ("NBBRAIN_CUDA_THREADS", "2048", "NBBRAIN_CUDA_THREADS=2048: expected a whole number in"),
    ],
)
def test_bad_environment_fails_at_import(variable, value, message):
    env = dict(os.environ, **{variable: value})
    out = subprocess.run([sys.executable, "-c", "import nbbrain"], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode != 0
    assert message in out.stderr


@pytest.mark.parametrize("name, value", [("CHUNK_STEPS", 0), ("BLOCK_NEURONS", -1)])
def test_bad_value_set_by_a_script_fails_at_use_and_changes_nothing(monkeypatch, name, value):
    brain = nb.Brain(dt_ms=0.1, seed=0)
    brain.add_population("a", 10, nb.CurrentLIF(i_bias_pa=300.0))
    sim = brain.build()
    sim.run(n_steps=10)
    v = sim.state("a", "v")
    monkeypatch.setattr(config, name, value)
    with pytest.raises(ValueError, match=f"NBBRAIN_{name}={value}: expected a whole number"):
        sim.run(n_steps=10)
    assert sim.step == 10 and (sim.state("a", "v") == v).all()
