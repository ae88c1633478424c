"""The what-if probe: latency from an edit to the updated figure, and what its cheap settings cost.

    python benchmarks/bench_probe.py              # ~3 minutes on 2 idle cores (after models and σ_S are cached)

Setup: `infolib.interactive.widgets.WhatIfWidget` (background thread, as in a notebook) on a 15-word sentence and a
series of 15-word edits, all layers. Timed per edit: setting the text box's value → the new figure
(and difference figure) is in the widget's output, split into estimating (`WhatIfState.seconds`) and
drawing (`WhatIfWidget.draw_seconds`: both maps as HTML tables, `infolib.viz.html`). After an edit the
words it left alone start from their σ before it (`--cold`: every edit from the default start).
One model (the fine-tuned BERT `bert-sst2`, or
the pretrained MiniLM — same architecture — if bert-sst2 is not trained), then two side by side.

Quality: the objective L(σ) (`infolib.core.estimator.objective`, 256 fresh noise draws, word level) of
σ the probe showed after each edit (warm-started along the series of edits, as timed) vs the
estimator's defaults, on the first `--quality-sentences` edits × all layers, plus the Spearman
correlation of the two σ per (sentence, layer); "cold_probe" is the same for the probe's settings from
the default start (each sentence on its own); "reseeded" is the defaults with another seed: how far
two runs of the defaults themselves disagree (the ceiling of any agreement with them); and each, the
defaults included, against the optimum (a 200-step run that averages its last 50 iterates).
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from scipy.stats import spearmanr

import infolib
from infolib.training.checkpoint import CacheError
from infolib.core import estimator
from infolib.core.estimator import objective
from infolib.core.explain import _model_problem
from infolib.core.inputs import encode_batch
from infolib.interactive.whatif import WHATIF_SETTINGS
from infolib.interactive.widgets import WhatIfWidget

BASE = "the film is a charming and often affecting journey , though its ending feels rushed"
EDITS = [  # each 15 words, like BASE; every edit is a sentence not explained before
    "the film is a dull and often tiresome journey , though its ending feels rushed",
    "the film is a dull and often tiresome journey , and its ending feels rushed",
    "the movie is a dull and often tiresome journey , and its ending feels rushed",
    "the movie is a dull but often moving journey , and its ending feels rushed",
    "the movie is a dull but often moving journey , and its ending feels perfect",
    "the movie is a bright but often moving journey , and its ending feels perfect",
    "the movie is a bright and often moving journey , and its finale feels perfect",
]
assert all(len(s.split()) == 15 for s in [BASE, *EDITS])


def pick_models() -> tuple[str, str]:
    """(main model, second model): bert-sst2 if trained, else MiniLM; the second a different model."""
    try:
        infolib.load_model("bert-sst2", train=False, progress=False)
        return "bert-sst2", "minilm"
    except (CacheError, ValueError) as error:
        print(f"bert-sst2 is not available ({str(error)[:120]}…): using minilm (same architecture) and bert-sst2-smoke")
        return "minilm", "bert-sst2-smoke"


def time_edits(probe: WhatIfWidget, edits: list[str]) -> dict:
    """Per edit: wall seconds from setting the text to the figure being updated, the process's CPU seconds,
    the seconds estimating and drawing, the mean steps per pair, and the first model's result."""
    out = {"seconds": [], "cpu": [], "estimate": [], "draw": [], "steps": [], "results": []}
    for sentence in edits:
        before = probe.figure.outputs
        start, start_cpu = time.perf_counter(), time.process_time()
        probe.text.value = sentence
        probe.wait()
        out["seconds"].append(time.perf_counter() - start)
        out["cpu"].append(time.process_time() - start_cpu)
        if probe.error or probe.figure.outputs is before:
            raise RuntimeError(f"the probe did not update for {sentence!r}: {probe.error}")
        out["estimate"].append(probe.state.seconds)
        out["draw"].append(probe.draw_seconds)
        diagnostics = [d for v in probe.state.views for d in v.result.diagnostics.values()]
        out["steps"].append(statistics.mean(d["steps"] for d in diagnostics))
        out["results"].append(probe.state.views[0].result)
    return out


def summary_of(timed: dict) -> dict:
    median = statistics.median
    return {
        "median": round(median(timed["seconds"]), 3),
        "all": [round(s, 3) for s in timed["seconds"]],
        "cpu_median": round(median(timed["cpu"]), 3),
        "estimate_median": round(median(timed["estimate"]), 3),
        "draw_median": round(median(timed["draw"]), 3),
        "steps_per_pair_median": round(median(timed["steps"]), 2),
    }


