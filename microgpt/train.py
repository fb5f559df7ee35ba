"""Chapter 8, training: the loop every LLM runs.

For each step: take the next document, predict each next token, measure the
loss, backpropagate, and let Adam nudge every weight, with a learning rate that
decays linearly to zero.
"""
import sys

from . import hparams
from .errors import DivergedError, MicrogptError
from .optim import linear_decay


def check_steps(num_steps):
    """Return ``num_steps`` if it is an allowed number of steps (see ``hparams``), else raise MicrogptError."""
    return hparams.check("steps", num_steps)


def training_step(model, docs, tokenizer, step, num_steps, learning_rate=0.01, doc_index=None):
    """Step ``step`` of a ``num_steps`` run: the next document, the linearly decayed rate, one ``train_step``.

    The one copy of a training step: ``train`` below, the notebook dashboard and the
    browser playground all call it, so they all train the same way. The document is
    ``docs[doc_index % len(docs)]``, with ``doc_index`` = ``step`` unless given (the
    dashboard's runs continue through the documents while each run's rate starts anew).
    Returns the loss; raises DivergedError (weights unchanged) if training has left the finite numbers.
    """
    num_steps = check_steps(num_steps)
    learning_rate = hparams.check("learning_rate", learning_rate)
    if type(step) is not int or not 0 <= step < num_steps:
        raise MicrogptError(f"step must be a whole number from 0 to {num_steps - 1}, got {step!r}")
    doc = docs[(step if doc_index is None else doc_index) % len(docs)]
    tokens = tokenizer.encode_doc(doc)                    # [BOS, c1, ..., cn, BOS]
    lr_t = linear_decay(step, num_steps, learning_rate)
    return model.train_step(tokens, lr_t)                 # forward, backward, Adam


def train(model, docs, tokenizer, num_steps, learning_rate=0.01, progress=False, callback=None, stop_after=None):
    """Train ``model`` in place on ``docs`` (already shuffled); return the loss of every step.

    Step ``i`` trains on ``docs[i % len(docs)]``. ``callback(step, loss)`` is called
    after each step. ``progress=True`` shows a tqdm bar (terminal only).
    ``stop_after=k`` runs only the first k steps of the ``num_steps`` schedule
    (the learning rate still decays as if all ``num_steps`` were coming).
    If training diverges, raises DivergedError naming the step; the model keeps the
    weights of the step before.
    """
    check_steps(num_steps)
    hparams.check("learning_rate", learning_rate)
    last = num_steps if stop_after is None else min(num_steps, check_steps(stop_after))
    if not docs:
        raise MicrogptError("there are no documents to train on")
    losses = []
    bar = _progress_bar(last) if progress else None
    try:
        for step in range(last):
            try:
                loss = training_step(model, docs, tokenizer, step, num_steps, learning_rate)
            except DivergedError as exc:  # one line: which step, and what to do
                raise DivergedError(diverged_message(exc, step, num_steps, learning_rate)) from None
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


def diverged_message(exc, step, num_steps, learning_rate):
    """One line for a run that diverged at (0-based) ``step``: where, why, and a smaller rate to try."""
    why = str(exc).removeprefix("training diverged: ")
    return (f"training diverged at step {step + 1} of {num_steps} ({why}); the model keeps its weights from "
            f"before that step; try a smaller learning rate than {learning_rate:g}, e.g. {learning_rate / 10:g}")


def _progress_bar(total):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: without it, train quietly
        return None
    return tqdm(total=total, desc="training", unit="step", file=sys.stderr, disable=not sys.stderr.isatty())
