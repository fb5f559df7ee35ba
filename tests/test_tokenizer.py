import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgpt import MicrogptError, Tokenizer, load_docs

CHARS = "abcdefghijklmnopqrstuvwxyz"


def test_names_vocabulary_is_26_letters_plus_bos():
    tok = Tokenizer.from_docs(load_docs())
    assert "".join(tok.chars) == CHARS
    assert tok.BOS == 26 and tok.vocab_size == 27


@given(st.text(alphabet=CHARS, max_size=40))
def test_round_trip(text):
    tok = Tokenizer(list(CHARS))
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert tok.encode_doc(text) == [tok.BOS] + ids + [tok.BOS]
    assert tok.decode(tok.encode_doc(text)) == text


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=10))
def test_round_trip_any_unicode_vocabulary(docs):
    tok = Tokenizer.from_docs(docs)
    for d in docs:
        assert tok.decode(tok.encode(d)) == d


def test_unknown_character_names_it_and_the_vocabulary():
    tok = Tokenizer(list(CHARS))
    with pytest.raises(MicrogptError, match="'A' not in the vocabulary"):
        tok.encode("Anna")


@pytest.mark.parametrize("bad", [27, -1, 1.5, "a", None])
def test_decode_unknown_id(bad):
    with pytest.raises(MicrogptError, match="not in the vocabulary"):
        Tokenizer(list(CHARS)).decode([0, bad])


def test_vocabulary_must_be_distinct_characters():
    with pytest.raises(MicrogptError):
        Tokenizer(["a", "a"])
    with pytest.raises(MicrogptError):
        Tokenizer(["ab"])


@pytest.mark.parametrize("bad", [None, 5, ["a", "b"], b"ab"])
def test_encode_takes_a_string(bad):
    with pytest.raises(MicrogptError, match="encode takes a string"):
        Tokenizer(list(CHARS)).encode(bad)


@pytest.mark.parametrize("bad", [True, 26.0, -27])
def test_decode_refuses_bools_floats_and_negative_ids(bad):
    with pytest.raises(MicrogptError, match="ids run from 0 to 26"):
        Tokenizer(list(CHARS)).decode([bad])


@pytest.mark.parametrize("bad", [[1, 2], ["a", None], ["a", ""]])
def test_vocabulary_must_be_strings(bad):
    with pytest.raises(MicrogptError, match="distinct single characters"):
        Tokenizer(bad)