LONG_STEPS = 200  # the optimum's run


def objective_tradeoff(model, spread, sentences: list[str], shown: list, probe_settings: dict) -> dict:
    """L(σ) of the σ the probe showed (`shown`, one Explanation per sentence) and of probe-settings σ from the
    default start ('cold_probe') vs default-settings σ, on every (sentence, layer) pair."""
    layers = model.resolve_layers("all")
    timings = {}
    fits = {}
    # "reseeded": the defaults again with another seed, the ceiling of any agreement with the defaults' σ.
    # "optimum": a run that never stops early and averages its last 50 iterates (as bench_stopping.py's).
    optimum = {"max_steps": LONG_STEPS, "window": 50, "z": 0.0, "tol": 1e-9, "start": "fixed"}
    runs = (("default", {}), ("cold_probe", probe_settings), ("reseeded", {"random_state": 1}), ("optimum", optimum))
    for label, settings in runs:
        start = time.perf_counter()
        fits[label] = infolib.explain(model, sentences, layers, sigma_s=spread, progress=False, **settings)
        timings[label] = time.perf_counter() - start
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]
    sigma = {label: [fit.sigma[p] for p in pairs] for label, fit in fits.items()}
    sigma["probe"] = [shown[i].sigma[0, layer] for i, layer in pairs]
    with torch.no_grad(), infolib.frozen(model.module):
        problem = _model_problem(encode_batch(model, sentences, layers, "word", spread), pairs, 0)
        scale = fits["default"].scale
        L = {label: objective(problem, s, scale, 0.1, samples=256) for label, s in sigma.items()}
    out = {"pairs": len(pairs), "seconds_default": timings["default"], "seconds_cold_probe": timings["cold_probe"]}
    out["steps_default"] = sum(d["steps"] for d in fits["default"].diagnostics.values()) / len(pairs)
    out["objective_default_mean"] = float(L["default"].mean())
    for label in ("default", "probe", "reseeded"):  # how far each is from the optimum, the floor of every run
        rel = ((L[label] - L["optimum"]) / L["optimum"].abs()).tolist()
        out |= {f"{label}_over_optimum_median": statistics.median(rel), f"{label}_over_optimum_max": max(rel)}
    for label in ("probe", "cold_probe", "reseeded"):
        rel = ((L[label] - L["default"]) / L["default"].abs()).tolist()
        rho = [float(spearmanr(a.numpy(), b.numpy())[0]) for a, b in zip(sigma[label], sigma["default"])]
        prefix = "" if label == "probe" else f"{label}_"
        out |= {
            f"{prefix}objective_probe_mean": float(L[label].mean()),
            f"{prefix}relative_excess_median": statistics.median(rel),
            f"{prefix}relative_excess_max": max(rel),
            f"{prefix}spearman_sigma_median": statistics.median(rho),
            f"{prefix}spearman_sigma_min": min(rho),
        }
        if label == "probe":
            out["per_pair"] = [
                {"pair": f"{i}:{layer}", "default": float(a), "probe": float(b), "relative_excess": r, "spearman": s}
                for (i, layer), a, b, r, s in zip(pairs, L["default"].tolist(), L["probe"].tolist(), rel, rho)
            ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--edits", type=int, default=len(EDITS))
    parser.add_argument("--quality-sentences", type=int, default=2)
    parser.add_argument("--samples", type=int, default=WHATIF_SETTINGS["samples"])
    parser.add_argument("--max-steps", type=int, default=WHATIF_SETTINGS["max_steps"])
    parser.add_argument("--window", type=int, default=WHATIF_SETTINGS["window"])
    parser.add_argument("--damping", type=float, default=WHATIF_SETTINGS.get("damping", 0.5))
    parser.add_argument("--precision", default=WHATIF_SETTINGS.get("precision", "float32"), help="float32 or bfloat16")
    parser.add_argument("--cold", action="store_true", help="explain every edit from the default start")
    parser.add_argument("--warm-warmup", type=int, default=estimator.WARM_WARMUP)
    parser.add_argument("--second", default=None, help="the model side by side (default: minilm)")
    args = parser.parse_args()
    estimator.WARM_WARMUP = args.warm_warmup
    torch.set_num_threads(args.threads)
    settings = {"samples": args.samples, "max_steps": args.max_steps, "window": args.window, "damping": args.damping}
    settings["precision"] = args.precision
    main_model, second = pick_models()
    second = args.second or second
    edits = EDITS[: args.edits]

    start = time.perf_counter()
    probe = WhatIfWidget([main_model, second], sentence=BASE, settings=settings, train=True, background=True)
    probe.wait(600)
    probe.whatif.warm = not args.cold
    warmup = time.perf_counter() - start  # model loading and σ_S (cached on disk after the first run)
    if probe.error:
        raise SystemExit(f"the probe failed: {probe.error}")
    load_before = os.getloadavg()[0]
    timed_one = time_edits(probe, edits)
    one = timed_one["seconds"]
    print(f"one model: {[round(t, 2) for t in one]} s", flush=True)

    probe.model_b.value = second  # two models side by side; warm the second model on the base sentence
    probe.wait(600)
    probe.text.value = BASE
    probe.wait(600)
    probe.whatif.cache.entries.clear()  # the edits were explained on the main model above: no reuse
    probe.whatif.views.clear()
    timed_two = time_edits(probe, edits)
    two = timed_two["seconds"]
    print(f"two models: {[round(t, 2) for t in two]} s", flush=True)
    n_words = len(BASE.split())
    layers = probe.state.views[0].result.layers

    model = probe.whatif.model(main_model)
    n_quality = args.quality_sentences
    quality = objective_tradeoff(
        model, probe.whatif.spread(main_model), edits[:n_quality], timed_one["results"][:n_quality], settings
    )

    print(
        f"probe on {main_model} (+ {second} side by side): {n_words}-word sentences, {len(layers)} layers, "
        f"{args.threads} threads, settings {settings}, {'cold' if args.cold else 'warm'} start after an edit"
    )
    print(
        f"machine load average (1 min) before / after the timing: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other processes slow every number down)"
    )
    print(f"warm-up (load, σ_S, first sentence): {warmup:.1f} s")
    median = statistics.median
    print(f"{'edit → figure (s)':28}{'median':>8}{'min':>8}{'max':>8}{'CPU s':>8}{'estim.':>8}{'draw':>8}   target")
    for label, timed, target in (("one model", timed_one, 0.3), ("two models side by side", timed_two, 0.6)):
        t = timed["seconds"]
        print(
            f"{label:28}{median(t):8.2f}{min(t):8.2f}{max(t):8.2f}{median(timed['cpu']):8.2f}"
            f"{median(timed['estimate']):8.2f}{median(timed['draw']):8.2f}   ≤ {target} s (idle)"
        )
    print(
        f"objective L(σ), {quality['pairs']} pairs (256 fresh draws): default {quality['objective_default_mean']:.4f} "
        f"({quality['steps_default']:.1f} steps, {quality['seconds_default']:.1f} s), probe as shown "
        f"{quality['objective_probe_mean']:.4f}, from the default start "
        f"{quality['cold_probe_objective_probe_mean']:.4f}"
    )
    print(
        f"probe's excess objective: median {quality['relative_excess_median']:+.2%}, worst "
        f"{quality['relative_excess_max']:+.2%}; "
        f"Spearman σ probe vs default: median {quality['spearman_sigma_median']:.3f}, min "
        f"{quality['spearman_sigma_min']:.3f} (targets: ≤ +0.3 %, ≤ +2 %, ≥ 0.9)"
    )
    print(
        f"the defaults with another seed vs the defaults (the ceiling): excess median "
        f"{quality['reseeded_relative_excess_median']:+.2%}, worst {quality['reseeded_relative_excess_max']:+.2%}; "
        f"Spearman median {quality['reseeded_spearman_sigma_median']:.3f}, min "
        f"{quality['reseeded_spearman_sigma_min']:.3f}"
    )
    print(
        "above the optimum (a %d-step run), median / worst pair: probe %s, defaults %s, defaults reseeded %s"
        % (
            LONG_STEPS,
            *(
                f"{quality[f'{label}_over_optimum_median']:+.2%} / {quality[f'{label}_over_optimum_max']:+.2%}"
                for label in ("probe", "default", "reseeded")
            ),
        )
    )
    summary = {
        "bench": "probe",
        "model": main_model,
        "second_model": second,
        "words": n_words,
        "layers": len(layers),
        "threads": args.threads,
        "settings": settings,
        "edits": len(edits),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "warmup_seconds": round(warmup, 2),
        "start_after_edit": "cold" if args.cold else "warm",
        "warm_warmup": estimator.WARM_WARMUP,
        "one_model_seconds": summary_of(timed_one),
        "two_models_seconds": summary_of(timed_two),
        "quality": {k: (round(v, 5) if isinstance(v, float) else v) for k, v in quality.items() if k != "per_pair"},
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
