"""The weight schema every engine shares: which matrices a GPT has, their shapes, fresh values, checks.

Weights travel between engines, checkpoints and the chapters as plain floats,
``name -> [rows][cols]`` with one row per output (``[n_out][n_in]``). Names follow
GPT-2 / nanoGPT: ``wte`` (token embeddings), ``wpe`` (position embeddings),
``layer{i}.attn_wq/wk/wv/wo``, ``layer{i}.mlp_fc1/fc2``, ``lm_head``.

Standard library only, and no engine: the scalar, fused and numpy engines all
import this module, none of them imports another.
"""
import math

from .errors import MicrogptError

LAYER_KEYS = ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")


def param_shapes(config):
    """Every weight matrix, in microgpt's initialisation order: name -> (rows, cols)."""
    c = config
    shapes = {"wte": (c.vocab_size, c.n_embd), "wpe": (c.block_size, c.n_embd), "lm_head": (c.vocab_size, c.n_embd)}
    for i in range(c.n_layer):
        shapes[f"layer{i}.attn_wq"] = (c.n_embd, c.n_embd)
        shapes[f"layer{i}.attn_wk"] = (c.n_embd, c.n_embd)
        shapes[f"layer{i}.attn_wv"] = (c.n_embd, c.n_embd)
        shapes[f"layer{i}.attn_wo"] = (c.n_embd, c.n_embd)
        shapes[f"layer{i}.mlp_fc1"] = (4 * c.n_embd, c.n_embd)
        shapes[f"layer{i}.mlp_fc2"] = (c.n_embd, 4 * c.n_embd)
    return shapes


def count_params(config):
    """Number of trainable numbers.  ``count_params(GPTConfig()) == 4192``."""
    return sum(r * c for r, c in param_shapes(config).values())


def init_weights(config, rng, std=0.08):
    """Fresh weights as plain floats: ``rng.gauss(0, std)``, matrix by matrix, row by row.

    Every engine starts from these, so every engine starts from the same numbers.
    """
    return {name: [[rng.gauss(0, std) for _ in range(cols)] for _ in range(rows)]
            for name, (rows, cols) in param_shapes(config).items()}


def check_weights(config, weights):
    """Raise MicrogptError unless ``weights`` has exactly the matrices and shapes of ``config``, all finite."""
    shapes = param_shapes(config)
    if not isinstance(weights, dict) or set(weights) != set(shapes):
        have = sorted(weights) if isinstance(weights, dict) else type(weights).__name__
        raise MicrogptError(f"weights do not match the config: expected matrices {sorted(shapes)}, got {have}")
    for name, (rows, cols) in shapes.items():
        mat = weights[name]
        if (not isinstance(mat, list) or len(mat) != rows
                or any(not isinstance(row, list) or len(row) != cols for row in mat)):
            raise MicrogptError(f"weight {name} does not have shape {rows}x{cols} required by the config")
        for i, row in enumerate(mat):
            for j, w in enumerate(row):
                if not _finite_number(w):
                    shown = repr(w) if len(repr(w)) <= 24 else repr(w)[:12] + "..."
                    raise MicrogptError(f"weight {name}[{i}][{j}] is {shown}, which is not a finite number")


def _finite_number(w):
    """A float or int (not bool) that converts to a finite float."""
    if isinstance(w, bool) or not isinstance(w, (int, float)):
        return False
    return math.isfinite(w) if isinstance(w, float) else -1e308 < w < 1e308
