"""Chapter 11, from microgpt to frontier models: parameter counts, and three upgrades in miniature.

* ``microgpt_param_count``: microgpt's parameter count from a formula (checked
  against ``count_params``), and ``param_count`` for the architecture of today's
  open models (Llama, Mistral, Qwen), applied to their published configurations.
* ``rope``: rotary position embeddings (no position table; attention scores depend
  only on how far apart two tokens are).
* ``grouped_query_attention`` and ``kv_cache_bytes_per_token``: several query heads
  share one key/value head, so the KV cache shrinks by ``n_head / n_kv_head``.
* ``swiglu``: the gated MLP with the SiLU activation, which has no flat zero region.

Standard library only, plain floats; small enough to check by hand, not to train with.
"""
import math
from dataclasses import dataclass

from .layers import softmax_floats


# -- parameter counts -------------------------------------------------------------
def microgpt_param_count(config):
    """microgpt's parameters by formula: 2*V*d (wte, lm_head) + T*d (wpe) + 12*L*d^2 (per block: 4 d*d attention
    matrices and the 4x MLP's two d*4d matrices).  ``microgpt_param_count(GPTConfig()) == 4192``."""
    V, T, L, d = config.vocab_size, config.block_size, config.n_layer, config.n_embd
    return 2 * V * d + T * d + 12 * L * d * d


@dataclass(frozen=True)
class ModelSpec:
    """The shape of a Llama-style model (RoPE, GQA, SwiGLU, RMSNorm), as published in its config.json."""

    name: str
    n_layer: int            # transformer blocks ("num_hidden_layers")
    n_embd: int             # residual stream width ("hidden_size")
    n_head: int             # query heads ("num_attention_heads")
    n_kv_head: int          # key/value heads ("num_key_value_heads"); == n_head means plain multi-head attention
    head_dim: int           # width of one head
    d_ff: int               # SwiGLU hidden width ("intermediate_size")
    vocab_size: int         # token ids
    context: int            # longest context the model is published for, in tokens
    tied_embeddings: bool   # lm_head shares the token embedding matrix
    qkv_bias: bool          # the q, k, v projections have biases (Qwen does)
    reported_params: float  # the parameter count its authors give, in billions
    source: str             # where the numbers come from


# Published configurations, as released in each model's config.json on Hugging Face (URL in
# ``source``) and its paper; recorded by hand here, so check a value against its source before reuse.
PUBLISHED = (
    # Touvron et al. 2023, "Llama 2", arXiv:2307.09288, Table 1 (70B uses GQA, 4k context); "70B".
    ModelSpec("Llama-2-70B", n_layer=80, n_embd=8192, n_head=64, n_kv_head=8, head_dim=128, d_ff=28672,
              vocab_size=32000, context=4096, tied_embeddings=False, qkv_bias=False, reported_params=70.0,
              source="https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json"),
    # Llama Team 2024, "The Llama 3 Herd of Models", arXiv:2407.21783, Table 3; "8B".
    ModelSpec("Llama-3-8B", n_layer=32, n_embd=4096, n_head=32, n_kv_head=8, head_dim=128, d_ff=14336,
              vocab_size=128256, context=8192, tied_embeddings=False, qkv_bias=False, reported_params=8.0,
              source="https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json"),
    # Jiang et al. 2023, "Mistral 7B", arXiv:2310.06825, Table 1 (context_len 8192); 7.3B per Mistral AI's release.
    ModelSpec("Mistral-7B-v0.1", n_layer=32, n_embd=4096, n_head=32, n_kv_head=8, head_dim=128, d_ff=14336,
              vocab_size=32000, context=8192, tied_embeddings=False, qkv_bias=False, reported_params=7.3,
              source="https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json; context from "
                     "arXiv:2310.06825 Table 1 (the config.json says 32768)"),
    # Qwen Team 2024, "Qwen2.5 Technical Report", arXiv:2412.15115, Table 1; 72.7B per the model card.
    ModelSpec("Qwen2.5-72B", n_layer=80, n_embd=8192, n_head=64, n_kv_head=8, head_dim=128, d_ff=29568,
              vocab_size=152064, context=131072, tied_embeddings=False, qkv_bias=True, reported_params=72.7,
              source="https://huggingface.co/Qwen/Qwen2.5-72B/blob/main/config.json"),
)


def spec(name):
    """The published configuration called ``name``."""
    for s in PUBLISHED:
        if s.name == name:
            return s
    raise KeyError(f"no published config {name!r}; choose one of: {', '.join(s.name for s in PUBLISHED)}")


def param_breakdown(s):
    """Parameters of a Llama-style model by part -> dict (sum them for the total).

    Per block: q and o are n_embd x (n_head*head_dim); k and v are n_embd x (n_kv_head*head_dim);
    SwiGLU has three n_embd x d_ff matrices (gate, up, down); two RMSNorm weight vectors.
    No position parameters at all: RoPE is a fixed rotation.
    """
    d, q_width, kv_width = s.n_embd, s.n_head * s.head_dim, s.n_kv_head * s.head_dim
    attention = 2 * d * q_width + 2 * d * kv_width + ((q_width + 2 * kv_width) if s.qkv_bias else 0)
    return {
        "embedding": s.vocab_size * d,
        "attention": s.n_layer * attention,
        "mlp": s.n_layer * 3 * d * s.d_ff,
        "norms": s.n_layer * 2 * d + d,
        "lm_head": 0 if s.tied_embeddings else s.vocab_size * d,
    }


