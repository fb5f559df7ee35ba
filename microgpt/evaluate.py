"""Chapters 8 and 9, measuring a model: held-out loss, how many samples are new, entropy, smoothing.

Standard library only; every function works with any engine (it needs only the
forward-only ``eval_loss``), so the numbers mean the same on the scalar, fused and numpy engines.

>>> round(entropy([0.5, 0.5]), 6), novel_fraction(["ava", "zyx"], ["ava", "emma"])
(0.693147, 0.5)
"""
import math

from .errors import MicrogptError
from .layers import left_sum


def mean_loss(model, tokenizer, docs):
    """Mean over ``docs`` of each document's mean cross-entropy (the loss ``train`` reports), weights unchanged."""
    docs = list(docs)
    if not docs:
        raise MicrogptError("there are no documents to evaluate on")
    return left_sum(model.eval_loss(tokenizer.encode_doc(doc)) for doc in docs) / len(docs)


def novel_fraction(samples, known):
    """The share of ``samples`` that are not in ``known`` (e.g. the training documents)."""
    samples = list(samples)
    if not samples:
        raise MicrogptError("there are no samples to check")
    known = set(known)
    return sum(s not in known for s in samples) / len(samples)


def entropy(probs):
    """Shannon entropy in nats, -sum p ln p: 0 for a certain outcome, ln n for n equally likely ones."""
    return -sum(p * math.log(p) for p in probs if p > 0)


def moving_average(values, window):
    """The mean of the last ``window`` values at every index (fewer at the start)."""
    if not isinstance(window, int) or window < 1:
        raise MicrogptError(f"the window must be a positive whole number, got {window!r}")
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out
