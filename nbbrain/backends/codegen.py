"""The loops over a brain's neurons, generated from its neuron models' files.

For each *variant* of a model (``assemble/neurons.py``: the state variables in use, the
constants stored per neuron) this writes the source of the loop that updates a range of
its neurons for one step, once for the CPU and once for CUDA, around the model's own
scalar functions (``integrate``, ``receive``, ``threshold``, ``reset``). The loops hold the
engine's part of a step and no model arithmetic:

1. load the neuron's state ``s`` and constants ``c`` (namedtuples; unused optional state
   and its constants are the literal 0, so the compiler removes their arithmetic);
2. ``s = integrate(s, c, i_in, refractory)``, with ``i_in = (bias + injected + noise) *
   drive``;
3. add the input arriving now (``receive``, or each receptor channel added to its target);
4. store; count down the refractory period; ``threshold`` (CPU: counted, and the neurons
   above it reset in a second pass where there are any; CUDA: in the same pass).

The generated source is compiled by the backends' kernels (which find it in their globals),
and its hash, with a hash of the models' source files, keys numba's cache of them.
"""

from __future__ import annotations

import hashlib
import linecache
import sys
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba.extending import register_jitable

from ..assemble.neurons import REF_STEPS, constant_names
from ..cache import package_hash
from ..jit import bind, unique_name

_FUNCTIONS = ("integrate", "threshold", "reset", "receive")
_NUMBERS = (bool, int, float, complex, np.number, tuple)
_JITABLE: dict = {}


def jitable(fn, inline):
    """``fn`` registered for compiled callers (once per function); ``inline``: inlined into
    them by numba itself (LLVM would leave a large ``integrate`` a call per neuron where
    several variants call it, and the loop around it scalar)."""
    if fn not in _JITABLE:
        # (a copy named after its code: two models' functions of one name, compiled in two
        # processes, must not share a name in the machine code: ``jit.unique_name``)
        seen: set = set()
        code = "\n".join(_code_parts(fn, seen)).encode()
        py = bind(fn, fn.__globals__, unique_name(fn.__qualname__, code))
        _JITABLE[fn] = register_jitable(inline="always" if inline else "never")(py)
    return _JITABLE[fn]


def model_source_hash(model) -> str:
    """A hash of what the model's compiled functions are made of: their code and that of the
    functions they reach, with the numbers they read from globals and classes (numba
    freezes those into the machine code). A change to any of them makes new kernels; an
    edit elsewhere in the model's file (or script, or notebook) does not."""
    seen: set = set()
    parts = [model.__qualname__]
    for f in _FUNCTIONS:
        parts += _code_parts(getattr(model, f, None), seen)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cacheable(model) -> bool:
    """Whether kernels that call the model's functions can be cached on disk: numba's cache
    finds a function's module again by name, so it must be importable (a script's
    ``__main__`` is; a namespace made by ``exec`` is not)."""
    mods = {getattr(getattr(model, f, None), "__module__", None) for f in _FUNCTIONS}
    return all(m in sys.modules for m in mods if m is not None)


def _code_text(co) -> str:
    """A code object as text that is the same from process to process (``marshal``'s is
    not: it depends on reference counts)."""
    consts = [_code_text(c) if hasattr(c, "co_code") else
              repr(sorted(map(repr, c))) if isinstance(c, frozenset) else repr(c)
              for c in co.co_consts]  # fmt: skip
    return repr((co.co_code.hex(), consts, co.co_names, co.co_varnames, co.co_freevars))


def _code_parts(fn, seen) -> list:
    """The compiled code of ``fn`` and of the functions it reaches through its globals and
    closure, with the numbers numba freezes into it (global constants), as strings."""
    fn = getattr(fn, "py_func", fn)
    code = getattr(fn, "__code__", None)
    if code is None or fn in seen:
        return []
    seen.add(fn)
    out = [_code_text(code)]
    cells = [c.cell_contents for c in (fn.__closure__ or ()) if c.cell_contents is not None]
    names = _names_used(fn, set())
    for obj in [fn.__globals__.get(n) for n in sorted(names)] + cells:
        if isinstance(obj, type) and obj not in seen:  # a class: its numbers and functions
            seen.add(obj)
            for name, x in sorted(vars(obj).items()):
                x = getattr(x, "__func__", x)  # (static and class methods)
                if isinstance(x, _NUMBERS):
                    out.append(f"{name}={x!r}")
                elif callable(x):
                    out += _code_parts(x, seen)
        elif callable(obj):
            out += _code_parts(obj, seen)
        elif isinstance(obj, _NUMBERS):
            out.append(repr(obj))
    return out


