"""Chapter 12, scaling laws in miniature: train a family of sizes, fit ``L(N) = L_inf + a * N**-alpha``.

The bookkeeping of a sweep: split the names into training and held-out names, plan
batches until a model has read a given number of tokens, train one size with the
linearly decayed rate, measure its loss on names it never trained on, count its
compute (about 6 x parameters x tokens), and fit a power law to the results.

Standard library only. Training goes through an engine's public ``train_step_batch``
(the numpy engine has it), and the loss through its public ``logits``, so this module
never imports numpy itself.

>>> law = fit_power_law([1e3, 1e4, 1e5, 1e6], [2.0 + 3.0 * n ** -0.5 for n in (1e3, 1e4, 1e5, 1e6)])
>>> round(law.l_inf, 6), round(law.a, 6), round(law.alpha, 6)
(2.0, 3.0, 0.5)
"""
import math
from dataclasses import dataclass

from .data import make_rng
from .engines import make_model
from .errors import DivergedError, MicrogptError
from .model import GPTConfig, count_params, init_weights
from .optim import linear_decay

# The family of sizes the chapter trains: (n_layer, n_embd), all with n_head = 4 and
# microgpt's vocabulary and context: 1,328 to 201,088 parameters, each about 2-3.5 times
# the one before; (1, 16) is microgpt itself.
SIZES = ((1, 8), (1, 16), (1, 32), (2, 40), (3, 48), (4, 64))


def size_config(n_layer, n_embd, n_head=4, vocab_size=27, block_size=16):
    """The GPTConfig of one size of the family: only depth and width change."""
    return GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer, n_embd=n_embd, n_head=n_head)


def split_docs(docs, held_fraction=0.1):
    """(training names, held-out names): the last ``held_fraction`` of the shuffled list is held out.

    The same split as in chapter 8.
    """
    if not 0 < held_fraction < 1:
        raise MicrogptError(f"held_fraction must be between 0 and 1, got {held_fraction!r}")
    n_held = int(len(docs) * held_fraction)
    if n_held < 1 or n_held >= len(docs):
        raise MicrogptError(f"{len(docs)} documents are too few to hold out a fraction {held_fraction} of them")
    return docs[:-n_held], docs[-n_held:]


def predictions(tokens, block_size):
    """How many next tokens one encoded document trains on: every position but the last, at most block_size."""
    return min(block_size, len(tokens) - 1)


def plan_batches(encoded, num_tokens, batch_size, block_size):
    """Batches of ``batch_size`` consecutive documents (cycling through ``encoded``) until ``num_tokens`` are read.

    Returns ``(batches, tokens)``: the batches, and the number of predicted tokens they hold
    (at least ``num_tokens``; the last batch is not cut).
    """
    if not encoded:
        raise MicrogptError("there are no documents to train on")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise MicrogptError(f"the batch size must be a positive whole number, got {batch_size!r}")
    if num_tokens < 1:
        raise MicrogptError(f"the number of tokens must be at least 1, got {num_tokens!r}")
    batches, seen, i = [], 0, 0
    while seen < num_tokens:
        batch = [encoded[(i + j) % len(encoded)] for j in range(batch_size)]
        i += batch_size
        seen += sum(predictions(t, block_size) for t in batch)
        batches.append(batch)
    return batches, seen


def train_tokens(model, encoded, num_tokens, batch_size=32, learning_rate=0.01):
    """Train ``model`` in place until it has read ``num_tokens`` tokens.

    Returns ``(the loss of every step, the tokens read)``. One Adam step per batch, the
    rate decaying linearly to 0 over the planned steps (microgpt's schedule). Needs an
    engine with ``train_step_batch`` (the numpy engine).
    """
    if not hasattr(model, "train_step_batch"):
        raise MicrogptError(f"the {model.engine} engine cannot train on batches; "
                            "use engine 'numpy'")
    batches, tokens = plan_batches(encoded, num_tokens, batch_size, model.config.block_size)
    losses = []
    for step, batch in enumerate(batches):
        lr = linear_decay(step, len(batches), learning_rate)
        loss = model.train_step_batch(batch, lr)
        if not math.isfinite(loss):
            raise DivergedError(f"the loss became {loss} at step {step + 1}; "
                                "lower the learning rate")
        losses.append(loss)
    return losses, tokens


def doc_loss(logits, tokens):
    """Mean cross-entropy of one document from its logits (a row per position).

    The loss ``train_step`` reports: -ln softmax(row)[target] = logsumexp(row) - row[target],
    with the largest logit subtracted first so that exp cannot overflow.
    """
    n = min(len(logits), len(tokens) - 1)
    total = []
    for row, target in zip(logits[:n], tokens[1:n + 1]):
        top = max(row)
        logsumexp = top + math.log(math.fsum(math.exp(v - top) for v in row))
        total.append(logsumexp - row[target])
    return math.fsum(total) / n


