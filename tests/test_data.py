import hashlib
import importlib.resources
import random

import pytest

from microgpt import MicrogptError, load_docs, parse_docs, shuffle_docs
from microgpt.data import make_rng


def test_packaged_names_are_the_2017_ssa_file():
    raw = (importlib.resources.files("microgpt") / "data" / "names.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "91691165b471c338ee35387260590f0fdc23fcb50509b9ccfe1c879c7ac39a1e"
    docs = load_docs()
    assert len(docs) == 32469
    assert docs[:3] == ["emma", "olivia", "ava"]  # the most common girls' names of 2017 come first
    assert all(d == d.strip().lower() and d for d in docs)


def test_any_text_file_one_document_per_line(tmp_path):
    p = tmp_path / "words.txt"
    p.write_text("  hello \n\n world\n\t\nçava\n", encoding="utf-8")
    assert load_docs(p) == ["hello", "world", "çava"]
    assert load_docs(str(p)) == ["hello", "world", "çava"]


@pytest.mark.parametrize("content, fragment", [
    (b"", "no documents"),
    (b"\n  \n\t\n", "no documents"),
    (b"abc\x00def\n", "not a text file"),
    (b"\xff\xfe\xfa\n", "not UTF-8"),
])
def test_bad_data_files_raise_one_clear_line(tmp_path, content, fragment):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(MicrogptError, match=fragment) as info:
        load_docs(p)
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(MicrogptError, match="does not exist"):
        load_docs(tmp_path / "nope.txt")
    with pytest.raises(MicrogptError, match="is a directory"):
        load_docs(tmp_path)


def test_shuffle_is_the_reference_shuffle_and_leaves_input_alone():
    docs = parse_docs("a\nb\nc\nd\ne\nf\n")
    ours = shuffle_docs(docs, make_rng(42))
    theirs = list(docs)
    random.seed(42)
    random.shuffle(theirs)  # what microgpt does with the global random module
    assert ours == theirs
    assert docs == ["a", "b", "c", "d", "e", "f"]


def test_bpe_sample_text_is_packaged_english_prose():
    from microgpt.data import bpe_sample_text

    text = bpe_sample_text()
    paragraphs = text.rstrip("\n").split("\n\n")
    assert len(paragraphs) >= 30                      # the tokenizer chapter holds out every fifth one
    assert all(p.strip() == p and p for p in paragraphs)
    assert text.isascii() and "\r" not in text        # same bytes on every platform
    assert text.count(" the ") > 100                  # English, so BPE learns English merges
