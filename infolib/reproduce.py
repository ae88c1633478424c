"""`make reproduce`: load (or train) the models, run every figure notebook headless, write reports/.

Stages, each printed with the time it took:
  1. models: every trained model the notebooks use, from the cache (trained on first use);
  2. notebooks 00-07 and 09 executed with nbclient (parameters injected like papermill: SMOKE, REPORTS),
     executed copies in reports/notebooks/, figures (PNG + SVG) in reports/figures/, tables (CSV/JSON)
     in reports/;
  3. the claims table (docs/method.md §5, `analysis.claims_table`) from the saved tables,
     reports/claims.csv, reports/results.json, reports/REPORT.md and REPORT.html.
A failing notebook is reported (REPORT.md lists it with the error) and the others still run;
the command then exits non-zero. Each notebook runs with `$INFOLIB_RUN_LOG` pointing at its own
run log (`infolib.core.runlog`), so the report states the work each one did: pairs explained, mean
steps, pairs stopped by max_steps, pairs read back from the result cache.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import pandas as pd

from .analysis.claims import claims_table
from .core import runlog
from .core.extras import require
from .core.validation import COUNT, check_param
from .models.registry import load_model, model_metrics
from .notebooks import FIGURE_NOTEBOOKS, NOTEBOOK_DIR, READS_FROM, run_notebook
from .viz.gallery import caption

MODELS = ("bert-sst2", "transformer-sst2", "lstm-sst2", "cnn-sst2", "lstm-reverse", "transformer-reverse")
# DEEP=1: the 12-layer MPNet (`make deep-model`) joins notebooks 06 and 07, which then compute its pairs in 06
# and read them back in 07.
DEEP_MODELS = ("mpnet-sst2",)
DEEP_READS = {"07_fine_grained_forgetting": ("06_layerwise_forgetting",)}

SECTIONS = {
    "00_quickstart": ("Quickstart: one sentence, fine-tuned BERT", ["00_quickstart"], []),
    "01_method_on_a_toy": (
        "The method on a linear toy (closed form)",
        ["01_linear_toy", "01_rate", "01_scale", "01_convergence"],
        ["01_linear_toy.csv", "01_convergence.csv"],
    ),
    "02_gradient_vs_information_across_layers": (
        "Figure 1 · coherence across layers",
        ["02_coherence", "02_maps"],
        ["02_coherence.csv"],
    ),
    "03_reverse_sequence": ("Figure 2 · reverse-sequence task", ["03_reverse_maps"], ["03_reversal_alignment.csv"]),
    "04_sentiment_methods": ("Figure 3 · methods on SST-2", ["04_sentiment_maps"], []),
    "05_model_comparison": ("Figures 4, 5, 8 · model comparison", ["05_model_comparison"], ["05_accuracy.csv"]),
    "06_layerwise_forgetting": ("Figure 6 · layer-wise forgetting", ["06_forgetting"], ["06_forgetting_by_kind.csv"]),
    "07_fine_grained_forgetting": ("Figure 7 · fine-grained forgetting", ["07_retention", "07_words_*"], []),
    "09_faithfulness": (
        "infolib's extension · faithfulness per layer (not in the paper)",
        ["09_faithfulness"],
        ["09_faithfulness.csv"],
    ),
}


class Stages:
    """Prints each stage's duration and keeps them for results.json."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.times: dict[str, float] = {}

    def done(self, name: str) -> float:
        now = time.perf_counter()
        self.times[name] = round(now - self.last, 1)
        print(f"[reproduce] {name}: {now - self.last:.1f} s (total {now - self.started:.1f} s)", flush=True)
        self.last = now
        return self.times[name]


# The per-sentence tables `analysis.claims_table` reads, as the notebooks save them.
CLAIM_TABLES = {
    "coherence": "02_coherence_per_sentence.csv",
    "reversal": "03_reversal_per_sentence.csv",
    "sentiment_methods": "04_sentiment_per_sentence.csv",
    "comparison": "05_per_sentence.csv",
    "accuracy": "05_accuracy.csv",
    "forgetting": "06_word_trajectories.csv",
    "faithfulness": "09_faithfulness_per_sentence.csv",  # infolib's extension rows (claims 9, 10)
}
# Seconds one notebook cell may take: the whole job's budget with models cached is 15 minutes, so a
# cell that runs for 10 is broken, not slow.
CELL_TIMEOUT = 600
# DEEP=1: notebook 06 explains 1,200 MPNet pairs in one cell, 35-50 minutes on 2 cores (0.4-0.6 pairs/s).
DEEP_CELL_TIMEOUT = 90 * 60