def mean_loss(model, encoded):
    """Mean over documents of each one's mean loss, from forward passes only: no gradients.

    The same number as ``microgpt.evaluate.mean_loss``, which runs the backward pass too;
    this one needs only the engine's ``logits``, and is several times faster.
    """
    if not encoded:
        raise MicrogptError("there are no documents to evaluate on")
    block = model.config.block_size
    losses = [doc_loss(model.logits(tokens[:block + 1]), tokens) for tokens in encoded]
    return math.fsum(losses) / len(encoded)


def flops(n_params, n_tokens):
    """Training compute, counted the usual way: about 6 operations per parameter per token."""
    return 6 * n_params * n_tokens


def tokens_for(compute, n_params):
    """How many tokens a model of ``n_params`` parameters can read with ``compute`` operations."""
    return round(compute / (6 * n_params))


@dataclass(frozen=True)
class Run:
    """One trained size: its shape, what it read, and its losses."""

    n_layer: int
    n_embd: int
    params: int
    tokens: int                # predicted tokens read in training
    steps: int
    held_loss: float           # mean loss on the held-out names
    train_loss: float = None   # mean loss on training names it has read (if measured)

    @property
    def compute(self):
        return flops(self.params, self.tokens)

    @property
    def gap(self):
        """Held-out minus training loss: how much better the model does on names it has trained on."""
        return None if self.train_loss is None else self.held_loss - self.train_loss


def train_size(config, train_encoded, held_encoded, num_tokens, seed=42, batch_size=32, learning_rate=0.01,
               engine="numpy", n_train_eval=0):
    """Train one size from seeded weights until it has read ``num_tokens`` tokens; return ``(Run, model)``.

    ``n_train_eval=k`` also measures the loss on the first k training documents (capped at
    the number it read), for the train/held-out gap.
    """
    model = make_model(engine, config, init_weights(config, make_rng(seed)))
    losses, tokens = train_tokens(model, train_encoded, num_tokens, batch_size, learning_rate)
    n_eval = min(n_train_eval, len(train_encoded), len(losses) * batch_size)
    train_loss = mean_loss(model, train_encoded[:n_eval]) if n_eval else None
    run = Run(config.n_layer, config.n_embd, count_params(config), tokens, len(losses),
              mean_loss(model, held_encoded), train_loss)
    return run, model


@dataclass(frozen=True)
class PowerLaw:
    """``L(N) = l_inf + a * N**-alpha``, from ``fit_power_law``; ``rmse``: its error on its points."""

    l_inf: float
    a: float
    alpha: float
    rmse: float

    def __call__(self, n):
        return self.l_inf + self.a * n ** -self.alpha


def least_squares_line(xs, ys):
    """The least-squares line y = c + b x, in closed form: returns (c, b, sum of squared errors).

    b = sum (x - mean x)(y - mean y) / sum (x - mean x)^2, and c = mean y - b mean x.
    """
    k = len(xs)
    mx, my = math.fsum(xs) / k, math.fsum(ys) / k
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    b = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    c = my - b * mx
    return c, b, math.fsum((c + b * x - y) ** 2 for x, y in zip(xs, ys))


def fit_power_law(ns, losses, alpha_low=0.01, alpha_high=2.0, grid=200):
    """Least-squares fit of ``L(N) = l_inf + a * N**-alpha`` to points ``(ns, losses)``.

    For a fixed alpha the curve is a straight line in ``x = N**-alpha``, so l_inf and a
    come from a closed-form least-squares line. What is left is a search in one number:
    a grid of alphas (evenly spaced in log alpha), then golden-section search around
    the best grid point.
    """
    ns, losses = [float(n) for n in ns], [float(v) for v in losses]
    if len(ns) != len(losses) or len(ns) < 3:
        raise MicrogptError("fitting L_inf, a and alpha needs at least 3 points "
                            "(sizes with their losses)")
    if min(ns) <= 0 or len(set(ns)) < 3:
        raise MicrogptError("the sizes must be positive and at least 3 of them different")

    def sse(alpha):
        return least_squares_line([n ** -alpha for n in ns], losses)[2]

    ratio = (alpha_high / alpha_low) ** (1 / (grid - 1))
    alphas = [alpha_low * ratio ** i for i in range(grid)]
    errors = [sse(al) for al in alphas]
    i = min(range(grid), key=errors.__getitem__)
    lo, hi = alphas[max(i - 1, 0)], alphas[min(i + 1, grid - 1)]
    g = (math.sqrt(5) - 1) / 2        # golden section: shrink the bracket [lo, hi] by g each step
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = sse(x1), sse(x2)
    for _ in range(100):
        if f1 < f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = sse(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = sse(x2)
    alpha = (lo + hi) / 2
    l_inf, a, err = least_squares_line([n ** -alpha for n in ns], losses)
    return PowerLaw(l_inf, a, alpha, math.sqrt(err / len(ns)))
