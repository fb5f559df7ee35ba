import pytest
from helpers import tiny_setup

from microgpt import GPT, MicrogptError, setup, train
from microgpt.data import reference_run


def test_scalar_engine_reproduces_the_reference_losses_bit_for_bit():
    model, docs, tok, _ = setup(seed=42)
    losses = train(model, docs, tok, num_steps=1000, stop_after=20)
    assert losses == reference_run()["first_losses"]  # exact float equality, not approx


def test_training_lowers_the_loss_on_a_tiny_corpus():
    cfg, tok, w = tiny_setup(seed=2, std=0.08)
    model = GPT(cfg, w)
    docs = ["abc", "abd", "abe", "abc"]
    before = sum(model.loss(tok.encode_doc(d)).data for d in docs)
    losses = train(model, docs, tok, num_steps=60, learning_rate=0.05)
    after = sum(model.loss(tok.encode_doc(d)).data for d in docs)
    assert len(losses) == 60 and after < 0.5 * before


def test_callback_sees_every_step():
    cfg, tok, w = tiny_setup()
    seen = []
    train(GPT(cfg, w), ["ab"], tok, 3, callback=lambda s, loss: seen.append(s))
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("steps", [0, -5, 2.5])
def test_steps_must_be_positive(steps):
    cfg, tok, w = tiny_setup()
    with pytest.raises(MicrogptError, match="the number of steps must be a whole number >= 1"):
        train(GPT(cfg, w), ["ab"], tok, steps)
