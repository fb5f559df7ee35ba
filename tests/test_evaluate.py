"""microgpt.evaluate: held-out loss, novelty, entropy and smoothing."""
import math

import pytest

import microgpt
from microgpt.evaluate import entropy, mean_loss, moving_average, novel_fraction


def test_mean_loss_is_the_training_loss_and_leaves_weights_alone():
    model, docs, tokenizer, _ = microgpt.setup(42)
    before = model.weights()
    assert mean_loss(model, tokenizer, docs[:1]) == microgpt.train(
        microgpt.setup(42)[0], docs, tokenizer, 1000, stop_after=1)[0]
    two = mean_loss(model, tokenizer, docs[:2])
    singles = [mean_loss(model, tokenizer, [d]) for d in docs[:2]]
    assert two == sum(singles) / 2
    assert model.weights() == before


def test_mean_loss_same_on_every_engine():
    model, docs, tokenizer, _ = microgpt.setup(42)
    fused = microgpt.make_model("fused", model.config, model.weights())
    assert mean_loss(fused, tokenizer, docs[:3]) == mean_loss(model, tokenizer, docs[:3])


def test_novel_fraction():
    assert novel_fraction(["ava", "ava", "bob", "zed"], ["ava", "bob"]) == 0.25
    assert novel_fraction(["x"], []) == 1.0
    with pytest.raises(microgpt.MicrogptError):
        novel_fraction([], ["ava"])


def test_entropy():
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    assert math.isclose(entropy([1 / 27] * 27), math.log(27))
    assert entropy([0.9, 0.1]) < entropy([0.5, 0.5])


def test_moving_average():
    assert moving_average([1.0, 3.0, 5.0, 7.0], 2) == [1.0, 2.0, 4.0, 6.0]
    assert moving_average([2.0] * 5, 10) == [2.0] * 5
    with pytest.raises(microgpt.MicrogptError):
        moving_average([1.0], 0)


def test_empty_docs_rejected():
    model, _docs, tokenizer, _ = microgpt.setup(42)
    with pytest.raises(microgpt.MicrogptError):
        mean_loss(model, tokenizer, [])
