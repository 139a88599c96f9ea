"""The runtime: a built network, its monitors and a backend that advances it in compiled
chunks. Backend-neutral: everything a backend does goes through its interface
(``nbbrain/backends/base.py``).

Python runs once per chunk (to feed inputs, collect monitors and draw the progress bar),
never per step or per neuron.
"""

from __future__ import annotations

import dataclasses
import time
from collections import namedtuple

import numpy as np

from .. import config
from ..assemble.inputs import replaced_train, train_steps
from ..assemble.network import NOISE_CODE, activate, build_network, check_modulated_rates
from ..assemble.plastic import locate_plastic
from ..assemble.synapses import locate
from ..backends import BACKENDS, backend_class
from ..backends.base import REF
from ..memory import check_fits, checkpoint_bytes, warn_if_large
from ..model.brain import NOISE_VAR, Projection, check_seed
from ..model.fingerprint import fingerprint
from ..model.values import _finite, check_int, whole_steps
from ..monitors.recorders import RateRecorder, SpikeRecorder, StateRecorder
from ..neurons.base import float32_problem
from ..neurons.sources import PoissonSource, Source, SpikeSource
from ..rhythms import oscillator_cycles
from . import ranks
from .inputs import check_inputs, pack_inputs
from .parameters import check_weight_sign, internal_weights
from .result import RunResult

#: What ``Simulation.connections`` returns: population-local indices (into the
#: concatenations of the projection's pre and post populations), weights in the
#: projection's unit and delays in ms, one entry per synapse.
Connections = namedtuple("Connections", ["pre", "post", "weight", "delay_ms"])


_NO_COPY = (
    "a Simulation cannot be copied or pickled (it holds compiled kernels and "
    "their buffers): build another from the brain (brain.build(); the same brain "
    "gives the same network) and move the state with sim.checkpoint() and "
    "restore(checkpoint)"
)


def _float32(x, what):
    """``x`` as float32, refused where it is not finite or overflows."""
    bad = float32_problem(x)
    if bad is not None:
        raise ValueError(f"{what} holds {bad:g}, not a finite float32")
    return np.asarray(x, np.float32)


class BlowUpError(FloatingPointError):
    """A state variable became NaN or infinite during a run (the network blew up)."""


