"""Chapter 2, the tokenizer: one id per character, plus one special BOS id.

BOS ("beginning of sequence") gets the last id, ``len(chars)``; it marks both where
a document starts and where it ends.
"""
from .errors import MicrogptError


class Tokenizer:
    """Character-level tokenizer: ids ``0..len(chars)-1`` are characters, ``len(chars)`` is BOS.

    >>> tok = Tokenizer.from_docs(["emma", "ava"])
    >>> tok.chars, tok.BOS, tok.vocab_size
    (['a', 'e', 'm', 'v'], 4, 5)
    >>> tok.encode("ava"), tok.decode([0, 3, 0])
    ([0, 3, 0], 'ava')
    """

    def __init__(self, chars):
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars) or len(set(chars)) != len(chars):
            raise MicrogptError("a vocabulary must be distinct single characters (strings of length 1)")
        self.chars = chars
        self.BOS = len(chars)
        self.vocab_size = len(chars) + 1
        self._id = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_docs(cls, docs):
        """The vocabulary of microgpt: the sorted set of every character in the documents."""
        return cls(sorted(set("".join(docs))))

    def encode(self, text):
        """Characters to ids (no BOS added)."""
        if not isinstance(text, str):
            raise MicrogptError(f"encode takes a string, not {type(text).__name__}")
        unknown = sorted({c for c in text if c not in self._id})
        if unknown:
            shown = "".join(unknown)
            raise MicrogptError(
                f"{shown!r} not in the vocabulary; use only these characters: {''.join(self.chars)!r}"
            )
        return [self._id[c] for c in text]

    def encode_doc(self, doc):
        """A training sequence: BOS, the document's characters, BOS."""
        return [self.BOS] + self.encode(doc) + [self.BOS]

    def decode(self, ids):
        """Ids to text; BOS ids are boundaries and are left out."""
        out = []
        for i in ids:
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < self.vocab_size:
                raise MicrogptError(f"token id {i!r} is not in the vocabulary; ids run from 0 to {self.vocab_size - 1}")
            if i != self.BOS:
                out.append(self.chars[i])
        return "".join(out)

    def __repr__(self):
        return f"Tokenizer({''.join(self.chars)!r}, BOS={self.BOS})"
