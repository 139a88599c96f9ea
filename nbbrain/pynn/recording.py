"""PyNN's Recorder on nbbrain's monitors: what PyNN asks to record becomes spike and state
monitors at the build; ``get_data`` reads them back (in PyNN's units)."""

import numpy as np
from pyNN import recording

from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._since_ms = 0.0  # (spikes before this were cleared)
        self._since_sample = {}

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name != "spikes" and variable.name not in self.population.celltype.variables:
            raise ValueError(f"nbbrain.pynn: {type(self.population.celltype).__name__} cannot "
                             f"record {variable.name!r}")  # fmt: skip
        simulator.state.changed(f"record({variable.name!r})")
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval

    def _indices(self, variable):
        ids = sorted(self.filter_recorded(variable, None))
        return np.asarray(ids, np.int64) - self.population.first_id

    def declare(self, brain):
        """The monitors of what is recorded, on the brain being built."""
        pop = self.population
        for variable in self.recorded:
            if variable.name == "spikes":
                brain.record_spikes(pop.nb_name)
            else:
                native = pop.celltype.variables[variable.name][0]
                brain.record_state(pop.nb_name, native, every_ms=self.sampling_interval,
                                   indices=self._indices(variable))  # fmt: skip

    def _get_spiketimes(self, ids, clear=False):
        pop, sim = self.population, simulator.state.sim
        ids = np.asarray(ids, np.int64)
        if sim is None or not ids.size:
            return ids[:0], np.zeros(0)
        t, i = sim.spikes(pop.nb_name, since_ms=self._since_ms)
        if simulator.state.off_grid and "times_ms" in pop.native:  # (a SpikeSourceArray)
            steps = np.round(t / simulator.state.dt).astype(np.int64)
            t = simulator.given_times(pop.native["times_ms"], simulator.state.dt, steps, i)
        keep = np.isin(i + pop.first_id, ids)
        if clear:
            self._since_ms = simulator.state.t
        return (i[keep] + pop.first_id).astype(int), np.asarray(t[keep], float)

    def _get_all_signals(self, variable, ids, clear=False):
        pop, sim = self.population, simulator.state.sim
        native, factor = pop.celltype.variables[variable.name]
        recorded = list(self._indices(variable))
        cols = [recorded.index(int(i) - pop.first_id) for i in ids]
        if sim is None:
            return np.zeros((0, len(cols))), None
        _t, v = sim.recorded_state(pop.nb_name, native)
        step = int(round(self.sampling_interval / simulator.state.dt))
        if sim.step % step == 0:  # (PyNN's signals end with the state at the end of the run)
            last = sim.state(pop.nb_name, native)[recorded]
            v = np.vstack([v, last[None]])
        start = self._since_sample.get(variable.name, 0)
        if clear:
            self._since_sample[variable.name] = v.shape[0]
        return v[start:, cols] * factor, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        got, _t = self._get_spiketimes(ids)
        counts = np.bincount(np.searchsorted(ids, got), minlength=len(ids))
        return {int(i): int(c) for i, c in zip(ids, counts)}

    def _clear_simulator(self):
        self._since_ms = simulator.state.t
        self._since_sample = {}

    def _reset(self):
        self._since_ms = 0.0
        self._since_sample = {}
