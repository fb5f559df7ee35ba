import math
import random

import pytest
from helpers import central_difference

from microgpt import Value

# Each case: a function of one Value (or float) and points to check it at.
UNARY = {
    "add": (lambda x: x + 2.5, [-1.3, 0.7]),
    "radd": (lambda x: 2.5 + x, [-1.3, 0.7]),
    "mul": (lambda x: x * -3.0, [-1.3, 0.7]),
    "rmul": (lambda x: -3.0 * x, [-1.3, 0.7]),
    "pow": (lambda x: x ** 3, [-1.3, 0.7]),
    "pow_neg_half": (lambda x: x ** -0.5, [0.4, 2.0]),
    "log": (lambda x: x.log() if isinstance(x, Value) else math.log(x), [0.3, 4.0]),
    "exp": (lambda x: x.exp() if isinstance(x, Value) else math.exp(x), [-1.0, 1.5]),
    "relu": (lambda x: x.relu() if isinstance(x, Value) else max(0.0, x), [-0.8, 0.9]),
    "neg": (lambda x: -x, [-1.3, 0.7]),
    "sub": (lambda x: x - 4.0, [-1.3, 0.7]),
    "rsub": (lambda x: 4.0 - x, [-1.3, 0.7]),
    "div": (lambda x: x / 3.0, [-1.3, 0.7]),
    "rdiv": (lambda x: 3.0 / x, [-1.3, 0.7]),
    "self_mul": (lambda x: x * x, [-1.3, 0.7]),
    "composite": (lambda x: (x * x + 1) ** 0.5 - x / (x * x + 2), [-1.3, 0.7]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_every_op_matches_finite_differences(name):
    f, points = UNARY[name]
    for x0 in points:
        x = Value(x0)
        y = f(x)
        y.backward()
        expected = f(x0)
        assert y.data == pytest.approx(expected, rel=1e-12)
        assert x.grad == pytest.approx(central_difference(f, x0), rel=1e-6, abs=1e-9)


def test_two_input_ops_and_shared_subexpressions():
    def f(a, b):
        c = a * b
        return (c + a).exp() / (c * c + b.relu() + 1).log() - a ** 2

    a0, b0 = 0.3, 0.8
    a, b = Value(a0), Value(b0)
    f(a, b).backward()

    def fa(x):
        return f(Value(x), Value(b0)).data

    def fb(x):
        return f(Value(a0), Value(x)).data

    assert a.grad == pytest.approx(central_difference(fa, a0), rel=1e-6)
    assert b.grad == pytest.approx(central_difference(fb, b0), rel=1e-6)


def test_relu_gradient_is_zero_at_zero_and_one_above():
    for x0, g in [(0.0, 0.0), (-2.0, 0.0), (1e-300, 1.0)]:
        x = Value(x0)
        x.relu().backward()
        assert x.grad == g


def test_backward_twice_after_zeroing_gives_the_same_gradients():
    rng = random.Random(1)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(6)]
    def loss():
        return sum((x * y).exp() for x, y in zip(xs, xs[1:])) / len(xs)
    loss().backward()
    first = [x.grad for x in xs]
    for x in xs:
        x.grad = 0
    loss().backward()
    assert [x.grad for x in xs] == first


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_topological_order_puts_children_first_and_visits_each_node_once():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + a
    order = d.topological_order()
    assert len(order) == len({id(n) for n in order})
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node._children:
            assert pos[id(child)] < pos[id(node)]
    assert order[-1] is d


# -- what a Value refuses, and what it allows --------------------------------------
@pytest.mark.parametrize("bad", ["1.5", None, [1.0], (1,), 1j, Value(2.0)])
def test_a_value_holds_only_a_plain_number(bad):
    from microgpt import MicrogptError
    with pytest.raises(MicrogptError, match="a Value holds a plain number"):
        Value(bad)
    with pytest.raises(MicrogptError, match="a Value holds a plain number"):
        Value(1.0) + bad if not isinstance(bad, Value) else Value(bad)


def test_nan_and_inf_flow_through_like_floats():
    x = Value(float("nan"))
    assert math.isnan((x * 2 + 1).data) and math.isnan(x.log().data)
    y = Value(float("inf"))
    assert (y + 1).data == math.inf and (-y).exp().data == 0.0
    assert Value(1000.0).exp().data == math.inf  # math.exp would raise OverflowError


def test_value_to_the_power_of_a_value_is_refused():
    from microgpt import MicrogptError
    with pytest.raises(MicrogptError, match="plain-number exponent"):
        Value(2.0) ** Value(3.0)


@pytest.mark.parametrize("make", [lambda: Value(0.0).log(), lambda: Value(-1.0).log(),
                                  lambda: Value(float("-inf")).log(),
                                  lambda: Value(0.0) ** -1, lambda: 1 / Value(0.0), lambda: Value(1.0) / Value(0.0)])
def test_outside_the_domain_is_a_one_line_error(make):
    from microgpt import MicrogptError
    from microgpt.errors import MathDomainError
    with pytest.raises(MathDomainError) as info:
        make()
    assert isinstance(info.value, MicrogptError) and "\n" not in str(info.value)


def test_backward_twice_accumulates_exactly_in_the_leaves():
    x = Value(1.5)
    y = x * 2.0
    z = y * 3.0
    z.backward()
    assert (x.grad, y.grad) == (6.0, 3.0)
    z.backward()                      # no zeroing: the leaf gets the same gradient again ...
    assert (x.grad, y.grad) == (12.0, 3.0)  # ... the node in between holds this call's gradient

    rng = random.Random(3)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    out = sum((a * b).exp() * a for a in xs for b in xs).exp().log()
    out.backward()
    once = [x.grad for x in xs]
    out.backward()
    assert [x.grad for x in xs] == pytest.approx([2 * g for g in once], rel=1e-14)


def test_a_negative_number_to_a_fractional_power_is_refused_not_complex():
    from microgpt.errors import MathDomainError
    with pytest.raises(MathDomainError, match="no finite real value"):
        Value(-8.0) ** 0.5
    assert (Value(-2.0) ** 3).data == -8.0 and (Value(-2.0) ** 2.0).data == 4.0