@dataclass
class Generated:
    """Generated loops: ``namespace`` holds the compiled-to-be functions, ``key`` the hash
    that tells numba's cache the kernels built around them apart."""

    key: str
    source: str
    namespace: dict
    cache: bool = True  # whether its kernels may be cached on disk (``cacheable``)


def _names_used(fn, seen=None) -> set:
    """Every name the code of ``fn`` (and of the functions it reaches through its globals
    and closure) mentions: a superset of the constants it reads from ``c`` (``c.x`` names
    ``x``). The generated loops pass each function only the constants it may read: fewer
    to compile."""
    seen = set() if seen is None else seen
    fn = getattr(fn, "py_func", fn)  # a numba dispatcher's Python function
    code = getattr(fn, "__code__", None)
    if code is None or fn in seen:
        return set()
    seen.add(fn)
    out, codes = set(), [code]
    while codes:
        co = codes.pop()
        out.update(co.co_names)
        out.update(c for c in co.co_consts if isinstance(c, str))
        codes += [c for c in co.co_consts if hasattr(c, "co_names")]
    cells = [c.cell_contents for c in (fn.__closure__ or ()) if c.cell_contents is not None]
    for obj in [fn.__globals__.get(n) for n in out] + cells:
        if callable(obj) and hasattr(getattr(obj, "py_func", obj), "__code__"):
            out |= _names_used(obj, seen)
    return out


class _Variant:
    """Names and expressions of one variant, shared by the CPU and CUDA templates."""

    def __init__(self, k, variant, dt_ms, n_channels):
        self.k, self.v, self.model = k, variant, variant.model
        self.states = list(self.model.state)
        self.consts = list(constant_names(self.model, dt_ms))
        self.targets = self.model.receptor_targets()
        self.inputs = [c for c, t in enumerate(self.targets)
                       if c < n_channels and t in variant.active]  # fmt: skip
        self.refractory = self.model.refractory_parameter is not None
        self.thr = self.model.threshold_parameter
        self.bias = self.model.bias_parameter
        fns = {f: getattr(self.model, f) for f in _FUNCTIONS if getattr(self.model, f, None)}
        names = {f: _names_used(fn) for f, fn in fns.items()}
        step = names["integrate"] | names["threshold"] | names.get("receive", set())
        #: the constants the update and the reset may read, in order
        self.update_consts = [c for c in self.consts if c in step or c == self.bias]
        fire = names["threshold"] | names["reset"]
        self.fire_consts = [c for c in self.consts if c in fire or c == REF_STEPS]
        #: all of them (CUDA: the update and the reset in one pass)
        self.step_consts = [c for c in self.consts
                            if c in self.update_consts or c in self.fire_consts]  # fmt: skip

    def row(self, var):
        return self.states.index(var)

    def const(self, j, per_neuron_expr, scalar_expr):
        name = self.consts[j]
        if name in self.v.zero:
            return "_F0"
        expr = per_neuron_expr.format(j=j) if name in self.v.per_neuron else scalar_expr.format(j=j)
        return f"({expr} + dv_th)" if name == self.thr and name in self.v.per_neuron else expr

    def hoisted_thr(self):
        return self.thr is not None and self.thr not in self.v.per_neuron and \
            self.thr not in self.v.zero  # fmt: skip

    def active(self, r):
        return self.states[r] in self.v.active

    def c_args(self, per_neuron_expr, scalar_expr, which):
        """The constants ``which`` (names) as the arguments of their namedtuple."""
        return ", ".join(self.const(self.consts.index(c), per_neuron_expr, scalar_expr)
                         for c in which)  # fmt: skip

    def hoist(self, which, per_neuron):
        """Lines loading the constants ``which`` of group g before the loop (``per_neuron``
        formats the slice of a per-neuron one)."""
        out = ""
        for c in which:
            j = self.consts.index(c)
            if c in self.v.zero:
                continue
            out += f"    k{j} = cpar[g, {j}]\n" if c not in self.v.per_neuron else \
                per_neuron.format(j=j)  # fmt: skip
        if self.hoisted_thr() and self.thr in which:
            j = self.consts.index(self.thr)
            out += f"    k{j} = k{j} + dv_th\n"
        return out

    def s_args(self, load):
        return ", ".join(load.format(r=r) if self.active(r) else "_F0"
                         for r in range(len(self.states)))  # fmt: skip

    def y_names(self):
        return ", ".join(f"y{r}" for r in range(len(self.states))) + ","

    def cast(self, indent):
        """Lines: each result as float32, unused optional state as 0."""
        pad = " " * indent
        return "".join(
            f"{pad}y{r} = np.float32(y{r})\n" if self.active(r) else f"{pad}y{r} = _F0\n"
            for r in range(len(self.states))
        )

    def receive(self, indent, take):
        """Lines adding the arriving input (``take`` formats the read of channel c)."""
        pad = " " * indent
        if not self.inputs:
            return ""
        out = "".join(f"{pad}in{c} = {take.format(c=c)}\n" for c in self.inputs)
        if self.model.receive is not None:
            xs = ", ".join(
                f"in{c}" if c in self.inputs else "_F0" for c in range(len(self.targets))
            )
            out += (f"{pad}{self.y_names()[:-1]}, = M{self.k}_receive(S{self.k}("
                    f"{self.y_names()[:-1]}), c, ({xs},), refr)\n")  # fmt: skip
            return out + self.cast(indent)
        for c in self.inputs:
            r = self.row(self.targets[c])
            out += f"{pad}y{r} = y{r} + in{c}\n"
        return out

    def stores(self, indent, store):
        pad = " " * indent
        return "".join(f"{pad}{store.format(r=r)} = y{r}\n"
                       for r in range(len(self.states)) if self.active(r))  # fmt: skip

    def current(self, bias_expr):
        """The expression of the constant input current before the rhythm's drive."""
        if not self.model.current_input:
            return None
        return bias_expr if self.bias is not None else "_F0"


