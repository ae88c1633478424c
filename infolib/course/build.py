"""Student and instructor notebooks from the one source in notebooks/course/ (ARENA/Neuromatch style).

The lessons are read from the package (`SOURCE`, infolib/course/notebooks/): in a checkout that folder is
a symbolic link to notebooks/course/, and a wheel holds copies of the lessons there (package data in
pyproject.toml), so `python -m infolib course build OUT` works from an editable and from a wheel install.

A code cell tagged `solution` holds an exercise's answer. The student version replaces it with a stub:
each top-level function keeps its signature and docstring and raises NotImplementedError; each
top-level assignment (an answer that is a value) becomes `NAME = ...`, which its check reads as "not
answered yet". Hints stay (they live in `infolib.course` and in the markdown). Both versions are written
without outputs.
"""

from __future__ import annotations

import ast
import copy
from importlib import resources
from pathlib import Path

from ..core.extras import require

# The lesson notebooks as the installed package holds them (importlib.resources): the checkout's
# notebooks/course/ through the link infolib/course/notebooks, or the wheel's copies of it.
SOURCE = Path(str(resources.files(__package__) / "notebooks"))
SOLUTION_TAG = "solution"
STUB_TAG = "exercise"


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def stub(source: str) -> str:
    """The student's version of a solution cell's code (see the module doc).

    Raises:
        ValueError: the cell holds something other than imports, functions and assignments.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.FunctionDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            body = node.body[0]
            has_doc = isinstance(body, ast.Expr) and isinstance(getattr(body, "value", None), ast.Constant)
            keep_to = body.end_lineno if has_doc else body.lineno - 1
            out += lines[first - 1 : keep_to]
            indent = " " * body.col_offset
            out.append(f'{indent}raise NotImplementedError("write {node.name} here, then run the check below")')
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names = " = ".join(t.id for t in node.targets)
            out.append(f"{names} = ...  # your answer")
        else:
            raise ValueError(
                f"a solution cell may hold imports, functions and NAME = value answers; line {node.lineno} holds "
                f"a {type(node).__name__}: move it into a cell without the '{SOLUTION_TAG}' tag."
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _strip(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.get("metadata", {}).pop("execution", None)
    return nb


def student_version(nb):
    """A copy of `nb` with solution cells stubbed (tagged 'exercise' instead) and no outputs."""
    nb = _strip(copy.deepcopy(nb))
    for cell in nb.cells:
        if is_solution(cell):
            cell.source = stub(cell.source)
            tags = [t for t in cell.metadata.get("tags", []) if t != SOLUTION_TAG]
            cell.metadata["tags"] = tags + [STUB_TAG]
    return nb


def instructor_version(nb):
    """A copy of `nb` with its solutions and no outputs."""
    return _strip(copy.deepcopy(nb))


def lessons(source: str | Path | None = None) -> list[Path]:
    """The lesson notebooks in `source` (default: `SOURCE`, the packaged lessons), in order.

    Raises:
        FileNotFoundError: no lesson*.ipynb in `source`; for the packaged folder, the message says how to
            get an infolib that has them.
    """
    source = SOURCE if source is None else Path(source)
    found = sorted(source.glob("lesson*.ipynb"))
    if found:
        return found
    message = f"no lesson notebooks (lesson*.ipynb) in {source}"
    if source == SOURCE:
        message += (
            ": this infolib was installed without the course's notebooks. Install it from a wheel built in a"
            " checkout of the repository (python -m build --wheel) or from the checkout (pip install -e .); a"
            " checkout needs its symbolic link infolib/course/notebooks -> notebooks/course (git config"
            " core.symlinks true)"
        )
    raise FileNotFoundError(message + ".")


def build(out: str | Path, source: str | Path | None = None) -> dict[str, list[Path]]:
    """Write OUT/student and OUT/instructor, one notebook per lesson of `source` (default: `SOURCE`).

    Returns the paths written.

    Raises:
        ValueError: `out` is an existing file, or `out` is the source folder itself.
        FileNotFoundError: `source` holds no lesson notebooks (`lessons`).
        MissingExtra: nbformat (the [notebooks] extra) is not installed.
    """
    nbformat = require("nbformat", "building the course")  # optional: the [notebooks] extra

    out, source = Path(out), SOURCE if source is None else Path(source)
    if out.exists() and not out.is_dir():
        raise ValueError(f"OUT must be a folder, and {out} is a file.")
    if out.resolve() == source.resolve() or source.resolve() in (out / "student").resolve().parents:
        raise ValueError("OUT must not be the course's source folder: choose another folder, e.g. build/course.")
    written: dict[str, list[Path]] = {"student": [], "instructor": []}
    for path in lessons(source):
        nb = nbformat.read(path, as_version=4)
        for kind, make in (("student", student_version), ("instructor", instructor_version)):
            target = out / kind / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(nb), target)
            written[kind].append(target)
    return written
