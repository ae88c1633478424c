"""The package's layers: imports point one way, and no module imports itself round a cycle.

core ← baselines, models, training ← distributed, methods ← api ← analysis ← viz ← interactive
← cli/reproduce/notebooks. `models` may import `training` and `methods` may import `distributed`
(Ray is its executor), never the reverse. Imports inside functions count too: a lazy import that
points upward is still an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infolib.course import LESSONS

PACKAGE = Path(__file__).resolve().parents[1] / "infolib"
RANK = {
    "core": 0,
    "baselines": 1,
    "models": 1,
    "training": 1,
    "testing": 1,
    "distributed": 2,
    "methods": 2,
    "api": 3,
    "export": 4,
    "analysis": 4,
    "viz": 5,
    "interactive": 6,
    "notebooks": 7,
    "course": 8,
    "reproduce": 8,
    "cli": 9,
    "cli_faithfulness": 8,
    "__main__": 10,
    "__init__": 11,
}
SIDEWAYS = {("models", "training"), ("methods", "distributed"), ("testing", "models")}  # allowed between equal ranks


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every infolib module `name` imports, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    if path.name == "__init__.py":
        package = name.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = [f"{module}.{alias.name}" for alias in node.names]
            # `from . import metrics` imports the submodule, not the package's own names
            targets = submodules if any(s in known or f"{s}.__init__" in known for s in submodules) else [module]
        else:
            continue
        for target in targets:
            if target in known:
                found.add(target)
            elif f"{target}.__init__" in known:
                found.add(f"{target}.__init__")
    return found - {name}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_every_module_has_a_layer():
    assert {layer(m) for m in modules()} <= set(RANK), "a new top-level module needs a rank in RANK"


def upward(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in edges.items():
        for target in targets:
            a, b = layer(module), layer(target)
            if a != b and (a, b) not in SIDEWAYS and RANK[b] >= RANK[a]:
                found.append(f"{module} imports {target} ({a} may not import {b})")
    return sorted(found)


def test_no_module_imports_upward():
    assert not upward(graph()), "\n".join(upward(graph()))


def test_no_import_cycles():
    edges = graph()
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize(
    "source, target",
    [
        ("core", "models"),
        ("training", "models"),
        ("baselines", "models"),
        ("models", "analysis"),
        ("viz", "interactive"),
    ],
)
def test_the_check_catches_a_planted_upward_import(tmp_path, source, target):
    path = tmp_path / "planted.py"
    path.write_text(f"def f():\n    from ..{target}.planted_target import thing\n")
    name, planted = f"infolib.{source}.planted", f"infolib.{target}.planted_target"
    found = imports(name, path, set(modules()) | {name, planted})
    assert found == {planted}
    assert upward({name: found})


# The course's reference solutions are the lessons' solution cells verbatim (tests/course/test_course.py
# keeps them equal), and a student's cell imports what it uses inside the function it writes.
LAZY_IMPORTS_REVIEWED_ELSEWHERE = {f"infolib/course/{lesson}.py" for lesson in LESSONS}
LAZY_REASONS = ("optional dependency", "start-up cost", "import cycle")


def unexplained_lazy_imports(source: str) -> list[str]:
    """'line: import …' for each import inside a function whose line (or the line above) gives no reason."""
    lines = source.split("\n")
    found = {
        f"{inner.lineno}: {lines[inner.lineno - 1].strip()}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
        and not any(reason in lines[inner.lineno - 1] + lines[inner.lineno - 2] for reason in LAZY_REASONS)
    }
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_every_import_inside_a_function_says_why():
    """An import inside a function guards an optional dependency, a measured start-up cost (`python -X
    importtime -c "import infolib"`) or an import cycle, and its comment says which; any other goes on top."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE.parent).as_posix() not in LAZY_IMPORTS_REVIEWED_ELSEWHERE
        for line in unexplained_lazy_imports(path.read_text())
    ]
    assert not found, "imports inside functions with no stated reason:\n" + "\n".join(found)


def test_the_lazy_import_check_catches_an_unexplained_one():
    source = (
        "def f():\n    import json\n\n\n"
        "def g():\n    import ray  # lazy: optional dependency (ray)\n\n\n"
        "def h():\n    # lazy: import cycle (a imports b)\n    from . import b\n"
    )
    assert unexplained_lazy_imports(source) == ["2: import json"]
