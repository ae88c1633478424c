"""The figure notebooks: every one runs in SMOKE mode, their saved results have the right shape, the
widgets redraw, and no notebook in git carries outputs.

The notebook kernels inherit os.environ, so they use the session's temporary INFOLIB_CACHE
(`isolated_cache`): SMOKE models are trained there (a few seconds each), never in the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from infolib.notebooks import FIGURE_NOTEBOOKS, NOTEBOOK_DIR, READS_FROM, has_outputs, inject_parameters, run_notebook
from infolib.reproduce import Stages, run_notebooks

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]


# A cell's timeout: SMOKE notebooks take 10-60 s each on an idle machine; 15 minutes is more than 5×
# that even on a machine busy with other work. Speed is checked by measuring work (below), not time.
SMOKE_CELL_TIMEOUT = 900


@pytest.fixture(scope="module")
def smoke_reports(tmp_path_factory, isolated_cache):
    """Run notebooks 00-07 with SMOKE=True into one temporary reports folder, two at a time as
    `make reproduce` does (each after the notebooks it reads from), each with its own run log."""
    assert os.environ["INFOLIB_CACHE"] == str(isolated_cache)
    out = tmp_path_factory.mktemp("reports")
    (out / "runlogs").mkdir()
    status, work = run_notebooks(FIGURE_NOTEBOOKS, out, smoke=True, timeout=SMOKE_CELL_TIMEOUT, jobs=2, stages=Stages())
    errors = {name: s for name, s in status.items() if s != "ok"}
    return {"out": out, "errors": errors, "work": work}


@pytest.mark.slow
def test_every_notebook_runs_in_smoke_mode(smoke_reports):
    assert not smoke_reports["errors"], "\n\n".join(f"{k}: {v}" for k, v in smoke_reports["errors"].items())
    for name in FIGURE_NOTEBOOKS:
        assert (smoke_reports["out"] / "notebooks" / f"{name}.ipynb").exists()


@pytest.mark.slow
def test_smoke_notebooks_do_little_work(smoke_reports):
    """SMOKE stays small whatever the machine's load: few pairs, each capped at SMOKE_MAX_STEPS = 8."""
    work = smoke_reports["work"]
    assert sum(w["pairs_explained"] for w in work.values()) < 1500, work
    for name, w in work.items():
        assert not w["pairs_explained"] or w["mean_steps"] <= 8, (name, w)


@pytest.mark.slow
def test_a_pair_computed_once_is_read_back_by_later_notebooks(smoke_reports):
    """Notebooks 06 and 07 explain what 02 and 04 explained already: everything comes from the store."""
    work = smoke_reports["work"]
    for name in ("06_layerwise_forgetting", "07_fine_grained_forgetting"):
        assert work[name]["pairs_explained"] == 0 and work[name]["pairs_from_cache"] > 0, (name, work[name])
    assert work["04_sentiment_methods"]["worst_ig_relative_delta"] <= 0.05 + 1e-9


@pytest.mark.slow
def test_every_notebook_saves_png_and_svg(smoke_reports):
    figures = smoke_reports["out"] / "figures"
    for prefix in (
        "00_quickstart",
        "01_linear_toy",
        "01_convergence",
        "02_coherence",
        "03_reverse_maps",
        "04_sentiment_maps",
        "05_model_comparison",
        "06_forgetting",
        "07_retention",
        "09_faithfulness",
    ):
        assert (figures / f"{prefix}.png").stat().st_size > 1000, prefix
        assert (figures / f"{prefix}.svg").exists() and (figures / f"{prefix}.pdf").exists(), prefix


@pytest.mark.slow
def test_linear_toy_ranking(smoke_reports):
    summary = json.loads((smoke_reports["out"] / "01_linear_toy.json").read_text())
    assert summary["ranking_matches"]  # σ ∝ 1/|w|: the heaviest words have the smallest σ
    assert summary["max_relative_error"] < 0.1
    table = pd.read_csv(smoke_reports["out"] / "01_linear_toy.csv")
    assert list(table.columns) == ["weight", "closed_form", "estimate", "relative_error"]
    assert len(table) == 5


