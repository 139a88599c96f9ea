"""The plastic phase on the GPU: the CPU's (``cpu/plastic.py``, which calls the rules'
files), compiled as device functions, so that both backends run the same code.

After the step's propagation (``kernel.py``, phase B) and a barrier, one thread of each
copy (thread 0 of its block; of the grid on the grid path) runs the CPU's plastic phase on
that copy's state as one CPU thread part does: the step's spikes join the lists of plastic
events, the modulators jump, the events due at this step change the synapses and send
their weights into the ring slot of the next step (``inbox``) or the ring of plastic input
in flight, homeostasis scales. Only the order of the float32 sums of input into a target
can differ from the CPU's: the step's spikes are listed in the order the GPU's threads
found them. The phase is serial on the GPU: right for small brains and tests, not fast.
"""

from numba.extending import register_jitable

from ...jit import bind
from ..cpu import plastic as cpu
from ..cpu.kernel import _drop_delivered, _join

_STEPS: dict = {}


@register_jitable
def _no_prefetch(a, i):
    """The CPU's prefetch hints (LLVM's ``llvm.prefetch``) have no meaning on the GPU."""
    return None


def _device(fn, **replace):
    """The CPU phase function ``fn`` (a numba dispatcher or an inlined function) as a
    device function: its Python code, with ``replace`` among its globals (under the
    simulator: a plain Python call)."""
    py = getattr(fn, "py_func", fn)  # (a dispatcher's, or a ``register_jitable``'s own)
    return register_jitable(bind(py, dict(py.__globals__, **replace)))


def make_plastic_step(rules):
    """``plastic_step`` for the rules ``rules`` (``cpu.plastic.rule_flags``)."""
    key = tuple(bool(r) for r in rules)
    if key in _STEPS:
        return _STEPS[key]
    modulated, homeostasis = key[-2], key[-1]
    deferred_run = _device(cpu.deferred_run, prefetch_row=_no_prefetch)
    events = _device(cpu.make_events(key[:-2]), prefetch=_no_prefetch, prefetch_row=_no_prefetch,
                     add_run=cpu.add_run_loop, deferred_run=deferred_run)  # fmt: skip
    join_spike, modulators, catch_up = (_device(f) for f in (cpu.join_spike, cpu.modulators,
                                                             cpu.catch_up))  # fmt: skip
    push_jumps, scale, drop_post = (_device(f) for f in (cpu.push_jumps, cpu.scale,
                                                         cpu.drop_post))  # fmt: skip

    @register_jitable
    def plastic_step(step, spikes, n_spikes, counts, given, dt_ms, pn, ps, lens, inbox):
        """The plastic phase of ``step`` for one copy, as the CPU kernel's over one part
        (``spikes[:n_spikes]``: the step's spikes; ``counts``: per population; ``given``:
        the user's modulator amounts; ``lens``: the lengths of the lists of presynaptic and
        postsynaptic events; ``inbox``: the ring slot of the next step)."""
        n_pact, n_post = lens[0], lens[1]
        n_pnew = n_pact
        for k in range(n_spikes):
            n_pact, n_post = join_spike(spikes[k], step, 1, dt_ms, pn, ps, n_pact, n_post)
        if modulated:
            if modulators(pn, ps, given, counts):
                catch_up(0, 1, step, dt_ms, pn, ps)
            push_jumps(step, dt_ms, pn, ps)
        _join(0, 1, ps.pact, n_pnew, n_pact, pn.pl_indptr, pn.pl_syn, pn.pl_shift)
        events(0, 1, step, pn, ps, inbox, n_pact, n_post)
        if homeostasis and pn.pl_every > 0 and (step + 1) % pn.pl_every == 0:
            scale(0, step, pn, ps)
        if step % 16 == 0:  # (as on the CPU: the same lists at a chunk's end)
            n_pact = _drop_delivered(ps.pact, n_pact, 1, ps.pscale)
            n_post = drop_post(ps.ppost, n_post)
        lens[0], lens[1] = n_pact, n_post

    _STEPS[key] = plastic_step
    return plastic_step
