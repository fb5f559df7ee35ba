import math
import random

import pytest
from helpers import check_input_gradients

from microgpt import Value, linear, rmsnorm, softmax
from microgpt.layers import left_sum, softmax_floats


def _vals(xs):
    return [Value(x) for x in xs]


def test_linear_is_a_matrix_vector_product():
    w = [[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]]
    out = linear(_vals([2.0, -1.0]), [[Value(x) for x in row] for row in w])
    assert [o.data for o in out] == [0.0, 7.0, 0.5]


def test_softmax_sums_to_one_and_survives_huge_logits():
    probs = softmax(_vals([1000.0, 1001.0, 999.0]))
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    expected = [math.exp(-1) / (1 + math.exp(-1) + math.exp(-2)), 1 / (1 + math.exp(-1) + math.exp(-2))]
    assert [p.data for p in probs[:2]] == pytest.approx(expected)


def test_rmsnorm_gives_unit_root_mean_square():
    out = rmsnorm(_vals([3.0, -4.0, 12.0, 0.5]))
    ms = sum(o.data ** 2 for o in out) / 4
    assert ms == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize("fn", ["softmax", "rmsnorm", "linear"])
def test_gradients_match_finite_differences(fn):
    rng = random.Random(3)
    x0 = [rng.uniform(-2, 2) for _ in range(5)]
    w0 = [[rng.uniform(-1, 1) for _ in range(5)] for _ in range(3)]
    weights = [rng.uniform(-1, 1) for _ in range(5)]

    def f(xs):  # a scalar function of the layer's output
        if fn == "softmax":
            out = softmax(xs)
        elif fn == "rmsnorm":
            out = rmsnorm(xs)
        else:
            out = linear(xs, [[Value(w) for w in row] for row in w0]) + [Value(0.0)] * 2
        return sum(o * c for o, c in zip(out, weights))

    check_input_gradients(f, x0)


def test_left_sum_adds_in_order_like_a_sum_of_values():
    xs = [1e16, 1.0, 1.0, -1e16]                  # (1e16 + 1) rounds back to 1e16, twice
    assert left_sum(xs) == 0.0 == sum(_vals(xs)).data
    assert left_sum([]) == 0 and left_sum([-0.0]) == 0.0 == (0 + -0.0)


def test_float_softmax_is_the_value_softmax_bit_for_bit():
    rng = random.Random(4)
    for _ in range(20):
        logits = [rng.uniform(-8, 8) for _ in range(rng.randrange(1, 30))]
        assert softmax_floats(logits).probs == [p.data for p in softmax(_vals(logits))]
