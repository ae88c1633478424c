"""`make reproduce` runs notebooks side by side: each after the notebooks it reads from, failures reported."""

import threading
import time

import pytest

from infolib import reproduce
from infolib.notebooks import FIGURE_NOTEBOOKS, READS_FROM


@pytest.fixture
def fake_notebooks(monkeypatch):
    """Replace kernel execution by a short sleep that records when each notebook ran and with which env."""
    events, lock = {}, threading.Lock()

    def run_notebook(path, out, parameters, timeout, env):
        name = path.stem
        with lock:
            events[name] = {"start": time.perf_counter(), "env": dict(env)}
        time.sleep(0.05)
        if name == "03_reverse_sequence":
            raise RuntimeError("cell 4 raised\nValueError: broken on purpose")
        with lock:
            events[name]["end"] = time.perf_counter()

    monkeypatch.setattr(reproduce, "run_notebook", run_notebook)
    return events


def test_notebooks_run_after_the_notebooks_they_read_from(tmp_path, fake_notebooks):
    (tmp_path / "runlogs").mkdir()
    status, work = reproduce.run_notebooks(
        FIGURE_NOTEBOOKS, tmp_path, smoke=True, timeout=5, jobs=2, stages=reproduce.Stages()
    )
    assert list(status) == list(FIGURE_NOTEBOOKS) and set(work) == set(FIGURE_NOTEBOOKS)
    for name, sources in READS_FROM.items():
        for source in sources:
            assert fake_notebooks[name]["start"] >= fake_notebooks[source]["end"], (name, source)
    runs = [e for e in fake_notebooks.values() if "end" in e]
    assert any(a is not b and a["start"] < b["start"] < a["end"] for a in runs for b in runs)  # two at a time


def test_the_notebook_others_read_from_starts_first(tmp_path, fake_notebooks):
    """02 → 04 is the longest chain: 02 must not wait behind 00 and 01."""
    (tmp_path / "runlogs").mkdir()
    reproduce.run_notebooks(FIGURE_NOTEBOOKS, tmp_path, smoke=True, timeout=5, jobs=2, stages=reproduce.Stages())
    first = min(fake_notebooks, key=lambda name: fake_notebooks[name]["start"])
    assert first == "02_gradient_vs_information_across_layers"


def test_a_failed_notebook_is_reported_and_the_rest_still_run(tmp_path, fake_notebooks):
    (tmp_path / "runlogs").mkdir()
    status, _ = reproduce.run_notebooks(
        FIGURE_NOTEBOOKS, tmp_path, smoke=True, timeout=5, jobs=2, stages=reproduce.Stages()
    )
    failed = status["03_reverse_sequence"]
    assert failed.startswith("FAILED: RuntimeError") and "broken on purpose" in failed
    assert all(s == "ok" for n, s in status.items() if n != "03_reverse_sequence")


def test_each_kernel_gets_its_run_log_and_a_share_of_the_cores(tmp_path, fake_notebooks, monkeypatch):
    monkeypatch.setattr(reproduce.os, "cpu_count", lambda: 4)
    (tmp_path / "runlogs").mkdir()
    reproduce.run_notebooks(FIGURE_NOTEBOOKS[:3], tmp_path, smoke=True, timeout=5, jobs=2, stages=reproduce.Stages())
    logs = {e["env"]["INFOLIB_RUN_LOG"] for e in fake_notebooks.values()}
    assert len(logs) == 3 and all(e["env"]["OMP_NUM_THREADS"] == "2" for e in fake_notebooks.values())


def test_by_default_two_kernels_of_one_thread_share_two_cores(tmp_path, fake_notebooks, monkeypatch):
    monkeypatch.setattr(reproduce.os, "cpu_count", lambda: 2)
    (tmp_path / "runlogs").mkdir()
    reproduce.run_notebooks(FIGURE_NOTEBOOKS[:2], tmp_path, smoke=True, timeout=5, jobs=None, stages=reproduce.Stages())
    runs = list(fake_notebooks.values())
    assert all(e["env"]["OMP_NUM_THREADS"] == "1" for e in runs)
    assert runs[1]["start"] < runs[0]["end"]  # side by side


def test_deep_runs_one_kernel_with_every_core(tmp_path, fake_notebooks, monkeypatch):
    """MPNet's 1,200 pairs are one long cell in 06: it gets both threads rather than one beside an idle core."""
    monkeypatch.setattr(reproduce.os, "cpu_count", lambda: 2)
    (tmp_path / "runlogs").mkdir()
    names = ("06_layerwise_forgetting", "07_fine_grained_forgetting")
    reproduce.run_notebooks(names, tmp_path, smoke=True, timeout=5, jobs=None, stages=reproduce.Stages(), deep=True)
    assert all(e["env"]["OMP_NUM_THREADS"] == "2" for e in fake_notebooks.values())


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_a_wrong_number_of_jobs_is_refused(tmp_path, jobs):
    with pytest.raises(ValueError, match="jobs must be a whole number"):
        reproduce.run_notebooks(FIGURE_NOTEBOOKS[:1], tmp_path, smoke=True, timeout=5, jobs=jobs, stages=None)


def test_deep_runs_07_after_06_and_tells_every_notebook(tmp_path, fake_notebooks, monkeypatch):
    parameters = {}
    recorded = reproduce.run_notebook

    def run_notebook(path, out, params, timeout, env):
        parameters[path.stem] = params
        recorded(path, out, params, timeout, env)

    monkeypatch.setattr(reproduce, "run_notebook", run_notebook)
    (tmp_path / "runlogs").mkdir()
    names = ("02_gradient_vs_information_across_layers", "06_layerwise_forgetting", "07_fine_grained_forgetting")
    reproduce.run_notebooks(names, tmp_path, smoke=True, timeout=5, jobs=2, stages=reproduce.Stages(), deep=True)
    assert fake_notebooks["07_fine_grained_forgetting"]["start"] >= fake_notebooks["06_layerwise_forgetting"]["end"]
    assert all(p["DEEP"] is True for p in parameters.values())


def test_the_cell_timeout_fits_the_run():
    """DEEP=1 explains 1,200 MPNet pairs in one cell of 06: the 10-minute timeout would fail it."""
    assert reproduce.cell_timeout(None, deep=False) == reproduce.CELL_TIMEOUT == 600
    assert reproduce.cell_timeout(None, deep=True) == reproduce.DEEP_CELL_TIMEOUT >= 60 * 60
    assert reproduce.cell_timeout(120, deep=True) == 120  # --timeout wins
