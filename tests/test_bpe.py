"""microgpt.bpe: encode/decode round-trips any text, training is deterministic, merges compress."""
import doctest

from hypothesis import given, settings
from hypothesis import strategies as st

from microgpt import bpe

SAMPLE = (
    "The tokenizer learns which neighbouring pieces of text occur together most often, "
    "and merges them. Understanding this is understanding how production models read: "
    "the same words, again and again, become single tokens. " * 3
)
MERGES = bpe.train(SAMPLE, 60)


def test_doctests():
    assert doctest.testmod(bpe).failed == 0


@given(st.text(max_size=60))
def test_chunks_cover_the_text(text):
    assert "".join(bpe.chunks(text)) == text


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_round_trip_any_text(text):
    ids = bpe.encode(text, MERGES)
    assert bpe.decode(ids, MERGES) == text
    assert all(0 <= i < 256 + len(MERGES) for i in ids)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=0, max_value=40))
def test_round_trip_with_merges_learned_from_any_text(text, n):
    merges = bpe.train(text, n)
    assert len(merges) <= n
    assert bpe.decode(bpe.encode(text, merges), merges) == text
    assert bpe.decode(bpe.encode(SAMPLE, merges), merges) == SAMPLE


def test_no_merges_means_bytes():
    text = "héllo wörld"
    assert bpe.encode(text, []) == list(text.encode("utf-8"))
    assert bpe.compression_ratio(text, []) == 1.0


def test_training_is_deterministic():
    assert bpe.train(SAMPLE, 60) == MERGES
    assert bpe.train(SAMPLE, 30) == MERGES[:30]  # fewer merges = a prefix of the same list


def test_merges_are_new_and_well_formed():
    assert len(set(MERGES)) == len(MERGES)
    for i, (a, b) in enumerate(MERGES):
        assert 0 <= a < 256 + i and 0 <= b < 256 + i  # built only from tokens that already exist


def test_the_classic_example():
    # "aaabdaaabac": aa is the most frequent pair; then "aa"+"a" and "a"+"b" tie at 2 and the smaller ids
    # (a, b) win; then "aa"+"ab" occurs twice.
    merges = bpe.train("aaabdaaabac", 3)
    assert [bpe.token_bytes(256 + i, merges) for i in range(3)] == [b"aa", b"ab", b"aaab"]
    assert bpe.tokens("aaabdaaabac", merges) == ["aaab", "d", "aaab", "a", "c"]
    # with a 4th merge (all pairs now occur once; the tie goes to the smallest ids: "a" + "c")
    assert bpe.tokens("aaabdaaabac", bpe.train("aaabdaaabac", 4)) == ["aaab", "d", "aaab", "ac"]


def test_stops_when_nothing_is_left_to_merge():
    assert bpe.train("ab", 10) == [(97, 98)]
    assert bpe.train("", 10) == []


def test_compression_improves_with_merges():
    train_text = bpe.stdlib_docs(bpe.TRAIN_MODULES)
    held_out = bpe.stdlib_docs(bpe.HELD_OUT_MODULES)
    merges = bpe.train(train_text, 800)
    ratios = [bpe.compression_ratio(held_out, merges[:n]) for n in (0, 100, 200, 400, 800)]
    assert ratios[0] == 1.0
    assert all(a < b for a, b in zip(ratios, ratios[1:]))
    assert bpe.decode(bpe.encode(held_out, merges), merges) == held_out
