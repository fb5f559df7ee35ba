"""Save and load a trained model as JSON: its config, its vocabulary and its weights.

JSON (never pickle): a checkpoint is data anyone can read, and loading one runs
no code. Python writes floats with ``repr``, so weights round-trip exactly.
Files are written atomically: a temporary file in the same folder, then a rename,
so an interrupted save never leaves half a checkpoint behind.
"""
import json
import os
import tempfile

from .errors import MicrogptError
from .model import GPTConfig, check_weights
from .tokenizer import Tokenizer

FORMAT = "microgpt-checkpoint"
VERSION = 1


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise MicrogptError(f"cannot write {path!r}: folder {folder!r} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def checkpoint_dict(model, tokenizer, **meta):
    return {"format": FORMAT, "version": VERSION, "config": model.config.to_dict(),
            "vocab": tokenizer.chars, "meta": meta, "weights": model.weights()}


def save_checkpoint(path, model, tokenizer, **meta):
    """Write ``model`` (any engine) and ``tokenizer`` to ``path``; ``meta`` is stored as-is (e.g. steps, seed)."""
    atomic_write_text(path, json.dumps(checkpoint_dict(model, tokenizer, **meta)))


def load_checkpoint(path, engine="scalar", expect_config=None, expect_vocab=None):
    """Read a checkpoint; return ``(model, tokenizer, meta)``.

    Raises MicrogptError (one line) if the file is missing, not JSON, truncated,
    not a microgpt checkpoint, internally inconsistent, or (when given) from a
    different config or vocabulary than expected.
    """
    from .engines import make_model
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MicrogptError(f"checkpoint {path!r} does not exist; train one with: python -m microgpt train --out {path}")
    try:
        with open(path, encoding="utf-8") as f:
            ck = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MicrogptError(f"checkpoint {path!r} is corrupt or truncated ({type(exc).__name__}); re-train or restore it") from None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise MicrogptError(f"{path!r} is not a microgpt checkpoint (no 'format': {FORMAT!r})")
    if ck.get("version") != VERSION:
        raise MicrogptError(f"checkpoint {path!r} has version {ck.get('version')!r}; this microgpt reads version {VERSION}")
    for key in ("config", "vocab", "weights"):
        if key not in ck:
            raise MicrogptError(f"checkpoint {path!r} is missing {key!r}; it is incomplete")
    try:
        config = GPTConfig(**ck["config"])
    except TypeError:
        raise MicrogptError(f"checkpoint {path!r} has an unknown config {ck['config']!r}") from None
    vocab = ck["vocab"]
    if not isinstance(vocab, list) or not all(isinstance(c, str) for c in vocab):
        raise MicrogptError(f"checkpoint {path!r} has a malformed vocabulary")
    tokenizer = Tokenizer(vocab)
    if tokenizer.vocab_size != config.vocab_size:
        raise MicrogptError(f"checkpoint {path!r}: vocabulary of {len(vocab)} characters + BOS does not match "
                            f"vocab_size {config.vocab_size}")
    if expect_config is not None and config != expect_config:
        raise MicrogptError(f"checkpoint {path!r} is for config {config}, not {expect_config}")
    if expect_vocab is not None and list(expect_vocab) != vocab:
        raise MicrogptError(f"checkpoint {path!r} was trained on a different vocabulary ({''.join(vocab)!r})")
    try:
        check_weights(config, ck["weights"])
    except MicrogptError as exc:
        raise MicrogptError(f"checkpoint {path!r}: {exc}") from None
    model = make_model(engine, config, ck["weights"])
    return model, tokenizer, ck.get("meta", {})
