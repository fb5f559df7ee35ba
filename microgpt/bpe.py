"""Chapter 2 (second half), byte-pair encoding: learn a vocabulary by merging frequent neighbours.

microgpt gives every character its own id. Production tokenizers (GPT-2, Llama,
Qwen) start from the 256 possible bytes instead and *learn* extra tokens: count
every pair of neighbouring tokens in a training text, merge the most frequent pair
into a new token, and repeat. The list of merges is the tokenizer.

    >>> merges = train("low lower lowest low low", 3)
    >>> [token_bytes(256 + i, merges) for i in range(len(merges))]
    [b'lo', b'low', b' low']
    >>> ids = encode("lowly", merges)
    >>> [token_bytes(i, merges) for i in ids], decode(ids, merges)
    ([b'low', b'l', b'y'], 'lowly')

Standard library only. Token ids 0..255 are the bytes; merge number ``i`` makes
token ``256 + i``. Like GPT-2, text is first cut into chunks (a word with its
leading space, a run of digits, a run of punctuation, whitespace) and merges never
cross a chunk boundary, so " the" can become one token but "e t" never does.
"""
import heapq
import re
from collections import Counter, defaultdict

# Letters (\w minus digits and "_"), digits, other non-space symbols, whitespace.
# Every character falls in exactly one class, so the chunks put together give back the text.
CHUNK_PATTERN = re.compile(r" ?[^\W\d_]+| ?\d+| ?(?:[^\w\s]|_)+|\s+(?!\S)|\s+")


def chunks(text):
    """Cut text into the pieces BPE works inside.  ``"".join(chunks(t)) == t``."""
    return CHUNK_PATTERN.findall(text)


def merge_pair(ids, pair, new_id):
    """Replace every non-overlapping occurrence of ``pair`` in ``ids`` (left to right) by ``new_id``."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train(text, num_merges):
    """Learn up to ``num_merges`` merges from ``text``; returns them in order, as ``[(a, b), ...]``.

    Each step merges the most frequent neighbouring pair (ties: the smallest pair of
    ids, so the result never depends on dict or set order). Training stops early if
    no pair is left to merge.
    """
    counts = Counter(chunks(text))                      # chunk -> how often it occurs
    words = [list(chunk.encode("utf-8")) for chunk in counts]  # [n_chunks][len] token ids
    freqs = list(counts.values())
    pair_counts = Counter()                             # (a, b) -> occurrences in the text
    where = defaultdict(set)                            # (a, b) -> chunks that contain it
    for wi, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += freqs[wi]
            where[pair].add(wi)
    # A max-heap of (-count, pair). Counts change as we merge; stale entries are skipped when popped.
    heap = [(-n, pair) for pair, n in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < num_merges:
        while heap and -heap[0][0] != pair_counts.get(heap[0][1], 0):
            heapq.heappop(heap)                         # stale: the count has changed since it was pushed
        if not heap or heap[0][0] == 0:
            break                                       # nothing left to merge
        _, best = heapq.heappop(heap)
        new_id = 256 + len(merges)
        merges.append(best)
        changed = set()
        for wi in sorted(where.pop(best)):
            word, f = words[wi], freqs[wi]
            for pair in zip(word, word[1:]):            # take the chunk's old pairs out ...
                pair_counts[pair] -= f
                changed.add(pair)
            word = words[wi] = merge_pair(word, best, new_id)
            for pair in zip(word, word[1:]):            # ... and put its new pairs in
                pair_counts[pair] += f
                where[pair].add(wi)
                changed.add(pair)
        for pair in sorted(changed):
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], pair))
            else:
                del pair_counts[pair]
    return merges


def encode_chunk(chunk, ranks):
    """One chunk's bytes -> ids, applying the earliest-learned merge first (exactly as in training)."""
    ids = list(chunk.encode("utf-8"))
    while len(ids) > 1:
        best = min(zip(ids, ids[1:]), key=lambda pair: ranks.get(pair, len(ranks)))
        if best not in ranks:
            break
        ids = merge_pair(ids, best, 256 + ranks[best])
    return ids


def encode(text, merges):
    """Text -> token ids."""
    ranks = {pair: i for i, pair in enumerate(merges)}
    known = {}                                          # chunk -> ids (texts repeat their words a lot)
    ids = []
    for chunk in chunks(text):
        if chunk not in known:
            known[chunk] = encode_chunk(chunk, ranks)
        ids.extend(known[chunk])
    return ids


def vocab(merges):
    """Every token's bytes: ids 0..255 are single bytes, id 256+i is merge i's two parts joined."""
    table = [bytes([b]) for b in range(256)]
    for a, b in merges:
        table.append(table[a] + table[b])
    return table


def token_bytes(token_id, merges):
    """The bytes one token stands for."""
    return vocab(merges)[token_id]


def decode(ids, merges):
    """Token ids -> text (the inverse of ``encode``)."""
    table = vocab(merges)
    return b"".join(table[i] for i in ids).decode("utf-8", errors="replace")


def tokens(text, merges):
    """The pieces ``text`` is cut into, as strings, e.g. ``[' under', 'stand', 'ing']``."""
    table = vocab(merges)
    return [table[i].decode("utf-8", errors="replace") for i in encode(text, merges)]


def compression_ratio(text, merges):
    """UTF-8 bytes per token: 1.0 with no merges; higher means fewer tokens for the same text."""
    return len(text.encode("utf-8")) / max(1, len(encode(text, merges)))


# -- a training text every Python install has -----------------------------------
# The docstrings of pure-Python standard-library modules that behave the same on every
# platform. Pinned lists, so the text is the same on every machine with the same
# Python version; docstrings do get edited between Python versions, so other versions
# give a slightly different text (and slightly different merges and ratios).
TRAIN_MODULES = (
    "argparse", "ast", "base64", "calendar", "collections", "configparser", "contextlib", "copy",
    "csv", "dataclasses", "enum", "functools", "getopt", "gettext", "glob", "heapq", "hmac", "html",
    "inspect", "ipaddress", "json", "logging", "numbers", "optparse", "pprint", "queue", "random",
    "re", "sched", "shlex", "string", "tokenize", "traceback", "typing", "warnings", "weakref",
    "zipfile",
)
HELD_OUT_MODULES = ("difflib", "fractions", "statistics", "textwrap", "timeit")


def stdlib_docs(modules):
    """The docstrings of ``modules`` and of their public functions and classes, joined by blank lines."""
    import importlib
    import inspect
    import warnings
    parts = []
    with warnings.catch_warnings():  # typing.io and typing.re warn that they are deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in modules:
            module = importlib.import_module(name)
            parts.append(inspect.getdoc(module) or "")
            for attr in sorted(vars(module)):
                obj = getattr(module, attr)
                if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                    continue
                if inspect.isfunction(obj) or inspect.isclass(obj):
                    parts.append(inspect.getdoc(obj) or "")
    return "\n\n".join(p for p in parts if p)
