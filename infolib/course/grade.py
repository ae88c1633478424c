"""Read an executed lesson notebook's check results, for grading.

Execute the student's notebook headless first, letting it run past errors, e.g.

    INFOLIB_COURSE_STRICT=1 jupyter nbconvert --to notebook --execute --allow-errors \\
        --output graded.ipynb lesson1_noise_that_changes_nothing.ipynb

then `results("graded.ipynb")` says, per exercise, 'passed', 'failed: <the check's sentence>' or
'not written' (its stub still raises NotImplementedError), or 'not run'.
"""

from __future__ import annotations

import re
from pathlib import Path
from . import exercises

_CHECK = re.compile(r'ex\["(\w+)"\]\.check\(')
_VERDICT = re.compile(r"(✓ Correct|✗ Not yet) \((\d+\.\d+)\): (.*)")


def results(path: str | Path) -> dict[str, str]:
    """Exercise number -> 'passed' | 'failed: …' | 'not written' | 'not run', from an executed notebook's outputs."""
    import nbformat  # lazy: optional dependency (nbformat, the [notebooks] extra)

    nb = nbformat.read(Path(path), as_version=4)
    names = {name: key for key, e in exercises().items() for name in [_name(e)]}
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        match = _CHECK.search(cell.source)
        if not match or match.group(1) not in names:
            continue
        key = names[match.group(1)]
        found[key] = "not run"
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            verdict = _VERDICT.search(text) or (
                _VERDICT.search(output.get("evalue", "")) if output.get("output_type") == "error" else None
            )
            if verdict:
                found[key] = "passed" if verdict.group(1) == "✓ Correct" else f"failed: {verdict.group(3)}"
            elif output.get("output_type") == "error" and output.get("ename") == "NotImplementedError":
                found[key] = "not written"
    return found


def _name(exercise) -> str:
    """The key the notebooks use in ex[...]: the reference function's name, or the answer variable's."""
    return exercise.value_name.lower() if exercise.value_name else exercise.reference.__name__
