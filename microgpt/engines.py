"""The engines: the same model computed three ways (chapter 10, "everything else is efficiency").

Every engine is a class taking ``(config, weights)``, with weights as plain floats
from ``microgpt.weights.init_weights``, and provides the methods of ``Engine``
below. What only some engines can do is listed in ``OPTIONAL``; each engine class
names the ones it has in ``capabilities``, and callers ask ``supports(model, name)``
(or ``require(model, name)``) instead of guessing.

Every engine checks its token ids with ``check_tokens`` and its positions with
``check_position``, so the same bad input gets the same message on every engine.
"""
import importlib
import math
from typing import Protocol, runtime_checkable

from .errors import DivergedError, MicrogptError

# name -> (module, class); modules are imported only when asked for (numpy is optional).
ENGINES = {
    "scalar": ("microgpt.model", "GPT"),
    "fused": ("microgpt.fused", "FusedGPT"),
    "numpy": ("microgpt.numpy_engine", "NumpyGPT"),
}


@runtime_checkable
class Engine(Protocol):
    """What every engine provides. Token lists are ``[BOS, ..., BOS]`` as ``Tokenizer.encode_doc`` gives."""

    engine: str                # the engine's name in ENGINES
    capabilities: frozenset    # the OPTIONAL methods this engine has

    @property
    def config(self):
        """The model's ``GPTConfig``."""

    def train_step(self, tokens, lr):
        """Forward, backward and one Adam update; returns the loss (a float).

        Raises ``DivergedError``, before changing any weight, if the loss or a gradient is not finite.
        """

    def eval_loss(self, tokens):
        """Mean cross-entropy of predicting each next token (a float): forward only, no backward.

        (Not ``loss``: the scalar engine's ``loss`` returns the ``Value`` graph the chapters backpropagate.)
        """

    def loss_and_grads(self, tokens):
        """``(loss, grads)``: the loss and every weight's gradient as floats, name -> [rows][cols]; no update."""

    def new_cache(self):
        """An empty KV cache for ``next_logits``."""

    def next_logits(self, token_id, pos_id, cache):
        """Logits (floats) for the token after ``token_id`` at position ``pos_id``; the cache gains this position."""

    def attention_maps(self, tokens):
        """Attention weights ``[n_layer][n_head][T][T]`` (zeros above the diagonal) of at most block_size tokens."""

    def weights(self):
        """The current weights as plain floats, name -> [rows][cols]."""


OPTIONAL = {
    "logits": "logits(tokens): the logits of every position in one pass, [T][vocab_size]",
    "residual_stream": "residual_stream(tokens): the stream before each block and after the last, "
                       "[n_layer + 1][T][n_embd]",
    "mlp_hidden": "mlp_hidden(tokens): each block's MLP pre-activations, [n_layer][T][4 * n_embd]",
    "train_step_batch": "train_step_batch(list_of_tokens, lr): one update on a batch of documents",
}


def _capability(name):
    if name not in OPTIONAL:
        raise MicrogptError(f"unknown capability {name!r}; the optional ones are: {', '.join(OPTIONAL)}")
    return name


def supports(model, name):
    """Whether ``model``'s engine has the optional method ``name`` (one of ``OPTIONAL``)."""
    return _capability(name) in type(model).capabilities


def require(model, name):
    """``model``'s optional method ``name``, or a MicrogptError naming the engines that have it."""
    if not supports(model, name):
        have = [e for e in ENGINES if name in _capabilities_of(e)]
        raise MicrogptError(f"the {model.engine} engine has no {name}(); use one of these engines: {', '.join(have)}")
    return getattr(model, name)


def _capabilities_of(name):
    try:
        return engine_class(name).capabilities
    except MicrogptError:       # an engine whose package is missing
        return frozenset()


def missing_methods(cls):
    """The names an engine class should have but lacks: required ones, and declared optional ones."""
    required = [n for n in ("engine", "capabilities", "train_step", "eval_loss", "loss_and_grads", "new_cache",
                            "next_logits", "attention_maps", "weights") if not hasattr(cls, n)]
    declared = [n for n in getattr(cls, "capabilities", ()) if n not in OPTIONAL or not callable(getattr(cls, n, None))]
    return required + declared


def engine_class(name):
    if name not in ENGINES:
        raise MicrogptError(f"unknown engine {name!r}; choose one of: {', '.join(ENGINES)}")
    module, cls = ENGINES[name]
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        raise MicrogptError(f"engine {name!r} needs a package that is not installed ({exc.name}); "
                            "pip install it") from None


def make_model(name, config, weights):
    """A model on engine ``name`` starting from ``weights``."""
    return engine_class(name)(config, weights)


# -- input checks shared by every engine ---------------------------------------------------------

def check_tokens(tokens, config, min_len=1):
    """Return ``tokens`` as a list of ints, or raise a one-line MicrogptError saying what is wrong.

    Token ids must be Python ints from 0 to vocab_size - 1 (not bools, floats or numpy
    integers). ``min_len=2`` is for training and the loss: a prediction needs a token and its successor.
    """
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__len__"):
        raise MicrogptError(f"tokens must be a list of token ids, got {type(tokens).__name__}")
    tokens = list(tokens)
    if len(tokens) < min_len:
        need = "at least 2 token ids (e.g. [BOS, ..., BOS]) to train on" if min_len >= 2 else "at least 1 token id"
        raise MicrogptError(f"the token list has {len(tokens)} token ids; it needs {need}")
    for t in tokens:
        check_token_id(t, config)
    return tokens


def check_token_id(token_id, config):
    """Raise a one-line MicrogptError unless ``token_id`` is an int from 0 to vocab_size - 1."""
    if type(token_id) is not int or not 0 <= token_id < config.vocab_size:
        raise MicrogptError(f"token ids must be whole numbers from 0 to {config.vocab_size - 1} "
                            f"(the vocabulary has {config.vocab_size}), got {token_id!r}")


def check_position(pos_id, config):
    """Raise a one-line MicrogptError unless ``pos_id`` is an int from 0 to block_size - 1."""
    if type(pos_id) is not int or not 0 <= pos_id < config.block_size:
        raise MicrogptError(f"positions must be whole numbers from 0 to {config.block_size - 1} "
                            f"(block_size {config.block_size}), got {pos_id!r}")


def check_finite(loss, grads_finite=True):
    """Raise DivergedError unless the loss is a finite number and every gradient is (``grads_finite``)."""
    if not math.isfinite(loss):
        raise DivergedError(f"training diverged: the loss became {loss}")
    if not grads_finite:
        raise DivergedError("training diverged: a gradient became infinite or NaN")


def diverged(exc=None):
    """The DivergedError for an arithmetic failure in a forward pass: a log(0) (``exc`` None or
    math's "math domain error"), an overflow or a division by zero."""
    # math.log(0) says "math domain error"; Value.log says MathDomainError ("log is defined for numbers > 0")
    log0 = exc is None or "domain" in str(exc) or type(exc).__name__ == "MathDomainError"
    what = "log(0): a correct next token got probability 0" if log0 else str(exc)
    return DivergedError(f"training diverged: {what}")
