"""`infolib.core.validation`: one way to check public arguments (after scikit-learn's validate_params), with
messages that name the argument, what is allowed and what was given."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pytest

from infolib.core.validation import (
    COUNT,
    Interval,
    InvalidParameterError,
    StrOptions,
    check_param,
    validate_params,
)


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_a_count_takes_whole_numbers_from_one(value):
    assert check_param("batch_size", value, [COUNT]) == value


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "8", None, float("nan")])
def test_a_count_refuses_the_rest_and_names_the_argument(value):
    with pytest.raises(InvalidParameterError, match=r"^batch_size must be a whole number ≥ 1, got "):
        check_param("batch_size", value, [COUNT])


def test_the_error_is_both_a_value_error_and_a_type_error():
    assert issubclass(InvalidParameterError, ValueError) and issubclass(InvalidParameterError, TypeError)


@pytest.mark.parametrize(
    "interval, good, bad, text",
    [
        (Interval(Real, 0, None, closed="right"), [1e-9, 3], [0, -1, float("inf"), True], "a finite number > 0"),
        (Interval(Real, 0, 1), [0, 0.5, 1], [-0.1, 1.1], "a finite number with 0 ≤ value ≤ 1"),
        (Interval(Integral, None, 10, closed="left"), [-5, 9], [10, 9.0], "a whole number < 10"),
    ],
)
def test_intervals(interval, good, bad, text):
    assert str(interval) == text
    assert all(interval.is_satisfied_by(v) for v in good)
    assert not any(interval.is_satisfied_by(v) for v in bad)


def test_several_constraints_are_listed_with_or():
    with pytest.raises(InvalidParameterError, match=r"^limit must be a whole number ≥ 1 or None, got 'all'\.$"):
        check_param("limit", "all", [COUNT, None])
    with pytest.raises(InvalidParameterError, match=r"^level must be 'word' or 'token', got 'char'\.$"):
        check_param("level", "char", [StrOptions(["word", "token"])])
    with pytest.raises(InvalidParameterError, match=r"got list\.$"):  # a long object is named by its type
        check_param("level", ["word"], [StrOptions(["word", "token"])])


def test_validate_params_checks_defaults_and_passes_wrong_calls_to_python():
    @validate_params({"n": [COUNT], "mode": [StrOptions(["a", "b"])]})
    def f(x, *, n=1, mode="a"):
        return x * n

    assert f(2, n=3) == 6 and f.parameter_constraints["n"] == [COUNT]
    with pytest.raises(InvalidParameterError, match="n must be a whole number ≥ 1, got 0"):
        f(2, n=0)
    with pytest.raises(InvalidParameterError, match="mode must be 'a' or 'b', got 'c'"):
        f(2, mode="c")
    with pytest.raises(TypeError, match="unexpected keyword argument 'm'"):
        f(2, m=1)
    with pytest.raises(TypeError, match="has no parameter"):
        validate_params({"k": [COUNT]})(lambda x: x)