class Simulation:
    """A built brain, ready to run. Made by ``Brain.build``.

    ``batch`` B > 1: B independent copies of the brain: the connectivity shared, each copy
    with its own state, noise and inputs. Copy 0 equals the unbatched build bit for bit;
    copy c > 0 draws its initial values and random inputs from keys that add the copy to
    copy 0's.
    """

    def __init__(self, brain, backend="cpu", threads=1, batch=1, synapses=None, comm=None):
        rank, self.fingerprint = None, fingerprint(brain)  # (checkpoints carry it: ``restore``)
        if comm is not None:  # (first: a refusal on any rank is then one on every rank)
            rank, parts = ranks.check_comm(comm, brain, backend, threads, batch,
                                           self.fingerprint)  # fmt: skip
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; available: {list(BACKENDS)}")
        threads = _check_threads(threads)
        self.batch = _check_batch(batch)
        cls = backend_class(backend, threads)  # fails here, before any work, if unusable
        t0 = time.perf_counter()
        self.comm = comm  # (over MPI ranks: a part of the neurons per rank)
        if comm is None:
            parts = cls.parts(threads, self.batch)
        self._brain, self._static_weights_changed = brain, False  # (what ``save`` writes)
        self._spike_times = {}  # SpikeSource -> (times, indices) given by set_spike_times
        self._set_parameters = {}  # (kind, target, name) -> values: what save replays
        self._copy_raw = None  # per copy, the raw parameters, once set_parameter set one
        self.backend, self.dt_ms = backend, brain.dt_ms
        # (``synapses``: a file's connectivity, for these parts: see ``nbbrain.load``)
        if comm is None:
            self.net = build_network(brain, parts, self.batch, synapses)
        else:  # (an error on one rank, such as a weight of the wrong sign drawn, on all)
            try:
                self.net = build_network(brain, parts, self.batch, synapses, rank)
            except Exception as e:
                ranks.raise_on_all(comm, e)
            ranks.raise_on_all(comm, None)
            self.net.exchange_every = ranks.exchange_interval(comm, self.net)
        net = self.net
        self._populations = {p.name: p for p in brain.populations.values()}
        self._regions = {r: [p.name for p in reg.populations] for r, reg in brain.regions.items()}
        self._projections = list(brain.projections)
        pops = [self._populations[name] for name in net.names]
        self._check_monitors(brain)
        self.step = 0
        self._rewards = {}  # modulator -> amount added at the next step run
        self._spike_specs = dict(brain.spike_monitors)  # (as built: the brain may change)
        self._spike_recs = [
            SpikeRecorder(
                net.names, net.lo, net.hi, np.flatnonzero(net.record), brain.spike_monitors
            )
            for _ in range(self.batch)
        ]
        self._state_recs = [[StateRecorder(s, net) for s in brain.state_monitors]
                            for _ in range(self.batch)]  # fmt: skip
        self._rate_recs = [[RateRecorder(name, net.index(name), self._populations[name].n, b)
                            for name, b in brain.rate_monitors.items()]
                           for _ in range(self.batch)]  # fmt: skip
        self.backend_object = cls(net, pops, self.batch, threads,
                                  self._spike_recs[0].max_per_step)  # fmt: skip
        self._threads = threads
        check_modulated_rates(net, self.backend_object.read_state(0)[:, None])
        self.build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self._advance(0, {}, None)  # compiles the kernels (or loads them from the cache)
        self.compile_s = time.perf_counter() - t0
        self._initial = self._state_checkpoint(ring=False)  # (what ``reset`` returns to)

    def _check_monitors(self, brain):
        noisy = {p.name for z in brain.noise_currents for p in z.targets}
        for spec in brain.state_monitors:
            if spec.var == NOISE_VAR and spec.population not in noisy:
                raise ValueError(f"record_state({spec.population!r}, {NOISE_VAR!r}): the "
                                 "population has no noise current (add_noise_current)")  # fmt: skip

    @property
    def threads(self) -> int:
        return self._threads

    @property
    def brain(self):
        """The description this simulation was built from (read it, do not change it: the
        build does not follow)."""
        return self._brain

    # ---- names ----------------------------------------------------------------------------
    @property
    def populations(self) -> dict:
        """name -> Population (the description) of the populations built."""
        return dict(self._populations)

    @property
    def recorded(self) -> set:
        """Names of the populations whose spikes are recorded."""
        return set(self._spike_recs[0].names_recorded)

    def records_every_spike(self, name) -> bool:
        """Whether the spikes of population ``name`` are recorded for every neuron and
        without a window."""
        spec = self._spike_specs.get(name)
        return spec is not None and spec.indices is None and spec.window_steps is None

    def resolve(self, target) -> list:
        """The populations a name (population or region), or a list of names, stands for."""
        items = target if isinstance(target, (list, tuple)) else [target]
        out = []
        for item in items:
            if isinstance(item, str) and item in self._populations:
                found = [self._populations[item]]
            elif isinstance(item, str) and item in self._regions:
                found = [self._populations[n] for n in self._regions[item]]
            else:
                known = sorted(self._populations) + sorted(self._regions)
                raise ValueError(f"unknown population or region {item!r}; known: {known}")
            out += [p for p in found if p not in out]
        if not out:
            raise ValueError(f"{target!r} names no population")
        return out

    def _pop(self, name):
        return self.resolve(name)[0] if name in self._populations else self._unknown(name)

    def _unknown(self, name):
        raise ValueError(f"unknown population {name!r}; known: {sorted(self._populations)}")

    # ---- running ------------------------------------------------------------------------
    @property
    def t_ms(self) -> float:
        """Simulated time so far (ms)."""
        return self.step * self.dt_ms

    def steps(self, duration_ms) -> int:
        """``duration_ms`` as a whole number of steps (or a clear error)."""
        return self._n_steps(duration_ms, None)

    def run(self, duration_ms=None, *, n_steps=None, inputs=None, progress=False) -> RunResult:
        """Advance by ``duration_ms`` (a whole number of steps) or ``n_steps``.

        ``inputs`` maps population or region names to arrays: for a SpikeSource, spikes as
        booleans ``[n_steps, n]`` (one row per step) or ``[n]`` (every step); for a neuron
        population, an injected current in pA, ``[n_steps, n]`` or ``[n]`` (a region: its
        populations' neurons in order). With a batch, these go to every copy;
        ``[B, n_steps, n]`` or ``[B, n]`` give each copy its own (a 2-D array whose first
        axis could be either, ``B == n_steps``, is read as ``[n_steps, n]``). Arrays are
        numpy arrays (or anything ``np.asarray`` takes, CPU tensors read in place) or, on the
        CUDA backend, GPU arrays (``__cuda_array_interface__``), which never cross to the host.
        Returns a RunResult with the spike counts of this call. May be called again to
        continue.
        """
        config.check_all()
        n_steps = self._n_steps(duration_ms, n_steps)
        inputs = check_inputs(self, {} if inputs is None else inputs, n_steps)
        check_fits(f"run of {n_steps} steps: the state monitors' samples",
                   self.batch * sum(r.bytes_for(n_steps) for r in self._state_recs[0]),
                   "record fewer neurons (record_state's indices), less often (every_ms) or "
                   "only the last part (window_ms)")  # fmt: skip
        counts, per_step = np.zeros((self.batch, len(self.net.names)), np.int64), []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_steps, unit="step", desc="nbbrain", leave=False)
        t0 = time.perf_counter()
        done = 0
        try:
            while done < n_steps:
                chunk = min(config.get("CHUNK_STEPS"), n_steps - done)
                packed = pack_inputs(self, inputs, done, chunk)
                per_step.append(self._advance(chunk, packed, counts))
                done += chunk
                if bar is not None:
                    bar.update(chunk)
        finally:
            if bar is not None:
                bar.close()
        wall = time.perf_counter() - t0
        n_pop = len(self.net.names)
        per_step = (np.concatenate(per_step, axis=1) if per_step
                    else np.zeros((self.batch, 0, n_pop), np.int32))  # fmt: skip
        return RunResult(self, n_steps, self._one(counts), self._one(per_step), wall)

    def _n_steps(self, duration_ms, n_steps):
        if (duration_ms is None) == (n_steps is None):
            raise TypeError("run: give exactly one of duration_ms or n_steps")
        if n_steps is None:
            if isinstance(duration_ms, (bool, np.bool_)) or not isinstance(
                duration_ms, (int, float, np.number)
            ):
                raise TypeError(f"run: duration_ms must be a number, got {duration_ms!r}")
            duration_ms = float(duration_ms)
            if not np.isfinite(duration_ms) or duration_ms < 0:
                raise ValueError(
                    f"run: duration_ms must be a finite number >= 0, got {duration_ms}"
                )
            return self._check_length(whole_steps(duration_ms, self.dt_ms, "run: duration_ms",
                                                  minimum=0))  # fmt: skip
        if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, (int, np.integer)):
            raise TypeError(f"run: n_steps must be an integer, got {n_steps!r}")
        if n_steps < 0:
            raise ValueError(f"run: n_steps must be >= 0, got {n_steps}")
        return self._check_length(int(n_steps))

    def _check_length(self, n_steps):
        """Step counts are int64 in the kernels (and stamp the spikes)."""
        if self.step + n_steps >= 2**62:
            raise ValueError(f"run: {n_steps} steps would take the step count past 2**62 "
                             f"(at dt_ms={self.dt_ms:g}, {2**62 * self.dt_ms:.3g} ms)")  # fmt: skip
        return n_steps

    def _advance(self, n_steps, packed, counts):
        """Run ``n_steps`` on the backend; ``counts`` [B, P] accumulates the spikes; returns
        the per-step counts [B, n_steps, P]."""
        if counts is None:
            counts = np.zeros((self.batch, len(self.net.names)), np.int64)
        mon = StateRecorder.pack(self._state_recs[0], self.step, n_steps)
        step_counts, mon_out = self.backend_object.advance(self.step, n_steps, packed, mon,
                                                           counts, self._spike_recs)  # fmt: skip
        self.step += n_steps
        if n_steps and not self.backend_object.state_is_finite():
            self._blown_up(self.step - n_steps)
        for c in range(self.batch):
            if self._state_recs[c]:
                StateRecorder.unpack(self._state_recs[c],
                                     dataclasses.replace(mon, out=mon_out[c]))  # fmt: skip
            for r in self._state_recs[c]:
                r.advanced(self.step)
            for r in self._rate_recs[c]:
                r.add(self.step - n_steps, step_counts[c])
            self._spike_recs[c].advanced(self.step)
        return step_counts

    def _blown_up(self, step0):
        """Raise a BlowUpError naming the first neuron (lowest index, then copy, then
        variable) with a non-finite state variable after the chunk from ``step0``."""
        net, b = self.net, self.backend_object
        rows = max(len(m.state) for m in net.models)
        bad = np.zeros((rows, self.batch, net.n), bool)
        for r in range(rows):
            bad[r] = ~np.isfinite(b.read_state(r))
        i = int(np.argmax(bad.any(axis=(0, 1))))
        c = int(np.argmax(bad[:, :, i].any(axis=0)))
        r = int(np.argmax(bad[:, c, i]))
        k = int(np.searchsorted(net.lo, i, side="right") - 1)
        var = list(net.models[k].state)[r]
        value = float(b.read_state(r)[c, i])
        copy = f" (batch copy {c})" if self.batch > 1 else ""
        t0, t1 = step0 * self.dt_ms, self.step * self.dt_ms
        raise BlowUpError(
            f"population {net.names[k]!r}: {var} of neuron {i - net.lo[k]}{copy} is {value} "
            f"after steps {step0}-{self.step - 1} (t = {t0:g}-{t1:g} ms): the network blew up "
            f"({int(bad.any(axis=(0, 1)).sum())} neuron(s) affected). Check the weights, the "
            "parameters and dt; restore a checkpoint to go on from before."
        )

    # ---- modulators -------------------------------------------------------------------
    def _modulator_index(self, name, what):
        names = self.net.plastic.modulators.names
        if name not in names:
            raise ValueError(f"{what}: unknown modulator {name!r}; known: {names}")
        return names.index(name)

    def reward(self, modulator: str, amount: float) -> None:
        """Add ``amount`` to the concentration of ``modulator`` at the next step run (in
        every copy of a batch), as a reward signal between runs."""
        self._modulator_index(modulator, f"reward({modulator!r})")
        amount = _finite(amount, f"reward({modulator!r}): amount")
        self._rewards[modulator] = self._rewards.get(modulator, 0.0) + amount

    def pending_rewards(self) -> dict:
        """The rewards given since the last run (cleared: the run adds them)."""
        out, self._rewards = self._rewards, {}
        return out

    def modulator(self, name: str, copy=0) -> float:
        """The concentration of modulator ``name`` at the end of the last step run."""
        m = self._modulator_index(name, f"modulator({name!r})")
        copy = self._check_copy(copy, f"modulator({name!r})")
        t, n = self.backend_object.modulator_last(m, copy)
        tau = float(self.net.plastic.modulators.tau_ms[m])
        return n * float(np.exp(-(self.step - 1 - t) * self.dt_ms / tau)) if self.step else n

    def oscillator_phase(self, name) -> float:
        """Phase (radians, in [0, 2 pi)) of oscillator ``name`` at the current time."""
        net = self.net
        if name not in net.osc_names:
            raise ValueError(f"unknown oscillator {name!r}; known: {net.osc_names}")
        k = net.osc_names.index(name)
        cycles = oscillator_cycles(net.osc_freq[k], net.osc_phase[k], self.step, self.dt_ms)
        return float(2 * np.pi * cycles)

    # ---- reading back -------------------------------------------------------------------
    def _one(self, a):
        """``a`` (with a leading copy axis) as the caller sees it: B = 1 without the axis."""
        return a[0] if self.batch == 1 else a

    def _check_copy(self, copy, what):
        return check_int(copy, f"{what}: copy", 0, self.batch - 1,
                         why=f" (the simulation has {self.batch} copies)")  # fmt: skip

    def spikes(self, name, copy=0, since_ms=0.0):
        """All recorded spikes of a population or region so far: (times in ms, indices
        local to the population, or to the concatenation of the region's populations), in
        time order (then by index); of copy ``copy`` of a batch. A spike at time t happened
        in the step that starts at t (Brian2's convention; NEST stamps it t + dt).
        ``since_ms``: only the spikes at or after that time (a closed loop reads the last
        run's spikes at a cost that does not grow with the spikes recorded before)."""
        pops = self.resolve(name)
        copy = self._check_copy(copy, f"spikes({name!r})")
        since = _finite(since_ms, f"spikes({name!r}): since_ms")
        since_step = max(0, int(np.ceil(since / self.dt_ms - 1e-9)))
        steps, idx, start = [], [], 0
        for p in pops:
            if p.name not in self._spike_recs[0].names_recorded:
                raise ValueError(f"spikes of {p.name!r} are not recorded: call "
                                 f"brain.record_spikes({p.name!r}) before build")  # fmt: skip
            s, i = self._spike_recs[copy].get(p.name, since_step)
            if self.comm is not None:  # (every rank records every spike: keep its own)
                k = self.net.index(p.name)
                mine = ranks.own(self.net, self.net.lo[k], self.net.hi[k])[i]
                s, i = s[mine], i[mine]
            steps.append(s)
            idx.append(i + start)
            start += p.n
        if len(pops) == 1:
            return steps[0] * self.dt_ms, idx[0]
        s, i = np.concatenate(steps), np.concatenate(idx).astype(np.int32)
        order = np.lexsort((i, s))
        return s[order] * self.dt_ms, i[order]

    def gather_spikes(self, name, copy=0, since_ms=0.0):
        """Over MPI ranks (``build(comm=...)``): the spikes of every rank's neurons of
        ``name``, as ``spikes`` gives them in one process, on rank 0 (``None`` on the
        others). A collective call: every rank makes it."""
        if self.comm is None:
            raise ValueError("gather_spikes: this simulation runs in one process (built "
                             "without comm); spikes() has every spike")  # fmt: skip
        return ranks.gather_spikes(self.comm, *self.spikes(name, copy, since_ms))

    def recorded_state(self, name, var, copy=0):
        """Samples of ``var`` of ``name``: (times in ms [n_samples], values [n_samples, k]);
        of copy ``copy`` of a batch."""
        copy = self._check_copy(copy, f"recorded_state({name!r}, {var!r})")
        for rec in self._state_recs[copy]:
            if rec.spec.population == name and rec.spec.var == var:
                t, v = rec.get(self.dt_ms)
                if self.comm is not None:  # (other ranks' neurons: not advanced here)
                    v = ranks.foreign_nan(v, self.net.part_of[rec.global_idx] != self.net.rank)
                return t, v
        self.resolve(name)
        raise ValueError(f"state {var!r} of {name!r} is not recorded: call "
                         f"brain.record_state({name!r}, {var!r}) before build")  # fmt: skip

    def rate(self, name, copy=0):
        """The population rate recorded by ``record_rate``: (bin start times in ms, spikes
        per neuron per second in each bin), from step 0 to now, across runs. A region's
        is over all its neurons. A bin that a restore cut counts only the steps run since
        (its rate is theirs), the last bin the steps run so far; NaN in a bin where no
        step was counted (before a restore to a later step)."""
        pops = self.resolve(name)
        copy = self._check_copy(copy, f"rate({name!r})")
        recs = {r.name: r for r in self._rate_recs[copy]}
        missing = [p.name for p in pops if p.name not in recs]
        if missing:
            raise ValueError(f"the rate of {missing[0]!r} is not recorded: call "
                             f"brain.record_rate({missing[0]!r}) before build")  # fmt: skip
        bins = {recs[p.name].bin_steps for p in pops}
        if len(bins) > 1:
            raise ValueError(f"rate({name!r}): its populations' rates are recorded in bins of "
                             f"different widths ({sorted(bins)} steps)")  # fmt: skip
        parts = [recs[p.name].get(self.dt_ms, self.step) for p in pops]
        n = np.array([p.n for p in pops], float)
        return parts[0][0], np.sum([r * k for (_t, r), k in zip(parts, n)], axis=0) / n.sum()

    def _row(self, pop, var):
        """The backend row of state variable ``var`` of population ``pop``."""
        k = self.net.index(pop.name)
        if var in pop.model.state:
            return self.net.state_row(k, var)
        if var == NOISE_VAR and not isinstance(pop.model, Source):
            return NOISE_CODE
        raise ValueError(f"population {pop.name!r}: unknown state variable {var!r}; "
                         f"{type(pop.model).__name__} has {sorted(pop.model.state)}")  # fmt: skip

    def state(self, name, var) -> np.ndarray:
        """A copy of the current values of state variable ``var`` of a population or region
        (its populations in order): ``[n]``, or ``[B, n]`` for a batch."""
        parts = []
        for p in self.resolve(name):
            row, k = self._row(p, var), self.net.index(p.name)
            lo, hi = self.net.lo[k], self.net.hi[k]
            values = self.backend_object.read_state(row)[:, lo:hi]
            if self.comm is not None:  # (other ranks' neurons: not advanced here)
                values = ranks.foreign_nan(values, ~ranks.own(self.net, lo, hi))
            parts.append(values)
        return self._one(np.concatenate(parts, axis=1).copy())

    def live_state(self, name, var, copy=0):
        """State variable ``var`` of population ``name`` of copy ``copy`` without a copy: a
        view of the backend's own array (a host array on the CPU, a device array on CUDA)
        that later runs update. Read it only; change the state with ``set_state``."""
        pop = self._pop(name)
        row, k = self._row(pop, var), self.net.index(pop.name)
        copy = self._check_copy(copy, f"live_state({name!r})")
        return self.backend_object.live_state(row, int(self.net.lo[k]), int(self.net.hi[k]), copy)

    def set_state(self, name, var, value) -> None:
        """Set state variable ``var`` of a population or region (a scalar, an array of its
        size, or for a batch ``[B, n]``, one row per copy) between runs; checked first."""
        pops = self.resolve(name)
        n = sum(p.n for p in pops)
        what = f"set_state({name!r}, {var!r})"
        rows = [self._row(p, var) for p in pops]
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{what}: expected numbers, got {type(value).__name__}") from None
        shape = (self.batch, n) if self.batch > 1 else (n,)
        if value.shape not in ((), shape, (n,)):
            raise ValueError(f"{what}: expected a scalar or shape {shape}, got {value.shape}")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{what}: values must be finite")
        bad = float32_problem(value)
        if bad is not None:
            raise ValueError(f"{what}: values overflow float32 (|x| > 3.4e38), got {bad:g}")
        full = np.broadcast_to(value, (self.batch, n))
        start = 0
        for p in pops:
            self._check_values(p, var, full[:, start : start + p.n], what)
            start += p.n
        start = 0
        for p, row in zip(pops, rows):
            k = self.net.index(p.name)
            part = full[:, start : start + p.n]
            start += p.n
            self.backend_object.write_state(row, int(self.net.lo[k]), int(self.net.hi[k]),
                                            part.astype(np.float32))  # fmt: skip
            if var in p.model.state and np.any(part != 0) and activate(self.net, k, var):
                self.backend_object.relayout()

    def _check_values(self, pop, var, x, what):
        if var == "rate_hz" and isinstance(pop.model, PoissonSource):
            if pop.model.timed:
                raise ValueError(f"{what}: the rates of {pop.name!r} follow a TimedArray")
            k = self.net.index(pop.name)
            osc, depth, _thr = self.net.pop_rhythm[k]
            top = 1e3 / self.dt_ms / (1.0 + (depth if osc >= 0 else 0.0))
            if np.any(x < 0) or np.any(x > top):
                raise ValueError(f"{what}: rates must lie in [0, {top:g}] Hz (one spike per "
                                 "step at the rhythm's peak)")  # fmt: skip
            return
        spec = pop.model.state.get(var)
        if spec is not None and spec.low is not None and np.any(x < spec.low):
            raise ValueError(f"{what}: {var} must be >= {spec.low:g}, got {x[x < spec.low][0]:g}")

    def set_spike_times(self, name, times_ms, indices=None) -> None:
        """Give SpikeSource population ``name`` new spike times (neuron ``indices[k]`` at
        ``times_ms[k]``; ``indices`` may be left out for a one-neuron source), in place of
        those it was built with or given last; no rebuild. The times are the source's
        schedule from t = 0: those at or after the current time are sent (each, as at the
        build, in the step its time rounds to), those before it are not (as NEST's
        ``spike_generator`` skips times already past), and a ``reset`` or an earlier
        checkpoint sends them from there. ``save`` writes them. Checked first."""
        pop = self._pop(name)
        what = f"set_spike_times({name!r})"
        if not isinstance(pop.model, SpikeSource):
            raise ValueError(f"{what}: population {pop.name!r} is a "
                             f"{type(pop.model).__name__}, not a SpikeSource")  # fmt: skip
        try:
            given = SpikeSource(times_ms=times_ms, indices=indices)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{what}: {e}") from None
        if given.indices.size and given.indices.max() >= pop.n:
            raise ValueError(f"{what}: indices must be < {pop.n} (the population's size), got "
                             f"{given.indices.max()}")  # fmt: skip
        for t in np.unique(given.times_ms):
            whole_steps(t, self.dt_ms, f"{what}: times_ms", minimum=0)
        k = self.net.index(pop.name)
        steps, idx = train_steps(pop.name, given.times_ms, given.indices, self.dt_ms)
        trains = replaced_train(self.net.trains, k, steps, int(self.net.lo[k]) + idx)
        self.backend_object.replace_trains(trains)
        self._spike_times[pop.name] = (given.times_ms, given.indices)

    def set_parameter(self, target, name: str, values) -> None:
        """Give each copy of a batch its own value of a parameter, without a rebuild (a
        sweep of B parameter sets in one batched run on shared connectivity); checked
        first, nothing changed on a refusal. ``values``: a scalar (every copy), ``B`` values
        (one per copy) or, per copy, one value per neuron ``[B, n]`` or per synapse
        ``[B, n_synapses]``. ``target`` and ``name``:

        - a neuron population and one of its model's parameters (its constants are derived
          again per copy; the state stays as it is);
        - a static projection (the Projection ``connect`` returned, or its name) and its
          weight keyword (``weight_ns``, ``weight_pa`` or ``weight_mv``);
        - a Poisson input (``Brain.add_poisson_input``, by its name) and ``rate_hz``;
        - a ``PoissonSource`` population and ``rate_hz`` (its state: as ``set_state``).

        The values stay through ``reset``, ``checkpoint`` and ``restore`` (they are the
        copies' parameters, not their state); ``save`` writes them."""
        from . import parameters as par

        inputs = self.net.poisson.names
        named = target if isinstance(target, str) else None
        if isinstance(target, Projection) or named in {q.name for q in self._projections}:
            # (``save`` writes the copies' weights themselves: nothing to record)
            par.projection_weight(self, self._projection(target), name, values)
            return
        if named in inputs:
            key = ("input", target, name)
            given = par.input_rate(self, inputs.index(target), name, values)
        else:
            pop = self._pop(target)
            what = f"set_parameter({pop.name!r}, {name!r})"
            if isinstance(pop.model, PoissonSource) and name == "rate_hz":
                x = par.per_copy(values, self.batch, pop.n, what)
                self.set_state(pop.name, "rate_hz", np.broadcast_to(
                    x.reshape(self.batch, -1), (self.batch, pop.n)))  # fmt: skip
                return
            if isinstance(pop.model, Source):
                raise ValueError(f"{what}: a {type(pop.model).__name__}'s only parameter is "
                                 "its state rate_hz (PoissonSource)")  # fmt: skip
            key = ("population", pop.name, name)
            given = par.neuron_parameter(self, pop, name, values)
        self._set_parameters[key] = given

    def parameters(self, name, copy=0) -> dict:
        """The parameters of a neuron population as the neurons of batch copy ``copy`` have
        them (distributions drawn; see ``set_parameter``): name -> float64 array [n]."""
        pop = self._pop(name)
        copy = self._check_copy(copy, "parameters")
        raws = self._copy_raw or [self.net.raw]
        raw = raws[copy][self.net.index(pop.name)]
        if raw is None:
            raise ValueError(f"population {name!r} ({type(pop.model).__name__}) has no "
                             "neuron parameters")  # fmt: skip
        return {k: np.broadcast_to(np.asarray(v, np.float64), (pop.n,)).copy()
                for k, v in raw.items()}  # fmt: skip

    # ---- synapses -----------------------------------------------------------------------
    def _projection(self, proj):
        if isinstance(proj, Projection):
            for k, q in enumerate(self._projections):
                if q is proj:
                    return self.net.projections[k]
            raise ValueError(f"{proj!r} is not a projection of this simulation's brain")
        names = [q.name for q in self._projections]
        if isinstance(proj, str) and names.count(proj) == 1:
            return self.net.projections[names.index(proj)]
        if isinstance(proj, str) and names.count(proj) > 1:
            raise ValueError(f"{names.count(proj)} projections are named {proj!r}; pass the "
                             "Projection that connect returned")  # fmt: skip
        raise ValueError(f"unknown projection {proj!r}; known: {sorted(set(names))}")

    def connections(self, proj, copy=0) -> Connections:
        """The synapses of a projection (the Projection ``connect`` returned, or its name):
        ``pre`` and ``post`` (indices into the concatenations of its pre and post
        populations, as ``FromArrays`` takes them), ``weight`` in the projection's unit,
        ``delay_ms``; in storage order (by pre neuron). ``set_weights`` takes weights in
        this order. The weights are those of batch copy ``copy``: a plastic projection's
        as learned so far, a static one's as ``set_parameter`` gave that copy."""
        info = self._projection(proj)
        if info.group >= 0:
            pos, pre, post, delay = locate_plastic(self.net, info)
            copy = self._check_copy(copy, "connections")
            w = self.backend_object.read_plastic(pos, self.step)[copy]
            return Connections(pre, post, w.astype(np.float64), delay * self.dt_ms)
        pos, pre, post, delay = locate(self.net, info)
        copy = self._check_copy(copy, "connections")
        w = self.backend_object.read_weights(pos, copy).astype(np.float64) / info.factor[post]
        return Connections(pre, post, w, delay * self.dt_ms)

    def set_weights(self, proj, weight) -> None:
        """Write the weights of a projection's synapses (in every copy of a batch): a scalar
        or one value per synapse in the order of ``connections``, in the projection's unit;
        checked first. (``set_parameter`` gives each copy its own.)"""
        info = self._projection(proj)
        if info.group >= 0:
            pos, _pre, post, _delay = locate_plastic(self.net, info)
        else:
            pos, _pre, post, _delay = locate(self.net, info)
        what = f"set_weights({info.name!r})"
        try:
            w = np.asarray(weight, np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{what}: expected numbers, got {type(weight).__name__}") from None
        if w.shape not in ((), (pos.size,)):
            raise ValueError(
                f"{what}: expected a scalar or {pos.size} weights (one per synapse, in the "
                f"order of connections), got shape {w.shape}"
            )
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{what}: weights must be finite")
        check_weight_sign(info, w, what)
        if info.group >= 0:
            rule = self.net.plastic.rules[info.group]
            low, high = rule.weight_range()
            bad = (w < low) | (w > high)
            if np.any(bad):
                raise ValueError(
                    f"{what}: weights must lie in [{low:g}, {high:g}] for "
                    f"{rule!r}, got {np.atleast_1d(w)[np.atleast_1d(bad)][0]:g}"
                )
            self.backend_object.write_plastic(pos, np.broadcast_to(w, pos.shape), self.step)
            return
        internal = internal_weights(info, post, np.broadcast_to(w, pos.shape), what)
        self.backend_object.write_weights(pos, internal)
        self._static_weights_changed = True

    # ---- checkpoints ----------------------------------------------------------------------
    def checkpoint(self) -> dict:
        """Everything that determines the simulation's future, copied: the step, every state
        variable (``state`` [R, N]: row k holds each neuron's k-th state variable),
        refractory counts, noise currents and the spikes still in flight (as a ring buffer
        ``[D, C * N]``: slot ``t % D`` holds what arrives at step t, on either backend).
        ``restore`` it later, into this simulation or another built from the same brain, to
        continue bit for bit. Recorded spikes and samples are not part of it. A batch's
        arrays have a leading copy axis: all copies are saved (and restored) together."""
        need = checkpoint_bytes(self.net, self.batch)
        hint = (
            "its ring of spikes in flight is [max delay in steps, receptor channels x "
            "neurons] per copy; shorter delays or a coarser dt make it smaller"
        )
        check_fits("checkpoint", need, hint)
        warn_if_large("checkpoint", need, hint)
        return self._state_checkpoint(ring=True)

    def _state_checkpoint(self, ring):
        b, net = self.backend_object, self.net
        state = np.stack([b.read_state(r) for r in range(net.n_rows)], axis=1).copy()
        return {
            "step": self.step,
            "state": self._one(state),
            "ref": self._one(b.read_state(REF).copy()),
            "noise": self._one(b.read_state(NOISE_CODE).copy()),
            "ring": self._one(b.read_ring(self.step)) if ring else None,
            "n_synapses": net.n_synapses,
            "plastic": self._plastic_checkpoint(),
            "fingerprint": self.fingerprint,
            "noise_seed": self.net.noise_seed,
        }

    def save(self, path, monitors: bool = True, connectivity: bool = True) -> None:
        """Write the simulation to one file (``.npz``; ``nbbrain.load`` reads it, in any
        process, on either backend, and continues bit for bit): the description, the
        connectivity, every state variable, the spikes in flight, plastic weights and
        traces, modulators, the step, the seeds and, with ``monitors``, what the monitors
        recorded. ``connectivity=False`` leaves the synapses out (a small file; ``load``
        then regenerates them from the description). Over MPI ranks, each rank writes its
        own file (``run.npz`` becomes ``run.rank0.npz``, ...). See ``engine/files.py``."""
        from .files import save

        save(self, path, monitors, connectivity)

    def reseed(self, noise_seed: int) -> None:
        """Draw the run's noise (Poisson sources and inputs, noise currents) from
        ``noise_seed`` from now on, without a rebuild (the connectivity and the initial
        values stay those of the brain's ``seed``)."""
        self.net.noise_seed = check_seed(noise_seed, "reseed: noise_seed")
        self.backend_object.set_keys()

    def reset(self) -> None:
        """Back to step 0 and the state the build made (every copy of a batch; learned
        weights too): the monitors are emptied, pending rewards dropped. The noise goes on
        from the same keys, so a run after ``reset`` repeats the first one exactly."""
        initial = dict(self._initial)
        shape = (self.net.n_slots, self.net.n_channels * self.net.n)
        initial["ring"] = np.zeros(((self.batch,) if self.batch > 1 else ()) + shape, np.float32)
        self.restore(initial)  # (which empties the monitors: they keep what came before 0)
        self._rewards = {}

    def _plastic_checkpoint(self):
        """The plastic weights, the rules' variables, the events still to come and the
        modulators (see ``read_plastic_state``), or None for a brain without them."""
        net = self.net
        if not (net.plastic.n_synapses or net.plastic.modulators.names):
            return None
        return self.backend_object.read_plastic_state()

    def restore(self, checkpoint: dict) -> None:
        """Return to a ``checkpoint`` (see there); checked before anything changes (a
        checkpoint of another brain, by its fingerprint, or with values out of range is
        refused). The monitors keep what they recorded before the checkpoint's step and
        drop the rest, so that they hold one history, in time order, as if the run had gone
        straight to the checkpoint and on from there."""
        net, B = self.net, self.batch
        lead = (B,) if B > 1 else ()
        cn = net.n_channels * net.n
        shapes = {"state": lead + (net.n_rows, net.n), "ref": lead + (net.n,),
                  "noise": lead + (net.n,), "ring": lead + (net.n_slots, cn)}  # fmt: skip
        if not isinstance(checkpoint, dict):
            raise TypeError(f"restore: expected a checkpoint (a dict from checkpoint()), got "
                            f"{type(checkpoint).__name__}")  # fmt: skip
        missing = sorted((set(shapes) | {"step", "n_synapses", "fingerprint", "noise_seed"})
                         - set(checkpoint))  # fmt: skip
        if missing:
            raise ValueError(f"restore: not a checkpoint of this simulation (missing {missing})")
        if checkpoint["fingerprint"] != self.fingerprint:
            raise ValueError(
                f"restore: the checkpoint is of another brain (its description, "
                f"and so its network, differ: fingerprint "
                f"{checkpoint['fingerprint']!r}, this brain's {self.fingerprint!r})"
            )
        bad = [k for k, s in shapes.items() if np.shape(checkpoint[k]) != s]
        if bad or checkpoint["n_synapses"] != net.n_synapses:
            raise ValueError(f"restore: the checkpoint is of another brain (shapes of {bad} or "
                             "the synapse count differ)")  # fmt: skip
        plastic = self._check_plastic_checkpoint(checkpoint.get("plastic"))
        new = {k: _float32(checkpoint[k], f"restore: {k}") for k in shapes if k != "ref"}
        new["ref"] = self._check_refractory(checkpoint["ref"])
        step = checkpoint["step"]
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)) \
                or step < 0:  # fmt: skip
            raise ValueError(f"restore: step must be an integer >= 0, got {step!r}")
        self._check_ring(new["ring"].reshape((B,) + shapes["ring"][-2:]))
        noise_seed = check_seed(checkpoint["noise_seed"], "restore: noise_seed")
        state = new["state"].reshape(B, net.n_rows, net.n)
        for k, name in enumerate(net.names):
            pop = self._populations[name]
            for r, var in enumerate(pop.model.state):
                self._check_values(pop, var, state[:, r, net.lo[k] : net.hi[k]],
                                   f"restore: {name!r}")  # fmt: skip
        b = self.backend_object
        for r in range(net.n_rows):
            b.write_state(r, 0, net.n, state[:, r])
        b.write_state(REF, 0, net.n, new["ref"].reshape(B, net.n))
        b.write_state(NOISE_CODE, 0, net.n, new["noise"].reshape(B, net.n))
        self.step = int(step)
        relayout = False
        for k, name in enumerate(net.names):
            for r, var in enumerate(self._populations[name].model.state):
                if np.any(state[:, r, net.lo[k] : net.hi[k]] != 0):
                    relayout |= activate(net, k, var)
        if relayout:
            b.relayout()
        b.write_ring(new["ring"].reshape((B,) + shapes["ring"][-2:]), self.step)
        if plastic is not None:
            b.write_plastic_state(plastic, self.step)
        if noise_seed != self.net.noise_seed:
            self.reseed(noise_seed)
        self._truncate_monitors(self.step)

    def _truncate_monitors(self, step):
        for c in range(self.batch):
            for r in (self._spike_recs[c], *self._state_recs[c], *self._rate_recs[c]):
                r.truncate(step)

    def _check_refractory(self, ref):
        """A checkpoint's refractory counts, within each population's refractory period."""
        net = self.net
        ref = np.asarray(ref)
        if not np.issubdtype(ref.dtype, np.integer):
            raise TypeError(f"restore: ref must hold integers, got {ref.dtype}")
        ref = ref.reshape(self.batch, net.n)
        for k, name in enumerate(net.names):
            model, part = net.models[k], ref[:, net.lo[k] : net.hi[k]]
            longest = 0
            if model.refractory_parameter is not None:
                t_ref = np.max(net.raw[k][model.refractory_parameter])
                longest = int(round(t_ref / self.dt_ms))
            if part.size and (part.min() < 0 or part.max() > longest):
                bad = part[(part < 0) | (part > longest)].flat[0]
                raise ValueError(f"restore: {name!r}: refractory counts must lie in [0, "
                                 f"{longest}] steps (its refractory period), "
                                 f"got {bad}")  # fmt: skip
        return ref.astype(np.int32)

    def _check_ring(self, ring):
        """A checkpoint's spikes in flight: each channel's sign as its receptors take it."""
        net = self.net
        for k, name in enumerate(net.names):
            model = net.models[k]
            for ch, target in enumerate(model.receptor_targets()):
                signs = {r.sign for r in model.receptors.values() if r.target == target}
                sign = signs.pop() if len(signs) == 1 else 0
                col = ch * net.n
                part = ring[:, :, col + net.lo[k] : col + net.hi[k]]
                if sign and np.any(part * sign < 0):
                    raise ValueError(f"restore: {name!r}: the input in flight to {target} "
                                     f"must be {'>= 0' if sign > 0 else '<= 0'}, got "
                                     f"{part[part * sign < 0].flat[0]:g}")  # fmt: skip

    def _check_plastic_checkpoint(self, state):
        """The plastic part of a checkpoint, checked against this simulation's."""
        mine = self._plastic_checkpoint()
        if (state is None) != (mine is None):
            raise ValueError("restore: the checkpoint is of another brain (its plastic "
                             "synapses or modulators differ)")  # fmt: skip
        if state is None:
            return None
        if not isinstance(state, dict) or set(state) != set(mine):
            raise ValueError("restore: the checkpoint's plastic state is not this brain's")
        for k, v in mine.items():
            if isinstance(v, list):
                ok = len(state[k]) == len(v) and all(np.ndim(a) == np.ndim(b)
                                                     for a, b in zip(state[k], v))  # fmt: skip
            else:
                ok = np.shape(state[k]) == v.shape
            if not ok:
                raise ValueError(f"restore: the checkpoint's plastic {k} does not fit this "
                                 "brain")  # fmt: skip
        if not all(
            np.all(np.isfinite(state[k])) for k in ("pl_rec", "pl_ring", "pl_post", "mod_hn")
        ):
            raise ValueError("restore: the plastic state holds non-finite values")
        return state

    def __copy__(self):
        raise TypeError(_NO_COPY)

    def __deepcopy__(self, memo):
        raise TypeError(_NO_COPY)

    def __reduce_ex__(self, protocol):
        raise TypeError(_NO_COPY)

    def memory(self) -> dict:
        """Bytes held by the simulation, and bytes per synapse of connectivity (NaN
        without synapses: the row pointers alone are no cost per synapse).
        ``ring_bytes``: what holds the spikes in flight (CPU: the next step's input and
        the list of spikes in flight; CUDA: the ring buffer on the device).
        ``recorded_bytes``: what the monitors hold; ``checkpoint_bytes``: what a
        ``checkpoint`` copies (at least: plastic state not counted)."""
        net = self.net
        held = self.backend_object.memory()
        return {
            "batch": self.batch,
            "n_neurons": net.n,
            "n_synapses": net.n_synapses,
            "connectivity_bytes": held["connectivity_bytes"],
            "bytes_per_synapse": (
                held["connectivity_bytes"] / net.n_synapses if net.n_synapses else float("nan")
            ),  # fmt: skip
            "ring_bytes": held["ring_bytes"],
            "state_bytes": held["state_bytes"],
            "recorded_bytes": sum(r.nbytes for r in self._spike_recs)
            + sum(r.nbytes for recs in (*self._state_recs, *self._rate_recs) for r in recs),
            "checkpoint_bytes": checkpoint_bytes(net, self.batch),
        }

    def __repr__(self):
        batch = f", batch={self.batch}" if self.batch > 1 else ""
        return (f"Simulation(backend={self.backend!r}{batch}, n_neurons={self.net.n}, "
                f"n_synapses={self.net.n_synapses}, t_ms={self.t_ms:g})")  # fmt: skip


def _check_batch(batch):
    return check_int(batch, "batch", 1, why=" (the number of copies of the brain)")


def _check_threads(threads):
    import numba

    # at most 255: each synapse's part (a thread's neurons) is a byte during the build
    n = min(numba.config.NUMBA_NUM_THREADS, 255)
    return check_int(threads, "threads", 1, n, why=" (the cores numba may use, 255 at most)")
