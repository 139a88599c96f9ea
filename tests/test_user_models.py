"""A user's own model, defined outside nbbrain (in a script, a notebook, an ``exec``):
compiled into the kernels like nbbrain's own, recompiled when its code changes, and never
loaded stale from numba's disk cache."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba.core.caching import FunctionCache, NullCache

import nbbrain as nb
from nbbrain.backends.codegen import cacheable, model_source_hash
from nbbrain.backends.cpu import kernel as K

MODEL = """
import numpy as np
import nbbrain as nb

GAIN = np.float32({gain})


class Integrator(nb.NeuronModel):
    parameters = {{"i_bias_pa": nb.Param(0.0)}}
    state = {{"v": nb.State("mV")}}
    bias_parameter = "i_bias_pa"

    @staticmethod
    def integrate(s, c, i_in, refractory):
        return (s.v + GAIN * i_in,)

    @staticmethod
    def threshold(s, c):
        return s.v > np.float32(1e9)

    @staticmethod
    def reset(s, c):
        return (s.v,)
"""


def integrator(gain, module="user_namespace"):
    ns = {"__name__": module}
    exec(MODEL.format(gain=gain), ns)
    return ns["Integrator"]


def run_integrator(model, n_steps=10):
    brain = nb.Brain(dt_ms=0.1, seed=0)
    brain.add_population("x", 3, model(i_bias_pa=2.0))
    sim = brain.build()
    sim.run(n_steps=n_steps)
    return sim.state("x", "v")


def test_a_change_to_a_models_code_or_its_constants_makes_new_kernels():
    a, b = integrator(0.5), integrator(0.25)
    assert model_source_hash(a) != model_source_hash(b)
    assert model_source_hash(a) == model_source_hash(integrator(0.5))
    np.testing.assert_array_equal(run_integrator(a), 10.0)
    np.testing.assert_array_equal(run_integrator(b), 5.0)


def test_models_of_unimportable_modules_are_not_cached_on_disk():
    assert cacheable(nb.AdEx) and not cacheable(integrator(0.5))


def test_a_script_model_runs_again_from_the_cache_in_a_new_process(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text(MODEL.format(gain=0.5) + textwrap.dedent("""
        brain = nb.Brain(dt_ms=0.1, seed=0)
        brain.add_population("x", 3, Integrator(i_bias_pa=2.0))
        sim = brain.build()
        sim.run(n_steps=10)
        print(float(sim.state("x", "v")[0]))
        """))  # fmt: skip
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    for _ in range(2):  # compiled and cached, then loaded
        out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "10.0"


class _StaleCache(FunctionCache):
    """A cache whose entries were written by another version (a class they name is gone)."""

    def _load_overload(self, sig, target_context):
        raise AttributeError("Can't get attribute 'Gone' on <module 'nbbrain'>")


def test_a_cache_entry_that_cannot_be_loaded_is_compiled_afresh(monkeypatch):
    brain = nb.Brain(dt_ms=0.1, seed=0)
    brain.add_population("x", 3, nb.CurrentLIF(i_bias_pa=500.0))
    sim = brain.build()
    monkeypatch.setattr(K, "_CHUNKS", {})  # a new dispatcher, as in a new process
    stale = []

    def make(gen, features, *args, _make=K.make_run_chunk):
        fn = _make(gen, features, *args)
        fn._cache = _StaleCache(fn.py_func)
        stale.append(fn)
        return fn

    monkeypatch.setattr("nbbrain.backends.cpu.backend.make_run_chunk", make)
    sim.run(n_steps=100)
    assert sim.step == 100 and np.all(sim.state("x", "v") != -60.0)
    assert isinstance(stale[0]._cache, NullCache)  # compiled without the cache
    with pytest.raises(AttributeError, match="no_such_field"):  # other errors pass through
        K.call(lambda: sim.no_such_field)
