"""Every document the code, notebooks, tests and docs refer to exists in the repository.

A reference is a repository path (a `docs/`, `notebooks/`, `data/`, `benchmarks/`, `tests/` or
`infolib/` path to a .md, .ipynb or .py file), a bare Markdown file name, a numbered notebook
name, a relative Markdown link, or a section of the method document ("method.md §4").
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["infolib", "notebooks", "docs", "tests", "benchmarks", "README.md"]
SUFFIXES = {".py", ".md", ".ipynb", ".yml", ".yaml"}
# Files named in the text that live outside the repository on purpose: name -> where they are.
OUTSIDE = {
    "REPORT.md": "written by `make reproduce` into reports/ (git-ignored)",
    "PROVENANCE.md": "beside each data set in the data folder (data/README.md)",
}
README_LIMIT = 12 * 1024
SKIP = {"__pycache__", "site", "reports", "build", "dist"}

PATH = re.compile(r"(?<![\w./-])((?:docs|notebooks|data|benchmarks|tests|infolib)/[\w./*-]*\.(?:md|ipynb|py))\b")
BARE_MD = re.compile(r"(?<![\w./-])([\w-]+\.md)\b")
NOTEBOOK = re.compile(r"(?<![\w./-])(\d\d_\w+\.ipynb)\b")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")
SECTION = re.compile(r"method\.md\)? §(\d+(?:\.\d+)?)")


def _files() -> list[Path]:
    found = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [
            p
            for p in candidates
            if p.is_file()
            and p.suffix in SUFFIXES
            and p != Path(__file__).resolve()  # its examples of missing files are meant to be missing
            and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(ROOT).parts)
        ]
    return found


def _text(path: Path) -> tuple[str, str]:
    """(all text, Markdown text) of a file; for a notebook, its cells' source."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = {
            kind: "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == kind)
            for kind in ("code", "markdown")
        }
        return source["code"] + "\n" + source["markdown"], source["markdown"]
    text = path.read_text(encoding="utf-8")
    return text, text if path.suffix == ".md" else ""


def _repository_names() -> set[str]:
    """Names of the repository's files (not the venv, caches, build outputs or reports)."""
    names = set()
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP and (here / d).as_posix() != "data/cache"]
        names.update(files)
    return names


def _method_sections() -> set[str]:
    text = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#+ §(\d+(?:\.\d+)?) ", text, flags=re.M))


def _missing(path: Path, names: set[str], sections: set[str]) -> list[str]:
    text, markdown = _text(path)
    missing = []
    for ref in PATH.findall(text):
        if not (any(ROOT.glob(ref)) if "*" in ref else (ROOT / ref).exists()):
            missing.append(ref)
    for ref in BARE_MD.findall(text) + NOTEBOOK.findall(text):
        if ref not in names and ref not in OUTSIDE:
            missing.append(ref)
    for target in LINK.findall(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        if not (path.parent / target.split("#")[0]).exists():
            missing.append(f"link {target}")
    for section in SECTION.findall(text):
        if section not in sections:
            missing.append(f"docs/method.md §{section}")
    return list(dict.fromkeys(missing))


def test_every_referenced_file_exists():
    names, sections = _repository_names(), _method_sections()
    problems = [f"{p.relative_to(ROOT)}: {ref}" for p in _files() for ref in _missing(p, names, sections)]
    assert not problems, "references to files that are not in the repository:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "text, bad",
    [
        ("see docs/nowhere.md §2", "docs/nowhere.md"),
        ("(NOWHERE.md)", "NOWHERE.md"),
        ("open 99_no_such_notebook.ipynb", "99_no_such_notebook.ipynb"),
        ("[a link](no/such/page.md)", "link no/such/page.md"),
        ("docs/method.md §42", "docs/method.md §42"),
    ],
)
def test_a_missing_reference_is_found(tmp_path, text, bad):
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    assert bad in _missing(page, _repository_names(), _method_sections())


def test_existing_references_pass(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("docs/method.md §4, §5.6 in method.md §5.6; notebooks/00_quickstart.ipynb; [w](https://x.org)")
    assert _missing(page, _repository_names(), _method_sections()) == []


def test_readme_is_a_front_door():
    readme = (ROOT / "README.md").read_bytes()
    assert len(readme) <= README_LIMIT, (
        f"README.md is {len(readme)} bytes; keep it ≤ {README_LIMIT} (move detail to docs/)."
    )
    hashes = [
        w for w in re.findall(r"\b[0-9a-f]{7,40}\b", readme.decode()) if re.search(r"\d", w) and re.search("[a-f]", w)
    ]
    assert not hashes, f"README.md names commits {hashes}: measurements with their commits belong in docs/."
