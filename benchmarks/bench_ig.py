"""Integrated gradients: time and path points of the adaptive trapezoid rule at the default tolerance.

    python benchmarks/bench_ig.py                    # ~3-4 min on 2 idle cores (est.); 9-10 min on a busy one
    python benchmarks/bench_ig.py --sentences 16     # a quick look

The fine-tuned BERT (`bert-sst2`), the first `--sentences` SST-2 dev sentences, hidden state
layer.6, σ_S from `sigma_s(model, ["layer.6"], sst2_corpus())` (the paper's corpus), every
`integrated_gradients` option at its default (32 intervals to start, tolerance 5 %, at most 512),
through `attribute_corpus` without the result cache (so everything is computed), in batches of
`--batch-size`. Reported: wall and CPU seconds (CPU time is the steadier on a shared machine); the
intervals the pairs ended at (histogram); the worst and median relative completeness error
|δ| / |f(x) − f(b)|; pairs still above the tolerance; and the gradient evaluations (path points,
counted at f) per pair. For comparison, the same job (100 sentences) with the rules used before, as
measured with this script at their commits: Gauss-Legendre restarted at 2n points (Captum) 22,528
evaluations (225 per pair; 376 s, idle); the nested uniform trapezoid 11,556 (116 per pair).
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

import infolib  # noqa: E402
from infolib.api import attribute_corpus  # noqa: E402
from infolib.baselines.scalar import HiddenStateScalar  # noqa: E402
from infolib.core.data import load_sst2  # noqa: E402
from infolib.core.sigma_s import sigma_s, sst2_corpus  # noqa: E402

LAYER = "layer.6"


def count_gradient_rows() -> list[int]:
    """Wrap f (`HiddenStateScalar.__call__`) to record the rows of every pass that takes a gradient."""
    rows, call = [], HiddenStateScalar.__call__

    def counted(self, embed, *args):
        if torch.is_grad_enabled() and embed.requires_grad:
            rows.append(len(embed))
        return call(self, embed, *args)

    HiddenStateScalar.__call__ = counted
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = infolib.load_model("bert-sst2")
    sentences = load_sst2("dev").sentences[: args.sentences]
    spread = sigma_s(model, [LAYER], sst2_corpus())
    rows = count_gradient_rows()

    start, cpu = time.perf_counter(), time.process_time()
    result = attribute_corpus(
        model,
        sentences,
        LAYER,
        "integrated_gradients",
        sigma_s=spread,
        batch_size=args.batch_size,
        cache=False,
        progress=False,
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu

    records = [result.extra[i, LAYER] for i in range(len(sentences))]
    settings = result.settings
    histogram = dict(sorted(Counter(r["n_steps"] for r in records).items()))
    relative = [r["relative_delta"] for r in records]
    failing = sum(not r["converged"] for r in records)
    evaluations = sum(rows)

    print(
        f"bert-sst2, {len(sentences)} SST-2 dev sentences, {LAYER}, batches of {args.batch_size}, {args.threads} "
        f"threads; rule {settings['rule']}, n_steps {settings['n_steps']}, max_steps {settings['max_steps']}, "
        f"tolerance {settings['tolerance']:g}"
    )
    print(f"{'wall time (s)':44}{seconds:10.1f}")
    print(f"{'CPU time of this process (s)':44}{cpu:10.1f}")
    print(f"{'pairs by intervals used':44}" + ", ".join(f"{m}: {n}" for m, n in histogram.items()))
    print(f"{'relative δ: worst, median':44}{max(relative):10.4f}{statistics.median(relative):10.4f}")
    print(f"{'pairs above the tolerance':44}{failing:10d}")
    print(f"{'gradient evaluations (path points)':44}{evaluations:10d}")
    print(f"{'  per pair':44}{evaluations / len(records):10.1f}")
    print(
        json.dumps(
            {
                "bench": "ig",
                "model": "bert-sst2",
                "layer": LAYER,
                "sentences": len(sentences),
                "batch_size": args.batch_size,
                "threads": args.threads,
                "rule": settings["rule"],
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "intervals": {str(m): n for m, n in histogram.items()},
                "worst_relative_delta": round(max(relative), 6),
                "median_relative_delta": round(statistics.median(relative), 6),
                "above_tolerance": failing,
                "gradient_evaluations": evaluations,
                "evaluations_per_pair": round(evaluations / len(records), 1),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
