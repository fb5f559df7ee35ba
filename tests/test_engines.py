"""The three engines are one model: same weights, same losses for 1000 steps, same samples.

The scalar engine's 1000-step run (about two minutes) happens once per test
session, in the module-scoped fixture ``scalar_run``, and every parity test
compares against it.
"""
import json
import os
import subprocess
import sys

import pytest
from helpers import GOLDEN_2017_FIRST_LOSSES

from microgpt import MicrogptError, setup, train
from microgpt.engines import ENGINES, engine_class, make_model
from microgpt.sample import generate_many

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, SAMPLES = 1000, 20
BIT_EXACT = sys.version_info < (3, 12)  # sum() of floats is compensated from 3.12: agreement then ~1e-15


def run_engine(engine):
    """The reference recipe on ``engine``: seed 42, packaged names, article config, 1000 steps, 20 samples."""
    model, docs, tok, rng = setup(42, engine=engine)
    weights0 = model.weights()
    losses = train(model, docs, tok, STEPS)
    samples = generate_many(model, tok, rng, SAMPLES, temperature=0.5)
    return {"weights0": weights0, "losses": losses, "samples": samples, "weights": model.weights()}


@pytest.fixture(scope="module")
def scalar_run():
    return run_engine("scalar")


@pytest.fixture(scope="module")
def fused_run():
    return run_engine("fused")


@pytest.fixture(scope="module")
def numpy_run():
    pytest.importorskip("numpy")
    return run_engine("numpy")


def max_rel(a, b):
    return max(abs(x - y) / abs(x) for x, y in zip(a, b))


def test_registry():
    assert list(ENGINES) == ["scalar", "fused", "numpy"]
    assert engine_class("fused").engine == "fused"
    with pytest.raises(MicrogptError, match="choose one of: scalar, fused, numpy"):
        engine_class("gpu")


def test_missing_numpy_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)          # "import numpy" now raises ImportError
    monkeypatch.delitem(sys.modules, "microgpt.numpy_engine", raising=False)
    with pytest.raises(MicrogptError, match="engine 'numpy' needs a package that is not installed .numpy."):
        engine_class("numpy")


def test_scalar_reproduces_the_reference(scalar_run):
    assert scalar_run["losses"][:20] == GOLDEN_2017_FIRST_LOSSES


@pytest.mark.parametrize("engine", ["fused", "numpy"])
def test_same_initial_weights(engine, scalar_run, request):
    run = request.getfixturevalue(f"{engine}_run")
    assert run["weights0"] == scalar_run["weights0"]


def test_fused_matches_scalar_for_1000_steps(scalar_run, fused_run):
    assert max_rel(scalar_run["losses"], fused_run["losses"]) <= 1e-12
    assert fused_run["samples"] == scalar_run["samples"]
    if BIT_EXACT:
        assert fused_run["losses"] == scalar_run["losses"]
        assert fused_run["weights"] == scalar_run["weights"]


def test_numpy_matches_scalar_for_1000_steps(scalar_run, numpy_run):
    assert max_rel(scalar_run["losses"], numpy_run["losses"]) <= 1e-12
    assert numpy_run["samples"] == scalar_run["samples"]
    assert max_rel(GOLDEN_2017_FIRST_LOSSES, numpy_run["losses"][:20]) <= 1e-12


@pytest.mark.parametrize("engine", ["fused", "numpy"])
def test_make_model_and_cache_sampling(engine):
    if engine == "numpy":
        pytest.importorskip("numpy")
    scalar, docs, tok, rng = setup(1)
    fast = make_model(engine, scalar.config, scalar.weights())
    import random
    assert generate_many(fast, tok, random.Random(3), 5) == generate_many(scalar, tok, random.Random(3), 5)


def cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "microgpt", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("engine", ["fused", "numpy"])
def test_cli_engine(engine, tmp_path):
    if engine == "numpy":
        pytest.importorskip("numpy")
    log, ck = tmp_path / "log.json", tmp_path / "m.json"
    proc = cli("train", "--engine", engine, "--steps", "1000", "--stop-after", "20", "--samples", "3",
               "--log-json", str(log), "--out", str(ck))
    assert proc.returncode == 0, proc.stderr
    assert f"engine {engine}" in proc.stdout
    out = json.loads(log.read_text())
    assert max_rel(GOLDEN_2017_FIRST_LOSSES, out["losses"]) <= 1e-12
    if engine == "fused" and BIT_EXACT:
        assert out["losses"] == GOLDEN_2017_FIRST_LOSSES
    proc = cli("sample", "--ckpt", str(ck), "--engine", engine, "--n", "3", "--prompt", "a")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 3


def test_cli_bad_engine_is_one_line():
    proc = cli("train", "--engine", "tpu", "--steps", "1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("microgpt: error: ") and "scalar, fused, numpy" in lines[0]
    assert "Traceback" not in proc.stderr
