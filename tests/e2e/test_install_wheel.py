"""Install the wheel as a user would, and explain a sentence with nothing set up.

Builds the wheel from a copy of the package (so the checkout gets no build/ folder), installs it
into a fresh venv outside the checkout with the core dependencies only (constraints.txt keeps torch
the CPU wheel, from pip's cache or find-links), and runs the command line from an empty folder with
a fresh HOME. Asserts: it succeeds; nothing is written under the venv's site-packages; the cache is
in the platform's user cache folder under that HOME; a second run reads σ_S from that cache.

Slow (a venv and a torch install from pip's cache), but part of `make test`; `-m "not install"` skips it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
    shutil.copytree(ROOT / "infolib", source / "infolib", ignore=shutil.ignore_patterns("__pycache__"))
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


def test_the_wheel_explains_a_sentence_with_nothing_set_up(tmp_path):
    assert not tmp_path.is_relative_to(ROOT)
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], timeout=120)
    python = venv / "bin" / "python"
    # --no-compile: byte-compiling torch and transformers is most of the install's CPU time; the
    # bytecode Python then writes at import is left out of the site-packages comparison below.
    command = [python, "-m", "pip", "install", "--quiet", "--no-compile", wheel, "-c", ROOT / "constraints.txt"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and OFFLINE.search(done.stderr):
        pytest.skip(f"pip cannot reach a package index for the core dependencies: {OFFLINE.search(done.stderr)[0]}")
    assert done.returncode == 0, done.stderr[-4000:]
    (site,) = (venv / "lib").glob("python3.*/site-packages")
    before = listing(site)
    installed = {line.split("==")[0].lower() for line in run([python, "-m", "pip", "freeze"]).stdout.splitlines()}
    assert not installed & set(OPTIONAL), "the core install pulled in an extra"

    home, empty = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INFOLIB_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
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
