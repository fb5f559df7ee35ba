"""Chapter 6, residual connections: each sub-layer adds to the stream instead of replacing it.

A transformer block is two updates of the same vector, the "residual stream"::

    x = x + attention(rmsnorm(x))
    x = x + mlp(rmsnorm(x))

Because of the ``x +``, the gradient of the output with respect to ``x`` always
contains an identity path, so it reaches the first layer undiminished however
deep the stack is.
"""
from .attention import multi_head_attention
from .layers import rmsnorm
from .mlp import mlp


def block(x, layer, cache, li, n_head):
    """One transformer block for one position.  x: [n_embd] -> ([n_embd], attention weights [n_head][T])."""
    x_residual = x
    x = rmsnorm(x)
    x, weights = multi_head_attention(x, layer, cache, li, n_head)
    x = [a + b for a, b in zip(x, x_residual)]
    x_residual = x
    x = rmsnorm(x)
    x = mlp(x, layer)
    x = [a + b for a, b in zip(x, x_residual)]
    return x, weights
