"""microgpt.scaling_laws: the power-law fit, the token bookkeeping and the forward-only loss."""
import math
import random

import pytest

import microgpt
from microgpt import GPTConfig, count_params, init_weights, make_model
from microgpt import scaling_laws as sl
from microgpt.errors import DivergedError, MicrogptError
from microgpt.evaluate import mean_loss as mean_loss_with_backward

pytest.importorskip("numpy")


def test_fit_recovers_known_constants_exactly():
    ns = [1_000, 3_000, 10_000, 30_000, 100_000, 300_000]
    law = sl.fit_power_law(ns, [1.9 + 4.0 * n ** -0.35 for n in ns])
    assert law.l_inf == pytest.approx(1.9, abs=1e-6)
    assert law.a == pytest.approx(4.0, rel=1e-5)
    assert law.alpha == pytest.approx(0.35, rel=1e-6)
    assert law.rmse < 1e-8
    assert law(1e9) == pytest.approx(1.9 + 4.0 * 1e9 ** -0.35, rel=1e-7)


def test_fit_with_noise_stays_close_and_beats_a_wrong_law():
    rng = random.Random(0)
    ns = [1_300 * 2 ** i for i in range(8)]
    truth = sl.PowerLaw(2.1, 6.0, 0.45, 0.0)
    losses = [truth(n) + rng.gauss(0, 0.002) for n in ns]
    law = sl.fit_power_law(ns, losses)
    assert law.l_inf == pytest.approx(2.1, abs=0.05)
    assert law.alpha == pytest.approx(0.45, abs=0.1)
    assert law.rmse < 0.004
    wrong = sl.PowerLaw(2.0, 6.0, 0.45, 0.0)
    assert law.rmse < math.sqrt(sum((wrong(n) - v) ** 2 for n, v in zip(ns, losses)) / len(ns))


def test_fit_refuses_too_few_points():
    with pytest.raises(MicrogptError, match="at least 3"):
        sl.fit_power_law([1e3, 1e4], [3.0, 2.5])
    with pytest.raises(MicrogptError, match="different"):
        sl.fit_power_law([1e3, 1e3, 1e4], [3.0, 3.0, 2.5])


def test_sizes_span_a_thousand_to_two_hundred_thousand_parameters():
    params = [count_params(sl.size_config(n_layer, n_embd)) for n_layer, n_embd in sl.SIZES]
    assert params == sorted(params) and len(params) >= 6
    assert 1_000 <= params[0] < 2_000 and params[-1] >= 200_000
    assert params[1] == count_params(GPTConfig())  # microgpt itself is one of the sizes


def test_split_is_the_training_chapters():
    docs = [f"n{i}" for i in range(105)]
    train, held = sl.split_docs(docs)
    assert held == docs[-10:] and train == docs[:-10]
    with pytest.raises(MicrogptError):
        sl.split_docs(docs[:5])


def test_plan_batches_counts_tokens_and_cycles():
    encoded = [[0, 1, 0], [0, 1, 2, 0], [0] + [1] * 30 + [0]]   # 2, 3 and (capped at block_size 8) 8 predictions
    batches, tokens = sl.plan_batches(encoded, 20, 2, 8)
    assert batches[0] == encoded[:2] and batches[1] == [encoded[2], encoded[0]]
    assert tokens == sum(sl.predictions(t, 8) for b in batches for t in b)
    assert tokens >= 20 and tokens - sum(sl.predictions(t, 8) for t in batches[-1]) < 20
    with pytest.raises(MicrogptError):
        sl.plan_batches([], 10, 2, 8)


def test_compute_bookkeeping():
    assert sl.flops(4192, 1000) == 6 * 4192 * 1000
    assert sl.tokens_for(sl.flops(4192, 123_456), 4192) == 123_456


def _tiny():
    model, docs, tok, _ = microgpt.setup(3, engine="numpy", config=GPTConfig(n_embd=8, n_head=2))
    return model, [tok.encode_doc(d) for d in docs], tok, docs


def test_forward_only_loss_equals_the_training_loss():
    model, encoded, tok, docs = _tiny()
    fast = sl.mean_loss(model, encoded[:20])
    assert fast == pytest.approx(mean_loss_with_backward(model, tok, docs[:20]), rel=1e-12)
    long = [tok.BOS] + tok.encode("abcdefghijklmnopqrstuvwxyz") + [tok.BOS]   # longer than block_size
    assert sl.mean_loss(model, [long]) == pytest.approx(model.loss_and_grads(long)[0], rel=1e-12)


def test_training_a_tiny_size_lowers_the_held_out_loss():
    _, encoded, _, _ = _tiny()
    train, held = sl.split_docs(encoded[:2000])
    config = sl.size_config(1, 8)
    before = sl.mean_loss(make_model("numpy", config, init_weights(config, random.Random(42))), held)
    run, _model = sl.train_size(config, train, held, 3000, seed=42, batch_size=16, n_train_eval=50)
    assert run.tokens >= 3000 and run.steps * 16 * 2 < 3000 + 16 * 17
    assert run.held_loss < before - 0.3
    assert run.compute == 6 * run.params * run.tokens
    assert run.gap == run.held_loss - run.train_loss


def test_refuses_engines_without_batches_and_reports_divergence():
    model, encoded, _, _ = _tiny()
    fused = make_model("fused", model.config, model.weights())
    with pytest.raises(MicrogptError, match="numpy"):
        sl.train_tokens(fused, encoded, 100)

    class Exploding:
        config = model.config

        def train_step_batch(self, docs, lr):
            return float("nan")

    with pytest.raises(DivergedError, match="step 1"):
        sl.train_tokens(Exploding(), encoded, 100)
