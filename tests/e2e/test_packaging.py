"""The project's files agree with each other: dependencies, CI entry, README commands."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("- pip:", 1)[1]
    env = [line.strip()[2:].strip() for line in pip_section.splitlines() if line.strip().startswith("- ")]
    assert sorted(env) == sorted(pyproject)
    assert re.search(r"^\s*- python=3\.11\s*$", text, re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme
