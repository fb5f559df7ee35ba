import math

import pytest

from microgpt import SGD, Adam, Value, linear_decay


def test_linear_decay_runs_from_the_rate_to_zero():
    assert linear_decay(0, 1000) == 0.01
    assert linear_decay(500, 1000) == pytest.approx(0.005)
    assert linear_decay(999, 1000) == pytest.approx(0.00001)


def test_adam_first_step_moves_each_parameter_by_about_lr():
    ps = [Value(1.0), Value(-2.0)]
    ps[0].grad, ps[1].grad = 0.3, -50.0
    Adam(ps).step(0.01)
    # bias correction makes the first step lr * g / |g| (up to eps), whatever the gradient's size
    assert ps[0].data == pytest.approx(0.99, rel=1e-6)
    assert ps[1].data == pytest.approx(-1.99, rel=1e-6)
    assert ps[0].grad == 0 and ps[1].grad == 0


def test_adam_matches_the_textbook_formula_over_steps():
    p = Value(0.5)
    opt = Adam([p])
    m = v = 0.0
    x = 0.5
    for t in range(1, 6):
        g = 2 * x  # gradient of x^2
        p.grad = 2 * p.data
        opt.step(0.1)
        m = 0.85 * m + 0.15 * g
        v = 0.99 * v + 0.01 * g * g
        x -= 0.1 * (m / (1 - 0.85 ** t)) / (math.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
        assert p.data == pytest.approx(x, rel=1e-12)


def test_sgd_steps_against_the_gradient():
    p = Value(1.0)
    p.grad = 4.0
    SGD([p]).step(0.25)
    assert p.data == 0.0 and p.grad == 0
