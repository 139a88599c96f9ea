"""Simulations saved to a file and loaded in another process: ``Simulation.save`` and
``nbbrain.load``.

The container is numpy's ``.npz`` (a zip archive of ``.npy`` arrays, written uncompressed
and read array by array): a documented format that numpy reads without any other package,
whose members each carry a CRC-32 that is checked as they are read. It holds

- ``manifest``: JSON (what the file is, its format version, the nbbrain version, the
  step, batch, backend and threads it was saved from, the brain's fingerprint and the
  names of the other members);
- ``brain``: the pickled description (its fingerprint is checked against the saved one);
- ``synapses/...``: the connectivity (unless saved with ``connectivity=False``): the CSR
  arrays as the build stored them for its thread parts (row pointers, packed targets and
  delays, the weights as they are now, projection tags) and, pickled, the rest of it (the
  plastic synapses among it). ``load`` on as many parts (threads of the CPU backend; 1
  for a batch or the CUDA backend) uses them as they are; on another number of parts, or
  without them, the build regenerates the connectivity from the description, exactly;
- ``weights``: the static weights, where ``set_weights`` changed them after the build, in
  an order of any thread count (for a load that regenerates);
- ``spike_times/...``: the spike times that ``set_spike_times`` gave SpikeSources;
- ``parameters/...`` and ``copy_weights/...``: what ``set_parameter`` gave a batch's copies
  (neuron parameters and input rates, listed in the manifest; the copies' static weights);
- ``checkpoint/...``: everything ``checkpoint`` holds (every state variable, the spikes in
  flight, plastic weights and traces, modulators, the step and the noise seed);
- ``monitors/...``: the recorded spikes and samples, if asked for.

A simulation over MPI ranks writes one file per rank (``run.npz`` becomes ``run.rank0.npz``,
``run.rank1.npz``, ...: each with that rank's synapses and state), which ``load(...,
comm=...)`` reads back over as many ranks.

Loading unpickles the description: load only files you trust (as with ``pickle`` and
``torch.load``). A model class defined in a script (``__main__``) must be defined in the
loading process too.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile

import numpy as np

from . import ranks

FORMAT = "nbbrain-simulation"
#: 2: the plastic state holds the numbers per neuron of STDP that defers facilitation (the
#: files of version 1 with plastic synapses cannot be read: their layout differs)
VERSION = 2


class FileFormatError(ValueError):
    """A file that is not a simulation nbbrain can load (foreign, truncated, corrupted or of
    a newer format)."""


# ---- nested checkpoints as flat arrays ---------------------------------------------------
def _flatten(x, prefix, out):
    if isinstance(x, dict):
        out[prefix + "/@dict"] = np.array(json.dumps(list(x)))
        for k, v in x.items():
            _flatten(v, f"{prefix}/{k}", out)
    elif isinstance(x, list):
        out[prefix + "/@list"] = np.array(len(x))
        for k, v in enumerate(x):
            _flatten(v, f"{prefix}/{k}", out)
    elif x is None:
        out[prefix + "/@none"] = np.array(0)
    else:
        out[prefix] = np.asarray(x)


def _unflatten(arrays, prefix):
    if prefix + "/@dict" in arrays:
        keys = json.loads(str(arrays[prefix + "/@dict"][()]))
        return {k: _unflatten(arrays, f"{prefix}/{k}") for k in keys}
    if prefix + "/@list" in arrays:
        return [_unflatten(arrays, f"{prefix}/{k}") for k in range(int(arrays[prefix + "/@list"]))]
    if prefix + "/@none" in arrays:
        return None
    x = arrays[prefix]
    return x[()] if x.ndim == 0 and x.dtype.kind in "iufbU" else x


# ---- save ----------------------------------------------------------------------------------
def save(sim, path, monitors=True, connectivity=True):
    from .. import __version__
    from ..model.fingerprint import fingerprint

    brain = sim._brain
    if fingerprint(brain) != sim.fingerprint:
        raise ValueError("save: the brain was changed after it was built (its description no "
                         "longer makes this simulation); save before changing it, or build "
                         "it again")  # fmt: skip
    path = os.fspath(path)
    if sim.comm is not None:  # (one file per rank)
        path = ranks.rank_path(path, sim.comm.Get_rank())
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"save: the folder {folder} does not exist")
    try:
        described = pickle.dumps(brain, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise ValueError(
            f"save: the brain's description cannot be written ({e}); a model "
            "class must be defined at the top level of a module or script"
        ) from None
    arrays = {"brain": np.frombuffer(described, np.uint8)}
    if sim._static_weights_changed:  # (per projection, in the order of ``connections``)
        for k, pos in _static_positions(sim):
            arrays[f"weights/{k}"] = sim.backend_object.read_weights(pos)
    if sim.net.copy_weight is not None:  # (copies with static weights of their own)
        for k, pos in _static_positions(sim):
            arrays[f"copy_weights/{k}"] = np.stack(
                [sim.backend_object.read_weights(pos, c) for c in range(sim.batch)])  # fmt: skip
    set_parameters = list(sim._set_parameters)  # (neuron parameters and input rates)
    for i, key in enumerate(set_parameters):
        arrays[f"parameters/{i}"] = sim._set_parameters[key]
    for name, (times, indices) in sim._spike_times.items():  # (given by set_spike_times)
        k = sim.net.index(name)
        arrays[f"spike_times/{k}/times_ms"], arrays[f"spike_times/{k}/indices"] = times, indices
    if connectivity:
        _connectivity(sim.net, arrays)
    _flatten(sim.checkpoint(), "checkpoint", arrays)
    _flatten({"rewards": dict(sim._rewards)}, "pending", arrays)
    if monitors:
        _flatten(_monitors(sim), "monitors", arrays)
    manifest = {
        "format": FORMAT, "version": VERSION, "nbbrain": __version__, "step": sim.step,
        "batch": sim.batch, "backend": sim.backend, "threads": sim.threads,
        "fingerprint": sim.fingerprint, "monitors": bool(monitors),
        "parts": sim.net.n_parts, "connectivity": bool(connectivity),
        "parameters": [list(key) for key in set_parameters], "members": sorted(arrays),
    }  # fmt: skip
    if sim.comm is not None:
        manifest["ranks"], manifest["rank"] = sim.comm.Get_size(), sim.comm.Get_rank()
    arrays["manifest"] = np.array(json.dumps(manifest))
    tmp = path + ".part"  # (a crash while writing leaves the old file, if any, whole)
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


_CSR = ("indptr", "syn", "weight", "tag")


def _connectivity(net, arrays):
    """The built connectivity: the CSR arrays as members, the rest pickled."""
    for k in _CSR:
        arrays[f"synapses/{k}"] = getattr(net, k)
    rest = {"shift": net.shift, "n_slots": net.n_slots, "n_channels": net.n_channels,
            "projections": net.projections, "plastic": net.plastic}  # fmt: skip
    arrays["synapses/rest"] = np.frombuffer(pickle.dumps(rest, protocol=5), np.uint8)


def _synapses(arrays, path):
    from ..assemble.synapses import Synapses

    try:
        rest = pickle.loads(arrays["synapses/rest"].tobytes())
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError) as e:
        raise FileFormatError(f"load: {path} is damaged (its connectivity: {e})") from None
    return Synapses(**{k: arrays[f"synapses/{k}"] for k in _CSR}, **rest)


def _static_positions(sim):
    """(projection index, positions of its synapses) of the static projections, ordered by
    (pre, post, delay) and, among equal ones, as stored: the same order on any thread count
    and backend (the storage order itself is not)."""
    from ..assemble.synapses import locate

    out = []
    for k, info in enumerate(sim.net.projections):
        if info.group < 0:
            pos, pre, post, delay = locate(sim.net, info)
            out.append((k, pos[np.lexsort((delay, post, pre))]))  # (lexsort is stable)
    return out


def _monitors(sim):
    spikes = [{name: list(sim._spike_recs[c].get(name)) for name in
               sim._spike_recs[c].names_recorded} for c in range(sim.batch)]  # fmt: skip
    states = [[list(r.get_steps()) for r in sim._state_recs[c]] for c in range(sim.batch)]
    rates = [[r.saved() for r in sim._rate_recs[c]] for c in range(sim.batch)]
    return {"spikes": spikes, "states": states, "rates": rates}


# ---- load ----------------------------------------------------------------------------------
def load(path, backend=None, threads=None, monitors=True, comm=None):
    """A simulation saved with ``Simulation.save``, built again (from the saved description,
    on ``backend`` and ``threads``: by default those it was saved from) and set to the saved
    state: it continues bit for bit. ``monitors``: restore the recorded spikes and samples
    (if the file has them). ``comm``: a simulation saved over MPI ranks, loaded over as
    many (each rank reads its own file, ``path`` with ``.rank<r>`` before the suffix); a
    missing or unfit file on any rank is an error on every rank."""
    path = os.fspath(path)
    if comm is None:
        arrays, manifest, brain = _open(path)
    else:
        path = ranks.rank_path(path, comm.Get_rank())
        try:
            arrays, manifest, brain = _open(path)
            saved = manifest.get("ranks")
            if saved != comm.Get_size():
                where = f"over {saved} MPI ranks" if saved else "in one process"
                raise FileFormatError(f"load: {path} was saved {where}, not over "
                                      f"{comm.Get_size()}: load it over as many")  # fmt: skip
        except (OSError, ValueError) as e:
            ranks.raise_on_all(comm, e)
        ranks.raise_on_all(comm, None)
    backend = backend or manifest["backend"]
    if threads is None:  # (the saved threads, where it was saved from the CPU backend too)
        threads = manifest["threads"] if backend == manifest["backend"] == "cpu" else 1
    batch = manifest["batch"]
    synapses = None
    if manifest.get("connectivity") and manifest["parts"] == _parts(backend, threads, batch,
                                                                     comm):  # fmt: skip
        synapses = _synapses(arrays, path)  # (for these parts: used as it is)
    from .simulation import Simulation

    sim = Simulation(brain, backend=backend, threads=threads, batch=batch, synapses=synapses,
                     comm=comm)  # fmt: skip
    if sim.fingerprint != manifest["fingerprint"]:
        raise FileFormatError(f"load: {path}: its brain rebuilt here is not the one saved "
                              "(the fingerprints differ: another nbbrain version, or a model "
                              "class that changed)")  # fmt: skip
    changed = any(name.startswith("weights/") for name in arrays)
    sim._static_weights_changed = changed  # (what a later save must write again)
    # (the saved connectivity holds the weights as they were; a regenerated one, as built)
    for k, pos in _static_positions(sim) if changed and synapses is None else ():
        w = arrays.get(f"weights/{k}")
        if w is not None:
            if w.shape != pos.shape:
                raise FileFormatError(f"load: {path}: its static weights do not fit the brain")
            sim.backend_object.write_weights(pos, w)
    _restore_parameters(sim, arrays, manifest, path)
    for name in arrays:
        if name.startswith("spike_times/") and name.endswith("/times_ms"):
            k = int(name.split("/")[1])
            sim.set_spike_times(sim.net.names[k], arrays[name],
                                arrays[f"spike_times/{k}/indices"])  # fmt: skip
    sim.restore(_unflatten(arrays, "checkpoint"))
    sim._rewards = dict(_unflatten(arrays, "pending")["rewards"])
    if monitors and manifest["monitors"]:
        _restore_monitors(sim, _unflatten(arrays, "monitors"))
    return sim


def _open(path):
    """The arrays, manifest and description of the file at ``path``, checked."""
    try:
        npz = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise FileFormatError(f"load: {path} is not an nbbrain simulation file (not a "
                              f"readable .npz archive: {e})") from None  # fmt: skip
    with npz:
        arrays = _read_all(npz, path)
    return arrays, _manifest(arrays, path), _brain(arrays, path)


def _parts(backend, threads, batch, comm=None):
    from ..backends import BACKENDS, backend_class

    if backend not in BACKENDS:
        raise ValueError(f"load: unknown backend {backend!r}; available: {list(BACKENDS)}")
    if comm is not None:  # (a part per MPI rank)
        return comm.Get_size()
    return backend_class(backend, threads).parts(threads, batch)


def _restore_parameters(sim, arrays, manifest, path):
    """What ``set_parameter`` gave the copies: neuron parameters and input rates again, the
    copies' own static weights as saved."""
    for i, (_kind, target, name) in enumerate(manifest.get("parameters", [])):
        sim.set_parameter(target, name, arrays[f"parameters/{i}"])
    own = {int(k.split("/")[1]): arrays[k] for k in arrays if k.startswith("copy_weights/")}
    if not own:
        return
    net = sim.net
    if net.copy_weight is None:
        net.copy_weight = np.repeat(net.weight[None], sim.batch, axis=0)
        sim.backend_object.refresh()
    for k, pos in _static_positions(sim):
        w = own.get(k)
        if w is None or w.shape != (sim.batch, pos.size):
            raise FileFormatError(f"load: {path}: its copies' static weights do not fit the "
                                  "brain")  # fmt: skip
        sim.backend_object.write_weights(pos, w)
    sim._static_weights_changed = True


