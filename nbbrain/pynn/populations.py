"""PyNN's Population, PopulationView and Assembly on nbbrain: the parameters are kept as
PyNN's native (nbbrain) names, one value a neuron, until the build."""

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify

from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return _get_parameters(self, names)

    def _get_native_parameters(self, *names):
        return ParameterSpace({k: simplify(self.parent.native[k][self.mask]) for k in names},
                              shape=(self.size,))  # fmt: skip

    def _set_parameters(self, parameter_space):
        _set(self.parent, parameter_space, self.mask, self.label)

    def _set_initial_value_array(self, variable, initial_values):
        values = np.broadcast_to(initial_values.evaluate(simplify=False), (self.size,))
        parent = self.parent
        if variable not in parent.initial:
            default = parent.celltype.default_initial_values.get(variable, 0.0)
            parent.initial[variable] = np.full(parent.size, float(default))
        parent.initial[variable][self.mask] = values
        if simulator.state.sim is not None:
            simulator.state.changed(f"initialize() on {self.label!r}")

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        state = simulator.state
        state.changed(f"a new population {self.label!r}")
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, bool)
        self.first_id = int(ids[0]) if self.size else state.id_counter
        for i in self.all_cells:
            i.parent = self
        state.id_counter += self.size
        self.nb_name = f"pop{len(state.populations)}"
        space = self.celltype.native_parameters
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self.native = {k: np.array(v) for k, v in space.items()}
        _check_spike_times(self.label, self.native)
        self.initial = {}
        state.populations.append(self)

    def _set_initial_value_array(self, variable, initial_values):
        values = np.broadcast_to(initial_values.evaluate(simplify=False), (self.size,))
        self.initial[variable] = np.array(values, float)
        if simulator.state.sim is not None:
            simulator.state.changed(f"initialize() on {self.label!r}")

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _get_parameters(self, names)

    def _get_native_parameters(self, *names):
        return ParameterSpace({k: simplify(self.native[k]) for k in names}, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        _set(self, parameter_space, slice(None), self.label)


def _set(pop, parameter_space, mask, label):
    """``set()`` on the neurons ``mask`` of ``pop``: before the first run (or after a reset),
    any parameter; after a run, a SpikeSourceArray's spike times (sent from now on)."""
    state = simulator.state
    times_only = list(parameter_space.keys()) == ["times_ms"]
    if not (times_only and state.sim is not None):
        state.changed(f"set() on {label!r}")
    parameter_space.evaluate(simplify=False)
    native = {k: v.copy() for k, v in pop.native.items()}
    for key, value in parameter_space.items():
        native[key][mask] = value
    _check_spike_times(pop.label, native)
    pop.native = native
    if times_only and state.sim is not None:
        state.sim.set_spike_times(pop.nb_name, *simulator.spike_table(native["times_ms"],
                                                                      state.dt))  # fmt: skip


def _check_spike_times(label, native):
    """A SpikeSourceArray's times must not decrease (PyNN's rule)."""
    for k, seq in enumerate(native.get("times_ms", [])):
        t = np.asarray(seq.value, float)
        if np.any(np.diff(t) < 0):
            raise errors.InvalidParameterValueError(
                f"nbbrain.pynn: population {label!r}: spike_times of neuron {k} are not "
                f"in order: {t.tolist()}"
            )


def _get_parameters(pop, names):
    celltype = pop.celltype
    if any(name in celltype.computed_parameters() for name in names):
        native = celltype.get_native_names()  # (all: a computed one needs the others)
    else:
        native = celltype.get_native_names(*names)
    return celltype.reverse_translate(pop._get_native_parameters(*native))