@pytest.mark.slow
def test_tables_have_their_shapes_and_units(smoke_reports):
    out = smoke_reports["out"]
    quick = pd.read_csv(out / "00_quickstart.csv")
    assert (quick["log_sigma_ratio"] <= 1e-6).all() and (quick["sigma"] > 0).all()

    coherence = pd.read_csv(out / "02_coherence_per_sentence.csv")
    assert set(coherence.columns) == {"method", "model", "sentence_id", "log_magnitude_spread", "adjacent_spearman"}
    assert len(coherence) == 4 * 3 * 3  # 4 models × 3 methods × 3 SMOKE sentences
    assert (coherence["log_magnitude_spread"].dropna() >= 0).all()
    assert coherence["adjacent_spearman"].dropna().between(-1, 1).all()

    reversal = pd.read_csv(out / "03_reversal_per_sentence.csv")
    assert len(reversal) == 2 * 4 * 2 * 2  # 2 models × 4 methods × SMOKE lengths 4, 5 × 2 sequences each
    assert set(reversal["length"]) == {4, 5}
    assert reversal["accuracy"].between(0, 1).all() and reversal["mass"].between(0, 1).all()
    assert (reversal["chance"] - 1 / reversal["length"]).abs().max() < 1e-9
    # The SMOKE reversal models are trained for ≤ 40 steps (≈ chance token accuracy), so their
    # alignment is not asserted here; see test_reversal_alignment_on_trained_model.

    methods = pd.read_csv(out / "04_sentiment_methods.csv")
    assert set(methods["metric"]) == {"sentiment_share", "function_share", "entropy_normalised"}
    assert methods["low"].le(methods["mean"] + 1e-12).all() and methods["mean"].between(0, 1).all()

    summary = pd.read_csv(out / "05_comparison_summary.csv")
    assert set(summary["metric"]) == {"entropy_normalised", "neighbour_share", "sentiment_share", "function_share"}
    assert summary["model"].nunique() == 4 and summary["mean"].between(0, 1).all()
    accuracy = pd.read_csv(out / "05_accuracy.csv")
    assert accuracy["model"].str.endswith("-smoke").all() and accuracy["accuracy"].between(0, 1).all()

    claims = pd.read_csv(out / "05_claims.csv")
    assert set(claims["verdict"]) <= {"reproduced", "not reproduced", "inconclusive", "n/a"}
    assert claims["values"].str.contains(r"\[", regex=True).all()  # every value with its interval

    forgetting = pd.read_csv(out / "06_forgetting_by_kind.csv")
    assert {"[CLS]", "[SEP]"} <= set(forgetting["kind"])
    assert forgetting["half_depth"].dropna().between(0, 1).all()
    assert forgetting["never_forgotten"].between(0, 1).all()

    by_kind = pd.read_csv(out / "07_information_by_kind.csv")
    assert (by_kind["information"] >= 0).all() and by_kind["relative_depth"].between(0, 1).all()


@pytest.mark.slow
def test_faithfulness_tables(smoke_reports):
    """Notebook 09 (issue 23): per-layer faithfulness of every method and the random floor, with intervals."""
    per_sentence = pd.read_csv(smoke_reports["out"] / "09_faithfulness_per_sentence.csv")
    assert set(per_sentence["method"]) == {"information", "gradient_saliency", "input_x_gradient", "random"}
    assert set(per_sentence["metric"]) == {"output_aopc", "state_degradation"}
    assert per_sentence["model"].nunique() == 4
    summary = pd.read_csv(smoke_reports["out"] / "09_faithfulness.csv").dropna(subset=["mean"])
    assert ((summary["low"] <= summary["mean"] + 1e-12) & (summary["mean"] <= summary["high"] + 1e-12)).all()
    assert smoke_reports["work"]["09_faithfulness"]["pairs_explained"] == 0  # every score read from 02's store


