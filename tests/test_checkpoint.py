import json
import os

import pytest

from helpers import tiny_setup
from microgpt import GPT, GPTConfig, MicrogptError, load_checkpoint, save_checkpoint


@pytest.fixture
def saved(tmp_path):
    cfg, tok, w = tiny_setup()
    model = GPT(cfg, w)
    path = tmp_path / "model.json"
    save_checkpoint(path, model, tok, steps=3)
    return path, model, tok


def test_round_trip_is_exact(saved):
    path, model, tok = saved
    loaded, tok2, meta = load_checkpoint(path)
    assert loaded.config == model.config and loaded.weights() == model.weights()
    assert tok2.chars == tok.chars and meta == {"steps": 3}
    assert json.loads(path.read_text())["format"] == "microgpt-checkpoint"  # plain JSON, no pickle


def _rewrite(path, change):
    ck = json.loads(path.read_text())
    change(ck)
    path.write_text(json.dumps(ck))


@pytest.mark.parametrize("damage, fragment", [
    (lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]), "corrupt or truncated"),
    (lambda p: p.write_bytes(b"\x80\x81garbage"), "corrupt or truncated"),
    (lambda p: p.write_text("[1, 2, 3]"), "not a microgpt checkpoint"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_embd=16, n_head=4)), "does not have shape"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_layer=3)), "do not match the config"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(colour="red")), "unknown config"),
    (lambda p: _rewrite(p, lambda ck: ck.update(vocab=["a", "b"])), "does not match vocab_size"),
    (lambda p: _rewrite(p, lambda ck: ck.pop("weights")), "missing 'weights'"),
    (lambda p: _rewrite(p, lambda ck: ck["weights"]["wte"][0].__setitem__(0, "x")), "not a finite number"),
    (lambda p: _rewrite(p, lambda ck: ck.update(version=99)), "version"),
])
def test_damaged_checkpoints_are_refused_with_one_line(saved, damage, fragment):
    path = saved[0]
    damage(path)
    with pytest.raises(MicrogptError, match=fragment) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)


def test_expected_config_and_vocabulary_are_checked(saved):
    path, model, tok = saved
    with pytest.raises(MicrogptError, match="is for config"):
        load_checkpoint(path, expect_config=GPTConfig())
    with pytest.raises(MicrogptError, match="different vocabulary"):
        load_checkpoint(path, expect_vocab=list("abcdz"))
    load_checkpoint(path, expect_config=model.config, expect_vocab=tok.chars)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(MicrogptError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.json")


def test_a_failed_save_leaves_the_old_file_and_no_temp_files(saved, monkeypatch):
    path, model, tok = saved
    before = path.read_bytes()

    import microgpt.checkpoint as ckmod
    real_fdopen = os.fdopen
    monkeypatch.setattr(ckmod.os, "fdopen", lambda fd, *a, **k: _FailingFile(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, tok)
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["model.json"]


class _FailingFile:
    """A file that writes half of what it is given, then fails (like a full disk)."""

    def __init__(self, f):
        self.f = f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, text):
        self.f.write(text[: len(text) // 2])
        raise OSError("disk full")
