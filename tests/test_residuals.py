import random

from microgpt import GPTConfig, KVCache, Value, block, init_weights, rmsnorm


def zeroed_block_layer(seed):
    """Layer-0 weights of a small model, with attention's and the MLP's output projections set to zero."""
    cfg = GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    w = init_weights(cfg, random.Random(seed))
    layer = {k.split(".")[1]: [[Value(x) for x in row] for row in m] for k, m in w.items() if k.startswith("layer0")}
    layer["attn_wo"] = [[Value(0.0)] * 8 for _ in range(8)]
    layer["mlp_fc2"] = [[Value(0.0)] * 32 for _ in range(8)]
    return layer


def test_block_adds_to_the_stream():
    """With both sub-layers' outputs at zero, a block passes x through unchanged."""
    x = [Value(float(i) - 3.5) for i in range(8)]
    out, weights = block(x, zeroed_block_layer(0), KVCache(1), 0, n_head=2)
    assert [o.data for o in out] == [xi.data for xi in x]
    assert len(weights) == 2


def test_identity_path_carries_gradient_one():
    """d(block output)/dx contains the identity: with zeroed sub-layers it is exactly 1 per component."""
    x = rmsnorm([Value(float(i)) for i in range(8)])
    out, _ = block(x, zeroed_block_layer(1), KVCache(1), 0, n_head=2)
    out[3].backward()
    assert [v.grad for v in x] == [0, 0, 0, 1, 0, 0, 0, 0]
