"""Chapter 8, training: the loop every LLM runs.

For each step: take the next document, predict each next token, measure the
loss, backpropagate, and let Adam nudge every weight, with a learning rate that
decays linearly to zero.
"""
import sys

from .errors import MicrogptError
from .optim import linear_decay


def check_steps(num_steps):
    if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps <= 0:
        raise MicrogptError(f"the number of steps must be a positive whole number, got {num_steps!r}")


def training_step(model, docs, tokenizer, step, num_steps, learning_rate=0.01):
    """Step ``step`` of a ``num_steps`` run: the next document, the linearly decayed rate, one ``train_step``.

    The one copy of a training step: ``train`` below, the notebook dashboard and the
    browser playground all call it, so they all train the same way. Returns the loss.
    """
    doc = docs[step % len(docs)]
    tokens = tokenizer.encode_doc(doc)                    # [BOS, c1, ..., cn, BOS]
    lr_t = linear_decay(step, num_steps, learning_rate)
    return model.train_step(tokens, lr_t)                 # forward, backward, Adam


def train(model, docs, tokenizer, num_steps, learning_rate=0.01, progress=False, callback=None, stop_after=None):
    """Train ``model`` in place on ``docs`` (already shuffled); return the loss of every step.

    Step ``i`` trains on ``docs[i % len(docs)]``. ``callback(step, loss)`` is called
    after each step. ``progress=True`` shows a tqdm bar (terminal only).
    ``stop_after=k`` runs only the first k steps of the ``num_steps`` schedule
    (the learning rate still decays as if all ``num_steps`` were coming).
    """
    check_steps(num_steps)
    last = num_steps if stop_after is None else min(num_steps, stop_after)
    if stop_after is not None:
        check_steps(stop_after)
    if not docs:
        raise MicrogptError("there are no documents to train on")
    losses = []
    bar = _progress_bar(last) if progress else None
    try:
        for step in range(last):
            loss = training_step(model, docs, tokenizer, step, num_steps, learning_rate)
            losses.append(loss)
            if bar is not None:
                bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                bar.update(1)
            if callback is not None:
                callback(step, loss)
    finally:
        if bar is not None:
            bar.close()
    return losses


def _progress_bar(total):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: without it, train quietly
        return None
    return tqdm(total=total, desc="training", unit="step", file=sys.stderr, disable=not sys.stderr.isatty())
