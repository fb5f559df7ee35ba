"""Small shared helpers for the tests (not a test module)."""
import os
import pathlib
import random
import sys

import pytest

from microgpt import GPTConfig, Tokenizer, init_weights
from microgpt.data import reference_run

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
# The loopback server, Chromium's path and flags, and the request filter: one copy, in scripts/loopback.py.
from loopback import CHROMIUM, CHROMIUM_ARGS, block_off_loopback, serve  # noqa: E402, F401 (re-exported)
from loopback import build_book as loopback_build_book  # noqa: E402

# The reference microgpt's first 20 losses (seed 42, article config): kept under this name for the
# tests that import it; the figures themselves come from the package's reference_run().
GOLDEN_2017_FIRST_LOSSES = reference_run()["first_losses"]


def assert_one_line_error(proc, fragment, prog="microgpt"):
    """A refused command: exit 2, one line ``prog: error: ...`` on stderr holding ``fragment``, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{prog}: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def check_input_gradients(f, x0, rel=1e-6, abs=1e-9):
    """Backward through ``f`` (a list of Values -> one Value) at ``x0``.

    Each input's grad must match a central difference.
    """
    import pytest

    from microgpt import Value

    xs = [Value(v) for v in x0]
    f(xs).backward()
    for i in range(len(x0)):
        def fi(t, i=i):
            return f([Value(v) for v in x0[:i] + [t] + x0[i + 1:]]).data
        assert xs[i].grad == pytest.approx(central_difference(fi, x0[i]), rel=rel, abs=abs), f"input {i}"


def tiny_setup(seed=0, n_layer=1, n_embd=8, n_head=2, block_size=8, std=0.3):
    """A small random model over a small vocabulary, for fast gradient checks."""
    tok = Tokenizer(list("abcde"))
    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=block_size, n_layer=n_layer, n_embd=n_embd, n_head=n_head)
    return cfg, tok, init_weights(cfg, random.Random(seed), std=std)


def png_img_alt(value):
    """The alt text of a widget picture (an <img> holding a PNG); fails if it is not one."""
    import html
    import re
    m = re.fullmatch(r'<img src="data:image/png;base64,(iVBORw0KGgo[A-Za-z0-9+/=]+)" alt="([^"]+)" [^>]*>', value)
    assert m, value[:120]
    return html.unescape(m.group(2))


def max_rel_diff(ga, gb):
    """Largest |a - b| of each matrix (name -> rows), relative to that matrix's largest |a|."""
    worst = 0.0
    for name in ga:
        scale = max(abs(v) for row in ga[name] for v in row) or 1.0
        diff = max(abs(a - b) for ra, rb in zip(ga[name], gb[name]) for a, b in zip(ra, rb))
        worst = max(worst, diff / scale)
    return worst


def losses_and_grads_of_both(a, b, docs):
    """``(loss_a, grads_a, loss_b, grads_b)`` of two engines on each document (names tokenizer); checks 1e-12."""
    from microgpt import load_docs
    tok = Tokenizer.from_docs(load_docs())
    for doc in docs:
        tokens = tok.encode_doc(doc)
        la, ga = a.loss_and_grads(tokens)
        lb, gb = b.loss_and_grads(tokens)
        assert abs(la - lb) <= 1e-12 * abs(la)
        assert max_rel_diff(ga, gb) <= 1e-12
        yield la, ga, lb, gb


def unavailable(reason):
    """Skip: a browser test's tool is missing (Chromium, playwright, jupyter-book, ...); under CI=true, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser and book tests must run in CI)")
    pytest.skip(reason)


def build_book(out, *args, **env):
    """``loopback.build_book``: ``(CompletedProcess, out / "_build")``; skips (``unavailable``) without jupyter-book."""
    result, build = loopback_build_book(out, *args, **env)
    if result is None:
        unavailable("jupyter-book is not installed (pip install -r requirements.txt)")
    return result, build


def deny_reading(monkeypatch, path):
    """Make ``open(path)`` raise PermissionError, as chmod 000 would for anyone but root (who may run the tests)."""
    import builtins
    import errno
    import os

    real_open = builtins.open

    def denied(file, *args, **kwargs):
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", denied)
