"""PyNN's Projection on nbbrain: PyNN's connectors hand over the synapses onto one neuron at
a time; they are kept as arrays and become ``FromArrays`` projections at the build (one per
pair of populations the projection joins)."""

import numpy as np
from pyNN import common
from pyNN.space import Space

from . import simulator
from .standardmodels import StaticSynapse, STDPMechanism


class Connection(common.Connection):
    """One synapse of a projection (indices into its pre and post populations), as PyNN's
    ``Projection.connections`` lists them: its weight and delay as they were when the list
    was made; setting either writes it into the projection (as ``Projection.set`` would)."""

    def __init__(self, projection, index, pre, post, weight, delay):
        self.projection, self.index = projection, index
        self.presynaptic_index, self.postsynaptic_index = pre, post
        self._values = {"weight": weight, "delay": delay}

    def _attribute(name):
        def get(self):
            return self._values[name]

        def set(self, value):
            self.projection._set_one(self.index, name, float(value))
            self._values[name] = float(value)

        return property(get, set)

    weight, delay = _attribute("weight"), _attribute("delay")
    del _attribute

    def as_tuple(self, *names):
        return tuple(getattr(self, name) for name in names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=None,
                 label=None):  # fmt: skip
        state = simulator.state
        state.changed("a new projection")
        synapse_type = synapse_type or StaticSynapse()
        if not hasattr(synapse_type, "nb_rule"):
            raise NotImplementedError(f"nbbrain.pynn: {type(synapse_type).__name__} is not "
                                      f"supported; StaticSynapse, TsodyksMarkramSynapse and "
                                      f"STDPMechanism are")  # fmt: skip
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type,
                                   Space() if space is None else space, label)  # fmt: skip
        self.nb_name = f"prj{len(state.projections)}"
        self._parts = []  # (pre indices, post index, {parameter: values}) per connect call
        self._built = []  # (nbbrain projection name, indices into the synapses) once built
        connector.connect(self)
        state.projections.append(self)

    def __len__(self):
        return int(sum(len(p[0]) for p in self._parts))

    @property
    def connections(self):
        """The synapses as Connection objects (in the order they were made)."""
        return [Connection(self, k, *c)
                for k, c in enumerate(zip(*(a.tolist() for a in self._arrays())))]  # fmt: skip

    def _set_attributes(self, parameter_space):
        """``Projection.set``: before the first run (or after a reset) any parameter; during
        a run, the weights of static synapses (written into the running simulation)."""
        parameter_space.evaluate(simplify=False)
        c = self._columns(learned=False)
        pre, post = c["presynaptic_index"].astype(int), c["postsynaptic_index"].astype(int)
        shape = (self.pre.size, self.post.size)
        for name, value in parameter_space.items():
            c[name] = np.broadcast_to(np.asarray(value, float), shape)[pre, post].copy()
        self._store(c, list(parameter_space.keys()), "Projection.set")

    def _set_one(self, index, name, value):
        """``Connection.weight`` or ``.delay`` set: synapse ``index`` only."""
        c = self._columns(learned=False)
        c[name] = c[name].copy()
        c[name][index] = value
        self._store(c, [name], f"Connection.{name}")

    def _store(self, c, names, what):
        """Keep the columns ``c`` (``names`` changed); in a simulation that has run, only
        static weights may change, written into it (anything else asks for a reset)."""
        state = simulator.state
        live = state.sim is not None and state.t > 0
        if live and (names != ["weight"] or isinstance(self.synapse_type, STDPMechanism)):
            state.changed(f"{what}({', '.join(names)})")
        if live:
            for name, idx, factor in self._built:
                stored = state.sim.connections(name)
                w = np.empty(idx.size)
                w[_order(stored.pre, stored.post)] = c["weight"][idx] * factor
                state.sim.set_weights(name, w)
        else:
            state.changed(what)
        pre, post = c["presynaptic_index"].astype(int), c["postsynaptic_index"].astype(int)
        rest = {k: v for k, v in c.items() if k not in ("presynaptic_index", "postsynaptic_index")}
        self._parts = [(pre, post, rest)]

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):  # fmt: skip
        if location_selector is not None:
            raise NotImplementedError("nbbrain.pynn: neurons have one compartment")
        pre = np.asarray(presynaptic_indices, np.int64).ravel()
        values = {}
        for key, v in connection_parameters.items():
            v = np.asarray(v, float)
            values[key] = np.full(pre.size, v.reshape(-1)[0]) if v.size == 1 else \
                v.reshape(pre.size)  # fmt: skip
        self._parts.append((pre, np.full(pre.size, int(postsynaptic_index)), values))

    def _columns(self, learned=True):
        """presynaptic_index, postsynaptic_index and every synaptic parameter, per synapse
        (PyNN's units; with ``learned``, weights as learned so far where they are
        plastic)."""
        if not self._parts:
            names = ["weight", "delay"]
            return {k: np.zeros(0) for k in ["presynaptic_index", "postsynaptic_index"] + names}
        out = {
            "presynaptic_index": np.concatenate([p[0] for p in self._parts]),
            "postsynaptic_index": np.concatenate([p[1] for p in self._parts]),
        }
        for key in self._parts[0][2]:
            out[key] = np.concatenate([p[2][key] for p in self._parts])
        out["delay"] = _on_grid(out["delay"], simulator.state.dt)
        sim = simulator.state.sim
        if learned and sim is not None and isinstance(self.synapse_type, STDPMechanism):
            out["weight"] = out["weight"].copy()
            for name, idx, factor in self._built:
                c = sim.connections(name)
                out["weight"][idx] = c.weight[_order(c.pre, c.post)] / factor
        return out

    def _arrays(self):
        c = self._columns()
        return (c["presynaptic_index"].astype(np.int64), c["postsynaptic_index"].astype(np.int64),
                c["weight"], c["delay"])  # fmt: skip

    def groups(self):
        """The nbbrain projections of this one: (pre population, post population, the
        synapses' parameters other than weight and delay) -> (indices of its synapses,
        their pre and post indices local to those populations); and the columns."""
        c = self._columns()
        pre_pop, pre = simulator.state.locate(self.pre.all_cells[
            c["presynaptic_index"].astype(np.int64)].astype(np.int64))  # fmt: skip
        post_pop, post = simulator.state.locate(self.post.all_cells[
            c["postsynaptic_index"].astype(np.int64)].astype(np.int64))  # fmt: skip
        rest = [k for k in c if k not in _ADDRESS]
        keys = np.column_stack([pre_pop, post_pop] + [c[k] for k in rest])
        if not keys.size:
            return c, {}
        rows, which = np.unique(keys, axis=0, return_inverse=True)
        pops = simulator.state.populations
        out = {}
        for g, row in enumerate(rows):
            idx = np.flatnonzero(which.ravel() == g)
            key = (pops[int(row[0])], pops[int(row[1])]) + tuple(zip(rest, row[2:]))
            out[key] = (idx, pre[idx], post[idx])
        return c, out

    def _get_attributes_as_list(self, names):
        c = self._columns()
        return list(zip(*(c[n].tolist() for n in names)))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        if multiple_synapses not in _REDUCE:
            raise ValueError(f"multiple_synapses must be one of {sorted(_REDUCE)}, got "
                             f"{multiple_synapses!r}")  # fmt: skip
        c = self._columns()
        shape = (self.pre.size, self.post.size)
        flat = c["presynaptic_index"].astype(np.int64) * shape[1] + c["postsynaptic_index"]
        flat = flat.astype(np.int64)
        out = []
        for name in names:
            values = c[name if name in c else name.rstrip("s")]
            out.append(_REDUCE[multiple_synapses](flat, values, shape))
        return out


