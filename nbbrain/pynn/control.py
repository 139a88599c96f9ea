"""setup, run, reset, end and the state queries of PyNN on nbbrain."""

from pyNN import common
from pyNN.common.control import DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a PyNN session on nbbrain (``threads``: CPU threads; ``rng_seed``: the seed of
    the brain's connectivity and noise; ``spike_precision``: ``"on_grid"`` (default) or
    ``"off_grid"``, with which a SpikeSourceArray's recorded spikes are its given times, as
    NEST records them; they reach their targets on the grid either way)."""
    max_delay = extra_params.get("max_delay", 10.0)
    precision = extra_params.get("spike_precision", "on_grid")
    if precision not in ("on_grid", "off_grid"):
        raise ValueError(f"nbbrain.pynn: spike_precision must be 'on_grid' or 'off_grid', got "
                         f"{precision!r}")  # fmt: skip
    common.setup(timestep, min_delay, **extra_params)
    state = simulator.state
    state.clear()
    state.dt = timestep
    state.min_delay = min_delay  # ("auto": the smallest delay, known at the build)
    state.max_delay = max_delay
    state.threads = int(extra_params.get("threads", 1))
    state.seed = int(extra_params.get("rng_seed", 1))
    state.off_grid = precision == "off_grid"
    return rank()


def end(compatible_output=True):
    """Write the data that ``record(..., to_file=...)`` asked for."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
(get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes,
 rank) = common.build_state_queries(simulator)  # fmt: skip
