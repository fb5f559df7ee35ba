"""The three engines are one model: one interface, the same numbers, the same answers to bad input.

The 1000-step runs of the reference recipe happen once per test session, in the
module-scoped fixtures (``scalar_run`` takes a few minutes), and every parity test
compares against them. The fused engine is bit-identical to the scalar engine on
every Python (its sums add left to right, never with the compensated built-in ``sum()``).
"""
import json
import os
import random
import subprocess
import sys

import pytest

from microgpt import MicrogptError, Tokenizer, load_docs, setup, train
from microgpt.data import reference_run
from microgpt.engines import ENGINES, OPTIONAL, Engine, engine_class, make_model, missing_methods, require, supports
from microgpt.errors import DivergedError
from microgpt.evaluate import mean_loss
from microgpt.sample import generate_many, next_token_probs
from microgpt.train import training_step
from microgpt.weights import init_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS, SAMPLES = 1000, 20
REFERENCE = reference_run()


def _has_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


NEEDS_NUMPY = pytest.mark.skipif(not _has_numpy(), reason="numpy is not installed")
FAST = ["fused", pytest.param("numpy", marks=NEEDS_NUMPY)]   # the engines compared with the scalar one


def available_engines():
    """Every registered engine, the numpy one skipped (not failed) where numpy is not installed."""
    return [pytest.param(name, marks=NEEDS_NUMPY if name == "numpy" else ()) for name in ENGINES]


def run_engine(engine):
    """The reference recipe on ``engine``: seed 42, packaged names, article config, 1000 steps, 20 samples.

    The samples come from the rng that shuffled the names and drew the weights, continuing after
    training, as the reference program does.
    """
    model, docs, tok, rng = setup(42, engine=engine)
    weights0 = model.weights()
    losses = train(model, docs, tok, STEPS)
    samples = generate_many(model, tok, rng, SAMPLES, temperature=REFERENCE["temperature"])
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


# -- the registry and the interface ------------------------------------------------------------------

def test_registry():
    assert list(ENGINES) == ["scalar", "fused", "numpy"]
    assert engine_class("fused").engine == "fused"
    with pytest.raises(MicrogptError, match="choose one of: scalar, fused, numpy"):
        engine_class("gpu")


def test_missing_numpy_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)          # "import numpy" now raises ImportError
    monkeypatch.delitem(sys.modules, "microgpt.numpy_engine", raising=False)
    with pytest.raises(MicrogptError, match=r"engine 'numpy' needs a package that is not installed \(numpy\)"):
        engine_class("numpy")


@pytest.mark.parametrize("name", available_engines())
def test_every_engine_conforms_to_the_interface(name):
    cls = engine_class(name)
    assert cls.engine == name
    assert missing_methods(cls) == []
    assert cls.capabilities <= set(OPTIONAL)
    model, _, _, _ = setup(0, engine=name)
    assert isinstance(model, Engine)
    for capability in OPTIONAL:
        assert supports(model, capability) == (capability in cls.capabilities)


def test_an_engine_missing_a_method_or_a_declared_capability_does_not_conform():
    class Half:
        engine, capabilities = "half", frozenset({"mlp_hidden"})

        def train_step(self, tokens, lr):
            return 0.0

    assert set(missing_methods(Half)) == {"eval_loss", "loss_and_grads", "new_cache", "next_logits",
                                          "attention_maps", "weights", "mlp_hidden"}
    assert not isinstance(Half(), Engine)


def test_capabilities_are_queried_not_guessed():
    model, _, _, _ = setup(0, engine="scalar")
    assert supports(model, "logits") and not supports(model, "mlp_hidden")
    with pytest.raises(MicrogptError, match=r"the scalar engine has no mlp_hidden.*fused"):
        require(model, "mlp_hidden")
    with pytest.raises(MicrogptError, match="unknown capability 'gpu'"):
        supports(model, "gpu")


# -- all engines agree on the same weights --------------------------------------------------------------

DOCS = ["emma", "a", "christopheralexander", "zoe"]


