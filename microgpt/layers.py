"""The three small functions every layer of the model is made of.

They work on lists of ``Value`` (the scalar engine of the autograd chapter). The
fast engines re-implement the same arithmetic on plain floats, with the two float
helpers at the end of this module: ``left_sum``, a sum that adds left to right on
every Python (the built-in ``sum()`` of floats compensates round-off from 3.12), and
``softmax_floats``.
"""
import math
import sys
from typing import NamedTuple


def linear(x, w):
    """Matrix-vector product: one output per row of ``w``.  x: [n_in], w: [n_out][n_in] -> [n_out]."""
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits):
    """Turn scores into probabilities that sum to 1 (the max is subtracted first, for stability)."""
    max_val = max(v.data for v in logits)
    exps = [(v - max_val).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x, eps=1e-5):
    """Rescale ``x`` to unit root-mean-square (no learned weights): x * (mean(x^2) + eps) ** -0.5."""
    mean_sq = sum(xi * xi for xi in x) / len(x)
    scale = (mean_sq + eps) ** -0.5
    return [xi * scale for xi in x]


# -- the same arithmetic on plain floats (the fused engine, sampling, evaluation) ---------------------

class _PlainZero(float):
    """0.0, but not exactly a ``float``: ``sum()`` started from it adds with plain ``+`` (see ``left_sum``)."""

    __slots__ = ()


_START = 0 if sys.version_info < (3, 12) else _PlainZero()


def left_sum(xs):
    """``0 + x0 + x1 + ...``, added left to right: what ``sum()`` of ``Value``s computes.

    The built-in ``sum()`` of floats did exactly this up to Python 3.11. From 3.12 it
    compensates the round-off (more accurate, but no longer the scalar engine's
    number) -- but only while its running total is exactly a ``float``. Started from
    ``_PlainZero()`` instead of 0 it takes its general loop, ``total = total + x``
    for each x in turn, still in C: the scalar engine's additions, bit for bit
    (``0.0 + x0`` and ``0 + x0`` are the same float), with no Python-level call per
    term as ``functools.reduce(operator.add, xs, 0)`` makes.
    """
    return sum(xs, _START)


class Softmax(NamedTuple):
    """A float softmax and the intermediate values its backward pass needs."""

    probs: list   # p_i = e_i * inv
    exps: list    # e_i = exp(z_i - max z)
    total: float  # sum of the e_i
    inv: float    # total ** -1 (the graph computes a / b as a * b ** -1)


def softmax_floats(logits):
    """softmax on plain floats, float operation for float operation the ``Value`` softmax above."""
    max_val = max(logits)
    exps = [math.exp(v - max_val) for v in logits]
    total = left_sum(exps)
    inv = total ** -1
    return Softmax([e * inv for e in exps], exps, total, inv)
