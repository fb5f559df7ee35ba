import random

import pytest

from helpers import tiny_setup
from microgpt import GPT, MicrogptError, Value, generate, generate_ids, next_token_probs, softmax


def test_float_probabilities_equal_the_value_graph_ones_bit_for_bit():
    rng = random.Random(0)
    logits = [rng.uniform(-3, 3) for _ in range(27)]
    for t in (0.5, 1.0, 1.7):
        as_values = softmax([Value(l) / t for l in logits])  # what the reference computes
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


def test_same_seed_same_samples():
    cfg, tok, w = tiny_setup()
    model = GPT(cfg, w)
    assert [generate(model, tok, random.Random(9)) for _ in range(3)] == [generate(model, tok, random.Random(9))
                                                                          for _ in range(3)]


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
