import random

import pytest
from helpers import tiny_setup

from microgpt import GPT, MicrogptError, Value, generate, generate_ids, next_token_probs, softmax


def test_float_probabilities_equal_the_value_graph_ones_bit_for_bit():
    rng = random.Random(0)
    logits = [rng.uniform(-3, 3) for _ in range(27)]
    for t in (0.5, 1.0, 1.7):
        as_values = softmax([Value(logit) / t for logit in logits])  # what the reference computes
        assert next_token_probs(logits, t) == [p.data for p in as_values]


def test_temperature_zero_is_greedy_and_needs_no_randomness():
    cfg, tok, w = tiny_setup()
    model = GPT(cfg, w)
    a = generate(model, tok, random.Random(1), temperature=0)
    b = generate(model, tok, random.Random(2), temperature=0)
    assert a == b


def test_samples_stop_at_block_size_and_keep_the_prompt():
    cfg, tok, w = tiny_setup(block_size=6)
    model = GPT(cfg, w)
    rng = random.Random(3)
    for _ in range(20):
        ids = generate_ids(model, tok, rng, temperature=1.5, prompt="ab")
        assert ids[:2] == tok.encode("ab") and len(ids) <= 6 and tok.BOS not in ids


class FixedLogits:
    """A stand-in model whose next-token logits are always ``logits`` (records what it is fed)."""

    def __init__(self, config, logits):
        self.config, self.logits, self.fed = config, logits, []

    def new_cache(self):
        return []

    def next_logits(self, token_id, pos_id, cache):
        self.fed.append((token_id, pos_id))
        return list(self.logits)


def test_samples_follow_the_model_probabilities():
    """Draw the first letter 4000 times: its frequencies are the model's probabilities (a sampler that
    ignored them, or passed them as ``cum_weights=``, gives other frequencies)."""
    import math
    cfg, tok, _ = tiny_setup()
    probs = [0.05, 0.5, 0.1, 0.3, 0.05, 0.0]                  # a..e, then BOS never
    model = FixedLogits(cfg, [math.log(p) if p else -50.0 for p in probs])
    rng = random.Random(0)
    firsts = [generate_ids(model, tok, rng, temperature=1.0)[0] for _ in range(4000)]
    for token_id, p in enumerate(probs):
        assert abs(firsts.count(token_id) / 4000 - p) < 0.025, (token_id, firsts.count(token_id))


def test_prefill_feeds_the_prompt_at_its_positions():
    cfg, tok, _ = tiny_setup(block_size=6)
    model = FixedLogits(cfg, [0.0] * 5 + [-50.0])            # BOS practically never: runs to block_size
    ids = generate_ids(model, tok, random.Random(0), prompt="ab")
    assert len(ids) == 6 and ids[:2] == tok.encode("ab")
    assert [pos for _, pos in model.fed] == [0, 1, 2, 3, 4, 5]     # each position once; the 6th token is not fed
    assert [t for t, _ in model.fed[:3]] == [tok.BOS] + tok.encode("ab")


@pytest.mark.parametrize("t", [-0.1, float("nan"), float("inf"), "hot"])
def test_bad_temperature(t):
    with pytest.raises(MicrogptError, match="temperature"):
        next_token_probs([0.0, 1.0], t)


def test_prompt_outside_vocabulary_or_too_long():
    cfg, tok, w = tiny_setup(block_size=6)
    model = GPT(cfg, w)
    with pytest.raises(MicrogptError, match="not in the vocabulary"):
        generate(model, tok, random.Random(0), prompt="xyz")
    with pytest.raises(MicrogptError, match="at most 5 fit"):
        generate(model, tok, random.Random(0), prompt="abcdea")
    # the longest prompt that fits leaves room for exactly one generated position
    assert len(generate_ids(model, tok, random.Random(0), prompt="abcde")) in (5, 6)


@pytest.mark.parametrize("n", [-1, 1.5, "3"])
def test_generate_many_needs_a_whole_number_of_samples(n):
    from microgpt import generate_many
    cfg, tok, w = tiny_setup()
    with pytest.raises(MicrogptError, match="the number of samples must be a whole number >= 0"):
        generate_many(GPT(cfg, w), tok, random.Random(0), n)
