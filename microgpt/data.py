"""Chapter 1, the dataset: a list of documents, one per line of a text file.

The course ships ``microgpt/data/names.txt`` (32,469 US baby names from 2017); any
UTF-8 text file with one document per line works the same way.
"""
import importlib.resources
import os
import random

from . import hparams
from .errors import MicrogptError

PACKAGED_NAMES = "names.txt"


def read_text(path=None):
    """Return the text of ``path``, or of the packaged names file when ``path`` is None.

    A UTF-8 byte-order mark at the start is dropped (Windows editors write one);
    line endings of any kind (``\\n``, ``\\r\\n``, ``\\r``) are left to ``parse_docs``.
    """
    if path is None:
        resource = importlib.resources.files("microgpt") / "data" / PACKAGED_NAMES
        return resource.read_text(encoding="utf-8")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise MicrogptError(f"data file {path!r} does not exist; "
                            "pass the path of a text file with one document per line")
    if os.path.isdir(path):
        raise MicrogptError(f"data path {path!r} is a directory; pass a text file with one document per line")
    if not os.path.isfile(path):
        raise MicrogptError(f"data path {path!r} is not a regular file (a device or pipe?); pass a text file")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise MicrogptError(f"cannot read data file {path!r}: {exc.strerror or exc}") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in raw:
        raise MicrogptError(f"data file {path!r} is UTF-16 text; save it as UTF-8")
    if b"\x00" in raw:
        raise MicrogptError(f"data file {path!r} is not a text file (it contains NUL bytes); pass a UTF-8 text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MicrogptError(f"data file {path!r} is not UTF-8 text (bad byte at offset {exc.start}); "
                            "save it as UTF-8") from None


def parse_docs(text, source="the data"):
    """Split text into documents: one per line, stripped, empty lines dropped."""
    docs = [line.strip() for line in text.splitlines()]
    docs = [d for d in docs if d]
    if not docs:
        raise MicrogptError(f"{source} has no documents (every line is empty); put one document per line")
    return docs


def load_docs(path=None):
    """Load the documents of a text file (default: the packaged 2017 names).

    >>> docs = load_docs()
    >>> len(docs), docs[:3]
    (32469, ['emma', 'olivia', 'ava'])
    """
    source = "the packaged names file" if path is None else f"data file {os.fspath(path)!r}"
    return parse_docs(read_text(path), source)


def shuffle_docs(docs, rng):
    """Shuffle a copy of ``docs`` with ``rng`` (a ``random.Random``), as microgpt does before training."""
    docs = list(docs)
    rng.shuffle(docs)
    return docs


def make_rng(seed):
    """A private random stream; ``random.Random(s)`` draws exactly what ``random.seed(s)`` would."""
    return random.Random(hparams.check("seed", seed))  # a whole number from 0 to 2**32 - 1


def bpe_sample_text():
    """The English text the tokenizer chapter trains byte-pair encoding on (``data/bpe-sample.txt``).

    Written for the course and shipped in the package, so the text (and every merge learned from it)
    is the same on every machine and every Python version. Paragraphs are separated by blank lines.
    """
    resource = importlib.resources.files("microgpt") / "data" / "bpe-sample.txt"
    return resource.read_text(encoding="utf-8")


def reference_run():
    """What Karpathy's reference microgpt printed for seed 42 on the packaged names (see its ``provenance``).

    A dict with ``first_losses`` (the first 20 training losses), ``last_losses`` (steps 991-1000) and
    ``samples`` (20 names at temperature 0.5 after 1000 steps), as recorded from the reference program.
    """
    import json

    resource = importlib.resources.files("microgpt") / "data" / "reference-2017.json"
    return json.loads(resource.read_text(encoding="utf-8"))
