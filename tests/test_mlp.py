import random

import pytest
from helpers import check_input_gradients

from microgpt import Value, mlp


def test_mlp_expands_four_times_applies_relu_and_projects_back():
    rng = random.Random(0)
    n = 4
    layer = {"mlp_fc1": [[Value(rng.uniform(-1, 1)) for _ in range(n)] for _ in range(4 * n)],
             "mlp_fc2": [[Value(rng.uniform(-1, 1)) for _ in range(4 * n)] for _ in range(n)]}
    x0 = [rng.uniform(-1, 1) for _ in range(n)]
    x = [Value(v) for v in x0]
    out = mlp(x, layer)
    assert len(out) == n
    h = [max(0.0, sum(w.data * xi for w, xi in zip(row, x0))) for row in layer["mlp_fc1"]]
    expected = [sum(w.data * hi for w, hi in zip(row, h)) for row in layer["mlp_fc2"]]
    assert [o.data for o in out] == pytest.approx(expected, rel=1e-12)

    check_input_gradients(lambda xs: sum(mlp(xs, layer)), x0)
