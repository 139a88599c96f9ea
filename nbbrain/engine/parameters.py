"""Parameters that differ between the copies of a batch, set after the build without a
rebuild (``Simulation.set_parameter``): a sweep of B parameter sets runs as one batch on
shared connectivity.

- A neuron parameter: each copy's constants are derived again from its own parameters
  and stored as tables with a copy axis (``Network.copy_cpar``, ``copy_pn``); a constant
  that differs between the neurons of a group in any copy is stored per neuron for all
  copies (one compiled loop serves them all).
- A static projection's weight: the static weights get a copy axis
  (``Network.copy_weight``, float32 ``[B, S]``: B times the 4 bytes a synapse).
- A Poisson input's rate (``Brain.add_poisson_input``): each copy's inversion table.

Copy 0's values are also the network's own (``net.raw``, ``net.tables``, ``net.weight``),
so that everything that reads copy 0 reads them there; a batch of one needs no copy axis.
"""

from __future__ import annotations

import numpy as np

from ..assemble.network import regroup
from ..assemble.neurons import population_constants
from ..assemble.synapses import locate
from ..neurons.base import check_range, float32_problem
from ..rng import POISSON_TABLE_MEAN, poisson_table


def per_copy(values, batch: int, n: int | None, what: str, each="neuron") -> np.ndarray:
    """``values`` as one value per copy (``[B]``) or, where ``n`` is given, optionally one
    array per copy (``[B, n]``, a value per ``each``); checked: numbers, finite."""
    try:
        x = np.asarray(values, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected numbers, got {type(values).__name__}") from None
    if x.ndim == 0:
        x = np.full(batch, float(x))
    shapes = [(batch,)] + ([(batch, n)] if n is not None else [])
    if x.shape not in shapes:
        per = f" or shape ({batch}, {n}) (per copy and {each})" if n is not None else ""
        want = f"a scalar, {batch} values (one per copy){per}"
        raise ValueError(f"{what}: expected {want}, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what}: values must be finite")
    return x


def check_weight_sign(info, w, what) -> None:
    """Weights ``w`` (the projection's unit) of the sign its receptor takes."""
    if info.sign and np.any(w * info.sign < 0):
        want = ">= 0" if info.sign > 0 else "<= 0"
        bad = np.atleast_1d(w)[np.atleast_1d(w * info.sign < 0)][0]
        raise ValueError(f"{what}: {info.unit} for receptor {info.receptor!r} must be {want}, "
                         f"got {bad:g}")  # fmt: skip


def internal_weights(info, post, w, what) -> np.ndarray:
    """Static weights ``w`` (the projection's unit; ``[..., n]`` for synapses onto
    ``post``) in the targets' internal unit, float32, checked to fit."""
    internal = w * info.factor[post]
    bad = float32_problem(internal)
    if bad is not None:
        raise ValueError(f"{what}: weights overflow float32 (internally {bad:g})")
    return internal.astype(np.float32)


def neuron_parameter(sim, pop, name: str, values) -> np.ndarray:
    """Set neuron parameter ``name`` of population ``pop`` per copy; returns the values
    per copy (what ``save`` writes)."""
    net, B, model = sim.net, sim.batch, pop.model
    what = f"set_parameter({pop.name!r}, {name!r})"
    if name not in model.parameters:
        raise ValueError(f"{what}: {type(model).__name__} has no parameter {name!r}; it has "
                         f"{sorted(model.parameters)}")  # fmt: skip
    x = per_copy(values, B, pop.n, what)
    k = net.index(pop.name)
    copies = net.copy_constants or [list(net.desc.constants) for _ in range(B)]
    raws = sim._copy_raw or [list(net.raw) for _ in range(B)]
    new = []
    for c in range(B):  # (every copy checked before anything changes)
        who = f"{what}, copy {c}" if B > 1 else what
        check_range(x[c], model.parameters[name], f"{who}: {name}")
        raw = dict(raws[c][k])
        raw[name] = float(x[c]) if x.ndim == 1 else x[c].copy()
        model.check(raw, who)
        new.append((raw, population_constants(pop, raw, net.dt_ms)))
    for c, (raw, consts) in enumerate(new):
        raws[c][k], copies[c][k] = raw, consts
    net.raw[k], net.desc.constants[k] = raws[0][k], copies[0][k]
    sim._copy_raw = raws
    if B > 1:
        net.copy_constants = copies
    regroup(net)
    sim.backend_object.refresh()
    return x


def projection_weight(sim, info, name: str, values) -> np.ndarray:
    """Set the weight (``name``: the projection's weight keyword) of a static projection's
    synapses per copy: one value per copy for all of them, or one per synapse (in the
    order of ``connections``)."""
    net, B = sim.net, sim.batch
    what = f"set_parameter({info.name!r}, {name!r})"
    if info.group >= 0:
        raise ValueError(f"{what}: the projection is plastic: its weights are each copy's "
                         "own already (see set_weights and connections)")  # fmt: skip
    if name != info.unit:
        raise ValueError(f"{what}: the projection's weights are {info.unit!r}")
    pos, _pre, post, _delay = locate(net, info)
    x = per_copy(values, B, pos.size, what, "synapse")
    w = np.broadcast_to(x.reshape(B, -1), (B, pos.size))
    check_weight_sign(info, w, what)
    internal = internal_weights(info, post, w, what)
    if B > 1 and net.copy_weight is None:
        net.copy_weight = np.repeat(net.weight[None], B, axis=0)
        sim.backend_object.refresh()
    sim.backend_object.write_weights(pos, internal)
    sim._static_weights_changed = True
    return x


def input_rate(sim, q: int, name: str, values) -> np.ndarray:
    """Set the rate of Poisson input ``q`` (``Brain.add_poisson_input``) per copy."""
    net, B = sim.net, sim.batch
    pin = net.poisson
    what = f"set_parameter({pin.names[q]!r}, {name!r})"
    if name != "rate_hz":
        raise ValueError(f"{what}: a Poisson input's parameter is 'rate_hz'")
    if pin.r_len[q] > 1:
        raise ValueError(f"{what}: the input's rates follow a TimedArray")
    x = per_copy(values, B, None, what)
    if np.any(x < 0):
        raise ValueError(f"{what}: rate_hz must be >= 0, got {x[x < 0][0]:g}")
    source = sim._brain.poisson_inputs[q]
    lam = source.n_sources * x * net.dt_ms * 1e-3 / pin.m[q]
    if np.any(lam > POISSON_TABLE_MEAN):
        top = POISSON_TABLE_MEAN * pin.m[q] / (source.n_sources * net.dt_ms * 1e-3)
        raise ValueError(f"{what}: this input was built for rates up to {top:g} Hz, got "
                         f"{x.max():g}; build it with the sweep's largest rate")  # fmt: skip
    thr, guide = sim.backend_object.read_poisson_tables()
    for c in range(B):
        poisson_table(float(lam[c]), thr[c, q], guide[c, q])
    sim.backend_object.write_poisson_tables(thr, guide)
    return x
