import json
import os

import pytest
from helpers import deny_reading, tiny_setup

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
    with pytest.raises(MicrogptError, match=r"could not write .*disk full"):
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


def test_interrupted_save_leaves_the_old_file_and_no_temp_files(saved, monkeypatch):
    path, model, tok = saved
    before = path.read_bytes()
    import microgpt.checkpoint as ckmod

    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(ckmod.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, tok)
    assert path.read_bytes() == before and sorted(os.listdir(path.parent)) == ["model.json"]


def test_save_onto_a_folder_or_device_is_refused(saved, tmp_path):
    _, model, tok = saved
    with pytest.raises(MicrogptError, match="is a directory"):
        save_checkpoint(tmp_path, model, tok)
    with pytest.raises(MicrogptError, match="not a regular file"):
        save_checkpoint("/dev/null", model, tok)
    with pytest.raises(MicrogptError, match="does not exist; create it first"):
        save_checkpoint(tmp_path / "no" / "m.json", model, tok)
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    os.symlink("loop.json", tmp_path / "loop.json")
    with pytest.raises(MicrogptError, match="leads nowhere"):
        save_checkpoint(tmp_path / "loop.json", model, tok)
    assert os.path.islink(tmp_path / "loop.json")


def test_save_follows_a_symlink_and_keeps_the_mode(saved, tmp_path):
    path, model, tok = saved
    path.chmod(0o604)
    link = tmp_path / "link.json"
    os.symlink(path.name, link)
    save_checkpoint(link, model, tok, steps=9)
    assert link.is_symlink() and load_checkpoint(path)[2] == {"steps": 9}
    assert path.stat().st_mode & 0o777 == 0o604


def test_new_file_follows_the_umask(saved, tmp_path):
    _, model, tok = saved
    old = os.umask(0o027)
    try:
        save_checkpoint(tmp_path / "new.json", model, tok)
    finally:
        os.umask(old)
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o640


def _weight_text(path, value):
    ck = json.loads(path.read_text())
    first = repr(ck["weights"]["wte"][0][0])
    path.write_text(path.read_text().replace(first, value, 1))


@pytest.mark.parametrize("damage, fragment", [
    (lambda p: _weight_text(p, "NaN"), "holds NaN"),
    (lambda p: _weight_text(p, "Infinity"), "holds Infinity"),
    (lambda p: _weight_text(p, "-Infinity"), "holds -Infinity"),
    (lambda p: _weight_text(p, "1e999"), r"wte\[0\]\[0\] is inf"),           # parses as inf
    (lambda p: _weight_text(p, "1e300"), r"wte\[0\]\[0\] is 1e\+300"),       # finite, but would overflow
    (lambda p: _weight_text(p, "1" * 5000), "corrupt or truncated"),          # more digits than Python reads
    (lambda p: _weight_text(p, "1" * 400), r"weight wte\[0\]\[0\] is 1111"),
    (lambda p: _weight_text(p, "true"), "not a finite number"),
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (lambda p: p.write_text('{"a":' * 100_000 + "1" + "}" * 100_000), "nested too deeply"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_layer=10**9)), "config n_layer must be"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_layer=1000, n_embd=60_000)), "parameters, more than"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_layer=100)), "cannot fit in"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_embd=8.5)), "config n_embd must be a whole number"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].update(n_head=3)), "divisible"),
    (lambda p: _rewrite(p, lambda ck: ck["config"].pop("n_head")), "unknown config"),
    (lambda p: _rewrite(p, lambda ck: ck.update(config=[1, 2])), "unknown config"),
    (lambda p: _rewrite(p, lambda ck: ck.update(vocab=["a", "b", "c", "d", 5])), "malformed vocabulary"),
    (lambda p: _rewrite(p, lambda ck: ck.update(vocab=["a", "b", "c", "d", "dd"])), "malformed vocabulary"),
    (lambda p: _rewrite(p, lambda ck: ck.update(meta=[1])), "malformed 'meta'"),
    (lambda p: p.write_text(""), "corrupt or truncated"),
])
def test_dangerous_checkpoints_are_refused_before_allocating(saved, damage, fragment):
    path = saved[0]
    damage(path)
    with pytest.raises(MicrogptError, match=fragment) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_a_huge_file_is_refused_before_reading(saved, monkeypatch):
    import microgpt.checkpoint as ckmod
    path = saved[0]
    monkeypatch.setattr(ckmod, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(MicrogptError, match="too large to be a microgpt checkpoint"):
        load_checkpoint(path)


def test_unreadable_paths_are_one_line(saved, tmp_path, monkeypatch):
    path = saved[0]
    with pytest.raises(MicrogptError, match="is a directory"):
        load_checkpoint(tmp_path)
    with pytest.raises(MicrogptError, match="not a regular file"):
        load_checkpoint("/dev/null")
    deny_reading(monkeypatch, path)  # chmod 000 does not stop root, who may run the tests
    with pytest.raises(MicrogptError, match=r"cannot read checkpoint .*Permission denied"):
        load_checkpoint(path)


def test_param_count_by_formula_is_count_params():
    from microgpt import count_params
    from microgpt.checkpoint import param_count
    for cfg in (GPTConfig(), GPTConfig(vocab_size=5, block_size=3, n_layer=4, n_embd=12, n_head=3)):
        assert param_count(cfg) == count_params(cfg)
