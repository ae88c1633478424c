"""The what-if probe: latency from an edit to the updated figure, and what its cheap settings cost.

    python benchmarks/bench_probe.py              # ~3 minutes on 2 idle cores (after models and σ_S are cached)

Setup: `infolib.interactive.widgets.WhatIfWidget` (background thread, as in a notebook) on a 15-word sentence and a
series of 15-word edits, all layers. Timed per edit: setting the text box's value → the new figure
(and difference figure) is in the widget's output. One model (the fine-tuned BERT `bert-sst2`, or
the pretrained MiniLM — same architecture — if bert-sst2 is not trained), then two side by side.

Quality: the objective L(σ) (`infolib.core.estimator.objective`, 256 fresh noise draws, word level) of
σ found with the probe's settings vs the estimator's defaults, on `--quality-sentences` edits × all
layers, plus the Spearman correlation of the two σ per (sentence, layer).
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


def time_edits(probe: WhatIfWidget, edits: list[str]) -> tuple[list[float], list[float]]:
    """Wall seconds from setting the text to the figure being updated, and the process's CPU seconds, per edit."""
    seconds, cpu = [], []
    for sentence in edits:
        before = probe.figure.outputs
        start, start_cpu = time.perf_counter(), time.process_time()
        probe.text.value = sentence
        probe.wait()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if probe.error or probe.figure.outputs is before:
            raise RuntimeError(f"the probe did not update for {sentence!r}: {probe.error}")
    return seconds, cpu


def objective_tradeoff(model, spread, sentences: list[str], probe_settings: dict) -> dict:
    """L(σ) of probe-settings σ vs default-settings σ on every (sentence, layer) pair."""
    layers = model.resolve_layers("all")
    timings = {}
    fits = {}
    for label, settings in (("default", {}), ("probe", probe_settings)):
        start = time.perf_counter()
        fits[label] = infolib.explain(model, sentences, layers, sigma_s=spread, progress=False, **settings)
        timings[label] = time.perf_counter() - start
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]
    with torch.no_grad(), infolib.frozen(model.module):
        problem = _model_problem(encode_batch(model, sentences, layers, "word", spread), pairs, 0)
        scale = fits["default"].scale
        L = {
            label: objective(problem, [fit.sigma[p] for p in pairs], scale, 0.1, samples=256)
            for label, fit in fits.items()
        }
    rel = ((L["probe"] - L["default"]) / L["default"].abs()).tolist()
    rho = [float(spearmanr(fits["probe"].sigma[p].numpy(), fits["default"].sigma[p].numpy())[0]) for p in pairs]
    steps = {label: sum(d["steps"] for d in fit.diagnostics.values()) / len(pairs) for label, fit in fits.items()}
    return {
        "pairs": len(pairs),
        "seconds_default": timings["default"],
        "seconds_probe": timings["probe"],
        "steps_default": steps["default"],
        "steps_probe": steps["probe"],
        "objective_default_mean": float(L["default"].mean()),
        "objective_probe_mean": float(L["probe"].mean()),
        "relative_excess_median": statistics.median(rel),
        "relative_excess_max": max(rel),
        "spearman_sigma_median": statistics.median(rho),
        "spearman_sigma_min": min(rho),
        "per_pair": [
            {"pair": f"{i}:{layer}", "default": float(a), "probe": float(b), "relative_excess": r, "spearman": s}
            for (i, layer), a, b, r, s in zip(pairs, L["default"].tolist(), L["probe"].tolist(), rel, rho)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--edits", type=int, default=len(EDITS))
    parser.add_argument("--quality-sentences", type=int, default=2)
    parser.add_argument("--samples", type=int, default=WHATIF_SETTINGS["samples"])
    parser.add_argument("--max-steps", type=int, default=WHATIF_SETTINGS["max_steps"])
    parser.add_argument("--window", type=int, default=WHATIF_SETTINGS["window"])
    parser.add_argument("--damping", type=float, default=WHATIF_SETTINGS.get("damping", 0.5))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = {"samples": args.samples, "max_steps": args.max_steps, "window": args.window, "damping": args.damping}
    main_model, second = pick_models()
    edits = EDITS[: args.edits]

    start = time.perf_counter()
    probe = WhatIfWidget([main_model, second], sentence=BASE, settings=settings, train=True, background=True)
    probe.wait(600)
    warmup = time.perf_counter() - start  # model loading and σ_S (cached on disk after the first run)
    if probe.error:
        raise SystemExit(f"the probe failed: {probe.error}")
    load_before = os.getloadavg()[0]
    one, one_cpu = time_edits(probe, edits)
    print(f"one model: {[round(t, 2) for t in one]} s", flush=True)

    probe.model_b.value = second  # two models side by side; warm the second model on the base sentence
    probe.wait(600)
    probe.text.value = BASE
    probe.wait(600)
    probe.whatif.cache.entries.clear()  # the edits were explained on the main model above: no reuse
    two, two_cpu = time_edits(probe, edits)
    print(f"two models: {[round(t, 2) for t in two]} s", flush=True)
    n_words = len(BASE.split())
    layers = probe.state.views[0].result.layers

    model = probe.whatif.model(main_model)
    quality = objective_tradeoff(model, probe.whatif.spread(main_model), edits[: args.quality_sentences], settings)

    print(
        f"probe on {main_model} (+ {second} side by side): {n_words}-word sentences, {len(layers)} layers, "
        f"{args.threads} threads, settings {settings}"
    )
    print(
        f"machine load average (1 min) before / after the timing: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs (other processes slow every number down)"
    )
    print(f"warm-up (load, σ_S, first sentence): {warmup:.1f} s")
    print(f"{'edit → figure (s)':28}{'median':>8}{'min':>8}{'max':>8}{'CPU s':>8}   target")
    print(
        f"{'one model':28}{statistics.median(one):8.2f}{min(one):8.2f}{max(one):8.2f}"
        f"{statistics.median(one_cpu):8.2f}   ≤ 3 s"
    )
    print(
        f"{'two models side by side':28}{statistics.median(two):8.2f}{min(two):8.2f}{max(two):8.2f}"
        f"{statistics.median(two_cpu):8.2f}   ≤ 5 s"
    )
    print(
        f"objective L(σ), {quality['pairs']} pairs (256 fresh draws): default {quality['objective_default_mean']:.4f} "
        f"({quality['steps_default']:.1f} steps, {quality['seconds_default']:.1f} s), probe "
        f"{quality['objective_probe_mean']:.4f} "
        f"({quality['steps_probe']:.1f} steps, {quality['seconds_probe']:.1f} s)"
    )
    print(
        f"probe's excess objective: median {quality['relative_excess_median']:+.2%}, worst "
        f"{quality['relative_excess_max']:+.2%}; "
        f"Spearman σ probe vs default: median {quality['spearman_sigma_median']:.3f}, min "
        f"{quality['spearman_sigma_min']:.3f}"
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
        "one_model_seconds": {
            "median": round(statistics.median(one), 3),
            "all": [round(s, 3) for s in one],
            "cpu_median": round(statistics.median(one_cpu), 3),
        },
        "two_models_seconds": {
            "median": round(statistics.median(two), 3),
            "all": [round(s, 3) for s in two],
            "cpu_median": round(statistics.median(two_cpu), 3),
        },
        "quality": {k: (round(v, 5) if isinstance(v, float) else v) for k, v in quality.items() if k != "per_pair"},
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
