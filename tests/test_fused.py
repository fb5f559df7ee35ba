"""The fused engine (chapter 10, rung 2): the scalar engine's numbers, computed by whole-operation kernels."""
import ast
import inspect
import random
import sys

import pytest
from helpers import losses_and_grads_of_both, tiny_setup

from microgpt import GPT, GPTConfig, init_weights
from microgpt.fused import FusedGPT

# The fused engine adds floats left to right, as the Value graph does, on every Python (layers.left_sum; the
# built-in sum() compensates round-off from 3.12): every comparison with the scalar engine is exact.
DOCS = ["emma", "a", "christopheralexander", "zoe", "yzabelle"]


def _pair(config, seed=1, std=0.5):
    weights = init_weights(config, random.Random(seed), std=std)
    return GPT(config, weights), FusedGPT(config, weights), weights


CONFIGS = [GPTConfig(vocab_size=27), GPTConfig(vocab_size=27, n_layer=2, n_embd=8, n_head=2, block_size=8)]


@pytest.mark.parametrize("config", CONFIGS, ids=["article", "2-layer"])
def test_loss_and_gradients_match_scalar(config):
    scalar, fast, _ = _pair(config)
    for ls, gs, lf, gf in losses_and_grads_of_both(scalar, fast, DOCS):
        assert lf == ls and gf == gs, "the fused engine should reproduce the scalar engine bit for bit"


def test_training_steps_match_scalar():
    cfg, tok, weights = tiny_setup(seed=3)
    scalar, fast = GPT(cfg, weights), FusedGPT(cfg, weights)
    for doc in ["abc", "eddaeb", "a", "bbbbbbbbbbbbbbb"]:
        tokens = tok.encode_doc(doc)
        ls, lf = scalar.train_step(tokens, 0.05), fast.train_step(tokens, 0.05)
        assert ls == lf
    assert scalar.weights() == fast.weights()
    loss_and_grads_does_not_update = fast.weights()
    fast.loss_and_grads(tok.encode_doc("abc"))
    assert fast.weights() == loss_and_grads_does_not_update


@pytest.mark.parametrize("name,i,j", [("wte", 4, 1), ("layer0.attn_wq", 3, 2), ("layer1.attn_wk", 0, 5),
                                      ("layer0.mlp_fc1", 7, 0), ("lm_head", 2, 3), ("wpe", 1, 6)])
def test_gradients_match_central_differences(name, i, j):
    cfg, tok, weights = tiny_setup(seed=5, n_layer=2)
    tokens = tok.encode_doc("badcab")
    _, grads = FusedGPT(cfg, weights).loss_and_grads(tokens)

    def loss_at(value):
        w = {k: [list(r) for r in m] for k, m in weights.items()}
        w[name][i][j] = value
        return FusedGPT(cfg, w).loss_and_grads(tokens)[0]

    h, w0 = 1e-5, weights[name][i][j]
    numeric = (loss_at(w0 + h) - loss_at(w0 - h)) / (2 * h)
    assert grads[name][i][j] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_kv_cache_logits_and_attention_match_scalar():
    scalar, fast, _ = _pair(CONFIGS[0], seed=7)
    tokens = [26, 4, 12, 12, 0, 26]
    cs, cf = scalar.new_cache(), fast.new_cache()
    for pos, t in enumerate(tokens):
        ls, lf = scalar.next_logits(t, pos, cs), fast.next_logits(t, pos, cf)
        assert max(abs(a - b) for a, b in zip(ls, lf)) <= 1e-12 * max(map(abs, ls))
    assert len(cf) == len(tokens)
    maps_s, maps_f = scalar.attention_maps(tokens), fast.attention_maps(tokens)
    assert len(maps_f) == 1 and len(maps_f[0]) == 4 and len(maps_f[0][0]) == len(tokens)
    for hs, hf in zip(maps_s[0], maps_f[0]):
        for rs, rf in zip(hs, hf):
            assert rf == pytest.approx(rs, abs=1e-14)


@pytest.mark.parametrize("module", ["microgpt.fused", "microgpt.numpy_engine"])
def test_fast_engines_import_neither_the_scalar_engine_nor_outside_libraries(module):
    """fused.py runs in the browser (Pyodide): standard library only. No fast engine imports model.py or autograd.py."""
    import importlib
    mod = importlib.import_module(module) if module == "microgpt.fused" else pytest.importorskip(module)
    tree = ast.parse(inspect.getsource(mod))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    allowed = set(sys.stdlib_module_names) | ({"numpy"} if module.endswith("numpy_engine") else set())
    assert imported <= allowed
    relative = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert relative.isdisjoint({"model", "autograd"}), relative


def _inside_by_hand(config, weights, tokens):
    """The residual stream and the MLP pre-activations, computed with the package's scalar layers, step by step."""
    from microgpt.attention import multi_head_attention
    from microgpt.layers import linear, rmsnorm
    from microgpt.mlp import mlp
    model = GPT(config, weights)
    cache = model.new_cache()
    streams = [[] for _ in range(config.n_layer + 1)]
    hidden = [[] for _ in range(config.n_layer)]
    logits = []
    for pos_id, tok in enumerate(tokens):
        x = rmsnorm([t + p for t, p in zip(model.state_dict["wte"][tok], model.state_dict["wpe"][pos_id])])
        for li, layer in enumerate(model.layers):
            streams[li].append([v.data for v in x])
            a, _ = multi_head_attention(rmsnorm(x), layer, cache, li, config.n_head)
            x = [ai + xi for ai, xi in zip(a, x)]                      # the stream after attention
            hidden[li].append([v.data for v in linear(rmsnorm(x), layer["mlp_fc1"])])
            x = [mi + xi for mi, xi in zip(mlp(rmsnorm(x), layer), x)]  # ... and after the MLP
        streams[-1].append([v.data for v in x])
        logits.append([v.data for v in linear(x, model.state_dict["lm_head"])])
    return streams, hidden, logits


@pytest.mark.parametrize("config", CONFIGS, ids=["article", "2-layer"])
def test_residual_stream_and_mlp_hidden_match_the_scalar_layers(config):
    scalar, fast, weights = _pair(config, seed=11)
    tokens = [26, 4, 12, 12, 0, 26, 1, 2, 3, 4][: config.block_size]
    streams, hidden, logits = _inside_by_hand(config, weights, tokens)
    cache = scalar.new_cache()
    # the pass by hand is the model's: same logits as the scalar engine
    assert logits == [scalar.next_logits(t, pos, cache) for pos, t in enumerate(tokens)]
    got_streams, got_hidden = fast.residual_stream(tokens), fast.mlp_hidden(tokens)
    assert len(got_streams) == config.n_layer + 1 and len(got_hidden) == config.n_layer
    assert all(len(s) == len(tokens) and len(s[0]) == config.n_embd for s in got_streams)
    assert all(len(h) == len(tokens) and len(h[0]) == 4 * config.n_embd for h in got_hidden)
    assert got_streams == streams          # bit for bit
    assert got_hidden == hidden


def test_inspection_truncates_to_block_size_and_leaves_the_model_alone():
    _, fast, _ = _pair(CONFIGS[1], seed=12)
    before = fast.weights()
    tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]                         # longer than block_size 8
    assert [len(s) for s in fast.residual_stream(tokens)] == [8, 8, 8]
    assert [len(h) for h in fast.mlp_hidden(tokens)] == [8, 8]
    assert fast.weights() == before