@pytest.mark.slow
def test_executed_notebooks_show_figures_and_widgets(smoke_reports):
    for name in FIGURE_NOTEBOOKS:
        nb = nbformat.read(smoke_reports["out"] / "notebooks" / f"{name}.ipynb", as_version=4)
        kinds = {
            key
            for cell in nb.cells
            if cell.cell_type == "code"
            for output in cell.outputs
            for key in output.get("data", {})
        }
        assert "image/png" in kinds, name
        assert "application/vnd.jupyter.widget-view+json" in kinds, name
        assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"], name


@pytest.mark.slow
def test_reversal_alignment_on_trained_model(tmp_path, isolated_cache):
    """Information finds the anti-diagonal on a trained reversal model (above chance 1/n).

    Uses the checkout's cached full `lstm-reverse` (copied into the temporary cache, the checkout
    is only read); on a fresh clone it trains it there first (about a minute on 2 cores).
    """
    source = ROOT / "data" / "cache" / "models" / "lstm-reverse"
    target = Path(isolated_cache) / "models" / "lstm-reverse"
    if not target.exists() and (source / "metrics.json").exists():
        shutil.copytree(source, target)
    if not (target / "metrics.json").exists():
        import infolib

        infolib.load_model("lstm-reverse", progress=False)  # trains into the temporary cache
    run_notebook(
        NOTEBOOK_DIR / "03_reverse_sequence.ipynb",
        tmp_path / "03.ipynb",
        {
            "SMOKE": False,
            "REPORTS": str(tmp_path),
            "MODELS": ["lstm-reverse"],
            "METHODS": ["information", "occlusion"],
            "LENGTHS": [6],
            "PER_LENGTH": 3,
            "MAP_LENGTH": 6,
            "MAX_STEPS": 60,
        },
        timeout=SMOKE_CELL_TIMEOUT,
    )
    table = pd.read_csv(tmp_path / "03_reversal_alignment.csv").set_index("method")
    assert table.loc["information", "accuracy"] > 2 * table.loc["information", "chance"]


def test_no_notebook_in_git_carries_outputs():
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--cached", "--exclude-standard", "notebooks/*.ipynb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed, "no notebooks found"
    dirty = [path for path in listed if has_outputs(nbformat.read(ROOT / path, as_version=4))]
    assert not dirty, (
        f"strip outputs before committing: {dirty} (python -c 'from infolib.notebooks import strip_outputs; ...')"
    )


def test_figure_notebooks_follow_the_style():
    for name in FIGURE_NOTEBOOKS:
        nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
        assert nb.cells[0].cell_type == "markdown" and "Claim" in nb.cells[0].source, name
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "SMOKE = False" in tagged[0].source and "REPORTS" in tagged[0].source, name
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert 3 <= len(code) <= 12, name
        assert not any("\ndef " in "\n" + source or "lambda" in source for source in code), name
        assert any("save_figure" in source for source in code), name


def test_notebooks_reading_anothers_store_ask_for_the_same_pairs():
    """A notebook that reads another's results (READS_FROM) explains with the same σ_S corpus and settings,
    so its pairs have the same keys: a different corpus (09 once used the packaged one) recomputes them all."""

    def lines(name: str) -> dict[str, str]:
        nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code").splitlines()
        return {
            line.split("=")[0].strip(): line.split("#")[0].strip()
            for line in code
            if line.startswith(("corpus = ", "settings = "))
        }

    for name, sources in READS_FROM.items():
        for source in sources:
            assert lines(name) == lines(source) and set(lines(name)) == {"corpus", "settings"}, (name, source)


def test_inject_parameters_goes_after_the_parameters_cell():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# t"),
            nbformat.v4.new_code_cell("A = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("print(A)"),
        ]
    )
    inject_parameters(nb, {"A": 2, "B": "x"})
    assert nb.cells[2].source.endswith("A = 2\nB = 'x'") and nb.cells[2].metadata["tags"] == ["injected-parameters"]
    inject_parameters(nb, {"A": 3})
    assert sum("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
