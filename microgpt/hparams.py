"""The valid range of every hyper-parameter, in one place.

The command line, the Python API and the browser playground all check numbers with
``check(name, value)``, so the same bad value gets the same one-line message
everywhere; the playground page reads the ranges from ``limits_json()``.
"""
import json
import math
import numbers
from dataclasses import asdict, dataclass

from .errors import MicrogptError


@dataclass(frozen=True)
class Limit:
    """How one hyper-parameter may be set."""

    label: str              # how a message names it, e.g. "the learning rate"
    low: float              # smallest allowed value
    high: float             # largest allowed value
    whole: bool = False     # must be a whole number
    low_open: bool = False  # ``low`` itself is not allowed (the value must be > low)
    flag: str = ""          # the command-line flag that sets it


LIMITS = {
    "steps": Limit("the number of steps", 1, 10_000_000, whole=True, flag="--steps"),
    # random.Random(-s) is random.Random(s): negative seeds would not be new seeds, so they are refused.
    "seed": Limit("the seed", 0, 2**32 - 1, whole=True, flag="--seed"),
    "samples": Limit("the number of samples", 0, 100_000, whole=True, flag="--samples"),
    "temperature": Limit("the temperature", 0, 1_000_000, flag="--temperature"),
    "learning_rate": Limit("the learning rate", 0, 10, low_open=True, flag="--learning-rate"),
    "print_every": Limit("the print interval", 1, 10_000_000, whole=True, flag="--print-every"),
    # The shape of a model read from a checkpoint; checked before anything of that size is allocated.
    "vocab_size": Limit("vocab_size", 1, 0x110000 + 1, whole=True),  # every Unicode character, plus BOS
    "block_size": Limit("block_size", 1, 65_536, whole=True),
    "n_layer": Limit("n_layer", 1, 1_000, whole=True),
    "n_embd": Limit("n_embd", 1, 65_536, whole=True),
    "n_head": Limit("n_head", 1, 65_536, whole=True),
    # The scalar engine holds every weight as a Python object; beyond this a checkpoint would not fit in memory.
    "n_params": Limit("the number of parameters", 1, 10_000_000, whole=True),
    # A trained microgpt's weights are a few units in size; anything this large is damage, and would
    # overflow the forward pass (x * x in rmsnorm, exp in softmax) to inf or nan.
    "weight": Limit("a weight", -1e6, 1e6),
}


def _num(x):
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def describe(limit):
    """The allowed range in words, e.g. 'a number > 0 and <= 10'."""
    kind = "a whole number" if limit.whole else "a number"
    low = f"> {_num(limit.low)}" if limit.low_open else f">= {_num(limit.low)}"
    return f"{kind} {low} and <= {_num(limit.high)}"


def shorten(value, width=40):
    """``repr(value)``, cut to ``width`` characters, so a message stays one short line."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return "a number with thousands of digits"
    return text if len(text) <= width else text[: width - 3] + "..."


def check(name, value):
    """Return ``value`` (as int or float) if it is allowed for ``name``; else raise a one-line MicrogptError."""
    limit = LIMITS[name]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)  # numpy numbers too
    ok = (number and (isinstance(value, int) or math.isfinite(value)) and (not limit.whole or value == int(value))
          and (value > limit.low if limit.low_open else value >= limit.low) and value <= limit.high)
    if not ok:
        raise MicrogptError(f"{limit.label} must be {describe(limit)}, got {shorten(value)}")
    return int(value) if limit.whole else float(value)


def limits_json():
    """Every hyper-parameter's limit (those with a command-line flag) as JSON, for the playground page's fields.

    The limits of a checkpoint's shape and weights are left out: the page has no field for them.
    """
    return json.dumps({name: asdict(limit) for name, limit in LIMITS.items() if limit.flag})
