"""The CPU kernel's arguments, as four named bundles (numba compiles namedtuples of arrays
and scalars into plain structs: a field costs nothing to reach).

- ``Net``: what a build fixes (constants, connectivity, input tables), shared by all copies.
- ``Blocks``: the blocks of neurons the threads update this run, in neuron order.
- ``State``: one copy's state and scratch (a batch passes arrays with a leading copy axis).
- ``Chunk``: one chunk's inputs and outputs (likewise per copy in a batch).

The fields only some brains use (rhythms, Poisson inputs, noise, spike trains, timed rates,
monitors) are ``None`` where the brain has none of them: numba compiles every array of its
arguments into the kernel's entry, at a cost that grows faster than their number, and the
branches that would read a ``None`` are pruned with the feature. (Flat: numba's parallel
loops do not take namedtuples nested in namedtuples.)
"""

from collections import namedtuple

#: the fields of each feature (``None`` where a brain lacks the feature)
NET_OPTIONAL = {
    "oscillators": ("osc_freq", "osc_phase"),
    "poisson_inputs": ("pin_q", "pin_lo", "pin_hi", "pin_off", "pin_chan", "pin_w", "pin_woff",
                       "pin_wpn", "pin_m", "pin_lam", "pin_roff", "pin_rlen", "pin_rdiv",
                       "pin_delay"),
    "noise": ("nz_q", "nz_lo", "nz_hi", "nz_off", "nz_mean", "nz_decay", "nz_amp"),
    "trains": ("tr_step", "tr_idx", "tr_ptr"),
    "timed_rates": ("tm_off", "tm_rows", "tm_width", "tm_div", "tm_values"),
}  # fmt: skip
Net = namedtuple("Net", [
    "dt_ms", "n", "n_slots", "act_max_new", "rec_max",
    "pop_lo", "pop_rec", "pop_of", "grp_lo", "cpar", "pn", "pn_off",
    "indptr", "syn", "weight", "shift", "mask",
    *(f for fields in NET_OPTIONAL.values() for f in fields),
])  # fmt: skip

BLOCKS_OPTIONAL = {
    "oscillators": ("osc", "depth", "thr"),
    "poisson_inputs": ("pin_ptr", "pin_seg"),
    "noise": ("nz_ptr", "nz_seg"),
    "trains": ("timed",),
}
Blocks = namedtuple("Blocks", [
    "kind", "unit", "lo", "hi", "pop", "slot", "cur", "spk", "part_ptr", "part_blocks",
    *(f for fields in BLOCKS_OPTIONAL.values() for f in fields),
])  # fmt: skip

STATE_OPTIONAL = {
    "poisson_inputs": ("pin_key", "pin_thr", "pin_guide", "pin_row", "pin_buf"),
    "noise": ("nz_key",),
    "trains": ("tr_cur",),
    "copy_params": ("cpar", "pn"),  # (a batch's copies' own constant tables)
    "copy_weights": ("weight",),  # (a batch's copies' own static weights)
}
State = namedtuple("State", [
    "st", "ref", "noise", "inbox", "act", "pending", "spikes", "blk_n", "pop_key", "ctr",
    *(f for fields in STATE_OPTIONAL.values() for f in fields),
])  # fmt: skip

#: ``State.ctr``: spikes in flight, spikes recorded, the step until which ``pending`` holds,
#: the lengths of the lists of plastic events (presynaptic, postsynaptic)
CTR_ACT, CTR_REC, CTR_PEND, CTR_PACT, CTR_POST = 0, 1, 2, 3, 4

CHUNK_OPTIONAL = {"monitors": ("mon_var", "mon_every", "mon_ptr", "mon_idx", "mon_out",
                               "mon_pos"), "plastic": ("mod_in", "mod_vary")}  # fmt: skip
Chunk = namedtuple("Chunk", [
    "cur_in", "cur_vary", "spk_in", "spk_vary", "counts", "step_counts", "rec_step",
    "rec_idx", *(f for fields in CHUNK_OPTIONAL.values() for f in fields),
])  # fmt: skip


#: an MPI rank's (``exchange.py``): its part, the steps between exchanges, its message
#: (per step: its blocks' spike counts, then their spikes), every rank's messages
#: (``[R * width]``), their lengths [R], a word to send, and each rank's read position
Exchange = namedtuple("Exchange", ["rank", "every", "buf", "out", "lens", "one", "pos"])

#: the plastic synapses and the modulators (``plastic.py``): two bundles of their own,
#: passed to the kernel beside the others (``None`` in a brain without them), so that the
#: functions of the plastic phase take these and not every array of the brain
PlasticNet = namedtuple("PlasticNet", [
    "pl_indptr", "pl_syn", "pl_shift", "pl_mask", "pl_dd", "pl_grp", "pl_fac", "pl_kind",
    "pl_par", "pl_tab", "pl_rate", "pl_mod", "pl_nring", "pl_max_new", "post_max_new",
    "csc_ptr", "csc_syn", "csc_dd", "part_of", "pl_run_ptr", "pl_run_lo", "pl_run_hi",
    "pl_slot", "pl_coff", "pl_epoch", "pl_stp", "pl_hpost_ptr", "pl_hpost",
    "pl_hcount", "pl_every", "mod_tau", "mod_amount", "mod_ptr", "mod_pops",
])  # fmt: skip
PlasticState = namedtuple("PlasticState", [
    "pl_rec", "pl_ring", "pact", "pscale", "ppost", "pl_nrec", "pl_cnt", "pl_post", "mod_ht",
    "mod_hn", "mod_hl", "mod_jump",
])  # fmt: skip


def bundle(cls, optional, features, **fields):
    """``cls(**fields)`` with the fields of absent ``features`` (a dict of flags) ``None``."""
    for feature, names in optional.items():
        if not features[feature]:
            for name in names:
                fields[name] = None
    return cls(**fields)
