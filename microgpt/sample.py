"""Chapter 9, inference: generate one token at a time and feed it back in.

The logits are divided by the temperature before softmax: below 1 sharpens the
distribution (safer, more repetitive), above 1 flattens it (more surprising).
Temperature 0 means always take the most likely token.
"""
import math

from . import hparams
from .errors import MicrogptError
from .layers import softmax_floats


def check_temperature(temperature):
    """Return the temperature if it is allowed (see ``hparams``), else raise a one-line MicrogptError."""
    return hparams.check("temperature", temperature)


def next_token_probs(logits, temperature):
    """Probabilities of the next token: softmax(logits / temperature); temperature 0 puts all mass on the argmax."""
    check_temperature(temperature)
    _check_logits(logits)
    if temperature == 0:
        best = max(range(len(logits)), key=lambda i: logits[i])
        return [1.0 if i == best else 0.0 for i in range(len(logits))]
    try:
        inv_t = temperature ** -1
        scaled = [v * inv_t for v in logits]
    except OverflowError:       # temperature ** -1 is too large for a float
        scaled = [math.inf]
    if not all(map(math.isfinite, scaled)):
        # A temperature so small that logits / temperature overflows: the softmax is then its
        # limit, an even split over the largest logits; dividing (logit - max) keeps that finite.
        top = max(logits)
        scaled = [(v - top) / temperature for v in logits]
    return softmax_floats(scaled).probs


def _check_logits(logits):
    if isinstance(logits, (str, bytes)) or not hasattr(logits, "__len__") or len(logits) == 0:
        raise MicrogptError(f"logits must be a non-empty list of numbers, got {logits!r}")
    for i, v in enumerate(logits):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise MicrogptError(f"logits must all be finite numbers, got {v!r} at index {i}")


def check_prompt(prompt, tokenizer, block_size):
    ids = tokenizer.encode(prompt)
    if len(ids) > block_size - 1:
        raise MicrogptError(
            f"the prompt has {len(ids)} characters; at most {block_size - 1} fit after BOS in block_size {block_size}"
        )
    return ids


def prefill(model, ids):
    """Feed ``ids`` (from position 0) through the model's KV cache: returns (logits after the last id, cache)."""
    cache = model.new_cache()
    for pos_id, token_id in enumerate(ids):
        logits = model.next_logits(token_id, pos_id, cache)
    return logits, cache


def generate_ids(model, tokenizer, rng, temperature=0.5, prompt=""):
    """Token ids of one sample (the prompt's included, BOS left out).

    Start from BOS (and the prompt), then repeatedly: logits -> probabilities ->
    draw with ``rng.choices`` -> feed back in; stop at BOS or at block_size.
    """
    check_temperature(temperature)
    block_size = model.config.block_size
    ids = [tokenizer.BOS] + check_prompt(prompt, tokenizer, block_size)
    logits, cache = prefill(model, ids)                      # the prompt, through the KV cache
    out = ids[1:]
    while True:
        probs = next_token_probs(logits, temperature)
        if temperature == 0:
            token_id = probs.index(1.0)
        else:
            token_id = rng.choices(range(tokenizer.vocab_size), weights=probs)[0]
        if token_id == tokenizer.BOS:
            break
        out.append(token_id)
        pos_id = len(out)                                    # the new token's position (BOS is at 0)
        if pos_id == block_size:
            break
        logits = model.next_logits(token_id, pos_id, cache)
    return out


def generate(model, tokenizer, rng, temperature=0.5, prompt=""):
    """One generated document as text."""
    return tokenizer.decode(generate_ids(model, tokenizer, rng, temperature, prompt))


def generate_many(model, tokenizer, rng, n, temperature=0.5, prompt=""):
    """``n`` samples, drawn one after another from the same random stream."""
    n = hparams.check("samples", n)
    return [generate(model, tokenizer, rng, temperature, prompt) for _ in range(n)]
