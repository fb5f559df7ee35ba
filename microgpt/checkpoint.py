"""Save and load a trained model as JSON: its config, its vocabulary and its weights.

JSON (never pickle): a checkpoint is data anyone can read, and loading one runs
no code. Python writes floats with ``repr``, so weights round-trip exactly.

Files are written atomically: a temporary file in the same folder, then
``os.replace``, so a failed or interrupted save never leaves half a file and never
destroys the old one. A new file gets the permissions the umask allows; a file
that is replaced keeps its mode. A symbolic link is followed: its target is written.

Loading checks everything before building a model: the file is a regular,
readable file of a sane size; the config is within ``hparams.LIMITS`` and its
parameter count (computed from the config, without allocating anything) fits in
the file; every weight is a finite number of sane size.
"""
import json
import math
import os
import secrets
import stat

from . import hparams
from .errors import MicrogptError
from .model import GPTConfig, check_weights
from .tokenizer import Tokenizer

FORMAT = "microgpt-checkpoint"
VERSION = 1
# One weight in JSON takes at least 2 bytes ("0,") and at most about 26 ("-1.2345678901234567e-300, ").
MIN_BYTES_PER_WEIGHT, MAX_BYTES_PER_WEIGHT = 2, 32
MAX_FILE_BYTES = hparams.LIMITS["n_params"].high * MAX_BYTES_PER_WEIGHT + 1_000_000  # + vocab, config, meta


def writable_target(path, what="output"):
    """The file that writing ``path`` will really replace (a symlink's target), after checking it can be.

    Raises MicrogptError if the folder does not exist, or the path names a directory,
    a device, a pipe or anything else that is not a regular file.
    """
    path = os.fspath(path)
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if os.path.islink(target):  # realpath could not resolve it: a loop of symbolic links
        raise MicrogptError(f"{what} {path!r} is a symbolic link that leads nowhere (a loop); give a file name")
    if os.path.isdir(target):
        raise MicrogptError(f"{what} {path!r} is a directory; give a file name")
    if os.path.exists(target) and not os.path.isfile(target):
        raise MicrogptError(f"{what} {path!r} is not a regular file (a device or pipe?); give a file name")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise MicrogptError(f"cannot write {path!r}: {os.path.dirname(path)!r} is a file, not a folder")
    if not os.path.isdir(folder):
        raise MicrogptError(f"cannot write {path!r}: folder {os.path.dirname(os.path.abspath(path))!r} "
                            f"does not exist; create it first")
    return target