# ---- CPU ----------------------------------------------------------------------------------
_CPU_HEAD = """
import numpy as np

_F0 = np.float32(0.0)
_I0, _I1 = np.int32(0), np.int32(1)
_SCAN = np.uint64(64)
"""


def _cpu_update(v: _Variant) -> str:
    k = v.k
    hoist = v.hoist(v.update_consts, "    a{j} = pn[pn_off[g, {j}] + lo - glo:]\n")
    rows = "".join(f"    x{r} = st[{r} * n:{r + 1} * n]\n"
                   for r in range(len(v.states)) if v.active(r))  # fmt: skip
    inbox = "".join(f"    r{c} = inbox[{c} * n:{c + 1} * n]\n" for c in v.inputs)
    c_args = v.c_args("a{j}[j]", "k{j}", v.update_consts)
    bias = v.current(v.const(v.consts.index(v.bias), "a{j}[j]", "k{j}") if v.bias else None)
    if bias is None:
        cur = "        i_in = _F0\n"
    else:
        # (the flags as factors under one loop-invariant branch: two loops to compile, not
        # one per case, and neither current is read where neither drives the neurons)
        cur = (f"        cur = {bias}\n        if extra:\n"
               "            cur = cur + ext * i_ext[j] + has_noise * nz[i]\n"
               "        i_in = cur * drive\n")  # fmt: skip
    ref_load = "        r = ref[i]\n        refr = r > 0\n" if v.refractory else \
        "        refr = False\n"  # fmt: skip
    ref_store = "        ref[i] = r - 1 if r > 0 else 0\n" if v.refractory else ""
    clear = "".join(f"        r{c}[i] = _F0\n" for c in v.inputs)
    above = f"M{k}_threshold(S{k}({v.y_names()[:-1]}), c)"
    count = f"        above = np.int32(above + (_I1 if {above} else _I0))\n"
    return f'''
def update_{k}(lo, hi, g, drive, dv_th, n, cpar, pn, pn_off, glo, st, inbox, ref, nz, i_ext,
             ext, has_noise):
    """Variant {k} ({v.v.name}): integrate neurons lo:hi of group g one step (``ext``,
    ``has_noise``: 1 or 0, whether ``i_ext`` and ``nz`` drive them), add the input arriving
    now; returns how many end above threshold."""
{hoist}{rows}{inbox}    above = _I0
    extra = ext + has_noise > _F0
    ulo = np.uint64(lo)
    for i in range(ulo, np.uint64(hi)):
        j = i - ulo
        c = C{k}u({c_args})
{ref_load}{cur}        {v.y_names()} = M{k}_integrate(S{k}({v.s_args("x{r}[i]")}), c, i_in, refr)
{v.cast(8)}{v.receive(8, "r{c}[i]")}{clear}{v.stores(8, "x{r}[i]")}{ref_store}{count}\
    return above
'''