@pytest.fixture(scope="module")
def same_weights():
    """Every available engine on the same trained-looking weights (std 0.5), with the names tokenizer."""
    tok = Tokenizer.from_docs(load_docs())
    scalar, _, _, _ = setup(0, engine="scalar")
    weights = init_weights(scalar.config, random.Random(1), std=0.5)
    names = [n for n in ENGINES if n != "numpy" or _has_numpy()]
    return tok, {name: make_model(name, scalar.config, weights) for name in names}


def _close(a, b, tol):
    if isinstance(a, (int, float)):
        return abs(a - b) <= tol * max(1.0, abs(a))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tol) for k in a)
    return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b))


def _agree(name, a, b, tol=1e-12):
    """Fused must equal scalar bit for bit; numpy (other summation order) to ``tol``."""
    return a == b if name == "fused" else _close(a, b, tol)


@pytest.mark.parametrize("name", FAST)
def test_losses_gradients_and_forward_only_loss_agree(same_weights, name):
    tok, models = same_weights
    scalar, other = models["scalar"], models[name]
    for doc in DOCS:
        tokens = tok.encode_doc(doc)
        ls, gs = scalar.loss_and_grads(tokens)
        lo, go = other.loss_and_grads(tokens)
        assert _agree(name, ls, lo) and _agree(name, gs, go)
        assert scalar.eval_loss(tokens) == ls and other.eval_loss(tokens) == lo
        assert isinstance(lo, float) and isinstance(other.eval_loss(tokens), float)


@pytest.mark.parametrize("name", FAST)
def test_logits_attention_and_inspection_agree(same_weights, name):
    tok, models = same_weights
    scalar, other = models["scalar"], models[name]
    tokens = tok.encode_doc("yzabelle")[:-1]
    cs, co = scalar.new_cache(), other.new_cache()
    cached = [(scalar.next_logits(t, p, cs), other.next_logits(t, p, co)) for p, t in enumerate(tokens)]
    assert all(_agree(name, a, b) for a, b in cached)
    assert _agree(name, scalar.attention_maps(tokens), other.attention_maps(tokens))
    assert _agree(name, scalar.logits(tokens), other.logits(tokens))
    assert _agree(name, [a for a, _ in cached], other.logits(tokens))
    for capability in ("residual_stream", "mlp_hidden"):   # the engines that have it agree with each other
        if supports(other, capability) and supports(models["fused"], capability):
            assert _agree(name, require(models["fused"], capability)(tokens), require(other, capability)(tokens))


@pytest.mark.parametrize("name", FAST)
def test_samples_agree(same_weights, name):
    tok, models = same_weights
    expected = generate_many(models["scalar"], tok, random.Random(3), 8, temperature=0.8, prompt="a")
    assert generate_many(models[name], tok, random.Random(3), 8, temperature=0.8, prompt="a") == expected


@pytest.mark.parametrize("name", available_engines())
def test_eval_loss_runs_no_backward_pass(name, monkeypatch):
    """The forward-only loss: a backward pass anywhere would raise here. mean_loss uses it."""
    from microgpt.autograd import Value
    model, docs, tok, _ = setup(0, engine=name)
    expected = model.loss_and_grads(tok.encode_doc(docs[0]))[0]

    def no_backward(*args, **kwargs):
        raise AssertionError("eval_loss ran a backward pass")

    monkeypatch.setattr(Value, "backward", no_backward)
    for method in ("_position_backward", "_loss_and_grads", "_loss_and_backward", "_embedding_backward",
                   "loss_and_grads"):
        if hasattr(type(model), method):
            monkeypatch.setattr(type(model), method, no_backward)
    assert model.eval_loss(tok.encode_doc(docs[0])) == expected
    assert mean_loss(model, tok, docs[:1]) == expected


# -- 1000 steps of the reference recipe ---------------------------------------------------------------

def test_scalar_reproduces_the_reference(scalar_run):
    assert scalar_run["losses"][:20] == REFERENCE["first_losses"]
    assert scalar_run["losses"][-10:] == REFERENCE["last_losses"]


def test_fused_reproduces_the_reference_losses(fused_run):
    """Bit for bit on every Python: the reference adds Values, the fused engine adds floats in the same order."""
    assert fused_run["losses"][:20] == REFERENCE["first_losses"]
    assert fused_run["losses"][-10:] == REFERENCE["last_losses"]


