"""The numpy engine (chapter 10, rung 3): whole sequences under a causal mask, batches, no-residual variant."""
import random

import pytest
from helpers import tiny_setup

np = pytest.importorskip("numpy")

from helpers import losses_and_grads_of_both, max_rel_diff  # noqa: E402

from microgpt import GPT, GPTConfig, init_weights  # noqa: E402
from microgpt.numpy_engine import NumpyGPT  # noqa: E402

DOCS = ["emma", "a", "christopheralexander", "zoe", "yzabelle"]


CONFIGS = [GPTConfig(vocab_size=27), GPTConfig(vocab_size=27, n_layer=2, n_embd=8, n_head=2, block_size=8)]


@pytest.mark.parametrize("config", CONFIGS, ids=["article", "2-layer"])
def test_loss_and_gradients_match_scalar(config):
    weights = init_weights(config, random.Random(1), std=0.5)
    scalar, fast = GPT(config, weights), NumpyGPT(config, weights)
    for _ls, _gs, lf, gf in losses_and_grads_of_both(scalar, fast, DOCS):
        assert isinstance(lf, float) and isinstance(gf["wte"][0][0], float)


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("name,i,j", [("wte", 4, 1), ("layer0.attn_wv", 3, 2), ("layer2.attn_wk", 0, 5),
                                      ("layer1.mlp_fc2", 7, 30), ("lm_head", 2, 3), ("wpe", 1, 6)])
def test_gradients_match_central_differences(name, i, j, residual):
    cfg, tok, weights = tiny_setup(seed=5, n_layer=3)
    tokens = tok.encode_doc("badcab")
    _, grads = NumpyGPT(cfg, weights, residual=residual).loss_and_grads(tokens)

    def loss_at(value):
        w = {k: [list(r) for r in m] for k, m in weights.items()}
        w[name][i][j] = value
        return NumpyGPT(cfg, w, residual=residual).loss_and_grads(tokens)[0]

    h, w0 = 1e-5, weights[name][i][j]
    numeric = (loss_at(w0 + h) - loss_at(w0 - h)) / (2 * h)
    assert grads[name][i][j] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_residual_false_removes_the_residual_adds():
    cfg, tok, weights = tiny_setup(seed=2, n_layer=2)
    tokens = tok.encode_doc("abcd")
    with_res, without = NumpyGPT(cfg, weights), NumpyGPT(cfg, weights, residual=False)
    assert with_res.loss_and_grads(tokens)[0] != without.loss_and_grads(tokens)[0]
    # without residuals, the KV-cache path and the full-sequence path still agree
    cache = without.new_cache()
    cached = [without.next_logits(t, p, cache) for p, t in enumerate(tokens[:-1])]
    assert np.allclose(cached, without.logits(tokens[:-1]), rtol=0, atol=1e-12)


def test_training_steps_match_scalar():
    cfg, tok, weights = tiny_setup(seed=3)
    scalar, fast = GPT(cfg, weights), NumpyGPT(cfg, weights)
    for doc in ["abc", "eddaeb", "a", "bbbbbbbbbbbbbbb"]:
        tokens = tok.encode_doc(doc)
        ls, lf = scalar.train_step(tokens, 0.05), fast.train_step(tokens, 0.05)
        assert abs(ls - lf) <= 1e-12 * ls
    assert max_rel_diff(scalar.weights(), fast.weights()) <= 1e-12


def test_batch_of_one_equals_unbatched():
    cfg, tok, weights = tiny_setup(seed=4)
    a, b = NumpyGPT(cfg, weights), NumpyGPT(cfg, weights)
    for doc in ["abc", "eddaeb", "a", "bbbbbbbbbbbbbbb"]:
        tokens = tok.encode_doc(doc)
        assert a.train_step(tokens, 0.03) == b.train_step_batch([tokens], 0.03)
    assert a.weights() == b.weights()


def test_batch_is_the_mean_of_its_documents():
    cfg, tok, weights = tiny_setup(seed=6)
    docs = [tok.encode_doc(d) for d in ["abc", "eddaebacdeabcdeabc", "a"]]  # one longer than block_size
    single = [NumpyGPT(cfg, weights).loss_and_grads(d) for d in docs]
    model = NumpyGPT(cfg, weights)
    loss = model._loss_and_backward(*model._batch(docs))
    assert loss == pytest.approx(sum(s[0] for s in single) / 3, rel=1e-12)
    for name, grad in model.grad_views.by_name.items():
        expected = sum(np.array(s[1][name]) for s in single) / 3
        assert np.allclose(grad, expected, rtol=0, atol=1e-13)


