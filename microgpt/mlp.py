"""Chapter 5, the MLP: every position on its own, expand 4x, ReLU, project back.

Attention moves information between positions; the MLP then transforms each
position's vector independently, with the same weights for every position.
"""
from .layers import linear


def mlp(x, layer):
    """x: [n_embd] -> mlp_fc1 -> [4*n_embd] -> relu -> mlp_fc2 -> [n_embd]."""
    h = linear(x, layer["mlp_fc1"])
    h = [hi.relu() for hi in h]
    return linear(h, layer["mlp_fc2"])
