"""microgpt/session.py: the browser worker's Python, run natively (no browser needed)."""
import json

import pytest

import microgpt
from microgpt import hparams, session


def ask(**request):
    return json.loads(session.dispatch(json.dumps(request)))


@pytest.fixture(autouse=True)
def fresh_sessions():
    session.SESSIONS.clear()
    yield
    session.SESSIONS.clear()


def test_session_reproduces_microgpt_train():
    reply = ask(op="reset", seed=7, steps=50, learningRate=0.02)
    assert reply["engine"] == "fused" and reply["docs"] == 32469 and reply["params"] == 4192
    ran = ask(op="run", budgetMs=1e9, maxSteps=12)
    model, docs, tokenizer, _ = microgpt.setup(7, engine="fused")
    expected = microgpt.train(model, docs, tokenizer, 50, learning_rate=0.02, stop_after=12)
    assert ran["losses"] == expected and ran["step"] == 12 and not ran["done"]


def test_pasted_text_is_setup_with_text():
    text = "anna\nbob\ncarl\ndora\n"
    reply = ask(op="reset", seed=3, steps=5, learningRate=0.01, text=text)
    _, docs, tokenizer, _ = microgpt.setup(3, text=text)
    assert reply["docs"] == len(docs) and reply["chars"] == "".join(tokenizer.chars)


def test_sessions_are_separate():
    ask(op="reset", seed=1, steps=5, learningRate=0.01)
    ask(op="reset", session="dashboard", seed=2, steps=5, learningRate=0.01)
    assert ask(op="run", budgetMs=1e9, maxSteps=2)["step"] == 2
    assert ask(op="info", session="dashboard")["step"] == 0


@pytest.mark.parametrize("request_, fragment", [
    ({"op": "reset", "seed": 1, "steps": 10, "learningRate": 0.01, "text": " \n \n"}, "no documents"),
    ({"op": "reset", "seed": 1, "steps": 0, "learningRate": 0.01}, "number of steps"),
    ({"op": "reset", "seed": 1, "steps": 10, "learningRate": -1}, "learning rate"),
    ({"op": "reset", "seed": 1, "steps": 10, "learningRate": 0}, "learning rate"),
    ({"op": "reset", "seed": -1, "steps": 10, "learningRate": 0.01}, "seed"),
    ({"op": "reset", "seed": 1.5, "steps": 10, "learningRate": 0.01}, "whole number"),
    ({"op": "reset", "seed": "4", "steps": 10, "learningRate": 0.01}, "seed"),
    ({"op": "reset", "seed": 1, "steps": 10}, "learningRate"),
    ({"op": "run"}, "no model yet"),
    ({"op": "nonsense"}, "unknown request"),
])
def test_bad_requests_get_one_line(request_, fragment):
    reply = ask(**request_)
    assert fragment in reply["error"] and "\n" not in reply["error"], reply


def test_every_request_gets_a_json_answer():
    for raw in ("", "not json", "[1, 2]", json.dumps({"no": "op"})):
        reply = json.loads(session.dispatch(raw))
        assert reply["error"] and "\n" not in reply["error"], (raw, reply)


def test_limits_are_the_packages():
    assert ask(op="limits")["limits"] == json.loads(hparams.limits_json())


def test_a_learning_rate_of_one_says_so_and_the_worker_carries_on():
    ask(op="reset", seed=42, steps=1000, learningRate=1.0)
    ran = ask(op="run", budgetMs=1e9, maxSteps=100)
    assert "diverged" in ran["error"] and "learning rate 1 is too large" in ran["error"], ran
    assert "\n" not in ran["error"] and ran["step"] < 100
    assert all(isinstance(x, float) for x in ran["losses"])      # the finite losses before it
    again = ask(op="run", budgetMs=1e9, maxSteps=1)               # stays refused, with the same line
    assert again["error"] == ran["error"]
    assert ask(op="reset", seed=42, steps=10, learningRate=0.01)["step"] == 0   # Reset works again
    assert len(ask(op="run", budgetMs=1e9)["losses"]) == 10


def test_non_finite_loss_is_caught_even_without_the_engine_check(monkeypatch):
    ask(op="reset", seed=1, steps=10, learningRate=0.01)
    monkeypatch.setattr(session, "training_step", lambda *a, **k: float("nan"))
    ran = ask(op="run", budgetMs=1e9)
    assert "diverged at step 1" in ran["error"] and ran["losses"] == []


def test_an_unexpected_exception_is_one_line_and_names_its_type(monkeypatch):
    ask(op="reset", seed=1, steps=10, learningRate=0.01)

    def boom(*args, **kwargs):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(session.Session, "attention", boom)
    reply = ask(op="attention", text="emma")
    assert reply["error"] == "RuntimeError in the Python worker: something broke"
    assert ask(op="generate", n=3, temperature=0.5)["samples"]   # the next request works


def test_generate_and_probs_check_their_numbers():
    ask(op="reset", seed=1, steps=10, learningRate=0.01)
    assert "temperature" in ask(op="generate", n=3, temperature=-1)["error"]
    assert "at most 200" in ask(op="generate", n=201, temperature=0.5)["error"]
    assert "not in the vocabulary" in ask(op="probs", prefix="a!", temperature=1)["error"]
    probs = ask(op="probs", prefix="em", temperature=1)["probs"]
    assert len(probs) == 27 and probs[0][1] >= probs[-1][1]
