"""One way to check public arguments, after scikit-learn's `validate_params` (sklearn/utils/_param_validation.py).

A constraint is `Interval(Integral, 1, None)` (a whole number ≥ 1), `StrOptions({"word", "token"})`,
`InstanceOf(Store)`, `Boolean()`, `Callable()` or None (the value None). A parameter passes when it
satisfies any of its constraints; otherwise the error names the argument, every allowed kind of
value and what was given, in one line:

    @validate_params({"batch_size": [Interval(Integral, 1, None)], "engine": [StrOptions({"serial", "ray"})]})
    def run(..., batch_size=8, engine="serial"): ...

    check_param("limit", limit, [Interval(Integral, 1, None), None])

The error, `InvalidParameterError`, is both a ValueError and a TypeError, so callers that catch
either keep working.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import asdict
from numbers import Integral, Real
from typing import Any, Callable as _Callable, Iterable, Mapping, Sequence

from .estimator import Settings
from .store import ResultCache, Store


class InvalidParameterError(ValueError, TypeError):
    """A public argument has a type or value its function does not accept (the message names it)."""


class Constraint:
    def is_satisfied_by(self, value) -> bool:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


class Interval(Constraint):
    """A number of `kind` (Integral: a whole number, bool excluded; Real: any finite real) in [left, right].

    Args:
        kind: `numbers.Integral` or `numbers.Real`.
        left, right: the ends (None = unbounded); closed: which ends belong ('both', 'left', 'right', 'neither').
    """

    def __init__(self, kind: type, left: float | None, right: float | None, closed: str = "both"):
        if kind not in (Integral, Real):
            raise TypeError("Interval's kind must be numbers.Integral or numbers.Real.")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError("closed must be 'both', 'left', 'right' or 'neither'.")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if self.kind is Real and not math.isfinite(value):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        what = "a whole number" if self.kind is Integral else "a finite number"
        low = {True: "≥", False: ">"}[self.closed in ("both", "left")]
        high = {True: "≤", False: "<"}[self.closed in ("both", "right")]
        if self.left is not None and self.right is not None:
            return f"{what} with {self.left} {'≤' if low == '≥' else '<'} value {high} {self.right}"
        if self.left is not None:
            return f"{what} {low} {self.left}"
        if self.right is not None:
            return f"{what} {high} {self.right}"
        return what


class StrOptions(Constraint):
    """One of the strings `options`."""

    def __init__(self, options: Iterable[str]):
        self.options = list(options)

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return " or ".join(repr(o) for o in self.options)


class InstanceOf(Constraint):
    """An instance of `kind` (described as `description`, default the class name)."""

    def __init__(self, kind: type | tuple[type, ...], description: str | None = None):
        self.kind = kind
        names = kind if isinstance(kind, tuple) else (kind,)
        self.description = description or " or ".join(f"a {k.__name__}" for k in names)

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, self.kind)

    def __str__(self) -> str:
        return self.description


class Boolean(Constraint):
    """True or False (not 0/1, not a string)."""

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, bool)

    def __str__(self) -> str:
        return "True or False"


class Callable(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a callable"


class _NoneConstraint(Constraint):
    def is_satisfied_by(self, value) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


def _constraint(c) -> Constraint:
    if c is None:
        return _NoneConstraint()
    if isinstance(c, Constraint):
        return c
    if isinstance(c, type):
        return InstanceOf(c)
    raise TypeError(f"not a parameter constraint: {c!r}.")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}…"


def check_param(name: str, value, constraints: Sequence[Any], hint: str = "") -> Any:
    """`value` if it satisfies any of `constraints`; else InvalidParameterError naming `name` and what is allowed.

    Args:
        hint: a clause added to the message (what to do), e.g. "(a fraction shares a GPU)".
    """
    checks = [_constraint(c) for c in constraints]
    if any(c.is_satisfied_by(value) for c in checks):
        return value
    allowed = ", ".join(str(c) for c in checks[:-1]) + (" or " if len(checks) > 1 else "") + str(checks[-1])
    got = _short(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    raise InvalidParameterError(f"{name} must be {allowed}{f' {hint}' if hint else ''}, got {got}.")


def check_params(values: Mapping[str, Any], constraints: Mapping[str, Sequence[Any]]) -> None:
    """`check_param` for every name of `constraints` present in `values`."""
    for name, allowed in constraints.items():
        if name in values:
            check_param(name, values[name], allowed)


def validate_params(constraints: Mapping[str, Sequence[Any]]) -> _Callable:
    """Decorator: check the named arguments of every call (defaults included) before the function runs."""

    def wrap(function):
        signature = inspect.signature(function)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{function.__name__} has no parameter(s) {', '.join(sorted(unknown))} to validate.")

        @functools.wraps(function)
        def checked(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return function(*args, **kwargs)  # Python's own message for a wrong call
            bound.apply_defaults()
            check_params(bound.arguments, constraints)
            return function(*args, **kwargs)

        checked.parameter_constraints = dict(constraints)
        return checked

    return wrap


# The constraints public entry points share.
COUNT = Interval(Integral, 1, None)  # a whole number ≥ 1
SEED = Interval(Integral, None, None)  # a random_state: any whole number
POSITIVE = Interval(Real, 0, None, closed="right")  # a finite number > 0
LEVEL = StrOptions(["word", "token"])
ENGINE = StrOptions(["serial", "ray"])


def settings_keywords(settings, name: str = "settings") -> dict:
    """Estimator settings as keywords from None, a dict of them, or an `infolib.Settings`: the one rule for the
    tools that keep their settings as a dict (the what-if tool, the explorers, `analysis.explain_methods`)."""
    if settings is None:
        return {}
    if isinstance(settings, Settings):
        return asdict(settings)
    if isinstance(settings, Mapping):
        return dict(settings)
    raise InvalidParameterError(
        f"{name} must be an infolib.Settings(...), a dict of its fields or None, got {type(settings).__name__}."
    )


def check_cache(cache) -> Store | None:
    """The one rule for `cache`: True = the default `ResultCache`, False/None = no store, or any `Store`."""
    if cache is True:
        return ResultCache()
    if cache is False or cache is None:
        return None
    if isinstance(cache, Store):
        return cache
    raise InvalidParameterError(
        f"cache must be True (the default result cache), False (none) or a store with get/put "
        f"(infolib.ResultCache(folder), MemoryStore()), got {type(cache).__name__}."
    )


__all__ = [
    "InvalidParameterError",
    "Interval",
    "StrOptions",
    "InstanceOf",
    "Boolean",
    "Callable",
    "check_param",
    "check_params",
    "validate_params",
    "check_cache",
    "settings_keywords",
    "COUNT",
    "SEED",
    "POSITIVE",
    "LEVEL",
    "ENGINE",
]
