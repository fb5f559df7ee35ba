"""Chapter 9, inference: generate one token at a time and feed it back in.

The logits are divided by the temperature before softmax: below 1 sharpens the
distribution (safer, more repetitive), above 1 flattens it (more surprising).
Temperature 0 means always take the most likely token.
"""
import math

from .errors import MicrogptError


def check_temperature(temperature):
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature >= 0 \
            or math.isinf(temperature):
        raise MicrogptError(f"temperature must be a number >= 0 (0 means greedy), got {temperature!r}")


def softmax_floats(logits):
    """softmax on plain floats, the same float operations as the ``Value`` version."""
    max_val = max(logits)
    exps = [math.exp(v - max_val) for v in logits]
    total = sum(exps)
    inv = total ** -1
    return [e * inv for e in exps]


def next_token_probs(logits, temperature):
    """Probabilities of the next token: softmax(logits / temperature); temperature 0 puts all mass on the argmax."""
    check_temperature(temperature)
    if temperature == 0:
        best = max(range(len(logits)), key=lambda i: logits[i])
        return [1.0 if i == best else 0.0 for i in range(len(logits))]
    inv_t = temperature ** -1
    return softmax_floats([v * inv_t for v in logits])


def check_prompt(prompt, tokenizer, block_size):
    ids = tokenizer.encode(prompt)
    if len(ids) > block_size - 1:
        raise MicrogptError(
            f"the prompt has {len(ids)} characters; at most {block_size - 1} fit after BOS in block_size {block_size}"
        )
    return ids


def generate_ids(model, tokenizer, rng, temperature=0.5, prompt=""):
    """Token ids of one sample (the prompt's included, BOS left out).

    Start from BOS (and the prompt), then repeatedly: logits -> probabilities ->
    draw with ``rng.choices`` -> feed back in; stop at BOS or at block_size.
    """
    check_temperature(temperature)
    block_size = model.config.block_size
    ids = [tokenizer.BOS] + check_prompt(prompt, tokenizer, block_size)
    cache = model.new_cache()
    for pos_id, token_id in enumerate(ids[:-1]):            # prefill the prompt into the KV cache
        model.next_logits(token_id, pos_id, cache)
    out = ids[1:]
    token_id, pos_id = ids[-1], len(ids) - 1
    while pos_id < block_size:
        logits = model.next_logits(token_id, pos_id, cache)
        probs = next_token_probs(logits, temperature)
        if temperature == 0:
            token_id = probs.index(1.0)
        else:
            token_id = rng.choices(range(tokenizer.vocab_size), weights=probs)[0]
        if token_id == tokenizer.BOS:
            break
        out.append(token_id)
        pos_id += 1
    return out


def generate(model, tokenizer, rng, temperature=0.5, prompt=""):
    """One generated document as text."""
    return tokenizer.decode(generate_ids(model, tokenizer, rng, temperature, prompt))


def generate_many(model, tokenizer, rng, n, temperature=0.5, prompt=""):
    """``n`` samples, drawn one after another from the same random stream."""
    return [generate(model, tokenizer, rng, temperature, prompt) for _ in range(n)]
