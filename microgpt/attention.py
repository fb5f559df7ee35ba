"""Chapter 4, attention: each position asks a question of every earlier position.

A position's query ``q`` is compared with the keys ``k`` of all positions so far
(dot product, scaled by 1/sqrt(head_dim)); softmax turns the scores into weights;
the output is the weighted sum of their values ``v``. Keys and values of earlier
positions are kept in a cache, so each new position computes only its own.
"""
from .layers import linear, softmax


class KVCache:
    """The keys and values computed so far, per layer: ``keys[layer][t]`` is the key vector of position t."""

    def __init__(self, n_layer):
        self.keys = [[] for _ in range(n_layer)]    # [n_layer][T][n_embd]
        self.values = [[] for _ in range(n_layer)]  # [n_layer][T][n_embd]

    def __len__(self):
        return len(self.keys[0]) if self.keys else 0


def attention_head(q_h, k_h, v_h):
    """One head: scaled dot-product attention of one query over the cached keys and values.

    q_h: [head_dim], k_h and v_h: [T][head_dim] -> (output [head_dim], weights [T]).
    """
    head_dim = len(q_h)
    scores = [sum(q_h[j] * k_t[j] for j in range(head_dim)) / head_dim ** 0.5 for k_t in k_h]
    weights = softmax(scores)
    out = [sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim)]
    return out, weights


def multi_head_attention(x, layer, cache, li, n_head):
    """Self-attention for one new position of layer ``li``.

    x: [n_embd] (already normalised); layer: dict with attn_wq/wk/wv/wo; cache: KVCache.
    Appends this position's key and value to the cache and returns
    (output [n_embd], attention weights [n_head][T]).
    """
    q = linear(x, layer["attn_wq"])
    k = linear(x, layer["attn_wk"])
    v = linear(x, layer["attn_wv"])
    cache.keys[li].append(k)
    cache.values[li].append(v)
    head_dim = len(x) // n_head
    concat, all_weights = [], []
    for h in range(n_head):
        lo, hi = h * head_dim, (h + 1) * head_dim
        out, weights = attention_head(
            q[lo:hi],
            [k_t[lo:hi] for k_t in cache.keys[li]],
            [v_t[lo:hi] for v_t in cache.values[li]],
        )
        concat.extend(out)
        all_weights.append(weights)
    return linear(concat, layer["attn_wo"]), all_weights
