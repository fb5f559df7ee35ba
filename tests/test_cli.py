"""The command line, tried as a user would: real subprocesses, exit codes and stderr."""
import json
import os
import subprocess
import sys

import pytest
from helpers import GOLDEN_2017_FIRST_LOSSES, assert_one_line_error

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "microgpt", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_cli_reproduces_the_golden_losses(tmp_path):
    log = tmp_path / "log.json"
    proc = run("train", "--steps", "1000", "--stop-after", "20", "--seed", "42", "--samples", "3",
               "--log-json", str(log))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(log.read_text())
    assert out["losses"] == GOLDEN_2017_FIRST_LOSSES
    assert len(out["samples"]) == 3
    assert "4,192 parameters" in proc.stdout


def test_train_save_then_sample(tmp_path):
    ck = tmp_path / "m.json"
    proc = run("train", "--steps", "3", "--samples", "0", "--out", str(ck))
    assert proc.returncode == 0, proc.stderr
    proc = run("sample", "--ckpt", str(ck), "--n", "4", "--prompt", "em", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    assert len(names) == 4 and all(n.startswith("em") for n in names)
    again = run("sample", "--ckpt", str(ck), "--n", "4", "--prompt", "em", "--seed", "1")
    assert again.stdout == proc.stdout
    greedy = run("sample", "--ckpt", str(ck), "--n", "2", "--temperature", "0")
    assert greedy.returncode == 0 and len(set(greedy.stdout.splitlines())) == 1


def test_info_prints_the_parameter_table():
    proc = run("info")
    assert proc.returncode == 0
    assert "layer0.mlp_fc1" in proc.stdout and "4,192" in proc.stdout


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    ck = tmp_path_factory.mktemp("ck") / "m.json"
    assert run("train", "--steps", "1", "--samples", "0", "--out", str(ck)).returncode == 0
    return ck


def bad_files(tmp):
    empty = tmp / "empty.txt"
    empty.write_text("\n\n")
    binary = tmp / "bin.dat"
    binary.write_bytes(bytes(range(256)))
    return empty, binary


def test_bad_training_input(tmp_path):
    empty, binary = bad_files(tmp_path)
    assert_one_line_error(run("train", "--data", str(tmp_path / "missing.txt")), "does not exist")
    assert_one_line_error(run("train", "--data", str(empty)), "no documents")
    assert_one_line_error(run("train", "--data", str(binary)), "not a text file")
    assert_one_line_error(run("train", "--steps", "0"), "whole number >= 1")
    assert_one_line_error(run("train", "--steps", "-3"), "whole number >= 1")
    assert_one_line_error(run("train", "--steps", "many"), "whole number")
    assert_one_line_error(run("train", "--temperature", "-1"), ">= 0")
    assert_one_line_error(run("train", "--engine", "gpu"), "choose one of: scalar")
    assert_one_line_error(run("train", "--out", str(tmp_path / "no" / "dir" / "m.json")), "does not exist")
    assert_one_line_error(run("train", "--bogus"), "unrecognized arguments")
    assert_one_line_error(run(), "required")


def test_bad_sampling_input(tmp_path, checkpoint):
    assert_one_line_error(run("sample", "--ckpt", str(checkpoint), "--prompt", "Zoe"), "not in the vocabulary")
    assert_one_line_error(run("sample", "--ckpt", str(checkpoint), "--prompt", "a" * 16), "at most 15 fit")
    assert_one_line_error(run("sample", "--ckpt", str(checkpoint), "--temperature", "-0.5"), ">= 0")
    assert_one_line_error(run("sample", "--ckpt", str(tmp_path / "none.json")), "does not exist")
    truncated = tmp_path / "half.json"
    text = checkpoint.read_text()
    truncated.write_text(text[: len(text) // 3])
    assert_one_line_error(run("sample", "--ckpt", str(truncated)), "corrupt or truncated")
    other = tmp_path / "other.json"
    ck = json.loads(text)
    ck["config"]["n_embd"] = 32
    other.write_text(json.dumps(ck))
    assert_one_line_error(run("sample", "--ckpt", str(other)), "does not have shape")
    vocab = tmp_path / "vocab.json"
    ck = json.loads(text)
    ck["vocab"] = ck["vocab"][:-1]
    vocab.write_text(json.dumps(ck))
    assert_one_line_error(run("sample", "--ckpt", str(vocab)), "does not match vocab_size")


def test_failed_run_leaves_existing_outputs_alone(tmp_path, checkpoint):
    out = tmp_path / "keep.json"
    out.write_text("precious")
    proc = run("train", "--steps", "0", "--out", str(out))
    assert proc.returncode == 2 and out.read_text() == "precious"


# -- the user's files are sacred ------------------------------------------------------
def run_patched(patch, *args, **kwargs):
    """The command line in a subprocess, after running ``patch`` (Python code) to simulate a failure."""
    code = f"import sys\n{patch}\nfrom microgpt.cli import main\nsys.exit(main(sys.argv[1:], command=True))\n"
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=300, **kwargs)


def snapshot(folder):
    """Every file in ``folder`` with its bytes (temporary files would show up here too)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def workdir(tmp_path, checkpoint):
    """A folder with a data file, a good checkpoint and an unrelated file of the user's."""
    (tmp_path / "names.txt").write_text("anna\nbob\nzoe\n")
    (tmp_path / "good.json").write_bytes(checkpoint.read_bytes())
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "sub").mkdir()
    os.symlink("names.txt", tmp_path / "link.txt")
    os.link(tmp_path / "names.txt", tmp_path / "hard.txt")
    return tmp_path


@pytest.mark.parametrize("outputs, fragment", [
    (["--out", "names.txt"], "is the data file"),
    (["--out", "link.txt"], "is the data file"),           # a symbolic link to the data
    (["--out", "hard.txt"], "is the data file"),           # a hard link: same device and inode
    (["--log-json", "names.txt"], "is the data file"),
    (["--out", "m.json", "--log-json", "./m.json"], "also given to --out"),
    (["--out", "good.json", "--log-json", "good.json"], "also given to --out"),
    (["--out", "sub"], "is a directory"),
    (["--out", "/dev/null"], "not a regular file"),
    (["--log-json", "/dev/null"], "not a regular file"),
    (["--out", "notes.txt"], "exists and is not a microgpt checkpoint"),
    (["--log-json", "good.json"], "exists and is not a microgpt log"),
    (["--out", "notes.txt/m.json"], "is a file, not a folder"),
    (["--out", "missing/m.json"], "does not exist"),
    (["--out", ""], "needs a file name"),
])
def test_outputs_that_would_destroy_a_file_are_refused_before_training(workdir, outputs, fragment):
    before = snapshot(workdir)
    proc = run("train", "--data", "names.txt", "--steps", "5", *outputs, cwd=workdir)
    assert_one_line_error(proc, fragment)
    assert "step" not in proc.stdout  # refused before training started
    assert snapshot(workdir) == before


def test_the_packaged_names_file_is_protected_too(tmp_path):
    import microgpt.data
    names = os.path.join(os.path.dirname(microgpt.data.__file__), "data", "names.txt")
    before = open(names, "rb").read()
    assert_one_line_error(run("train", "--steps", "5", "--out", names), "is the data file")
    assert open(names, "rb").read() == before


def test_an_unwritable_folder_is_refused_before_training(workdir):
    # Simulated (the tests may run as root, who can write anywhere): every new file in the folder fails.
    patch = ("import errno, os\nreal = os.open\n"
             "def fake(path, flags, *a, **k):\n"
             "    if os.path.basename(os.path.dirname(os.path.abspath(path))) == 'sub' and flags & os.O_CREAT:\n"
             "        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))\n"
             "    return real(path, flags, *a, **k)\n"
             "os.open = fake")
    before = snapshot(workdir)
    proc = run_patched(patch, "train", "--data", "names.txt", "--steps", "5", "--out", "sub/m.json", cwd=workdir)
    assert_one_line_error(proc, "cannot write in folder")
    assert "step" not in proc.stdout and snapshot(workdir) == before


def test_a_save_that_fails_after_training_goes_to_a_fallback_file(workdir):
    # The disk fills up between the check and the save: replacing good.json fails.
    patch = ("import errno, os\nreal = os.replace\n"
             "def fake(src, dst):\n"
             "    if os.path.basename(dst) == 'good.json':\n"
             "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
             "    return real(src, dst)\n"
             "os.replace = fake")
    before = (workdir / "good.json").read_bytes()
    proc = run_patched(patch, "train", "--data", "names.txt", "--steps", "3", "--samples", "2",
                       "--out", "good.json", "--log-json", "log.json", cwd=workdir)
    assert proc.returncode == 2, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert line.startswith("microgpt: error: could not write 'good.json': No space left on device; "
                           "saved the checkpoint to "), line
    fallback = line.split("saved the checkpoint to ")[1].split(" instead")[0].strip("'")
    assert os.path.basename(fallback).startswith("good.recovered-")
    assert (workdir / "good.json").read_bytes() == before             # the old checkpoint is intact
    from microgpt import load_checkpoint
    _model, tok, meta = load_checkpoint(fallback)                     # and the new one is not lost
    assert meta["steps"] == 3 and tok.chars == sorted(set("annabobzoe"))
    assert json.loads((workdir / "log.json").read_text())["losses"]  # the log went where it was asked
    assert not [n for n in os.listdir(workdir) if n.endswith(".tmp")]


def test_diverged_training_is_one_line_and_keeps_the_old_checkpoint(workdir):
    patch = ("import microgpt.train\nfrom microgpt.errors import DivergedError\n"
             "def train(*a, **k):\n"
             "    raise DivergedError('training diverged at step 7 (loss nan); try a smaller learning rate')\n"
             "sys.modules['microgpt.train'].train = train")  # microgpt.train is also the function's name
    before = snapshot(workdir)
    proc = run_patched(patch, "train", "--data", "names.txt", "--steps", "20", "--out", "good.json",
                       "--log-json", "log.json", cwd=workdir)
    assert_one_line_error(proc, "diverged at step 7")
    assert snapshot(workdir) == before


def test_a_real_divergence_is_one_line_and_keeps_the_old_checkpoint(workdir):
    before = snapshot(workdir)
    proc = run("train", "--data", "names.txt", "--steps", "50", "--learning-rate", "10", "--out", "good.json",
               cwd=workdir)
    assert_one_line_error(proc, "diverged at step")
    assert snapshot(workdir) == before


def test_a_closed_stdout_does_not_cancel_the_save(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    ck = tmp_path / "m.json"
    proc = subprocess.Popen([sys.executable, "-m", "microgpt", "train", "--steps", "20", "--print-every", "1",
                             "--out", str(ck)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = proc.stdout.readline()        # like: train ... | head -1
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, err
    assert b"documents" in first
    assert "Traceback" not in err and err.strip().startswith("microgpt: note: stdout was closed early")
    from microgpt import load_checkpoint
    assert load_checkpoint(ck)[2]["steps"] == 20


def test_a_closed_stdout_with_nothing_to_save_stops_like_sigpipe():
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "microgpt", "train", "--steps", "1000", "--print-every", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141 and err == ""


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_new_files_follow_the_umask(tmp_path, umask, mode):
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-m", "microgpt", "train", "--steps", "1", "--samples", "0",
                    "--out", str(tmp_path / "m.json"), "--log-json", str(tmp_path / "l.json")],
                   env=env, check=True, capture_output=True, umask=umask)
    assert [oct((tmp_path / n).stat().st_mode & 0o777) for n in ("m.json", "l.json")] == [oct(mode)] * 2


def test_an_existing_file_keeps_its_mode(tmp_path, checkpoint):
    ck = tmp_path / "m.json"
    ck.write_bytes(checkpoint.read_bytes())
    ck.chmod(0o640)
    inode = ck.stat().st_ino
    assert run("train", "--steps", "1", "--samples", "0", "--out", str(ck)).returncode == 0
    assert ck.stat().st_ino != inode           # rewritten (a new file renamed over the old one) ...
    assert ck.stat().st_mode & 0o777 == 0o640  # ... with the old file's mode


# -- numbers are validated once ---------------------------------------------------------
@pytest.mark.parametrize("args, name", [
    (["train", "--learning-rate", "nan"], "learning_rate"),
    (["train", "--learning-rate", "inf"], "learning_rate"),
    (["train", "--learning-rate", "-1"], "learning_rate"),
    (["train", "--learning-rate", "0"], "learning_rate"),
    (["train", "--learning-rate", "fast"], "learning_rate"),
    (["train", "--seed", "-1"], "seed"),
    (["train", "--seed", "1.5"], "seed"),
    (["train", "--steps", "1.5"], "steps"),
    (["train", "--steps", "1e99"], "steps"),
    (["train", "--stop-after", "0"], "steps"),
    (["train", "--samples", "-1"], "samples"),
    (["train", "--print-every", "0"], "print_every"),
    (["train", "--temperature", "nan"], "temperature"),
    (["train", "--temperature", "1e9"], "temperature"),
    (["sample", "--ckpt", "x.json", "--n", "-1"], "samples"),
    (["sample", "--ckpt", "x.json", "--seed", "-7"], "seed"),
])
def test_bad_numbers_are_refused_with_the_api_message(args, name):
    from microgpt import hparams
    proc = run(*args)
    assert_one_line_error(proc, f"{hparams.LIMITS[name].label} must be {hparams.describe(hparams.LIMITS[name])}")
    assert "step" not in proc.stdout


# -- bad files, clearly refused ---------------------------------------------------------
def test_damaged_checkpoints_are_one_line_from_the_command_line(tmp_path, checkpoint):
    ck = json.loads(checkpoint.read_text())
    cases = {
        "inf.json": (checkpoint.read_text().replace(repr(ck["weights"]["wte"][0][0]), "Infinity", 1), "not a finite"),
        "huge.json": (checkpoint.read_text().replace(repr(ck["weights"]["wte"][0][0]), "1e300", 1), "weight wte[0][0]"),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        "big.json": (json.dumps(dict(ck, config=dict(ck["config"], n_layer=1000, n_embd=60_000))), "parameters"),
        "garbage.json": ("\x00\x01garbage", "corrupt or truncated"),
    }
    for name, (text, fragment) in cases.items():
        (tmp_path / name).write_text(text)
        assert_one_line_error(run("sample", "--ckpt", str(tmp_path / name)), fragment)
    assert_one_line_error(run("sample", "--ckpt", str(tmp_path)), "is a directory")


def test_unreadable_checkpoint_and_data_are_one_line(tmp_path, checkpoint):
    patch = ("import builtins, errno, os\nreal = builtins.open\n"
             "def fake(path, *a, **k):\n"
             "    if str(path).endswith('secret'):\n"
             "        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))\n"
             "    return real(path, *a, **k)\n"
             "builtins.open = fake")
    (tmp_path / "ck.secret").write_bytes(checkpoint.read_bytes())
    (tmp_path / "data.secret").write_text("anna\n")
    assert_one_line_error(run_patched(patch, "sample", "--ckpt", str(tmp_path / "ck.secret")), "Permission denied")
    assert_one_line_error(run_patched(patch, "train", "--data", str(tmp_path / "data.secret")), "Permission denied")


def test_byte_order_mark_and_crlf_are_not_vocabulary(tmp_path):
    data = tmp_path / "win.txt"
    data.write_bytes(b"\xef\xbb\xbfanna\r\nbob\r\n\r\nzoe\r\n")
    proc = run("info", "--data", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "vocabulary: 'abenoz' + BOS (id 6)" in proc.stdout


def test_samples_the_terminal_cannot_encode_are_printed_safely(tmp_path):
    data = tmp_path / "accents.txt"
    data.write_text("émile\nzoë\nchloé\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONIOENCODING="ascii")
    proc = subprocess.run([sys.executable, "-m", "microgpt", "train", "--data", str(data), "--steps", "2",
                           "--samples", "20", "--temperature", "2"], capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    assert b"\\xe9" in proc.stdout or b"\\xeb" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "microgpt", "info", "--data", str(data)],
                          capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0 and b"\\xe9" in proc.stdout


def test_ctrl_c_at_any_moment_is_one_line(tmp_path, checkpoint):
    """SIGINT during the imports, during training and after the save: one line, exit 130, files intact."""
    import signal
    env = dict(os.environ, PYTHONPATH=ROOT)
    ck = tmp_path / "m.json"
    ck.write_bytes(checkpoint.read_bytes())
    before = ck.read_bytes()
    # Each moment: (a line to wait for on stdout or stderr, the message expected).
    moments = [("import time:", "microgpt.data", "nothing was saved"),   # -X importtime shows how far start-up is
               ("step", None, "nothing was saved"),
               ("saved checkpoint", None, "already saved")]
    for marker, module, message in moments:
        proc = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "microgpt", "train", "--steps", "1000",
                                 "--print-every", "1", "--samples", "100000", "--stop-after", "2", "--out", str(ck)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        stream = proc.stderr if module else proc.stdout
        for line in stream:
            if line.startswith(marker) and (module is None or line.rstrip().endswith(module)):
                break
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=300)
        lines = [line for line in err.splitlines() if not line.startswith("import time:")]
        assert proc.returncode == 130, (marker, err[-2000:])
        assert len(lines) == 1 and lines[0].startswith("microgpt: interrupted") and message in lines[0], lines
        assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
        if message == "nothing was saved":
            assert ck.read_bytes() == before
