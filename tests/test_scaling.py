"""microgpt.scaling: the parameter formula, RoPE's relative-position property, GQA == MHA, SwiGLU's gradient."""
import math
import random

import pytest
from helpers import central_difference
from hypothesis import given, settings
from hypothesis import strategies as st

from microgpt import GPTConfig, Value, attention_head, count_params
from microgpt import scaling as S


def test_microgpt_formula_matches_count_params():
    assert S.microgpt_param_count(GPTConfig()) == count_params(GPTConfig()) == 4192


@given(st.integers(1, 60), st.integers(1, 40), st.integers(1, 6), st.integers(1, 8), st.integers(1, 4))
def test_microgpt_formula_for_any_config(vocab, block, layers, head_dim, heads):
    cfg = GPTConfig(vocab_size=vocab, block_size=block, n_layer=layers, n_embd=head_dim * heads, n_head=heads)
    assert S.microgpt_param_count(cfg) == count_params(cfg)


def test_published_counts_are_close_to_what_the_authors_report():
    for s in S.PUBLISHED:
        billions = S.param_count(s) / 1e9
        assert abs(billions - s.reported_params) / s.reported_params < 0.02, s.name
        assert s.n_head * s.head_dim == s.n_embd and s.n_head % s.n_kv_head == 0


def test_known_exact_counts():
    # Totals of the released checkpoints (sum of their tensor sizes).
    assert S.param_count(S.spec("Llama-3-8B")) == 8_030_261_248
    assert S.param_count(S.spec("Mistral-7B-v0.1")) == 7_241_732_096
    assert S.param_count(S.spec("Llama-2-70B")) == 68_976_648_192


def test_kv_cache_saving_is_the_head_ratio():
    for s in S.PUBLISHED:
        mha = S.kv_cache_bytes_per_token(s, n_kv_head=s.n_head)
        assert mha == 2 * s.n_layer * s.n_embd * 2
        assert mha / S.kv_cache_bytes_per_token(s) == s.n_head / s.n_kv_head
    assert S.kv_cache_bytes_per_token(S.spec("Llama-2-70B")) == 327_680  # 320 KiB per token in bf16


vectors = st.lists(st.floats(-3, 3), min_size=8, max_size=8)


@settings(max_examples=100)
@given(vectors, vectors, st.integers(0, 5000), st.integers(0, 5000), st.integers(-300, 300))
def test_rope_score_depends_only_on_relative_position(q, k, m, n, shift):
    a = S.rope_score(q, k, m, n)
    b = S.rope_score(q, k, m + abs(shift), n + abs(shift))
    assert math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-7)


@given(vectors, st.integers(0, 10**6))
def test_rope_keeps_length_and_position_zero_is_identity(x, pos):
    norm = math.sqrt(S.dot(x, x))
    assert math.isclose(math.sqrt(S.dot(S.rope(x, pos), S.rope(x, pos))), norm, rel_tol=1e-9, abs_tol=1e-9)
    assert S.rope(x, 0) == x


def test_rope_needs_even_width():
    with pytest.raises(ValueError):
        S.rope([1.0, 2.0, 3.0], 1)


def random_qkv(rng, n_head, n_kv_head, head_dim, T):
    q = [[rng.gauss(0, 1) for _ in range(head_dim)] for _ in range(n_head)]
    keys = [[[rng.gauss(0, 1) for _ in range(head_dim)] for _ in range(n_kv_head)] for _ in range(T)]
    values = [[[rng.gauss(0, 1) for _ in range(head_dim)] for _ in range(n_kv_head)] for _ in range(T)]
    return q, keys, values


def test_gqa_with_as_many_kv_heads_as_query_heads_is_microgpts_attention():
    rng = random.Random(0)
    n_head, head_dim, T = 4, 4, 6
    q, keys, values = random_qkv(rng, n_head, n_head, head_dim, T)
    out = S.grouped_query_attention(q, keys, values)
    for h in range(n_head):
        ref, _ = attention_head([Value(x) for x in q[h]],
                                [[Value(x) for x in k_t[h]] for k_t in keys],
                                [[Value(x) for x in v_t[h]] for v_t in values])
        for a, b in zip(out[h], ref):
            assert math.isclose(a, b.data, rel_tol=1e-12, abs_tol=1e-12)


def test_gqa_equals_mha_with_each_kv_head_copied_to_its_group():
    rng = random.Random(1)
    n_head, n_kv_head, head_dim, T = 8, 2, 4, 5
    q, keys, values = random_qkv(rng, n_head, n_kv_head, head_dim, T)
    group = n_head // n_kv_head
    copy = lambda xs: [[x_t[h // group] for h in range(n_head)] for x_t in xs]  # noqa: E731
    assert S.grouped_query_attention(q, keys, values) == S.grouped_query_attention(q, copy(keys), copy(values))
    with pytest.raises(ValueError):
        S.grouped_query_attention(q[:7], keys, values)


@given(st.floats(-30, 30))
def test_silu_derivative_matches_finite_differences(x):
    assert math.isclose(S.silu_grad(x), central_difference(S.silu, x), rel_tol=1e-5, abs_tol=1e-7)


def test_swiglu_input_gradient_matches_finite_differences():
    rng = random.Random(2)
    d, d_ff = 4, 6
    x = [rng.gauss(0, 1) for _ in range(d)]
    w_gate = [[rng.gauss(0, 0.5) for _ in range(d)] for _ in range(d_ff)]
    w_up = [[rng.gauss(0, 0.5) for _ in range(d)] for _ in range(d_ff)]
    w_down = [[rng.gauss(0, 0.5) for _ in range(d_ff)] for _ in range(d)]
    out_grad = [rng.gauss(0, 1) for _ in range(d)]

    def f(xs):
        return S.dot(out_grad, S.swiglu(xs, w_gate, w_up, w_down))

    grad = S.swiglu_input_grad(x, w_gate, w_up, w_down, out_grad)
    for i in range(d):
        numeric = central_difference(lambda xi, i=i: f(x[:i] + [xi] + x[i + 1:]), x[i])
        assert math.isclose(grad[i], numeric, rel_tol=1e-6, abs_tol=1e-8)


def test_silu_has_no_dead_zone_relu_does():
    rng = random.Random(3)
    xs = [rng.gauss(0, 1) for _ in range(10_000)]
    assert sum(S.relu_grad(x) == 0 for x in xs) > 4000
    assert sum(S.silu_grad(x) == 0 for x in xs) == 0
    assert S.sigmoid(-800) == 0.0 and S.sigmoid(800) == 1.0  # no overflow
