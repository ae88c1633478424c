"""Corpus throughput: the fine-tuned BERT on SST-2 dev, all layers, through `explain_corpus`.

    python benchmarks/bench_corpus.py               # the first 64 dev sentences, extrapolated to 872
    python benchmarks/bench_corpus.py --limit 872   # the whole dev set

Uses a fresh, temporary result cache (nothing is read back) and reports sentences × layers per
second, the projected time for all 872 dev sentences (target: ≤ 30 minutes on 2 cores), and, by
re-running on the filled cache, how fast a resumed run skips stored pairs. Prints a JSON line last.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

import infolib
from infolib.core.store import ResultCache
from infolib.core.data import load_sst2
from infolib.core.sigma_s import sigma_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="bert-sst2")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = infolib.load_model(args.model)
    layers = model.resolve_layers("all")
    spread = sigma_s(model, layers)  # cached per model; not part of the throughput
    dev = load_sst2("dev").sentences
    n = min(args.limit, len(dev))
    with tempfile.TemporaryDirectory() as folder:
        store = ResultCache(folder)
        start = time.perf_counter()
        result = infolib.explain_corpus(model, dev[:n], layers, batch_size=args.batch_size, cache=store, sigma_s=spread, progress=True)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        infolib.explain_corpus(model, dev[:n], layers, batch_size=args.batch_size, cache=store, sigma_s=spread, progress=False)
        resumed = time.perf_counter() - start
    pairs = n * len(layers)
    rate = pairs / seconds
    projected = len(dev) * len(layers) / rate
    steps = sum(d["steps"] for d in result.diagnostics.values()) / pairs
    unconverged = sum(not d["converged"] for d in result.diagnostics.values())
    print(f"{args.model}, {n} SST-2 dev sentences × {len(layers)} layers, batch {args.batch_size}, {args.threads} threads")
    print(f"wall time: {seconds:.1f} s   throughput: {rate:.2f} sentence-layers/s   mean steps: {steps:.1f}   not converged: {unconverged}")
    print(f"projected for all {len(dev)} dev sentences: {projected / 60:.1f} min (target ≤ 30 min)")
    print(f"re-run on the filled cache: {resumed:.1f} s")
    print(json.dumps({
        "bench": "corpus", "model": args.model, "sentences": n, "layers": len(layers), "threads": args.threads,
        "seconds": round(seconds, 1), "pairs_per_second": round(rate, 3), "projected_dev_minutes": round(projected / 60, 1),
        "resumed_seconds": round(resumed, 1), "mean_steps": round(steps, 1), "unconverged": unconverged,
    }))


if __name__ == "__main__":
    main()
