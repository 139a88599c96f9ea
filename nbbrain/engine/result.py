"""What one call of ``Simulation.run`` returns."""

from __future__ import annotations

import copy

import numpy as np

from ..model.values import whole_steps
from ..neurons.sources import Source


class RunResult:
    """Spike counts of one ``run`` call (accumulated inside the kernel), and its timing.

    ``spike_counts`` maps each population name, and each region name (the sum over its
    populations), to the number of spikes in this call. For a batch (``batch`` B > 1) the
    values are int64 arrays of length B (one count per copy), ``rate_hz`` gives ``[B]``,
    ``rates_hz`` ``[B, n_bins]`` and ``step_counts`` is ``[B, n_steps, populations]``.
    """

    #: ``step_counts[s, k]``: spikes of population ``populations[k]`` in step ``s`` of this call.

    def __init__(self, sim, n_steps, counts, step_counts, wall_s):
        self.n_steps, self.wall_s, self.dt_ms = n_steps, wall_s, sim.dt_ms
        self.backend = sim.backend  # where nbbrain.torch puts its tensors
        self.batch = sim.batch
        self.step_counts = step_counts  # int32 [(B,) n_steps, populations]: spikes per step
        self._members = {name: [k] for k, name in enumerate(sim.net.names)}
        self.populations = list(sim.net.names)
        self.duration_ms = n_steps * sim.dt_ms
        self.t_start_ms = (sim.step - n_steps) * sim.dt_ms
        one = (lambda c: int(c)) if self.batch == 1 else (lambda c: np.asarray(c, np.int64))
        self.spike_counts = {name: one(c) for name, c in zip(sim.net.names, counts.T)}
        self._sizes = {name: sim.populations[name].n for name in sim.net.names}
        self.sources = [name for name in sim.net.names  # (Poisson and spike sources)
                        if isinstance(sim.populations[name].model, Source)]  # fmt: skip
        for name in list(self.spike_counts):
            if "." in name:
                region = name.split(".", 1)[0]
                self.spike_counts[region] = (
                    self.spike_counts.get(region, 0) + self.spike_counts[name]
                )
                self._sizes[region] = self._sizes.get(region, 0) + self._sizes[name]
                self._members.setdefault(region, []).extend(self._members[name])

    def rate_hz(self, name):
        """Mean firing rate of a population or region over this call (Hz; ``[B]`` for a
        batch)."""
        if name not in self.spike_counts:
            raise ValueError(f"unknown population or region {name!r}")
        if self.n_steps == 0:
            return 0.0 if self.batch == 1 else np.zeros(self.batch)
        return self.spike_counts[name] / self._sizes[name] / (self.duration_ms * 1e-3)

    def rates_hz(self, name, bin_ms: float) -> np.ndarray:
        """Population rate (Hz) of a population or region in consecutive bins of ``bin_ms``
        (a whole number of steps) from the start of this call; a last partial bin is
        dropped. Counted inside the kernel: no spike monitor is needed."""
        if name not in self._members:
            raise ValueError(f"unknown population or region {name!r}")
        steps = whole_steps(bin_ms, self.dt_ms, "bin_ms")
        n_bins = self.n_steps // steps
        counts = self.step_counts[..., : n_bins * steps, self._members[name]].sum(axis=-1)
        counts = counts.reshape(counts.shape[:-1] + (n_bins, steps)).sum(axis=-1)
        return counts / (self._sizes[name] * bin_ms * 1e-3)

    def copy(self, c) -> RunResult:
        """Copy ``c``'s result of a batch's run, as an unbatched run would give it (int
        counts, ``step_counts`` ``[n_steps, populations]``); a batch of 1: itself."""
        if self.batch == 1:
            if c != 0:
                raise ValueError(f"copy={c!r} is out of range: the run has 1 copy")
            return self
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer)):
            raise TypeError(f"copy must be an integer, got {c!r}")
        if not 0 <= c < self.batch:
            raise ValueError(f"copy={c} is out of range: the run has {self.batch} copies")
        out = copy.copy(self)
        out.batch, out.step_counts = 1, self.step_counts[c]
        out.spike_counts = {name: int(v[c]) for name, v in self.spike_counts.items()}
        return out

    @property
    def steps_per_s(self) -> float:
        """Timesteps simulated per second of wall-clock time."""
        return self.n_steps / self.wall_s if self.wall_s > 0 else float("inf")

    @property
    def copy_steps_per_s(self) -> float:
        """Copies x timesteps simulated per second of wall-clock time (a batch's throughput)."""
        return self.batch * self.steps_per_s

    @property
    def realtime_factor(self) -> float:
        """Wall-clock time over biological time (below 1: faster than real time)."""
        return self.wall_s / (self.duration_ms * 1e-3) if self.duration_ms else float("nan")

    def summary(self) -> str:
        rows = [
            f"{self.n_steps} steps ({self.duration_ms:g} ms) in {self.wall_s:.3f} s: "
            f"{self.steps_per_s:,.0f} steps/s, real-time factor {self.realtime_factor:.3f}"
        ]
        if self.batch > 1:
            rows[0] += f"; batch of {self.batch}: {self.copy_steps_per_s:,.0f} copy-steps/s"
        neurons = [name for name in self.spike_counts if name not in self.sources]
        for title, names in (("neurons", neurons), ("sources (background and input)",
                                                    self.sources)):  # fmt: skip
            if names:
                rows.append(f"  {title}:")
            for name in names:
                count, rate = self.spike_counts[name], self.rate_hz(name)
                if self.batch > 1:  # the mean over the copies
                    count, rate = f"{np.mean(count):.1f}", float(np.mean(rate))
                rows.append(f"    {name:<24} {count:>10} spikes {rate:8.2f} Hz")
        return "\n".join(rows)

    def __repr__(self):
        return f"RunResult(n_steps={self.n_steps}, spike_counts={self.spike_counts})"
