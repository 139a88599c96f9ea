"""Speed and memory on the CPU: the Brette et al. (2007) benchmarks (COBA, CUBA, COBA with
STDP, static COBA beside a plastic projection), the sensorimotor brain, the microcircuit,
many small populations, the network of Izhikevich (2007) with dopamine-gated STDP.

Run from this folder: ``asv run`` (or ``asv run --python=same --quick`` against the
installed nbbrain). Times are per 1 s of biological time at dt = 0.1 ms, one thread.
"""

import numpy as np

import nbbrain as nb


class _Model:
    params = ["coba", "cuba", "coba_stdp", "coba_plastic_aside"]
    param_names = ["model"]
    timeout = 300

    def brain(self, model):
        if model == "coba_stdp":  # STDP on the excitatory-to-excitatory synapses
            return nb.presets.coba(seed=1, stdp=True)
        if model == "coba_plastic_aside":  # static COBA beside a plastic projection
            return nb.presets.coba(seed=1, plastic_aside=True)
        return getattr(nb.presets, model)(seed=1)


class Build(_Model):
    """Connectivity generation and packing (the kernel is compiled once, in setup)."""

    def setup(self, model):
        self.brain(model).build()  # compiles and caches

    def time_build(self, model):
        self.brain(model).build()

    def peakmem_build(self, model):
        self.brain(model).build()


class Run(_Model):
    """One second of biological time, from the same initial state each repeat."""

    number = 1
    repeat = 5

    def setup(self, model):
        self.sims = [self.brain(model).build() for _ in range(self.repeat + 2)]

    def time_run_1s(self, model):
        self.sims.pop().run(duration_ms=1000)

    def peakmem_run_1s(self, model):
        self.brain(model).build().run(duration_ms=1000)

    def track_bytes_per_synapse(self, model):
        return self.brain(model).build().memory()["bytes_per_synapse"]

    track_bytes_per_synapse.unit = "bytes"


class Sensorimotor:
    """The six-region sensorimotor brain (dt = 1 ms): timesteps per second on one thread
    and on two (``nbbrain bench sensorimotor --threads 2``)."""

    params = [1, 2]
    param_names = ["threads"]
    timeout = 600

    def setup(self, threads):
        self.brain = nb.presets.sensorimotor(seed=0)
        self.sim = self.brain.build(threads=threads)
        self.sim.run(n_steps=200)  # past the initial transient

    def time_1000_steps(self, threads):
        self.sim.run(n_steps=1000)

    def track_steps_per_s(self, threads):
        return self.sim.run(n_steps=2000).steps_per_s

    track_steps_per_s.unit = "steps/s"

    def track_neurons(self, threads):
        return self.sim.net.n

    def track_synapses(self, threads):
        return self.sim.net.n_synapses


class SensorimotorBatch:
    """Batched sensorimotor brains (``brain.build(batch=B)``, ``nbbrain bench sensorimotor
    --batch B``): throughput in copies x timesteps per second, one thread. Short runs
    (fewer steps for larger batches) keep the whole class under two minutes."""

    params = [1, 8, 64]
    param_names = ["batch"]
    timeout = 300
    number = 1
    repeat = 1
    _STEPS = {1: 400, 8: 100, 64: 20}

    def setup(self, batch):
        self.sim = nb.presets.sensorimotor(seed=0, record=False).build(batch=batch)
        self.sim.run(n_steps=10)  # compiled, past the first steps

    def time_run(self, batch):
        self.sim.run(n_steps=self._STEPS[batch])

    def track_copy_steps_per_s(self, batch):
        return self.sim.run(n_steps=self._STEPS[batch]).copy_steps_per_s

    track_copy_steps_per_s.unit = "copies x steps/s"


class Microcircuit:
    """The Potjans & Diesmann (2014) microcircuit at 5 % of the neurons (full in-degrees:
    15 M synapses; ``nbbrain bench microcircuit`` runs the full scale): build time, the
    real-time factor of 1 s after a 0.1 s warm-up, bytes per synapse; one and two threads."""

    params = [1, 2]
    param_names = ["threads"]
    timeout = 900
    scale = 0.05

    def setup(self, threads):
        self.brain = nb.presets.microcircuit(scale=self.scale)
        self.sim = self.brain.build(threads=threads)
        self.sim.run(duration_ms=100)

    def time_build(self, threads):
        self.brain.build(threads=threads)

    def peakmem_build(self, threads):
        self.brain.build(threads=threads)

    def track_realtime_factor(self, threads):
        return self.sim.run(duration_ms=1000).realtime_factor

    track_realtime_factor.unit = "wall s / biological s"

    def track_bytes_per_synapse(self, threads):
        return self.sim.memory()["bytes_per_synapse"]

    track_bytes_per_synapse.unit = "bytes"


class ManyPopulations:
    """COBA's dynamics over 25,000 neurons cut into 10 or 500 populations (each with its
    own threshold and projections; ``nbbrain bench many --populations N``): timesteps per
    second on one thread and build time. Many small populations should cost about what a
    few large ones do (500 within 1.5x of 10)."""

    params = [10, 500]
    param_names = ["populations"]
    timeout = 600

    def setup(self, populations):
        self.brain = nb.presets.many_populations(populations)
        self.sim = self.brain.build()
        self.sim.run(duration_ms=50)

    def time_build(self, populations):
        self.brain.build()

    def track_steps_per_s(self, populations):
        return self.sim.run(duration_ms=300).steps_per_s

    track_steps_per_s.unit = "steps/s"


class MicrocircuitBackground:
    """The microcircuit at 5 % of the neurons with DC and with Poisson background
    (``add_poisson_input``: a Poisson count per neuron and step, no synapses): the
    real-time factor, one thread. Poisson background should cost at most 1.3x DC."""

    params = ["dc", "poisson"]
    param_names = ["background"]
    timeout = 900

    def setup(self, background):
        self.sim = nb.presets.microcircuit(scale=0.05, background=background).build()
        self.sim.run(duration_ms=100)

    def track_realtime_factor(self, background):
        return self.sim.run(duration_ms=1000).realtime_factor

    track_realtime_factor.unit = "wall s / biological s"


class DistalReward:
    """The network of Izhikevich (2007) (``nb.presets.distal_reward``: 1,000 neurons,
    dopamine-gated STDP on the excitatory synapses, dt = 1 ms): microseconds per step on one
    thread over 30 s, with a dopamine reward every 1-3 s (as in the experiment) given as a
    run input. The goal is 10 us per step, about what GeNN reaches on a Titan RTX GPU."""

    timeout = 300
    _STEPS = 30_000

    def setup(self):
        from nbbrain.presets.distal_reward import REWARD, distal_reward

        rng = np.random.default_rng(0)
        at = np.cumsum(rng.integers(1000, 3001, self._STEPS // 1000))
        self.dopamine = np.zeros(self._STEPS)
        self.dopamine[at[at < self._STEPS]] = REWARD
        self.sims = [distal_reward(seed=1).build() for _ in range(2)]
        self.sims[0].run(n_steps=10)  # compiled

    def track_us_per_step(self):
        res = self.sims.pop().run(n_steps=self._STEPS, inputs={"dopamine": self.dopamine})
        return 1e6 / res.steps_per_s

    track_us_per_step.unit = "us/step"
