"""The course: five lessons in notebooks/course/ whose exercises check themselves.

    from infolib.course import lesson1 as ex
    ex.EXERCISES["closed_form"].check(closed_form)   # ✓ or one sentence on what is wrong
    ex.EXERCISES["closed_form"].hint()
    ex.EXERCISES["closed_form"].solution()

`exercise(key)` finds an exercise by its number ('2.3'); `python -m infolib course build OUT`
writes the student and instructor notebooks (`infolib.course.build`).
"""

from __future__ import annotations

import importlib

from .exercise import CheckFailed, Exercise, Feedback, Mistake

LESSONS = ("lesson1", "lesson2", "lesson3", "lesson4", "lesson5")


def exercises() -> dict[str, Exercise]:
    """Every exercise by its number ('1.1', …, '5.3'), in course order."""
    found = {}
    for lesson in LESSONS:
        module = importlib.import_module(f"{__name__}.{lesson}")
        found.update({e.key: e for e in module.EXERCISES.values()})
    return found


def exercise(key: str) -> Exercise:
    """The exercise numbered `key` ('1.2'); a clear error for an unknown number."""
    table = exercises()
    if key not in table:
        raise KeyError(f"no exercise {key!r}: the course has {', '.join(table)}.")
    return table[key]


__all__ = ["CheckFailed", "Exercise", "Feedback", "Mistake", "LESSONS", "exercise", "exercises"]
