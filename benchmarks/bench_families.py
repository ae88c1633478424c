"""Explain throughput of the pretrained models: 12-layer MPNet (all-mpnet-base-v2) next to 6-layer MiniLM.

    python benchmarks/bench_families.py                  # needs `make deep-model`; a few minutes on 2 cores
    python benchmarks/bench_families.py --models minilm  # MiniLM only

The same first `--sentences` SST-2 dev sentences, every layer (layer.1 … layer.L), word level, default
estimator settings, result cache off. σ_S is measured first (from the paper's 512-sentence SST-2 corpus, or read
from its cache) and not timed. Reported per model: pairs (sentences × layers), seconds, pairs/s, median
steps, tokens per sentence. Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

import infolib
from infolib.core.data import load_sst2
from infolib.core.sigma_s import sigma_s as estimate_sigma_s
from infolib.core.sigma_s import sst2_corpus


def measure(name: str, sentences: list[str]) -> dict:
    model = infolib.load_model(name)
    layers = model.resolve_layers("all")
    spread = estimate_sigma_s(model, layers, sst2_corpus())  # the paper's corpus, as the published numbers
    started = time.perf_counter()
    explanation = infolib.explain(model, sentences, "all", sigma_s=spread, cache=False, progress=False)
    seconds = time.perf_counter() - started
    pairs = len(sentences) * len(layers)
    steps = [d["steps"] for d in explanation.diagnostics.values()]
    return {
        "model": name,
        "layers": len(layers),
        "pairs": pairs,
        "seconds": round(seconds, 1),
        "pairs_per_second": round(pairs / seconds, 3),
        "median_steps": statistics.median(steps),
        "tokens_per_sentence": round(statistics.mean(len(t) for t in explanation.tokens), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--models", default="minilm,mpnet", help="comma-separated model names")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sentences = load_sst2("dev").sentences[: args.sentences]
    rows = [measure(name, sentences) for name in args.models.split(",")]
    print(f"{'model':<8} {'layers':>6} {'pairs':>6} {'seconds':>8} {'pairs/s':>8} {'steps':>6} {'tokens':>7}")
    for r in rows:
        print(
            f"{r['model']:<8} {r['layers']:>6} {r['pairs']:>6} {r['seconds']:>8} {r['pairs_per_second']:>8} "
            f"{r['median_steps']:>6} {r['tokens_per_sentence']:>7}"
        )
    print(json.dumps({"bench": "families", "threads": args.threads, "sentences": len(sentences), "results": rows}))


if __name__ == "__main__":
    main()
