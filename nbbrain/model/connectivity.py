"""Connectivity rules: which (pre, post) pairs a projection connects.

Rules are descriptions; the synapses are generated at build time (``nbbrain.build.connect``:
compiled numba code for fixed degrees, whole-array numpy for the others), seeded by the
brain's seed and the projection, so the same description always gives the same synapses.
``n_shared`` below is the number of neurons that are both pre and post (possible autapses).
"""

from __future__ import annotations

import numpy as np

from .fixed import Fixable


class Rule(Fixable):
    def check(self, n_pre: int, n_post: int, n_shared: int, where: str) -> None:
        """Raise a clear error if the rule cannot connect these sizes."""

    def expected_synapses(self, n_pre: int, n_post: int, n_shared: int) -> float:
        raise NotImplementedError


class AllToAll(Rule):
    """Every pre neuron to every post neuron (without autapses unless asked)."""

    def __init__(self, allow_autapses: bool = True):
        self.allow_autapses = bool(allow_autapses)

    def expected_synapses(self, n_pre, n_post, n_shared):
        return n_pre * n_post - (0 if self.allow_autapses else n_shared)

    def __repr__(self):
        return f"AllToAll(allow_autapses={self.allow_autapses})"


class OneToOne(Rule):
    """Pre neuron i to post neuron i; both populations must have the same size."""

    def check(self, n_pre, n_post, n_shared, where):
        if n_pre != n_post:
            raise ValueError(f"{where}: OneToOne needs equal sizes, got {n_pre} and {n_post}")

    def expected_synapses(self, n_pre, n_post, n_shared):
        return n_pre

    def __repr__(self):
        return "OneToOne()"


def _check_count(k, what):
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"{what} must be a whole number >= 0, got {k!r}")
    return int(k)


class FixedProbability(Rule):
    """Each (pre, post) pair is connected independently with probability ``p``."""

    def __init__(self, p: float, allow_autapses: bool = True):
        try:
            if isinstance(p, (bool, np.bool_)):
                raise TypeError
            p = float(p)
        except (TypeError, ValueError):
            raise TypeError(f"FixedProbability: p must be a number, got {p!r}") from None
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"FixedProbability: p must be in [0, 1], got {p}")
        self.p, self.allow_autapses = p, bool(allow_autapses)

    def expected_synapses(self, n_pre, n_post, n_shared):
        return self.p * (n_pre * n_post - (0 if self.allow_autapses else n_shared))

    def __repr__(self):
        return f"FixedProbability({self.p}, allow_autapses={self.allow_autapses})"


class _Fixed(Rule):
    def __init__(self, k: int, allow_autapses: bool = True, allow_multapses: bool = False):
        self.k = _check_count(k, f"{type(self).__name__}: k")
        self.allow_autapses, self.allow_multapses = bool(allow_autapses), bool(allow_multapses)

    def _check_k(self, n_choices, n_shared, where):
        avail = n_choices - (1 if n_shared and not self.allow_autapses else 0)
        if not self.allow_multapses and self.k > avail:
            raise ValueError(
                f"{where}: {type(self).__name__}(k={self.k}) without multapses needs at most "
                f"{avail} distinct partners, the population has {n_choices}"
            )
        if self.k > 0 and avail <= 0:
            raise ValueError(f"{where}: {type(self).__name__} has no partner to choose from")

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.k}, allow_autapses={self.allow_autapses}, "
            f"allow_multapses={self.allow_multapses})"
        )


class FixedIndegree(_Fixed):
    """Each post neuron receives exactly ``k`` synapses from pre neurons drawn at random."""

    def check(self, n_pre, n_post, n_shared, where):
        self._check_k(n_pre, n_shared, where)

    def expected_synapses(self, n_pre, n_post, n_shared):
        return self.k * n_post


class FixedOutdegree(_Fixed):
    """Each pre neuron makes exactly ``k`` synapses onto post neurons drawn at random."""

    def check(self, n_pre, n_post, n_shared, where):
        self._check_k(n_post, n_shared, where)

    def expected_synapses(self, n_pre, n_post, n_shared):
        return self.k * n_pre


class FixedTotalNumber(Rule):
    """Exactly ``n`` synapses, each between a pre and a post neuron drawn uniformly at random
    (NEST's ``fixed_total_number``; the rule of the Potjans & Diesmann microcircuit). Pairs
    may repeat (multapses); autapses are redrawn when ``allow_autapses`` is False."""

    def __init__(self, n: int, allow_autapses: bool = True):
        self.n = _check_count(n, "FixedTotalNumber: n")
        self.allow_autapses = bool(allow_autapses)

    def check(self, n_pre, n_post, n_shared, where):
        if self.n and not self.allow_autapses and n_pre * n_post == n_shared:
            raise ValueError(f"{where}: FixedTotalNumber without autapses has no pair to draw")

    def expected_synapses(self, n_pre, n_post, n_shared):
        return self.n

    def __repr__(self):
        return f"FixedTotalNumber({self.n}, allow_autapses={self.allow_autapses})"


class FromArrays(Rule):
    """Explicit synapses: ``pre[k] -> post[k]``, indices local to each population."""

    def __init__(self, pre, post):
        pre, post = np.asarray(pre), np.asarray(post)
        for name, a in (("pre", pre), ("post", post)):
            if a.ndim != 1 or not (a.size == 0 or np.issubdtype(a.dtype, np.integer)):
                raise TypeError(f"FromArrays: {name} must be a 1-D integer array, got {a.dtype}")
        if pre.shape != post.shape:
            raise ValueError(
                f"FromArrays: pre and post differ in length ({pre.size} vs {post.size})"
            )
        self.pre, self.post = pre.astype(np.int64), post.astype(np.int64)

    def check(self, n_pre, n_post, n_shared, where):
        for name, a, n in (("pre", self.pre, n_pre), ("post", self.post, n_post)):
            if a.size and (a.min() < 0 or a.max() >= n):
                bad = a[(a < 0) | (a >= n)][0]
                raise ValueError(f"{where}: FromArrays {name} index {bad} out of range [0, {n})")

    def expected_synapses(self, n_pre, n_post, n_shared):
        return self.pre.size

    def __repr__(self):
        return f"FromArrays(<{self.pre.size} synapses>)"
