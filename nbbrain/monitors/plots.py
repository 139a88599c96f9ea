"""Raster and rate plots of recorded spikes (matplotlib, imported only when plotting)."""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def raster(sim, path, populations=None, max_per_population=200, t_range_ms=None):
    """Save a raster plot of the recorded spikes: populations stacked (in the order they
    were added), each in its own colour, at most ``max_per_population`` neurons each."""
    plt = _pyplot()
    names = populations or [n for n in sim.populations if n in sim.recorded]
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.5 * len(names) + 3))
    colours = plt.get_cmap("tab10")
    base, ticks = 0, []
    for k, name in enumerate(names):
        t_ms, idx = sim.spikes(name)
        n = min(sim.populations[name].n, max_per_population)
        keep = idx < n
        if t_range_ms is not None:
            keep &= (t_ms >= t_range_ms[0]) & (t_ms < t_range_ms[1])
        ax.scatter(t_ms[keep], base + idx[keep], s=1.0, color=colours(k % 10), marker="|",
                   linewidths=0.5)  # fmt: skip
        ticks.append((base + n / 2, name))
        base += n + max(2, n // 20)
    ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks])
    ax.set_xlabel("time (ms)")
    ax.set_ylim(base, -1)  # the first population added on top
    t0, t1 = (0.0, sim.t_ms) if t_range_ms is None else t_range_ms
    ax.set_xlim(t0, t1)
    ax.set_title(f"spikes at {t0:g}-{t1:g} ms (of {sim.t_ms:g} ms run), up to "
                 f"{max_per_population} neurons per population")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def population_rates(sim, name, bin_ms):
    """Binned population rate (Hz) of a recorded population: (bin starts in ms, rates)."""
    t_ms, _ = sim.spikes(name)
    n_bins = max(1, int(np.ceil(sim.t_ms / bin_ms)))
    counts = np.bincount(np.minimum((t_ms / bin_ms).astype(np.int64), n_bins - 1),
                         minlength=n_bins)  # fmt: skip
    return np.arange(n_bins) * bin_ms, counts / (sim.populations[name].n * bin_ms * 1e-3)


def rates(result, path, bin_ms=10.0, names=None):
    """Save the binned rate of populations over one run (from ``RunResult.rates_hz``):
    one panel per region (and one for populations outside regions)."""
    plt = _pyplot()
    names = names or result.populations
    groups = {}
    for name in names:
        groups.setdefault(name.split(".", 1)[0] if "." in name else "", []).append(name)
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 1.8 * len(groups) + 1),
                             sharex=True, squeeze=False)  # fmt: skip
    for ax, (region, members) in zip(axes[:, 0], groups.items()):
        for name in members:
            r = result.rates_hz(name, bin_ms)
            t = result.t_start_ms + bin_ms * np.arange(r.size)
            ax.plot(t, r, lw=0.8, label=name.split(".", 1)[-1])
        ax.set_ylabel(f"{region or 'other'}\n(Hz)")
        ax.legend(fontsize="x-small", ncol=4, loc="upper right")
    axes[-1, 0].set_xlabel(f"time (ms), {bin_ms:g} ms bins")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def rate_bars(result, path, names=None, reference=None, reference_label="reference"):
    """Save a bar chart of the mean rate of each population over one run, as the PD14
    documentation shows it; ``reference`` (name -> Hz, e.g. published rates) adds a
    marker per population."""
    plt = _pyplot()
    names = names or result.populations
    rates = [result.rate_hz(name) for name in names]
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(names), 3.5))
    ax.bar(range(len(names)), rates, color="tab:blue", label="nbbrain")
    if reference:
        ref = [reference.get(name, np.nan) for name in names]
        ax.plot(range(len(names)), ref, "k_", markersize=18, mew=2, label=reference_label)
        ax.legend(fontsize="small")
    ax.set_xticks(range(len(names)), names, rotation=45 if len(names) > 10 else 0)
    ax.set_ylabel("mean rate (Hz)")
    ax.set_title(f"{result.t_start_ms:g}-{result.t_start_ms + result.duration_ms:g} ms")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def learning_curve(correct, path, window=10, chance=0.5, control=None):
    """The running accuracy of a task over ``window`` trials (``correct``: per trial), and
    that of a ``control`` run (the same without learning), if given."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    for c, label, colour in ((correct, "learning", "k"), (control, "no reward", "tab:red")):
        if c is None:
            continue
        c = np.asarray(c, np.float64)
        acc = np.convolve(c, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, c.size + 1), acc, color=colour, label=label)
    ax.axhline(chance, color="grey", ls="--", lw=1, label="chance")
    ax.set_title(f"accuracy over the last {window} trials", fontsize=9)
    ax.axhline(0.9, color="tab:green", ls=":", lw=1, label="90 %")
    ax.set(xlabel="trial", ylabel="accuracy", ylim=(0, 1.05))
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def reinforcement(result, path, w_max=None):
    """Izhikevich (2007)'s Fig. 1 from ``presets.distal_reward.reinforce``'s result: the
    rewarded synapse's weight and the other synapses' mean over time, with the rewards;
    and the final distribution of the other weights with the rewarded one marked."""
    plt = _pyplot()
    fig, (ax, hist) = plt.subplots(1, 2, figsize=(9, 3), width_ratios=(2, 1))
    ax.plot(result.t_s, result.rewarded, color="k", label="rewarded synapse")
    ax.plot(result.t_s, result.others_mean, color="tab:blue", label="mean of the others")
    ax.plot(result.reward_s, np.zeros_like(result.reward_s), "|", color="tab:red",
            label="reward")  # fmt: skip
    ax.set(xlabel="time (s)", ylabel="weight")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    hist.hist(result.weights, bins=40, range=(0, w_max) if w_max else None, color="grey")
    hist.axvline(result.rewarded[-1], color="k", lw=1.5)
    hist.set(xlabel="weight at the end", ylabel="synapses", yscale="log")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