def test_sampler_reproduces_the_reference_samples(fused_run):
    """20 names after 1000 steps, seed 42, temperature 0.5: exactly the reference program's.

    A sampler that ignored the model's probabilities (or drew with ``cum_weights=`` instead of
    ``weights=``) passes every unit test of sample.py, but not this one.
    """
    assert fused_run["samples"] == REFERENCE["samples"]


@pytest.mark.parametrize("engine", ["fused", "numpy"])
def test_same_initial_weights(engine, scalar_run, request):
    run = request.getfixturevalue(f"{engine}_run")
    assert run["weights0"] == scalar_run["weights0"]


def test_fused_equals_scalar_bit_for_bit_for_1000_steps(scalar_run, fused_run):
    assert fused_run["losses"] == scalar_run["losses"]
    assert fused_run["weights"] == scalar_run["weights"]
    assert fused_run["samples"] == scalar_run["samples"]


def test_numpy_matches_scalar_for_1000_steps(scalar_run, numpy_run):
    assert max_rel(scalar_run["losses"], numpy_run["losses"]) <= 1e-12
    assert numpy_run["samples"] == scalar_run["samples"]
    assert max_rel(REFERENCE["first_losses"], numpy_run["losses"][:20]) <= 1e-12


# -- divergence: one line, the step named, the weights kept ---------------------------------------------

@pytest.mark.parametrize("lr", [1, 5, 10])
@pytest.mark.parametrize("name", available_engines())
def test_a_diverging_run_stops_with_one_line_and_keeps_the_weights(name, lr):
    model, docs, tok, _ = setup(42, engine=name)
    good = [model.weights()]                                  # the weights after each good step
    with pytest.raises(DivergedError) as info:
        train(model, docs, tok, STEPS, learning_rate=lr, callback=lambda step, loss: good.append(model.weights()))
    message = str(info.value)
    step = len(good)                                          # the step that failed (1-based)
    assert "\n" not in message
    assert message.startswith(f"training diverged at step {step} of {STEPS} (log(0)")
    assert f"try a smaller learning rate than {lr:g}" in message
    assert model.weights() == good[-1]


@pytest.mark.parametrize("name", available_engines())
def test_train_step_raises_before_touching_the_weights(name):
    """Weights so large that a correct token gets probability 0: the update must not happen."""
    model, docs, tok, _ = setup(0, engine=name)
    huge = {k: [[v * 1e4 for v in row] for row in m] for k, m in model.weights().items()}
    model = make_model(name, model.config, huge)
    tokens = tok.encode_doc(docs[0])
    with pytest.raises(DivergedError, match=r"log\(0\): a correct next token got probability 0"):
        model.train_step(tokens, 0.01)
    assert model.weights() == huge
    with pytest.raises(DivergedError):                        # the loss is not a number either
        model.eval_loss(tokens)


@pytest.mark.parametrize("lr", [0, -1, float("nan"), float("inf"), 11, "0.1", True])
def test_training_checks_the_learning_rate(lr):
    model, docs, tok, _ = setup(0, engine="fused")
    with pytest.raises(MicrogptError, match="the learning rate must be a number > 0 and <= 10"):
        train(model, docs, tok, 10, learning_rate=lr)
    with pytest.raises(MicrogptError, match="the learning rate must be a number > 0 and <= 10"):
        training_step(model, docs, tok, 0, 10, learning_rate=lr)


@pytest.mark.parametrize("step,num_steps,match", [(0, 0, "number of steps"), (5, 5, "step must be"),
                                                  (-1, 5, "step must be"), (1.0, 5, "step must be")])
def test_training_step_checks_the_steps(step, num_steps, match):
    model, docs, tok, _ = setup(0, engine="fused")
    with pytest.raises(MicrogptError, match=match):
        training_step(model, docs, tok, step, num_steps)


# -- bad input: the same one-line answer from every engine ---------------------------------------------

def _bad_token_lists():
    bad = [[26, -1, 26], [26, 27, 26], [26, 1.0, 26], [26, True, 26]]
    if _has_numpy():
        import numpy as np
        bad.append([26, np.int64(1), 26])
    return bad


@pytest.fixture(scope="module")
def fresh_models():
    """One untrained model per available engine (bad input must leave them untouched)."""
    scalar, _, _, _ = setup(0, engine="scalar")
    return {name: make_model(name, scalar.config, scalar.weights())
            for name in ENGINES if name != "numpy" or _has_numpy()}


