"""A brain run over MPI ranks, for ``tests/test_mpi.py``:
``mpiexec -n R python tests/mpi_brain.py OUT.npz`` writes (on rank 0) every population's
gathered spikes, the runs' counts, the gathered state and the rate, after checking what
each rank reads of its own and that a simulation saved (a file per rank) and loaded over
as many ranks runs on exactly as before;
``python tests/mpi_brain.py OUT.npz --plain`` the same from one plain process;
``--differ``: each rank describes another brain (its own seed), which the build refuses;
``--shortest-ms D``: the shortest delay (default 0.5 ms: the ranks exchange spikes every 5
steps; 0.1: every step)."""

import sys

import numpy as np

import nbbrain as nb

STEPS = (603, 397)  # two runs (a run continues where the last stopped), ends mid-interval
POPS = ("exc", "inh", "drive", "cur", "given")


def brain(seed=7, shortest_ms=0.5):
    """Conductance and current LIFs, heterogeneous thresholds, a PoissonSource population,
    spikes at given times, Poisson input and a noise current; FixedProbability, FixedTotalNumber and
    FixedIndegree projections with distributed delays."""
    b = nb.Brain(dt_ms=0.1, seed=seed)
    cell = nb.ConductanceLIF(v_thresh_mv=nb.Normal(-50, 1), t_ref_ms=2.0)
    b.add_population("exc", 160, cell)
    b.add_population("inh", 40, nb.ConductanceLIF(t_ref_ms=1.0))
    b.add_population("drive", 50, nb.PoissonSource(rate_hz=40.0))
    b.add_population("cur", 30, nb.CurrentLIF(i_bias_pa=nb.Normal(300, 30)))
    times = np.arange(2.0, 95.0, 1.7)  # (one block, on one rank: every rank gets its spikes)
    b.add_population(
        "given", 12, nb.SpikeSource(times_ms=times, indices=np.arange(times.size) % 12)
    )
    b.connect("given", "inh", nb.FixedIndegree(3), weight_ns=5.0, receptor="ampa",
              delay_ms=shortest_ms)  # fmt: skip
    b.connect("exc", ["exc", "inh"], nb.FixedProbability(0.1), weight_ns=nb.Normal(3, 0.5, low=0),
              receptor="ampa", delay_ms=nb.Normal(1.5, 0.5, low=shortest_ms))  # fmt: skip
    b.connect("inh", ["exc", "inh"], nb.FixedTotalNumber(1200), weight_ns=30.0,
              receptor="gaba_a", delay_ms=nb.Normal(0.8, 0.3, low=shortest_ms))  # fmt: skip
    b.connect("drive", "exc", nb.FixedIndegree(5), weight_ns=4.0, receptor="ampa",
              delay_ms=shortest_ms)  # fmt: skip
    b.connect("exc", "cur", nb.FixedIndegree(8), weight_pa=40.0, receptor="exc", delay_ms=1.0)
    b.add_poisson_input("inh", rate_hz=800.0, n_sources=2, weight_ns=2.0, receptor="ampa")
    b.add_noise_current("exc", sd_pa=60.0, tau_ms=5.0, mean_pa=150.0)
    for pop in ("exc", "inh"):
        b.populations[pop].init(v=nb.Normal(-60, 4))
    b.record_spikes(list(POPS))
    b.record_rate("exc", bin_ms=10.0)
    b.record_state("exc", "v", every_ms=1.0, indices=np.arange(0, 160, 9))
    return b


def _joined(comm, values):
    """Every rank's values of its own neurons (NaN elsewhere) joined, on rank 0."""
    parts = comm.gather(values, root=0)
    if comm.Get_rank() != 0:
        return None
    mine = np.isfinite(np.array(parts))
    assert (mine.sum(axis=0) == 1).all(), "each neuron's state on exactly one rank"
    return np.nansum(np.array(parts), axis=0).astype(values.dtype)


def main(out, plain, differ, shortest_ms):
    comm = None
    if not plain:
        from mpi4py import MPI

        comm = MPI.COMM_WORLD
    sim = brain(7 + comm.Get_rank() if differ else 7, shortest_ms).build(comm=comm)
    if comm:
        assert sim.net.exchange_every == round(shortest_ms / 0.1)
    counts = [sim.run(n_steps=STEPS[0]).spike_counts]
    saved = out[: -len(".npz")] + ".saved.npz"  # (over R ranks: a file per rank)
    sim.save(saved)
    drive = {"cur": np.linspace(0.0, 80.0, 30)}  # (an injected current, pA: run inputs)
    counts.append(sim.run(n_steps=STEPS[1], inputs=drive).spike_counts)
    result = {"counts": np.array([[c[p] for p in POPS] for c in counts])}
    # loaded (over as many ranks), the second run again: the same spikes
    loaded = nb.load(saved, comm=comm)
    assert loaded.run(n_steps=STEPS[1], inputs=drive).spike_counts == counts[1]
    since = STEPS[0] * 0.1
    for pop in POPS:
        for a, b in zip(loaded.spikes(pop, since_ms=since), sim.spikes(pop, since_ms=since)):
            np.testing.assert_array_equal(a, b)
    for pop in POPS:
        got = sim.gather_spikes(pop) if comm else sim.spikes(pop)
        if got is not None:
            result[f"t_{pop}"], result[f"i_{pop}"] = got
    v = sim.state("exc", "v")
    sampled = sim.recorded_state("exc", "v")[1]
    result["rate_exc"] = sim.rate("exc")[1]
    loaded.reset()  # (back to step 0: the first run again)
    assert loaded.run(n_steps=STEPS[0]).spike_counts == counts[0]
    if comm:
        # the rank's own: its neurons' spikes only, its neurons' state (NaN elsewhere)
        t, i = sim.spikes("exc")
        own = sim.net.part_of[sim.net.lo[sim.net.index("exc")] + i] == comm.Get_rank()
        assert own.all(), "spikes() gives the rank's own neurons' spikes"
        v, sampled = _joined(comm, v), _joined(comm, sampled)
        if comm.Get_rank() != 0:
            return
    result["v_exc"], result["sampled_v_exc"] = v, sampled
    np.savez(out, **result)


if __name__ == "__main__":
    args = sys.argv[2:]
    shortest = float(args[args.index("--shortest-ms") + 1]) if "--shortest-ms" in args else 0.5
    main(sys.argv[1], "--plain" in args, "--differ" in args, shortest)