def _open_temp(folder, name):
    """A new, empty temporary file next to ``name``: (fd, path). Mode 0o666 minus the umask."""
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def atomic_write_text(path, text, what="output"):
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    Raises MicrogptError (one line) if the path cannot be a file or the write fails
    (disk full, no permission); the old file, if any, is then untouched and no
    temporary file is left behind.
    """
    target = writable_target(path, what)
    folder, name = os.path.split(target)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    tmp = None
    try:
        fd, tmp = _open_temp(folder, name)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if old is not None:                       # replacing a file: keep its mode (and owner, if allowed)
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise MicrogptError(f"could not write {os.fspath(path)!r}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def checkpoint_dict(model, tokenizer, **meta):
    return {"format": FORMAT, "version": VERSION, "config": model.config.to_dict(),
            "vocab": tokenizer.chars, "meta": meta, "weights": model.weights()}


def save_checkpoint(path, model, tokenizer, **meta):
    """Write ``model`` (any engine) and ``tokenizer`` to ``path``; ``meta`` is stored as-is (e.g. steps, seed).

    Raises MicrogptError if ``path`` is a folder, a device or in a missing folder, or
    if the write fails; an existing checkpoint at ``path`` is then left as it was.
    """
    atomic_write_text(path, json.dumps(checkpoint_dict(model, tokenizer, **meta)), "checkpoint")


def param_count(config):
    """``count_params(config)`` by formula, without building the table of shapes (safe for any size)."""
    v, b, e, n = config.vocab_size, config.block_size, config.n_embd, config.n_layer
    return 2 * v * e + b * e + n * 12 * e * e


class _NotFinite(Exception):
    pass


def _refuse_constant(name):
    raise _NotFinite(name)


def _read_json(path):
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MicrogptError(f"checkpoint {path!r} does not exist; "
                            f"train one with: python -m microgpt train --out {path}") from None
    except OSError as exc:
        raise MicrogptError(f"cannot read checkpoint {path!r}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise MicrogptError(f"checkpoint {path!r} is a directory; give the checkpoint file")
    if not stat.S_ISREG(info.st_mode):
        raise MicrogptError(f"checkpoint {path!r} is not a regular file (a device or pipe?)")
    if info.st_size > MAX_FILE_BYTES:
        raise MicrogptError(f"{path!r} is {info.st_size:,} bytes, too large to be a microgpt checkpoint "
                            f"(at most {hparams.LIMITS['n_params'].high:,} parameters)")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, parse_constant=_refuse_constant), info.st_size
    except OSError as exc:
        raise MicrogptError(f"cannot read checkpoint {path!r}: {exc.strerror or exc}") from None
    except _NotFinite as exc:
        raise MicrogptError(f"checkpoint {path!r} holds {exc} (not a finite number): the run it was saved "
                            "from had diverged; re-train with a smaller learning rate") from None
    except RecursionError:
        raise MicrogptError(f"checkpoint {path!r} is nested too deeply to be a microgpt checkpoint") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError; so is a 5,000-digit int
        raise MicrogptError(f"checkpoint {path!r} is corrupt or truncated ({type(exc).__name__}); "
                            "re-train or restore it") from None


def _check_config(path, raw):
    if not isinstance(raw, dict) or set(raw) != set(GPTConfig.__dataclass_fields__):
        raise MicrogptError(f"checkpoint {path!r} has an unknown config {hparams.shorten(raw, 120)}")
    try:
        return GPTConfig(**{field: hparams.check(field, value) for field, value in raw.items()})
    except MicrogptError as exc:
        raise MicrogptError(f"checkpoint {path!r}: config {exc}") from None


def _check_weight_values(path, weights):
    low, high = hparams.LIMITS["weight"].low, hparams.LIMITS["weight"].high
    for name, mat in weights.items():
        for r, row in enumerate(mat):
            for c, w in enumerate(row):
                if not ((isinstance(w, float) and math.isfinite(w)) or isinstance(w, int)) or not low <= w <= high:
                    raise MicrogptError(f"checkpoint {path!r}: weight {name}[{r}][{c}] is {hparams.shorten(w)}; "
                                        f"weights must be finite numbers from {low:g} to {high:g} "
                                        "(the file is damaged or the run diverged)")


def load_checkpoint(path, engine="scalar", expect_config=None, expect_vocab=None):
    """Read a checkpoint; return ``(model, tokenizer, meta)``.

    Raises MicrogptError (one line) if the file is missing, unreadable, not JSON,
    truncated, too deeply nested, not a microgpt checkpoint, internally
    inconsistent, too large for its config, holds non-finite or huge weights, or
    (when given) is from a different config or vocabulary than expected.
    """
    from .engines import make_model
    path = os.fspath(path)
    ck, size = _read_json(path)
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise MicrogptError(f"{path!r} is not a microgpt checkpoint (no 'format': {FORMAT!r})")
    if ck.get("version") != VERSION:
        raise MicrogptError(f"checkpoint {path!r} has version {hparams.shorten(ck.get('version'))}; "
                            f"this microgpt reads version {VERSION}")
    for key in ("config", "vocab", "weights"):
        if key not in ck:
            raise MicrogptError(f"checkpoint {path!r} is missing {key!r}; it is incomplete")
    config = _check_config(path, ck["config"])
    n_params = param_count(config)
    if n_params > hparams.LIMITS["n_params"].high:
        raise MicrogptError(f"checkpoint {path!r}: its config has {n_params:,} parameters, more than the "
                            f"{hparams.LIMITS['n_params'].high:,} microgpt can hold")
    if n_params * MIN_BYTES_PER_WEIGHT > size:
        raise MicrogptError(f"checkpoint {path!r}: its config needs {n_params:,} weights, which cannot fit in "
                            f"its {size:,} bytes; the config is damaged")
    vocab = ck["vocab"]
    if not isinstance(vocab, list) or not all(isinstance(c, str) and len(c) == 1 for c in vocab) \
            or len(set(vocab)) != len(vocab):
        raise MicrogptError(f"checkpoint {path!r} has a malformed vocabulary (it must be distinct single characters)")
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
    _check_weight_values(path, ck["weights"])
    meta = ck.get("meta", {})
    if not isinstance(meta, dict):
        raise MicrogptError(f"checkpoint {path!r} has a malformed 'meta' (it must be a JSON object)")
    model = make_model(engine, config, ck["weights"])
    return model, tokenizer, meta
