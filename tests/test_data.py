import hashlib
import importlib.resources
import random

import pytest
from helpers import deny_reading

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


@pytest.mark.parametrize("raw", [
    b"\xef\xbb\xbfanna\r\nbob\r\n\r\nzoe\r\n",   # Windows: byte-order mark and CRLF
    b"anna\rbob\r\rzoe",                       # old Mac line endings
    b"\xef\xbb\xbfanna\nbob\nzoe",
])
def test_byte_order_mark_and_line_endings_are_not_characters(tmp_path, raw):
    p = tmp_path / "win.txt"
    p.write_bytes(raw)
    assert load_docs(p) == ["anna", "bob", "zoe"]


def test_utf16_gets_its_own_message(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("anna\nbob\n".encode("utf-16"))
    with pytest.raises(MicrogptError, match="is UTF-16 text; save it as UTF-8"):
        load_docs(p)


def test_devices_and_unreadable_files(tmp_path, monkeypatch):
    with pytest.raises(MicrogptError, match="not a regular file"):
        load_docs("/dev/zero")  # would otherwise be read forever
    p = tmp_path / "locked.txt"
    p.write_text("anna\n")
    deny_reading(monkeypatch, p)  # chmod 000 does not stop root, who may run the tests
    with pytest.raises(MicrogptError, match=r"cannot read data file .*Permission denied"):
        load_docs(p)


@pytest.mark.parametrize("seed", [-1, 1.5, 2**32, "42", None, True])
def test_bad_seeds_are_refused_by_the_api_as_by_the_cli(seed):
    import microgpt
    with pytest.raises(MicrogptError, match="the seed must be a whole number >= 0"):
        make_rng(seed)
    with pytest.raises(MicrogptError, match="the seed must be a whole number >= 0"):
        microgpt.setup(seed=seed, docs=["anna", "bob"])