def _reduce(ufunc, start):
    def reduce(flat, values, shape):
        a = np.full(shape[0] * shape[1], start)
        ufunc.at(a, flat, values)
        a[np.bincount(flat, minlength=a.size) == 0] = np.nan
        return a.reshape(shape)

    return reduce


def _pick(last):
    def pick(flat, values, shape):
        a = np.full(shape[0] * shape[1], np.nan)
        order = np.arange(flat.size)[::-1] if last else np.arange(flat.size)
        cells, first = np.unique(flat[order], return_index=True)
        a[cells] = values[order[first]]
        return a.reshape(shape)

    return pick


#: PyNN's ways of combining several synapses between one pair of neurons
_REDUCE = {"sum": _reduce(np.add, 0.0), "min": _reduce(np.minimum, np.inf),
           "max": _reduce(np.maximum, -np.inf), "first": _pick(False),
           "last": _pick(True)}  # fmt: skip


_ADDRESS = ("presynaptic_index", "postsynaptic_index", "weight", "delay")


def _on_grid(delay, dt):
    """Delays as they run: whole steps (rounded, as NEST rounds them); those on the grid
    as given."""
    steps = np.round(delay / dt)
    return np.where(np.abs(delay / dt - steps) > 1e-9, steps * dt, delay)


def _order(pre, post):
    """The order that sorts synapses by (pre, post), ties kept in place."""
    return np.lexsort((np.arange(len(pre)), post, pre))
