import math
import random

import pytest
from helpers import check_input_gradients

from microgpt import KVCache, Value, attention_head, multi_head_attention


def _rand(rng, *shape):
    if len(shape) == 1:
        return [rng.uniform(-1, 1) for _ in range(shape[0])]
    return [_rand(rng, *shape[1:]) for _ in range(shape[0])]


def _v(x):
    return [_v(e) for e in x] if isinstance(x, list) else Value(x)


def test_attention_head_is_scaled_dot_product_attention():
    rng = random.Random(0)
    q, k, v = _rand(rng, 4), _rand(rng, 3, 4), _rand(rng, 3, 4)
    out, weights = attention_head(_v(q), _v(k), _v(v))
    scores = [sum(a * b for a, b in zip(q, kt)) / math.sqrt(4) for kt in k]
    e = [math.exp(s - max(scores)) for s in scores]
    w = [x / sum(e) for x in e]
    assert [x.data for x in weights] == pytest.approx(w, rel=1e-12)
    assert [x.data for x in out] == pytest.approx([sum(w[t] * v[t][j] for t in range(3)) for j in range(4)], rel=1e-12)


def test_the_cache_grows_one_position_at_a_time():
    rng = random.Random(1)
    layer = {k: _v(_rand(rng, 8, 8)) for k in ("attn_wq", "attn_wk", "attn_wv", "attn_wo")}
    cache = KVCache(n_layer=1)
    for t in range(1, 4):
        out, weights = multi_head_attention(_v(_rand(rng, 8)), layer, cache, 0, n_head=2)
        assert len(cache) == t and len(out) == 8
        assert [len(w) for w in weights] == [t, t]  # each head attends over every cached position


def test_attention_gradient_matches_finite_differences():
    rng = random.Random(2)
    q0, k0, v0 = _rand(rng, 4), _rand(rng, 3, 4), _rand(rng, 3, 4)
    c = _rand(rng, 4)

    def f(q):
        out, _ = attention_head(q, _v(k0), _v(v0))
        return sum(o * ci for o, ci in zip(out, c))

    check_input_gradients(f, q0, abs=1e-10)
