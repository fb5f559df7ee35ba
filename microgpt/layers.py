"""The three small functions every layer of the model is made of.

They work on lists of ``Value`` (the scalar engine of the autograd chapter). The
fast engines re-implement the same arithmetic on plain floats.
"""


def linear(x, w):
    """Matrix-vector product: one output per row of ``w``.  x: [n_in], w: [n_out][n_in] -> [n_out]."""
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits):
    """Turn scores into probabilities that sum to 1 (the max is subtracted first, for stability)."""
    max_val = max(v.data for v in logits)
    exps = [(v - max_val).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x, eps=1e-5):
    """Rescale ``x`` to unit root-mean-square (no learned weights): x * (mean(x^2) + eps) ** -0.5."""
    mean_sq = sum(xi * xi for xi in x) / len(x)
    scale = (mean_sq + eps) ** -0.5
    return [xi * scale for xi in x]