def _read_all(npz, path):
    try:
        return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:  # a bad CRC, a cut file
        raise FileFormatError(f"load: {path} is damaged (truncated or corrupted: {e})") from None


def _manifest(arrays, path):
    try:
        manifest = json.loads(str(arrays["manifest"][()]))
        ok = manifest.get("format") == FORMAT
    except (KeyError, ValueError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise FileFormatError(f"load: {path} is not an nbbrain simulation file (no nbbrain "
                              "manifest)")  # fmt: skip
    if manifest["version"] > VERSION:
        raise FileFormatError(f"load: {path} has format version {manifest['version']}, "
                              f"newer than this nbbrain ({manifest['nbbrain']} saved it; this "
                              f"one reads up to version {VERSION}): upgrade nbbrain")  # fmt: skip
    if manifest["version"] < 2 and "checkpoint/plastic/@dict" in arrays:
        raise FileFormatError(f"load: {path} has format version {manifest['version']} "
                              f"({manifest['nbbrain']} saved it), whose plastic state this "
                              "nbbrain cannot read: save it again from a run of this "
                              "version")  # fmt: skip
    missing = sorted(set(manifest["members"]) - set(arrays))
    if missing:
        raise FileFormatError(f"load: {path} is damaged (missing {missing[:3]})")
    return manifest


def _brain(arrays, path):
    try:
        return pickle.load(io.BytesIO(arrays["brain"].tobytes()))
    except (AttributeError, ModuleNotFoundError, ImportError) as e:
        raise FileFormatError(f"load: {path}: its brain uses a class this process does not "
                              f"have ({e}); define or import it (a model written in a script "
                              "must be defined before load)") from None  # fmt: skip
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise FileFormatError(f"load: {path} is damaged (its description: {e})") from None


def _restore_monitors(sim, saved):
    for c in range(sim.batch):
        rec = sim._spike_recs[c]
        for name, (steps, idx) in saved["spikes"][c].items():
            if name in rec.names_recorded:
                rec.replace(name, steps, idx, sim.step)
        for r, (steps, values) in zip(sim._state_recs[c], saved["states"][c]):
            r.replace(steps, values, sim.step)
        rates = saved.get("rates") or [[]] * sim.batch  # (none in files of version 1)
        for r, (counts, covered) in zip(sim._rate_recs[c], rates[c]):
            r.replace(counts, covered)
