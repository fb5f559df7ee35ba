"""The whole GPT: embeddings, ``n_layer`` blocks and the output head, one position at a time.

Names follow GPT-2 / nanoGPT: ``wte`` (token embeddings), ``wpe`` (position
embeddings), ``layer{i}.attn_wq/wk/wv/wo``, ``layer{i}.mlp_fc1/fc2``, ``lm_head``.
Weights are stored row by row, one row per output (``[n_out][n_in]``).
"""
import math
from dataclasses import asdict, dataclass

from .attention import KVCache
from .autograd import Value
from .engines import check_finite, check_position, check_token_id, check_tokens, diverged
from .errors import MicrogptError
from .layers import linear, rmsnorm, softmax
from .residuals import block

# The weight schema lives in .weights (shared by every engine); the chapters import it from here too.
from .weights import LAYER_KEYS, check_weights, count_params, init_weights, param_shapes  # noqa: F401


@dataclass(frozen=True)
class GPTConfig:
    """The shape of a GPT. The defaults are microgpt's: 4,192 parameters for 27 symbols."""

    vocab_size: int = 27  # number of token ids: every character plus the BOS token
    block_size: int = 16  # the most positions the model can see (length of wpe)
    n_layer: int = 1      # number of transformer blocks stacked on the residual stream
    n_embd: int = 16      # width of the residual stream (every token's vector)
    n_head: int = 4       # attention heads per block; each sees n_embd // n_head dimensions

    def __post_init__(self):
        for field in ("vocab_size", "block_size", "n_layer", "n_embd", "n_head"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise MicrogptError(f"GPTConfig.{field} must be a positive whole number, got {value!r}")
        if self.n_embd % self.n_head:
            raise MicrogptError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")

    @property
    def head_dim(self):
        return self.n_embd // self.n_head

    def to_dict(self):
        return asdict(self)


class GPT:
    """microgpt on the scalar ``Value`` engine: slow, but every number has its gradient on show."""

    engine = "scalar"
    capabilities = frozenset({"logits"})

    def __init__(self, config, weights):
        check_weights(config, weights)
        self.config = config
        self.state_dict = {name: [[Value(w) for w in row] for row in mat] for name, mat in weights.items()}
        self.layers = [{key: self.state_dict[f"layer{i}.{key}"] for key in LAYER_KEYS}
                       for i in range(config.n_layer)]
        self.optimizer = None

    def parameters(self):
        """Every weight as a flat list of ``Value``, in initialisation order."""
        return [p for mat in self.state_dict.values() for row in mat for p in row]

    def new_cache(self):
        return KVCache(self.config.n_layer)

    def forward(self, token_id, pos_id, cache, attn=None):
        """Logits for the next token after ``token_id`` at position ``pos_id``.  -> [vocab_size] Values.

        ``cache`` holds the keys and values of the earlier positions and gains this
        one's. If ``attn`` is a list, this position's attention weights
        ``[n_layer][n_head][T]`` are appended to it.
        """
        tok_emb = self.state_dict["wte"][token_id]                # [n_embd]
        pos_emb = self.state_dict["wpe"][pos_id]                  # [n_embd]
        x = [t + p for t, p in zip(tok_emb, pos_emb)]             # [n_embd]
        x = rmsnorm(x)
        weights = []
        for li, layer in enumerate(self.layers):
            x, w = block(x, layer, cache, li, self.config.n_head)  # [n_embd], [n_head][T]
            weights.append(w)
        if attn is not None:
            attn.append(weights)
        return linear(x, self.state_dict["lm_head"])              # [vocab_size]

    def loss(self, tokens):
        """Mean cross-entropy of predicting ``tokens[t+1]`` from ``tokens[:t+1]``, over at most block_size positions."""
        tokens = check_tokens(tokens, self.config, min_len=2)
        n = min(self.config.block_size, len(tokens) - 1)
        cache = self.new_cache()
        losses = []
        for pos_id in range(n):
            logits = self.forward(tokens[pos_id], pos_id, cache)
            probs = softmax(logits)
            losses.append(-probs[tokens[pos_id + 1]].log())
        return (1 / n) * sum(losses)

    # -- the engine interface shared with the fast engines ---------------------
    def train_step(self, tokens, lr):
        """Forward, backward and one Adam update; returns the loss as a float.

        If training has diverged (a loss or gradient that is not finite, or a log(0)),
        raises DivergedError before the update, so the weights keep their last good values.
        """
        if self.optimizer is None:
            from .optim import Adam
            self.optimizer = Adam(self.parameters())
        loss = self._checked_loss(tokens)
        loss.backward()
        self._check_grads()
        self.optimizer.step(lr)
        return loss.data

    def eval_loss(self, tokens):
        """The loss as a float: the forward pass only, no backward."""
        return self._checked_loss(tokens).data

    def loss_and_grads(self, tokens):
        """The loss and every weight's gradient, as floats (for checks; does not update weights)."""
        for p in self.parameters():
            p.grad = 0
        loss = self._checked_loss(tokens)
        loss.backward()
        grads = self._floats("grad")
        for p in self.parameters():
            p.grad = 0
        return loss.data, grads

    def _checked_loss(self, tokens):
        """``loss(tokens)``, with arithmetic failures (log(0), overflow) and non-finite losses as DivergedError."""
        tokens = check_tokens(tokens, self.config, min_len=2)
        try:
            loss = self.loss(tokens)
        except (ArithmeticError, ValueError) as exc:  # math.log(0) raises ValueError
            raise diverged(exc) from None
        check_finite(loss.data)
        return loss

    def _check_grads(self):
        params = self.parameters()
        if not all(math.isfinite(p.grad) for p in params):
            for p in params:
                p.grad = 0
            check_finite(0.0, grads_finite=False)

    def next_logits(self, token_id, pos_id, cache):
        """Logits as plain floats (for sampling)."""
        check_token_id(token_id, self.config)
        check_position(pos_id, self.config)
        return [v.data for v in self.forward(token_id, pos_id, cache)]

    def attention_maps(self, tokens):
        """Attention weights for a token sequence: [n_layer][n_head][T][T], zeros above the diagonal."""
        tokens = check_tokens(tokens, self.config)
        cache, rows = self.new_cache(), []
        for pos_id, tok in enumerate(tokens[: self.config.block_size]):
            self.forward(tok, pos_id, cache, attn=rows)
        T = len(rows)
        return [[[[w.data for w in rows[t][li][h]] + [0.0] * (T - t - 1) for t in range(T)]
                 for h in range(self.config.n_head)] for li in range(self.config.n_layer)]

    def logits(self, tokens):
        """Logits of every position of ``tokens`` (at most block_size of them): [T][vocab_size] floats."""
        tokens = check_tokens(tokens, self.config)
        cache = self.new_cache()
        return [self.next_logits(t, pos_id, cache) for pos_id, t in enumerate(tokens[: self.config.block_size])]

    def weights(self):
        """Current weights as plain floats, name -> [rows][cols]."""
        return self._floats("data")

    def _floats(self, attr):
        return {name: [[float(getattr(p, attr)) for p in row] for row in mat] for name, mat in self.state_dict.items()}
