"""microgpt: a complete GPT, trained and sampled in pure Python, one module per chapter.

Modules in chapter order: ``data`` -> ``tokenizer`` -> ``autograd`` -> ``layers``
-> ``attention`` -> ``mlp`` -> ``residuals`` -> ``model`` -> ``optim`` -> ``train``
-> ``sample`` -> ``checkpoint``; ``engines`` picks how the model is computed.
"""
import dataclasses

from .errors import MicrogptError, quiet_ctrl_c_while_starting

quiet_ctrl_c_while_starting()  # only for `python -m microgpt`: Ctrl-C during start-up is one line
# The imports below come after that call on purpose (E402) and in chapter order, not alphabetical (I001).
from .data import load_docs, make_rng, parse_docs, shuffle_docs  # noqa: E402, I001
from .tokenizer import Tokenizer  # noqa: E402
from .autograd import Value  # noqa: E402
from .layers import linear, rmsnorm, softmax  # noqa: E402
from .attention import KVCache, attention_head, multi_head_attention  # noqa: E402
from .mlp import mlp  # noqa: E402
from .residuals import block  # noqa: E402
from .model import GPT, GPTConfig, count_params, init_weights, param_shapes  # noqa: E402
from .optim import SGD, Adam, linear_decay  # noqa: E402
from .train import train  # noqa: E402
from .sample import generate, generate_ids, generate_many, next_token_probs  # noqa: E402
from .checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from .engines import ENGINES, Engine, make_model, supports  # noqa: E402

__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 -- chapter order, like the imports
    "MicrogptError", "load_docs", "make_rng", "parse_docs", "shuffle_docs", "Tokenizer", "Value",
    "linear", "rmsnorm", "softmax", "KVCache", "attention_head", "multi_head_attention", "mlp", "block",
    "GPT", "GPTConfig", "count_params", "init_weights", "param_shapes", "SGD", "Adam", "linear_decay",
    "train", "generate", "generate_ids", "generate_many", "next_token_probs", "load_checkpoint",
    "save_checkpoint", "ENGINES", "Engine", "make_model", "supports", "setup",
]


def setup(seed=42, path=None, engine="scalar", config=None, docs=None, text=None):
    """The reference setup in one call: seeded rng, shuffled docs, tokenizer, fresh model.

    The documents come from ``docs`` (a list), ``text`` (one document per line, e.g. pasted
    into the playground), ``path`` (a text file), or else the packaged names; give at most one.
    ``config`` gives the model's shape (default: the article's); its ``vocab_size`` is set
    from the tokenizer, since the data decides the vocabulary.
    Returns ``(model, docs, tokenizer, rng)``; the rng continues the same stream
    (use it for sampling after training, as microgpt does).
    """
    if sum(source is not None for source in (path, docs, text)) > 1:
        raise MicrogptError("setup takes the documents from one of path, docs or text, not several")
    rng = make_rng(seed)
    if docs is None:
        docs = parse_docs(text, "the pasted data") if text is not None else load_docs(path)
    docs = shuffle_docs(docs, rng)
    tokenizer = Tokenizer.from_docs(docs)
    config = dataclasses.replace(config or GPTConfig(), vocab_size=tokenizer.vocab_size)
    model = make_model(engine, config, init_weights(config, rng))
    return model, docs, tokenizer, rng