# Notebooks run side by side, each kernel with one torch thread: with the models cached, a fresh clone's
# run took 12 min 13 s with 2 jobs (commit b1040e5, idle), against about 17 minutes projected for one
# kernel of two threads (docs/reproduce.md, "How long it takes").
JOBS = 2
# DEEP=1: one kernel with every thread, because notebook 06's 1,200 MPNet pairs are one long cell that would
# otherwise run on one thread while the other core idles (the DEEP run in docs/reproduce.md used 1 job).
DEEP_JOBS = 1


def cell_timeout(timeout: int | None, deep: bool) -> int:
    """Seconds a cell may take: `timeout` if given, else `DEEP_CELL_TIMEOUT` with DEEP=1, else `CELL_TIMEOUT`."""
    return timeout or (DEEP_CELL_TIMEOUT if deep else CELL_TIMEOUT)


def reproduce(
    out: str | Path = "reports",
    smoke: bool = False,
    notebooks=FIGURE_NOTEBOOKS,
    timeout: int | None = None,
    jobs: int | None = None,
    deep: bool = False,
) -> Path:
    """Run the whole pipeline; return the report folder.

    Args:
        out: the report folder.
        smoke: tiny models and few steps (SMOKE=True in every notebook).
        notebooks: which notebooks to run (names without .ipynb).
        timeout: seconds per notebook cell (default `CELL_TIMEOUT`, or `DEEP_CELL_TIMEOUT` with `deep`).
        jobs: notebooks run side by side (default `JOBS`, `DEEP_JOBS` with `deep`), each kernel with
            cores // jobs torch threads; a notebook that reads another's results waits for it (`READS_FROM`).
        deep: add the 12-layer mpnet-sst2 to notebooks 06 and 07 (claims 6 and 7 at 12 layers).
    Raises:
        RuntimeError after writing the report when a notebook failed.
    """

    timeout = cell_timeout(timeout, deep)
    out = Path(out).resolve()
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "runlogs").mkdir(parents=True, exist_ok=True)
    stages = Stages()
    print(f"[reproduce] {'SMOKE run (tiny models)' if smoke else 'full run'} → {out}", flush=True)
    models = []
    for name in MODELS + (DEEP_MODELS if deep else ()):
        model = load_model(name, smoke=smoke)
        models.append(model_facts(model, model_metrics(model.name)))
        stages.done(f"model {model.name}")
    status, work = run_notebooks(notebooks, out, smoke, timeout, jobs, stages, deep=deep)
    claims = build_claims(out)
    claims.to_csv(out / "claims.csv", index=False)
    results = {
        "smoke": bool(smoke),
        "seconds": stages.times,
        "total_seconds": round(time.perf_counter() - stages.started, 1),
        "notebooks": status,
        "work": work,
        "models": models,
        "claims": claims.to_dict(orient="records"),
    }
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    write_report(out, claims, results)
    stages.done("claims table and report")
    print(f"[reproduce] wrote {out / 'REPORT.md'} and {out / 'REPORT.html'}", flush=True)
    failed = {n: s for n, s in status.items() if s != "ok"}
    if failed:
        listing = "\n".join(f"  {n}: {s}" for n, s in failed.items())
        raise RuntimeError(f"{len(failed)} of {len(status)} notebooks failed (see {out / 'REPORT.md'}):\n{listing}")
    return out


