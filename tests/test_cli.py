"""The command line, tried as a user would: real subprocesses, exit codes and stderr."""
import json
import os
import subprocess
import sys

import pytest

from helpers import GOLDEN_2017_FIRST_LOSSES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "microgpt", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def assert_one_line_error(proc, fragment):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("microgpt: error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


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
    assert_one_line_error(run("train", "--steps", "0"), "positive whole number")
    assert_one_line_error(run("train", "--steps", "-3"), "positive whole number")
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