def param_count(s):
    """Total parameters of a Llama-style model from its configuration."""
    return sum(param_breakdown(s).values())


def kv_cache_bytes_per_token(s, n_kv_head=None, bytes_per_value=2):
    """Bytes the KV cache grows by for each token: a key and a value vector per layer per KV head.

    ``n_kv_head=s.n_head`` gives the plain multi-head attention cost; 2 bytes per value is bf16/fp16.
    """
    n_kv_head = s.n_kv_head if n_kv_head is None else n_kv_head
    return 2 * s.n_layer * n_kv_head * s.head_dim * bytes_per_value


# -- RoPE: rotary position embeddings (Su et al. 2021, "RoFormer", arXiv:2104.09864) ----
def rope(x, pos, base=10000.0):
    """Rotate each pair (x[2i], x[2i+1]) of a query or key by the angle pos * base**(-2i/d).

    Applied to q and k (not v) just before the dot product. A rotation keeps the
    vector's length, and rotating q by angle a and k by angle b leaves q.k depending
    on a - b only: the score sees the tokens' distance, not their absolute positions.
    """
    d = len(x)
    if d % 2:
        raise ValueError(f"rope needs an even width, got {d}")
    out = []
    for i in range(0, d, 2):
        angle = pos * base ** (-i / d)
        c, s = math.cos(angle), math.sin(angle)
        out += [x[i] * c - x[i + 1] * s, x[i] * s + x[i + 1] * c]
    return out


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def rope_score(q, k, q_pos, k_pos, base=10000.0):
    """The attention score (before scaling) of a query at ``q_pos`` and a key at ``k_pos`` under RoPE."""
    return dot(rope(q, q_pos, base), rope(k, k_pos, base))


# -- grouped-query attention (Ainslie et al. 2023, "GQA", arXiv:2305.13245) --------
def softmax(xs):
    return softmax_floats(xs).probs


def grouped_query_attention(q, keys, values):
    """One new position's attention with shared key/value heads.

    q: [n_head][head_dim]; keys, values: [T][n_kv_head][head_dim] -> [n_head][head_dim].
    Query heads are split into n_kv_head equal groups; group g reads key/value head g.
    n_kv_head == n_head is ordinary multi-head attention; n_kv_head == 1 is multi-query attention.
    """
    n_head, n_kv_head = len(q), len(keys[0])
    if n_head % n_kv_head:
        raise ValueError(f"n_head ({n_head}) must be a multiple of n_kv_head ({n_kv_head})")
    group = n_head // n_kv_head
    out = []
    for h in range(n_head):
        g = h // group                                            # the KV head this query head shares
        scale = len(q[h]) ** -0.5
        weights = softmax([dot(q[h], k_t[g]) * scale for k_t in keys])   # [T]
        out.append([sum(w * v_t[g][j] for w, v_t in zip(weights, values)) for j in range(len(q[h]))])
    return out


# -- SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer", arXiv:2002.05202) ----
def sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def silu(x):
    """SiLU (a.k.a. swish): x * sigmoid(x). Smooth; negative inputs give small negative outputs, not 0."""
    return x * sigmoid(x)


def silu_grad(x):
    """d silu / dx = sigmoid(x) * (1 + x * (1 - sigmoid(x))); zero only at one point, x ~ -1.2785."""
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def relu(x):
    return max(0.0, x)


def relu_grad(x):
    """d relu / dx: 1 for x > 0, else 0.  # NOTE: 0 at x == 0, as in microgpt's Value.relu."""
    return 1.0 if x > 0 else 0.0


def swiglu(x, w_gate, w_up, w_down):
    """The gated MLP of Llama-style models: down( silu(gate x) * (up x) ).

    x: [n_embd]; w_gate, w_up: [d_ff][n_embd]; w_down: [n_embd][d_ff] -> [n_embd].
    """
    gate = [dot(row, x) for row in w_gate]                        # [d_ff]
    up = [dot(row, x) for row in w_up]                            # [d_ff]
    hidden = [silu(g) * u for g, u in zip(gate, up)]              # [d_ff]
    return [dot(row, hidden) for row in w_down]                   # [n_embd]


def swiglu_input_grad(x, w_gate, w_up, w_down, out_grad):
    """d(sum(out_grad * swiglu(x))) / dx, by the chain rule: [n_embd]."""
    gate = [dot(row, x) for row in w_gate]
    up = [dot(row, x) for row in w_up]
    d_hidden = [sum(out_grad[i] * w_down[i][j] for i in range(len(w_down))) for j in range(len(gate))]
    d_gate = [dh * silu_grad(g) * u for dh, g, u in zip(d_hidden, gate, up)]
    d_up = [dh * silu(g) for dh, g in zip(d_hidden, gate)]
    return [sum(d_gate[j] * w_gate[j][i] + d_up[j] * w_up[j][i] for j in range(len(gate))) for i in range(len(x))]
