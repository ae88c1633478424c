"""The project's files agree with each other: dependencies, extras, constraints, CI entry, package data."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CORE = [Requirement(r) for r in PROJECT["project"]["dependencies"]]
EXTRAS = PROJECT["project"]["optional-dependencies"]


def constraints() -> dict[str, str]:
    """name -> pinned version of constraints.txt."""
    lines = [line.split("#")[0].strip() for line in (ROOT / "constraints.txt").read_text().splitlines()]
    return {name.lower(): version for name, version in (line.split("==") for line in lines if line)}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("- pip:", 1)[1]
    env = [line.strip()[2:].strip() for line in pip_section.splitlines() if line.strip().startswith("- ")]
    assert sorted(env) == sorted(PROJECT["project"]["dependencies"])
    assert re.search(r"^\s*- python=3\.11\s*$", text, re.M)


def test_torch_is_a_range_that_fits_the_gpu_machines_and_the_ci_pin():
    (torch,) = [r for r in CORE if r.name == "torch"]
    assert not any(s.operator == "==" for s in torch.specifier), "a pinned torch replaces the user's own"
    for version in ("2.11.0", "2.13.0", "2.13.0+cpu", "2.15.0"):  # 2.11: the GPU machines; 2.13: CI's wheel
        assert torch.specifier.contains(version), version
    assert not torch.specifier.contains("3.0.0")


def test_constraints_pin_ci_inside_the_declared_ranges():
    pins = constraints()
    assert pins["torch"] == "2.13.0"  # the CPU wheel the project is developed and measured with
    declared = CORE + [Requirement(r) for extra in EXTRAS.values() for r in extra if not r.startswith("infolib")]
    for requirement in declared:
        if requirement.name.lower() in pins:
            assert requirement.specifier.contains(pins[requirement.name.lower()]), requirement
    assert re.search(r'pip install .*-e "\.\[all\]" -c constraints\.txt', (ROOT / "Makefile").read_text())


def test_the_core_holds_no_notebook_server_no_ray_and_no_captum():
    core = {r.name.lower() for r in CORE}
    optional = {"jupyterlab", "ipywidgets", "ipykernel", "nbclient", "nbformat", "mistune", "ray", "captum"}
    assert not core & optional
    assert {"jupyterlab", "ipywidgets", "ipykernel", "nbclient", "nbformat", "mistune"} <= {
        Requirement(r).name for r in EXTRAS["notebooks"]
    }
    assert {Requirement(r).name for r in EXTRAS["distributed"]} == {"ray"}
    assert {"pytest", "ruff", "hypothesis", "build"} <= {Requirement(r).name for r in EXTRAS["dev"]}
    (everything,) = EXTRAS["all"]
    assert set(Requirement(everything).extras) == set(EXTRAS) - {"all"}


def test_every_extra_named_in_an_error_exists():
    from infolib.core.extras import EXTRA_OF

    assert set(EXTRA_OF.values()) <= set(EXTRAS)
    for package, extra in EXTRA_OF.items():
        names = {Requirement(r).name.lower() for r in EXTRAS[extra]}
        assert package.lower() in names or package == "IPython", (package, extra)  # IPython comes with ipykernel


def test_the_packaged_corpus_is_package_data():
    data = PROJECT["tool"]["setuptools"]["package-data"]["infolib"]
    assert "data/*.txt" in data and "data/*.md" in data
    assert (ROOT / "infolib" / "data" / "sigma_s_corpus.txt").is_file()
    assert "Licence" in (ROOT / "infolib" / "data" / "PROVENANCE.md").read_text()


def test_the_course_lessons_are_package_data():
    """The wheel ships the lessons through the link infolib/course/notebooks -> notebooks/course (one source)."""
    assert "course/notebooks/*.ipynb" in PROJECT["tool"]["setuptools"]["package-data"]["infolib"]
    link = ROOT / "infolib" / "course" / "notebooks"
    assert link.is_symlink() and link.readlink() == Path("../../notebooks/course")
    packaged = sorted(p.name for p in (ROOT / "infolib").glob("course/notebooks/*.ipynb"))
    assert len(packaged) == 5 and packaged == sorted(p.name for p in (ROOT / "notebooks" / "course").glob("*.ipynb"))


def test_make_test_never_runs_sudo():
    code = [line for line in (ROOT / "Makefile").read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not any(re.search(r"\bsudo\b", line) for line in code)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme
