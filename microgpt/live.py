"""The chapter pages' live widgets, Python side: the numbers the browser draws (the worker calls them via ``session``).

Each function is what a notebook widget computes, on the chapter's own model, returned as plain
JSON-able data; the page only draws it (SVG). The book build writes the chapter's trained model as
a checkpoint (``book/_ext/live_widgets.py``); the page asks the worker to ``live.load`` it once, then
every change of a control is one request:

- ``live.attention``: chapter 4's head inspector (``widgets.attention.attention_matrix``);
- ``live.temperature``: chapter 9's temperature explorer (``widgets.inference.TemperatureExplorer``);
- ``live.tokenize``: chapter 2's tokenizers: character ids, and BPE merge by merge (``bpe``);
- chapter 13's dashboard trains a ``session.Session`` (``session="dashboard"``).

Standard library only (``widgets.attention`` and ``widgets.inference`` import matplotlib and
ipywidgets only inside their drawing functions).
"""
import json

from . import bpe
from .checkpoint import load_checkpoint
from .errors import MicrogptError
from .evaluate import entropy

MODELS = {}   # name -> (model, tokenizer)
MERGES = {}   # name -> BPE merges [(a, b), ...]
MAX_WORD = 200


def load(name, path, kind="checkpoint", engine=None):
    """Load a checkpoint (a model) or a merges file (BPE) written by the book build; returns what it holds."""
    from .session import best_engine
    if kind == "merges":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        MERGES[name] = [tuple(pair) for pair in data["merges"]]
        return {"name": name, "merges": len(MERGES[name]), "meta": data.get("meta", {})}
    model, tokenizer, meta = load_checkpoint(path, engine=engine or best_engine())
    MODELS[name] = (model, tokenizer)
    config = model.config
    return {"name": name, "nLayer": config.n_layer, "nHead": config.n_head, "blockSize": config.block_size,
            "vocab": tokenizer.vocab_size, "chars": "".join(tokenizer.chars), "meta": meta}


def _model(name):
    if name not in MODELS:
        raise MicrogptError(f"the model {name!r} is not loaded yet")
    return MODELS[name]


def attention(model_name, name, layer=0, head=0):
    """Chapter 4's head inspector: one head's weights on one name, and the same numbers as the notebook's table."""
    from .widgets.attention import attention_matrix, format_matrix
    model, tokenizer = _model(model_name)
    matrix, labels = attention_matrix(model, tokenizer, name, int(layer), int(head))
    return {"matrix": matrix, "labels": labels, "layer": int(layer), "head": int(head),
            "table": format_matrix(matrix, labels)}


def temperature(model_name, prefix="", temperature=1.0, n_names=8, seed=0):
    """Chapter 9's temperature explorer: the next-letter distribution after ``prefix``, and names drawn at it."""
    from .widgets.inference import TemperatureExplorer
    model, tokenizer = _model(model_name)
    explorer = TemperatureExplorer(model, tokenizer, prefix=prefix, temperature=temperature,
                                   n_names=int(n_names), seed=int(seed))
    return {"prefix": explorer.prefix, "temperature": explorer.temperature, "labels": explorer.labels,
            "probs": explorer.probs, "names": explorer.names, "entropy": entropy(explorer.probs),
            "top": explorer.top(5), "summary": explorer.summary()}


def merge_steps(text, merges):
    """BPE on ``text`` merge by merge: the tokens before any merge, then after each merge that applies.

    Returns ``[{"merge": rank or None, "made": piece, "tokens": [...]}, ...]``; the last entry's
    tokens are ``bpe.tokens(text, merges)``. Within each chunk the earliest-learned merge goes
    first, exactly as ``bpe.encode_chunk`` does; the chunks are independent, so the merges are
    listed in the order of their rank over the whole text.
    """
    table = bpe.vocab(merges)
    ranks = {pair: i for i, pair in enumerate(merges)}
    pieces = [list(chunk.encode("utf-8")) for chunk in bpe.chunks(text)]

    def show():
        return [table[i].decode("utf-8", errors="replace") for ids in pieces for i in ids]

    steps = [{"merge": None, "made": None, "tokens": show()}]
    while True:
        best = None                                       # (rank, chunk index) of the earliest merge left
        for ci, ids in enumerate(pieces):
            for pair in zip(ids, ids[1:]):
                if pair in ranks and (best is None or ranks[pair] < best[0]):
                    best = (ranks[pair], ci)
        if best is None:
            return steps
        rank, ci = best
        pieces[ci] = bpe.merge_pair(pieces[ci], merges[rank], 256 + rank)
        steps.append({"merge": rank + 1, "made": table[256 + rank].decode("utf-8", errors="replace"),
                      "tokens": show()})


def tokenize(model_name, merges_name, word, num_merges=None):
    """Chapter 2's tokenizers on ``word``: microgpt's character ids, and BPE with the first ``num_merges`` merges."""
    if not isinstance(word, str):
        raise MicrogptError(f"the word must be text, got {word!r}")
    if len(word) > MAX_WORD:
        raise MicrogptError(f"type at most {MAX_WORD} characters, got {len(word)}")
    if merges_name not in MERGES:
        raise MicrogptError(f"the merges {merges_name!r} are not loaded yet")
    merges = MERGES[merges_name]
    m = len(merges) if num_merges is None else int(num_merges)
    if not 0 <= m <= len(merges):
        raise MicrogptError(f"the number of merges must be from 0 to {len(merges)}, got {num_merges!r}")
    _, tokenizer = _model(model_name)
    chars = {"ids": None, "message": None}
    try:
        chars["ids"] = tokenizer.encode(word)
    except MicrogptError as exc:
        chars["message"] = str(exc)
    steps = merge_steps(word, merges[:m])
    return {"word": word, "merges": m, "chars": chars, "bos": tokenizer.BOS, "steps": steps,
            "tokens": steps[-1]["tokens"], "ids": bpe.encode(word, merges[:m])}


OPS = {
    "live.load": lambda req: load(req["name"], req["path"], req.get("kind", "checkpoint")),
    "live.attention": lambda req: attention(req["model"], req["text"], req.get("layer", 0), req.get("head", 0)),
    "live.temperature": lambda req: temperature(req["model"], req.get("prefix", ""), req["temperature"],
                                                req.get("nNames", 8), req.get("seed", 0)),
    "live.tokenize": lambda req: tokenize(req["model"], req["merges"], req["text"], req.get("numMerges")),
}
