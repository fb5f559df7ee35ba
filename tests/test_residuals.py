import random

from microgpt import GPTConfig, KVCache, Value, block, init_weights, rmsnorm


def test_block_adds_to_the_stream():
    """With attention and MLP output weights at zero, a block passes x through unchanged."""
    cfg = GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    w = init_weights(cfg, random.Random(0))
    layer = {k.split(".")[1]: [[Value(x) for x in row] for row in m] for k, m in w.items() if k.startswith("layer0")}
    layer["attn_wo"] = [[Value(0.0)] * 8 for _ in range(8)]
    layer["mlp_fc2"] = [[Value(0.0)] * 32 for _ in range(8)]
    x = [Value(float(i) - 3.5) for i in range(8)]
    out, weights = block(x, layer, KVCache(1), 0, n_head=2)
    assert [o.data for o in out] == [xi.data for xi in x]
    assert len(weights) == 2


def test_identity_path_carries_gradient_one():
    """d(block output)/dx contains the identity: with zeroed sub-layers it is exactly 1 per component."""
    cfg = GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    w = init_weights(cfg, random.Random(1))
    layer = {k.split(".")[1]: [[Value(x) for x in row] for row in m] for k, m in w.items() if k.startswith("layer0")}
    layer["attn_wo"] = [[Value(0.0)] * 8 for _ in range(8)]
    layer["mlp_fc2"] = [[Value(0.0)] * 32 for _ in range(8)]
    x = rmsnorm([Value(float(i)) for i in range(8)])
    leaves = x
    out, _ = block(leaves, layer, KVCache(1), 0, n_head=2)
    out[3].backward()
    assert [v.grad for v in leaves] == [0, 0, 0, 1, 0, 0, 0, 0]
