import math
import random

import pytest
from helpers import central_difference, tiny_setup

from microgpt import GPT, GPTConfig, MicrogptError, count_params, init_weights, param_shapes


def test_article_config_has_4192_parameters():
    cfg = GPTConfig()
    assert (cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.block_size, cfg.vocab_size) == (1, 16, 4, 16, 27)
    assert count_params(cfg) == 4192
    model = GPT(cfg, init_weights(cfg, random.Random(0)))
    assert len(model.parameters()) == 4192


def test_initialisation_order_is_the_reference_order():
    cfg = GPTConfig()
    assert list(param_shapes(cfg)) == ["wte", "wpe", "lm_head", "layer0.attn_wq", "layer0.attn_wk",
                                       "layer0.attn_wv", "layer0.attn_wo", "layer0.mlp_fc1", "layer0.mlp_fc2"]
    rng = random.Random(42)
    w = init_weights(cfg, rng)
    random.seed(42)
    first = [random.gauss(0, 0.08) for _ in range(16)]
    assert w["wte"][0] == first  # one row = one output, drawn left to right


@pytest.mark.parametrize("kwargs", [{"n_embd": 10, "n_head": 4}, {"n_layer": 0}, {"block_size": -1}, {"n_head": 1.5}])
def test_bad_configs_say_what_to_fix(kwargs):
    with pytest.raises(MicrogptError):
        GPTConfig(**kwargs)


def reference_logits(cfg, w, tokens):
    """Independent float implementation: the whole sequence at once, causal attention, no cache."""
    def mv(m, x):
        return [sum(a * b for a, b in zip(row, x)) for row in m]

    def norm(x):
        s = (sum(v * v for v in x) / len(x) + 1e-5) ** -0.5
        return [v * s for v in x]

    xs = [norm([a + b for a, b in zip(w["wte"][t], w["wpe"][p])]) for p, t in enumerate(tokens)]
    hd = cfg.head_dim
    for li in range(cfg.n_layer):
        L = lambda k, li=li: w[f"layer{li}.{k}"]  # noqa: E731
        hs = [norm(x) for x in xs]
        qs = [mv(L("attn_wq"), h) for h in hs]
        ks = [mv(L("attn_wk"), h) for h in hs]
        vs = [mv(L("attn_wv"), h) for h in hs]
        new = []
        for t in range(len(xs)):
            heads = []
            for h in range(cfg.n_head):
                sl = slice(h * hd, (h + 1) * hd)
                sc = [sum(a * b for a, b in zip(qs[t][sl], ks[s][sl])) / math.sqrt(hd) if s <= t else -math.inf
                      for s in range(len(xs))]
                m = max(sc)
                e = [math.exp(v - m) for v in sc]
                wts = [v / sum(e) for v in e]
                heads += [sum(wts[s] * vs[s][sl][j] for s in range(len(xs))) for j in range(hd)]
            x = [a + b for a, b in zip(mv(L("attn_wo"), heads), xs[t])]
            mid = [max(0.0, v) for v in mv(L("mlp_fc1"), norm(x))]
            new.append([a + b for a, b in zip(mv(L("mlp_fc2"), mid), x)])
        xs = new
    return [mv(w["lm_head"], x) for x in xs]


def test_kv_cache_forward_equals_recomputing_the_whole_sequence():
    cfg, tok, w = tiny_setup(n_layer=2)
    model = GPT(cfg, w)
    tokens = [tok.BOS] + tok.encode("abcdeab")
    cache = model.new_cache()
    cached = [model.next_logits(t, p, cache) for p, t in enumerate(tokens)]
    full = reference_logits(cfg, w, tokens)
    for a, b in zip(cached, full):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


def test_whole_gpt_loss_gradient_matches_finite_differences():
    cfg, tok, w = tiny_setup(n_layer=2, seed=5)
    tokens = tok.encode_doc("badcab")
    _loss, grads = GPT(cfg, w).loss_and_grads(tokens)
    rng = random.Random(7)
    for name in w:
        for _ in range(3):
            i, j = rng.randrange(len(w[name])), rng.randrange(len(w[name][0]))
            if name == "wpe" and i >= len(tokens) - 1:
                i = 0  # positions beyond the sequence get no gradient
            def f(x, name=name, i=i, j=j):
                w2 = {k: [list(r) for r in m] for k, m in w.items()}
                w2[name][i][j] = x
                return GPT(cfg, w2).loss(tokens).data
            assert grads[name][i][j] == pytest.approx(central_difference(f, w[name][i][j], h=1e-5), rel=1e-5, abs=1e-8)


def test_loss_and_grads_twice_gives_the_same_answer_and_updates_nothing():
    cfg, tok, w = tiny_setup()
    model = GPT(cfg, w)
    tokens = tok.encode_doc("abc")
    first = model.loss_and_grads(tokens)
    assert model.loss_and_grads(tokens) == first
    assert model.weights() == w


def test_attention_maps_are_causal_rows_summing_to_one():
    cfg, tok, w = tiny_setup(n_layer=2)
    maps = GPT(cfg, w).attention_maps([tok.BOS] + tok.encode("abca"))
    assert len(maps) == 2 and len(maps[0]) == cfg.n_head
    for layer in maps:
        for head in layer:
            for t, row in enumerate(head):
                assert sum(row) == pytest.approx(1.0)
                assert all(v == 0.0 for v in row[t + 1:])


def test_weights_of_the_wrong_shape_are_refused():
    cfg, _, w = tiny_setup()
    w["wte"] = w["wte"][:-1]
    with pytest.raises(MicrogptError, match="wte"):
        GPT(cfg, w)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan"), 10 ** 400, True, "1"])
def test_weights_that_are_not_finite_numbers_are_refused(bad):
    cfg, _, w = tiny_setup()
    w["lm_head"][1][2] = bad
    with pytest.raises(MicrogptError, match=r"weight lm_head\[\d+\]\[\d+\] is .* not a finite number"):
        GPT(cfg, w)


def test_the_schema_lives_in_weights_and_model_re_exports_it():
    import microgpt
    import microgpt.weights as schema
    for name in ("param_shapes", "init_weights", "check_weights", "count_params"):
        assert getattr(microgpt.model, name) is getattr(schema, name)
    assert microgpt.param_shapes is schema.param_shapes