def test_kv_cache_logits_equal_the_full_sequence_forward():
    cfg = CONFIGS[0]
    model = NumpyGPT(cfg, init_weights(cfg, random.Random(7), std=0.5))
    tokens = [26, 4, 12, 12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]   # all block_size positions
    cache = model.new_cache()
    cached = [model.next_logits(t, pos, cache) for pos, t in enumerate(tokens)]
    assert len(cache) == len(tokens)
    assert np.allclose(cached, model.logits(tokens), rtol=0, atol=1e-12)


def test_attention_maps_match_scalar():
    cfg = CONFIGS[1]
    weights = init_weights(cfg, random.Random(9), std=0.5)
    tokens = [26, 4, 12, 12, 0]
    maps_s, maps_n = GPT(cfg, weights).attention_maps(tokens), NumpyGPT(cfg, weights).attention_maps(tokens)
    assert np.array(maps_n).shape == (2, 2, 5, 5)
    assert np.allclose(maps_n, maps_s, rtol=0, atol=1e-14)


@pytest.mark.parametrize("config", CONFIGS, ids=["article", "2-layer"])
def test_residual_stream_and_mlp_hidden_match_fused(config):
    from microgpt.fused import FusedGPT
    weights = init_weights(config, random.Random(11), std=0.5)
    tokens = [26, 4, 12, 12, 0, 26, 1, 2, 3, 4][: config.block_size]
    model, fast = NumpyGPT(config, weights), FusedGPT(config, weights)
    streams, hidden = np.array(model.residual_stream(tokens)), np.array(model.mlp_hidden(tokens))
    T, E, L = len(tokens), config.n_embd, config.n_layer
    assert streams.shape == (L + 1, T, E) and hidden.shape == (L, T, 4 * E)
    assert np.allclose(streams, fast.residual_stream(tokens), rtol=0, atol=1e-12)
    assert np.allclose(hidden, fast.mlp_hidden(tokens), rtol=0, atol=1e-12)
    # the stream starts as rmsnorm(wte[token] + wpe[position]) ...
    x0 = np.array(weights["wte"])[tokens] + np.array(weights["wpe"])[:T]
    assert np.allclose(streams[0], x0 / np.sqrt(np.mean(x0 ** 2, axis=1, keepdims=True) + 1e-5), rtol=0, atol=1e-14)
    # ... and its last entry is what lm_head reads
    assert np.allclose(streams[-1] @ np.array(weights["lm_head"]).T, model.logits(tokens), rtol=0, atol=1e-12)


def test_residual_stream_adds_what_each_block_adds():
    """x_{l+1} - x_l = attention update + mlp update, and mlp_hidden is fc1(rmsnorm(h_l)), h_l = x_l + attention."""
    cfg = CONFIGS[1]
    weights = init_weights(cfg, random.Random(13), std=0.5)
    tokens = [26, 4, 12, 12, 0, 26]
    model = NumpyGPT(cfg, weights)
    streams, hidden = np.array(model.residual_stream(tokens)), np.array(model.mlp_hidden(tokens))
    for li in range(cfg.n_layer):
        fc1, fc2 = (np.array(weights[f"layer{li}.mlp_{k}"]) for k in ("fc1", "fc2"))
        # h_l: switch off this block's MLP (fc2 = 0); the earlier blocks are unchanged, so it comes out as x_l + attn
        cut = dict(weights, **{f"layer{li}.mlp_fc2": np.zeros_like(fc2).tolist()})
        cut_streams = np.array(NumpyGPT(cfg, cut).residual_stream(tokens))
        assert np.array_equal(cut_streams[li], streams[li])
        h = cut_streams[li + 1]
        hn = h / np.sqrt(np.mean(h ** 2, axis=1, keepdims=True) + 1e-5)
        assert np.allclose(hidden[li], hn @ fc1.T, rtol=0, atol=1e-12)
        attn_update, mlp_update = h - streams[li], np.maximum(hidden[li], 0.0) @ fc2.T
        assert np.allclose(streams[li + 1] - streams[li], attn_update + mlp_update, rtol=0, atol=1e-12)


def test_residual_false_stream_is_each_blocks_output():
    cfg = CONFIGS[1]
    weights = init_weights(cfg, random.Random(14), std=0.5)
    tokens = [26, 4, 12, 12, 0]
    off = NumpyGPT(cfg, weights, residual=False)
    streams = np.array(off.residual_stream(tokens))
    assert np.allclose(streams[-1], np.maximum(np.array(off.mlp_hidden(tokens))[-1], 0.0)
                       @ np.array(weights["layer1.mlp_fc2"]).T, rtol=0, atol=1e-14)
