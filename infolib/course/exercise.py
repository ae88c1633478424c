"""One exercise of the course: `check(answer)`, `hint()`, `solution()` (Kaggle Learn's three verbs).

A check calls the student's function on prepared inputs, compares what comes back with the
project's own implementation, and answers in one sentence: what is right, or which typical mistake
the answer looks like ("σ of word 2 is 2× the closed form: did you forget the square root?").
A student function that raises, returns the wrong type, shape or dtype, or NaN gets one sentence
saying which, never a traceback from inside torch. A stub that still raises NotImplementedError
re-raises it (so an unfinished notebook stops there, as Neuromatch's CI expects).

Set INFOLIB_COURSE_STRICT=1 to turn a failed check into a `CheckFailed` error (CI runs the solution
notebooks that way, so every check there must pass).
"""

from __future__ import annotations

import inspect
import math
import os
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

STRICT_ENV = "INFOLIB_COURSE_STRICT"


class Mistake(Exception):
    """Raised inside a checker: the answer is wrong, and the message says how."""


class CheckFailed(AssertionError):
    """A failed check under INFOLIB_COURSE_STRICT=1."""


@dataclass
class Feedback:
    """The outcome of a check: passed or not, and one sentence for the student."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{'✓ Correct' if self.passed else '✗ Not yet'} ({self.exercise}): {self.message}"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        return f'<span style="color:{colour}">{self}</span>'

    def __repr__(self) -> str:
        return str(self)


@dataclass
class Exercise:
    """An exercise: its rating, its time box, its checker, its hints and its reference solution.

    Attributes:
        key: '1.2' (lesson.exercise); title: what the student writes.
        difficulty, importance: 1-5 stars (ARENA's ratings).
        minutes: the time box (spend up to this long, then read the hints, then the solution).
        checker: (answer, **context) -> success message; raises `Mistake` with the student's feedback.
        reference: the model solution (a function, or a value named `value_name`), shown by `solution()`
            and used by the tests.
        hints: shown one at a time by `hint()`.
    """

    key: str
    title: str
    difficulty: int
    importance: int
    minutes: int
    checker: Callable[[object], str]
    reference: Callable
    hints: Sequence[str] = field(default_factory=tuple)
    value_name: str | None = None  # for an answer that is a value, not a function: its variable's name
    _hints_shown: int = 0

    @property
    def rating(self) -> str:
        """'difficulty ●●○○○ · importance ●●●●○ · up to 10 min'."""

        def dots(n):
            return "●" * n + "○" * (5 - n)

        return f"difficulty {dots(self.difficulty)} · importance {dots(self.importance)} · up to {self.minutes} min"

    def check(self, answer, **context) -> None:
        """Check the student's `answer` (usually their function) and print one sentence of feedback.

        `context`: what the exercise's check needs besides the answer (e.g. model=model), as its text says.

        Raises:
            NotImplementedError: the answer is still the stub.
            CheckFailed: the answer is wrong and INFOLIB_COURSE_STRICT=1.
        """
        feedback = self.feedback(answer, **context)
        print(feedback)
        if not feedback.passed and os.environ.get(STRICT_ENV, "") not in ("", "0"):
            raise CheckFailed(str(feedback))

    def feedback(self, answer, **context) -> Feedback:
        """The check's outcome without printing it (for tests and grading scripts).

        Raises:
            NotImplementedError: the answer is still the stub.
        """
        try:
            return Feedback(self.key, True, self.checker(answer, **context))
        except NotImplementedError:
            raise NotImplementedError(
                f"exercise {self.key} ({self.title}) is not written yet: replace `raise NotImplementedError` "
                f"with your code, run its cell, then run this check again."
            ) from None
        except Mistake as mistake:
            return Feedback(self.key, False, str(mistake))

    def hint(self) -> str:
        """Print the next hint (they get more specific); after the last, point at `solution()`."""
        if not self.hints:
            text = "No hint for this one: re-read the exercise's text, or look at solution()."
        elif self._hints_shown < len(self.hints):
            text = f"Hint {self._hints_shown + 1}/{len(self.hints)}: {self.hints[self._hints_shown]}"
            self._hints_shown += 1
        else:
            text = f"That was the last hint. Hint {len(self.hints)}/{len(self.hints)}: {self.hints[-1]} (or solution())"
        print(text)
        return text

    def solution(self) -> str:
        """Print the reference solution's code."""
        if self.value_name is not None:
            code = f"{self.value_name} = {self.reference!r}"
        else:
            code = textwrap.dedent(inspect.getsource(self.reference))
        print(code)
        return code


# -- what a checker uses to call the student's code and read what comes back ---------------------


def call(function, name: str, *args, **kwargs):
    """`function(*args, **kwargs)`; any error but NotImplementedError becomes a one-sentence `Mistake`."""
    if not callable(function):
        raise Mistake(f"check({name}) expects your function itself, got a {type(function).__name__}.")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise
    except TypeError as error:
        if "argument" in str(error):
            signature = _signature(function)
            raise Mistake(
                f"{name}{signature} could not be called as the exercise calls it ({_first_line(error)}): "
                f"keep the arguments of the stub."
            ) from None
        raise Mistake(f"{name} raised TypeError: {_first_line(error)}.") from None
    except Exception as error:  # the student's code: report it in one line
        raise Mistake(f"{name} raised {type(error).__name__}: {_first_line(error)}.") from None


def _signature(function) -> str:
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else "(no message)"
    return line if len(line) <= 160 else line[:157] + "..."


def tensor(value, name: str, shape: Sequence[int] | None = None, what: str = "") -> torch.Tensor:
    """`value` as a float64 tensor, after checking it is a float tensor of `shape` without NaN or inf.

    Raises:
        Mistake: wrong type, shape or dtype, or NaN/inf, said in one sentence.
    """
    if isinstance(value, np.ndarray):
        raise Mistake(f"{name} returned a numpy array; return a torch.Tensor (torch.as_tensor(...) converts it).")
    if not isinstance(value, torch.Tensor):
        raise Mistake(f"{name} returned a {type(value).__name__}; it must return a torch.Tensor{what}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise Mistake(f"{name} returned shape {tuple(value.shape)}; expected {tuple(shape)}{what}.")
    if not value.is_floating_point():
        raise Mistake(
            f"{name} returned {str(value.dtype).replace('torch.', '')} values; expected floating point "
            f"(float32 or float64): build it from float tensors."
        )
    if value.requires_grad:
        value = value.detach()
    bad = ~torch.isfinite(value)
    if bad.any():
        where = ", ".join(str(i) for i in bad.nonzero().flatten().tolist()[:5]) if value.ndim == 1 else "some entries"
        kind = "NaN" if torch.isnan(value).any() else "inf"
        raise Mistake(f"{name} returned {kind} (at {where}): look for log of 0 or of a negative number, or 0/0.")
    return value.double()


def number(value, name: str) -> float:
    """`value` as a finite Python float (a 0-d tensor or numpy number is accepted)."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        if size != 1:
            shape = tuple(value.shape)
            raise Mistake(f"{name} returned an array of shape {shape}; it must return one number.")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise Mistake(f"{name} returned a {type(value).__name__}; it must return a number (a float).")
    value = float(value)
    if not math.isfinite(value):
        raise Mistake(f"{name} returned {value}: look for log of 0, 0/0, or an empty mean.")
    return value


def close(a, b, rtol: float = 1e-4, atol: float = 1e-8) -> bool:
    """Whether two tensors/arrays/numbers agree within `rtol` (relative) and `atol`."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def ratio_message(got, expected) -> float | None:
    """The constant ratio got / expected if the two are proportional (within 1 %), else None."""
    got, expected = np.asarray(got, dtype=float).ravel(), np.asarray(expected, dtype=float).ravel()
    if got.shape != expected.shape or np.any(expected == 0):
        return None
    ratios = got / expected
    if np.all(np.abs(ratios / ratios[0] - 1) < 1e-2):
        return float(ratios[0])
    return None
