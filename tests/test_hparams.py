"""hparams: the one table of valid ranges, and the one check every entry point uses."""
import json
import math

import pytest

from microgpt import MicrogptError, hparams
from microgpt.hparams import LIMITS, check


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_limit_accepts_its_ends_and_refuses_just_outside(name):
    limit = LIMITS[name]
    if not limit.low_open:
        assert check(name, limit.low) == limit.low
    assert check(name, limit.high) == limit.high
    step = 1 if limit.whole else max(abs(limit.high), 1) * 1e-9
    outside = [limit.high + step, limit.low - step] + ([limit.low] if limit.low_open else [])
    for value in outside + [math.nan, math.inf, -math.inf, True, "1", None, [1]]:
        with pytest.raises(MicrogptError, match=f"^{limit.label} must be ") as info:
            check(name, value)
        assert "\n" not in str(info.value)
    if limit.whole:
        with pytest.raises(MicrogptError, match="whole number"):
            check(name, limit.low + 0.5)


def test_whole_numbers_come_back_as_int_and_numpy_numbers_are_numbers():
    np = pytest.importorskip("numpy")
    assert check("steps", 1e3) == 1000 and type(check("steps", 1e3)) is int
    assert check("seed", np.int64(7)) == 7 and check("learning_rate", np.float32(0.5)) == 0.5
    assert type(check("temperature", 1)) is float


def test_learning_rate_must_be_finite_and_positive():
    for bad in (0, -1, math.nan, math.inf, 11):
        with pytest.raises(MicrogptError, match=r"the learning rate must be a number > 0 and <= 10"):
            check("learning_rate", bad)


def test_huge_values_keep_the_message_short():
    with pytest.raises(MicrogptError) as info:
        check("seed", 10**5000)  # repr() of this int raises ValueError in Python 3.11+
    assert len(str(info.value)) < 120
    with pytest.raises(MicrogptError) as info:
        check("steps", "x" * 1000)
    assert len(str(info.value)) < 120


def test_limits_json_is_every_limit():
    limits = json.loads(hparams.limits_json())
    assert set(limits) == {"steps", "seed", "samples", "temperature", "learning_rate", "print_every"}
    assert all(LIMITS[name].flag for name in limits)
    assert limits["learning_rate"] == {"label": "the learning rate", "low": 0, "high": 10, "whole": False,
                                       "low_open": True, "flag": "--learning-rate"}