def _answers(models, call):
    """``call(model)`` on every available engine: the MicrogptError message each gives."""
    out = {}
    for name, model in models.items():
        with pytest.raises(MicrogptError) as info:
            call(model)
        out[name] = str(info.value)
    return out


@pytest.mark.parametrize("method", ["train_step", "loss_and_grads", "eval_loss", "attention_maps", "logits"])
@pytest.mark.parametrize("tokens", _bad_token_lists(), ids=["negative", "too-big", "float", "bool", "numpy-int"][
    :len(_bad_token_lists())])
def test_bad_token_ids_get_the_same_message_from_every_engine(fresh_models, method, tokens):
    def call(model):
        return getattr(model, method)(*((tokens, 0.01) if method == "train_step" else (tokens,)))

    answers = _answers(fresh_models, call)
    assert len(set(answers.values())) == 1, answers
    assert "token ids must be whole numbers from 0 to 26 (the vocabulary has 27)" in answers["scalar"]


@pytest.mark.parametrize("tokens", [[26], [], "emma", 26])
def test_too_short_or_not_a_list_to_train_on(fresh_models, tokens):
    answers = _answers(fresh_models, lambda model: model.train_step(tokens, 0.01))
    assert len(set(answers.values())) == 1, answers
    assert "token" in answers["scalar"]


@pytest.mark.parametrize("token_id,pos_id,match", [(27, 0, "from 0 to 26"), (1, 16, "from 0 to 15"),
                                                   (1, -1, "from 0 to 15"), (1.0, 0, "from 0 to 26")])
def test_next_logits_checks_token_and_position(fresh_models, token_id, pos_id, match):
    answers = _answers(fresh_models, lambda model: model.next_logits(token_id, pos_id, model.new_cache()))
    assert len(set(answers.values())) == 1, answers
    assert match in answers["scalar"]


@pytest.mark.parametrize("logits,match", [([], "non-empty"), ([1.0, float("nan")], "finite"),
                                          ([float("inf"), 0.0], "finite"), ("ab", "non-empty"),
                                          ([1.0, "x"], "finite")])
def test_next_token_probs_refuses_bad_logits(logits, match):
    with pytest.raises(MicrogptError, match=match):
        next_token_probs(logits, 0.5)


@pytest.mark.parametrize("temperature", [1e-300, 1e-308, 5e-324])
def test_a_tiny_temperature_is_the_argmax_not_an_overflow(temperature):
    assert next_token_probs([1.0, 3.0, -2.0], temperature) == [0.0, 1.0, 0.0]
    assert next_token_probs([3.0, 3.0, -2.0], temperature) == [0.5, 0.5, 0.0]   # ties share the mass


def test_generate_many_refuses_a_negative_count():
    model, _, tok, _ = setup(0, engine="fused")
    with pytest.raises(MicrogptError, match="the number of samples must be a whole number >= 0"):
        generate_many(model, tok, random.Random(0), -1)
    assert generate_many(model, tok, random.Random(0), 0) == []


# -- the command line --------------------------------------------------------------------------------

def cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "microgpt", *args], capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("engine", FAST)
def test_cli_engine(engine, tmp_path):
    log, ck = tmp_path / "log.json", tmp_path / "m.json"
    proc = cli("train", "--engine", engine, "--steps", "1000", "--stop-after", "20", "--samples", "3",
               "--log-json", str(log), "--out", str(ck))
    assert proc.returncode == 0, proc.stderr
    assert f"engine {engine}" in proc.stdout
    out = json.loads(log.read_text())
    assert max_rel(REFERENCE["first_losses"], out["losses"]) <= 1e-12
    if engine == "fused":
        assert out["losses"] == REFERENCE["first_losses"]
    proc = cli("sample", "--ckpt", str(ck), "--engine", engine, "--n", "3", "--prompt", "a")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 3


def test_cli_bad_engine_is_one_line():
    proc = cli("train", "--engine", "tpu", "--steps", "1")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("microgpt: error: ") and "scalar, fused, numpy" in lines[0]
    assert "Traceback" not in proc.stderr