def run_notebooks(
    notebooks, out: Path, smoke: bool, timeout: int, jobs: int | None, stages: Stages, deep: bool = False
):
    """Execute the notebooks, `jobs` at a time, each after the notebooks it reads from: those that others
    read from first, then in order.

    Returns:
        status: name -> "ok" or "FAILED: <error>"; work: name -> wall seconds and its run-log summary.
    """

    cores = os.cpu_count() or 1
    check_param("jobs", jobs, [COUNT, None], "(notebooks side by side)")
    jobs = min(jobs or (DEEP_JOBS if deep else JOBS), len(notebooks))
    threads = str(max(1, cores // jobs))
    status, work, running = {}, {}, {}
    reads = {n: READS_FROM.get(n, ()) + (DEEP_READS.get(n, ()) if deep else ()) for n in notebooks}

    def run(name: str) -> tuple[str, float]:
        log = out / "runlogs" / f"{name}.jsonl"
        log.unlink(missing_ok=True)
        env = {runlog.RUN_LOG_ENV: str(log), "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        started = time.perf_counter()
        try:
            run_notebook(
                NOTEBOOK_DIR / f"{name}.ipynb",
                out / "notebooks" / f"{name}.ipynb",
                {"SMOKE": bool(smoke), "REPORTS": str(out), "DEEP": bool(deep)},
                timeout=timeout,
                env=env,
            )
            return "ok", time.perf_counter() - started
        except Exception as error:  # report every failure, keep going
            return f"FAILED: {type(error).__name__}: {_last_lines(str(error))}", time.perf_counter() - started

    # A notebook that others read from starts first (02 before 00 and 01): the chain 02 → 04 is the longest.
    readers = {n: sum(n in reads[m] for m in notebooks) for n in notebooks}
    waiting = sorted(notebooks, key=lambda n: -readers[n])
    print(f"[reproduce] {len(notebooks)} notebooks, {jobs} at a time, {threads} torch thread(s) each", flush=True)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        while waiting or running:
            for name in [n for n in waiting if all(d in status or d not in notebooks for d in reads[n])]:
                if len(running) == jobs:
                    break
                waiting.remove(name)
                print(f"[reproduce] notebook {name} …", flush=True)
                running[pool.submit(run, name)] = name
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                status[name], seconds = future.result()
                if status[name] != "ok":
                    print(f"[reproduce] {name} {_last_lines(status[name], 3)}", flush=True)
                log = out / "runlogs" / f"{name}.jsonl"
                work[name] = {"seconds": round(seconds, 1), **runlog.summary(runlog.read(log))}
                stages.times[f"notebook {name}"] = round(seconds, 1)
                print(f"[reproduce] notebook {name}: {seconds:.1f} s ({status[name][:40]})", flush=True)
    stages.done(f"notebooks ({jobs} at a time)")
    return {n: status[n] for n in notebooks}, {n: work[n] for n in notebooks}


def _last_lines(text: str, n: int = 12) -> str:
    """The end of an error message (nbclient's holds the whole traceback; its last lines say what broke)."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)  # nbclient's tracebacks carry terminal colours
    return "\n".join([line for line in plain.strip().splitlines() if line.strip()][-n:])


def model_facts(model, metrics: dict) -> dict:
    """What the report says about a model, all read from its metrics JSON (depth: the JSON, else the model)."""
    dev = metrics.get("dev", {})
    return {
        "model": model.name,
        "hidden_layers": metrics.get("hidden_layers", model.num_layers),
        "dev_accuracy": dev.get("accuracy"),
        "dev_n": dev.get("n"),
        "train_examples": metrics.get("train_examples"),
        "train_subset": metrics.get("train_subset", ""),
        "train_seconds": metrics.get("train_seconds"),
    }


def build_claims(out: Path) -> pd.DataFrame:
    """The claims table from the per-sentence tables the notebooks saved (missing tables give no rows)."""

    tables = {key: pd.read_csv(out / name) for key, name in CLAIM_TABLES.items() if (out / name).exists()}
    return claims_table(tables)


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""

    def cell(value):
        if isinstance(value, float):
            return "" if math.isnan(value) else f"{value:.{digits}g}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def write_report(out: Path, claims: pd.DataFrame, results: dict) -> None:
    """REPORT.md (figures, measured numbers, claims table) and REPORT.html (rendered with mistune)."""
    verdicts = claims["verdict"].value_counts().to_dict() if len(claims) else {}
    models = pd.DataFrame(results.get("models", []))
    work = pd.DataFrame([{"notebook": name, **facts} for name, facts in results.get("work", {}).items()])
    lines = [
        "# infolib: reproducing Guan et al. (ICML 2019), docs/method.md §5",
        "",
        (
            "**SMOKE run**: tiny models trained in seconds, few optimisation steps; the numbers test the "
            "pipeline, not the claims."
            if results["smoke"]
            else "Full run."
        ),
        "",
        "Reading the figures: maps are darker where the layer holds more of the word: the information kept "
        "−log(σ/scale) in nats per dimension (0 = forgotten, larger = kept), or a method's importance divided by "
        "each layer's maximum. A mean over sentences carries its 95 % bootstrap interval, the claims table's. "
        "Each figure's caption (`infolib.viz.gallery.CAPTIONS`, also in docs/gallery.md) says what to see and "
        "the claim it bears on.",
        "",
        "## Claims",
        "",
        "Each value is a mean over sentences with its bootstrap 95 % interval. A claim is *reproduced* when the "
        "paper's direction holds and the intervals separate, *not reproduced* when the opposite direction holds "
        "and they separate, *inconclusive* when they overlap (`analysis.verdict`). The SST-2 claims use the first "
        "dev sentences that hold a sentiment word (`analysis.with_sentiment_words`); `n_sentences` is the fewest "
        "sentences behind any value of a row.",
        "",
        "Verdicts in this run: " + (", ".join(f"{n} {v}" for v, n in verdicts.items()) or "none") + ".",
        "",
        markdown_table(
            claims.drop(columns=["text"]).assign(claim=claims["claim"].astype(str) + ". " + claims["text"])
            if len(claims)
            else claims
        ),
        "",
        "## Models",
        "",
        "As each model's metrics JSON records them (depth, dev score, training data and time).",
        "",
        markdown_table(models) if len(models) else "(none)",
        "",
        "## Run",
        "",
        "Per notebook: wall time, estimator pairs optimised and read back from the result cache, "
        "mean optimisation steps, pairs stopped by max_steps, baseline pairs computed and read back, and the worst "
        "integrated-gradients completeness error |δ|/|total|.",
        "",
        markdown_table(work) if len(work) else "(no notebook ran)",
        "",
        markdown_table(pd.DataFrame([{"stage": k, "seconds": v} for k, v in results["seconds"].items()])),
        "",
        f"Total: {results['total_seconds']} s.",
        "",
    ]
    failed = {n: s for n, s in results["notebooks"].items() if s != "ok"}
    if failed:
        lines += ["## Failed notebooks", ""] + [f"- `{n}`: {s}" for n, s in failed.items()] + [""]
    for name, (title, figures, tables) in SECTIONS.items():
        if name not in results["notebooks"]:
            continue
        lines += [
            f"## {title}",
            "",
            f"Notebook: [`{name}`](notebooks/{name}.ipynb) ({results['notebooks'][name]}).",
            "",
        ]
        for figure in figures:  # a name, or a pattern such as 07_words_*
            for png in sorted((out / "figures").glob(f"{figure}.png")):
                lines += [f"![{png.stem}](figures/{png.name})", "", caption(png.stem), ""]
        for table in tables:
            if (out / table).exists():
                lines += [f"`{table}`:", "", markdown_table(pd.read_csv(out / table).head(40)), ""]
        if name == "05_model_comparison" and (out / "05_comparison_summary.csv").exists():
            summary = pd.read_csv(out / "05_comparison_summary.csv")
            lines += [
                "Mean over sentences (bootstrap 95 % interval in the CSV):",
                "",
                markdown_table(summary.pivot_table(index="model", columns="metric", values="mean").reset_index()),
                "",
            ]
        if name == "04_sentiment_methods" and (out / "04_sentiment_methods.csv").exists():
            summary = pd.read_csv(out / "04_sentiment_methods.csv")
            lines += [
                "Last layer, mean over sentences:",
                "",
                markdown_table(
                    summary.pivot_table(index=["model", "method"], columns="metric", values="mean").reset_index()
                ),
                "",
            ]
        if name == "07_fine_grained_forgetting" and (out / "07_retention.csv").exists():
            retention = pd.read_csv(out / "07_retention.csv")
            lines += [
                "Retention I_last / I_first per kind of word:",
                "",
                markdown_table(retention.pivot_table(index="model", columns="kind", values="retention").reset_index()),
                "",
            ]
    text = "\n".join(lines)
    (out / "REPORT.md").write_text(text)
    (out / "REPORT.html").write_text(render_html(text))


def render_html(markdown_text: str) -> str:
    """Markdown → a standalone HTML page (mistune, installed with nbconvert)."""
    mistune = require("mistune", "the HTML report")  # optional: the [notebooks] extra

    body = mistune.create_markdown(plugins=["table"])(markdown_text)
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    )
    head = f"<meta charset='utf-8'><title>{html.escape('infolib report')}</title><style>{style}</style>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
