"""Install the wheel as a user would, and explain a sentence and build the course with nothing set up.

Builds the wheel from a copy of the package and the course's lesson notebooks (so the checkout gets no
build/ folder), installs it into a fresh venv outside the checkout with the core dependencies only
(constraints.txt keeps torch the CPU wheel, from pip's cache or find-links), and runs the command line
from an empty folder with a fresh HOME. Asserts: it succeeds; nothing is written under the venv's
site-packages; the cache is in the platform's user cache folder under that HOME; a second run reads σ_S
from that cache; `course build` writes the student and instructor notebooks of every lesson the wheel
ships (all of notebooks/course/).

Slow (a venv and a torch install from pip's cache, once for the module), but part of `make test`;
`-m "not install"` skips it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "a dull and lifeless film"
OPTIONAL = ("captum", "ray", "jupyterlab", "ipywidgets", "ipykernel", "nbclient", "nbformat", "mistune")

# pip's messages when there is no network (and the dependencies are not in its cache or find-links)
OFFLINE = re.compile(
    r"NewConnectionError|Name or service not known|Temporary failure in name resolution|Network is unreachable"
)

pytestmark = [pytest.mark.slow, pytest.mark.install]


def run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


def build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    # symlinks=True: the copy keeps the link infolib/course/notebooks -> ../../notebooks/course, as a clone
    # has it, so the build itself must follow it for the wheel to ship the lessons.
    shutil.copytree(ROOT / "infolib", source / "infolib", symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks" / "course", source / "notebooks" / "course")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    try:
        import build  # noqa: F401  (the [dev] extra)

        command = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", tmp / "dist", source]
    except ImportError:
        command = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            tmp / "dist",
            source,
        ]
    run(command, timeout=300)
    (wheel,) = (tmp / "dist").glob("infolib-*.whl")
    return wheel


def listing(folder: Path) -> set[str]:
    """Every file and folder under `folder`, except bytecode (Python's, not infolib's, to write)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix != ".pyc" and p.name != "__pycache__"}


def user(tmp: Path) -> tuple[Path, Path, dict[str, str]]:
    """A fresh HOME, an empty working folder and an environment with no infolib, XDG or Python settings."""
    home, empty = tmp / "home", tmp / "empty"
    home.mkdir()
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOLIB_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return home, empty, env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> SimpleNamespace:
    """The wheel, installed with the core dependencies into a fresh venv (once for this module's tests)."""
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.is_relative_to(ROOT)
    wheel = build_wheel(tmp)
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], timeout=120)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling torch and transformers is most of the install's CPU time; the
    # bytecode Python then writes at import is left out of the site-packages comparisons.
    command = [python, "-m", "pip", "install", "--quiet", "--no-compile", wheel, "-c", ROOT / "constraints.txt"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and OFFLINE.search(done.stderr):
        pytest.skip(f"pip cannot reach a package index for the core dependencies: {OFFLINE.search(done.stderr)[0]}")
    assert done.returncode == 0, done.stderr[-4000:]
    (site,) = (venv / "lib").glob("python3.*/site-packages")
    freeze = {line.split("==")[0].lower() for line in run([python, "-m", "pip", "freeze"]).stdout.splitlines()}
    assert not freeze & set(OPTIONAL), "the core install pulled in an extra"
    return SimpleNamespace(wheel=wheel, python=python, site=site, before=listing(site))


def test_the_wheel_explains_a_sentence_with_nothing_set_up(installed, tmp_path):
    python, site, before = installed.python, installed.site, installed.before
    home, empty, env = user(tmp_path)
    explain = [
        python,
        "-m",
        "infolib",
        "explain",
        SENTENCE,
        "--model",
        "minilm",
        "--layers",
        "all",
        "--max-steps",
        "40",
    ]

    first = run(explain, cwd=empty, env=env, timeout=600)
    for word in SENTENCE.split():
        assert word in first.stdout
    assert "layer.6" in first.stdout

    user_cache = Path(
        run(
            [python, "-c", "import platformdirs; print(platformdirs.user_cache_dir('infolib'))"], env=env
        ).stdout.strip()
    )
    assert user_cache.is_relative_to(home)
    stored = sorted(user_cache.glob("sigma_s/*/layer.*--297-*.pt"))
    assert len(stored) == 6, sorted(p.relative_to(home) for p in home.rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in stored}

    second = run(explain, cwd=empty, env=env, timeout=600)
    assert second.stdout == first.stdout  # same seed, same σ_S from the cache: the same table
    assert {p: p.stat().st_mtime_ns for p in stored} == stamps  # read, not measured and written again
    assert sorted(user_cache.glob("sigma_s/*/layer.*.pt")) == stored

    assert listing(site) == before, f"written under site-packages: {sorted(listing(site) - before)}"
    assert not list(empty.iterdir()), "the run wrote into the working folder"


def test_the_wheel_builds_the_course_in_an_empty_folder(installed, tmp_path):
    lessons = sorted(p.name for p in (ROOT / "notebooks" / "course").glob("lesson*.ipynb"))
    assert len(lessons) == 5
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = sorted(n.rsplit("/", 1)[1] for n in wheel.namelist() if n.startswith("infolib/course/notebooks/"))
    assert shipped == lessons, "the wheel does not ship every lesson notebook"

    python, site = installed.python, installed.site
    _, empty, env = user(tmp_path)
    course = [python, "-m", "infolib", "course", "build", "course"]

    # The core install has no nbformat: one line naming the extra to install, and nothing written.
    bare = subprocess.run(course, cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert bare.returncode == 2 and bare.stderr.count("\n") == 1, bare.stderr[-2000:]
    assert "pip install 'infolib[notebooks]'" in bare.stderr
    assert not list(empty.iterdir())

    # nbformat (the [notebooks] extra's part that `course build` uses) beside the venv, which stays as installed.
    extra = tmp_path / "nbformat"
    command = [python, "-m", "pip", "install", "--quiet", "--no-compile", "--target", extra, "nbformat"]
    done = subprocess.run(command + ["-c", ROOT / "constraints.txt"], capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and OFFLINE.search(done.stderr):
        pytest.skip(f"pip cannot reach a package index for nbformat: {OFFLINE.search(done.stderr)[0]}")
    assert done.returncode == 0, done.stderr[-4000:]

    built = run(course, cwd=empty, env=env | {"PYTHONPATH": str(extra)}, timeout=300)
    assert (
        f"student: {len(lessons)} notebooks" in built.stdout and f"instructor: {len(lessons)} notebooks" in built.stdout
    )
    kinds = ("student", "instructor")
    assert listing(empty) == {
        "course",
        *(f"course/{k}" for k in kinds),
        *(f"course/{k}/{n}" for k in kinds for n in lessons),
    }
    for name in lessons:
        source = json.loads((ROOT / "notebooks" / "course" / name).read_text())
        student, instructor = (json.loads((empty / "course" / k / name).read_text()) for k in kinds)
        assert [c["source"] for c in instructor["cells"]] == [c["source"] for c in source["cells"]], name
        tags = [tag for c in student["cells"] for tag in c.get("metadata", {}).get("tags", [])]
        assert "exercise" in tags and "solution" not in tags, name
    assert listing(site) == installed.before, f"written under site-packages: {sorted(listing(site) - installed.before)}"