def _cpu_fire(v: _Variant) -> str:
    k = v.k
    hoist = v.hoist(v.fire_consts, "    a{j} = pn[pn_off[g, {j}] + lo - glo:]\n")
    rows = "".join(f"    x{r} = st[{r} * n:{r + 1} * n]\n"
                   for r in range(len(v.states)) if v.active(r))  # fmt: skip
    ref = ""
    if v.refractory:
        ref = f"                ref[i] = np.int32(c.{REF_STEPS})\n"
    c_args = v.c_args("a{j}[j]", "k{j}", v.fire_consts)
    s_args = v.s_args("x{r}[i]")
    return f'''
def fire_{k}(lo, hi, g, dv_th, n, cpar, pn, pn_off, glo, st, ref, spikes, n_spikes):
    """Variant {k}: reset the neurons lo:hi of group g that are above threshold, list their
    spikes from n_spikes on; returns the new end of the list. (Spikes are rare: a count
    over each run of _SCAN neurons, which LLVM vectorises, finds the runs to visit.)"""
{hoist}{rows}    ulo, uhi = np.uint64(lo), np.uint64(hi)
    for b in range(ulo, uhi, _SCAN):
        e = min(b + _SCAN, uhi)
        hits = _I0
        for i in range(b, e):
            j = i - ulo
            c = C{k}f({c_args})
            # (loads the threshold does not use are dead here: only v is read, where it is)
            hits = np.int32(hits + (_I1 if M{k}_threshold(S{k}({s_args}), c) else _I0))
        if hits == _I0:
            continue
        for i in range(b, e):
            j = i - ulo
            c = C{k}f({c_args})
            if M{k}_threshold(S{k}({s_args}), c):
                sv = S{k}({s_args})
                {v.y_names()} = M{k}_reset(sv, c)
{v.cast(16)}{v.stores(16, "x{r}[i]")}{ref}                spikes[n_spikes] = i
                n_spikes += 1
    return n_spikes
'''


def _dispatch(n, name, args, default) -> str:
    body = "".join(f"    if slot == {k}:\n        return {name}_{k}({args})\n" for k in range(n))
    return f"\ndef {name}_group(slot, {args}):\n{body}    return {default}\n"


def _namespace(variants, dt_ms, n_channels):
    ns = {}
    views = [_Variant(k, v, dt_ms, n_channels) for k, v in enumerate(variants)]
    for v in views:
        ns[f"S{v.k}"] = namedtuple(f"{v.v.name}State", v.states)
        ns[f"C{v.k}u"] = namedtuple(f"{v.v.name}Constants", v.update_consts)
        ns[f"C{v.k}f"] = namedtuple(f"{v.v.name}Constants", v.fire_consts)
        ns[f"C{v.k}"] = namedtuple(f"{v.v.name}Constants", v.step_consts)
        for f in _FUNCTIONS:
            fn = getattr(v.model, f, None)
            if fn is not None:
                ns[f"M{v.k}_{f}"] = jitable(fn, f in ("integrate", "receive"))
    return views, ns


def _key(source, variants) -> str:
    models = sorted({model_source_hash(v.model) for v in variants})
    text = source + "".join(models) + package_hash()
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _compile(source, ns, variants, decorate):
    key = _key(source, variants)
    # the source where tracebacks and numba's error messages look for it
    filename = f"<nbbrain loops {key}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)
    for name in [k for k in ns if k.startswith(("update_", "fire_", "group_"))]:
        ns[name].__qualname__ = unique_name(name, key.encode())  # (see ``jit.unique_name``)
        ns[name] = decorate(ns[name])
    return Generated(key, source, ns, all(cacheable(v.model) for v in variants))


def generate_cpu(variants, dt_ms, n_channels, inner) -> Generated:
    """The CPU loops of ``variants`` (``inner``: how the CPU kernels compile callees)."""
    views, ns = _namespace(variants, dt_ms, n_channels)
    src = _CPU_HEAD + "".join(_cpu_update(v) + _cpu_fire(v) for v in views)
    src += _dispatch(len(views), "update", "lo, hi, g, drive, dv_th, n, cpar, pn, pn_off, glo, "
                     "st, inbox, ref, nz, i_ext, ext, has_noise", "_I0")  # fmt: skip
    src += _dispatch(len(views), "fire", "lo, hi, g, dv_th, n, cpar, pn, pn_off, glo, st, ref, "
                     "spikes, n_spikes", "n_spikes")  # fmt: skip
    return _compile(src, ns, variants, inner)


# ---- CUDA ---------------------------------------------------------------------------------
_CUDA_HEAD = """
import numpy as np

_F0 = np.float32(0.0)
_U0, _U1 = np.uint8(0), np.uint8(1)
"""


def _cuda_group(v: _Variant) -> str:
    """One thread's share of a group's neurons: the whole step of each (CUDA: one pass)."""
    k = v.k
    both = v.step_consts
    hoist = v.hoist(both, "")  # (per-neuron constants are read per neuron)
    c_args = v.c_args("pn[pn_off[g, {j}] + i - glo]", "k{j}", both)
    bias = v.current(v.const(v.consts.index(v.bias), "pn[pn_off[g, {j}] + i - glo]", "k{j}")
                     if v.bias else None)  # fmt: skip
    cur = "        i_in = _F0\n" if bias is None else (
        f"        col = ext_col[i]\n"
        f"        e = cur_row[col] if col >= 0 else _F0\n"
        f"        i_in = ({bias} + e + nz[i]) * drive\n")  # fmt: skip
    ref_load = "        r = ref[i]\n        refr = r > 0\n" if v.refractory else \
        "        refr = False\n"  # fmt: skip
    ref_store = "        ref[i] = r - 1 if r > 0 else 0\n" if v.refractory else ""
    ref_set = f"            ref[i] = np.int32(c.{REF_STEPS})\n" if v.refractory else ""
    take = "ring[base + {c} * n + i]"
    state, ys = v.s_args("st[{r} * n + i]"), v.y_names()[:-1]
    clear = "".join(f"        ring[base + {c} * n + i] = _F0\n" for c in v.inputs)
    return f'''
def group_{k}(g, first, hi, nth, drive, dv_th, n, cpar, pn, pn_off, glo, st, ref, ring, base,
              cur_row, ext_col, nz, fired):
    """Variant {k} ({v.v.name}): this thread's neurons of group g (from ``first``, every
    ``nth``), one step; ``fired[i]`` says which spiked."""
{hoist}    for i in range(first, hi, nth):
        c = C{k}({c_args})
{ref_load}{cur}        {v.y_names()} = M{k}_integrate(S{k}({state}), c, i_in, refr)
{v.cast(8)}{v.receive(8, take)}{clear}{ref_store}        spiked = M{k}_threshold(S{k}({ys}), c)
        if spiked:
            sv = S{k}({v.y_names()[:-1]})
            {v.y_names()} = M{k}_reset(sv, c)
{v.cast(12)}{ref_set}{v.stores(8, "st[{r} * n + i]")}        fired[i] = _U1 if spiked else _U0
'''


def generate_cuda(variants, dt_ms, n_channels, device) -> Generated:
    """The CUDA group loops of ``variants`` (``device``: how the CUDA kernel compiles its
    callees)."""
    views, ns = _namespace(variants, dt_ms, n_channels)
    src = _CUDA_HEAD + "".join(_cuda_group(v) for v in views)
    args = ("g, first, hi, nth, drive, dv_th, n, cpar, pn, pn_off, glo, st, ref, ring, base, "
            "cur_row, ext_col, nz, fired")  # fmt: skip
    src += _dispatch(len(views), "group", args, "None")
    gen = _compile(src, ns, variants, device)
    return gen
