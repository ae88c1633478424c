"""How much the σ_S corpus changes σ_S and σ: infolib's packaged corpus against the paper's SST-2 sample.

    python benchmarks/bench_sigma_s_corpus.py                 # MiniLM, 8 SST-2 dev sentences, every layer
    python benchmarks/bench_sigma_s_corpus.py --sentences 4

σ_S of every layer from `packaged_corpus()` (297 sentences shipped with infolib) and from
`sst2_corpus()` (512 SST-2 train sentences, the paper's setting); then σ of the first `--sentences`
SST-2 dev sentences with each, same seed and settings. Reports, per layer: the median and 90th
percentile over dimensions of |σ_S(packaged) / σ_S(SST-2) − 1|; the median and 90th percentile over
words of |σ(packaged) / σ(SST-2) − 1|; and the Spearman correlation of the two σ over the words of
each sentence (averaged): whether the same words come out as kept. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from scipy.stats import spearmanr

import infolib
from infolib.core.data import load_sst2
from infolib.core.sigma_s import packaged_corpus, sigma_s, sst2_corpus


def relative(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    a, b = a.double().numpy(), b.double().numpy()
    keep = np.isfinite(a) & np.isfinite(b)
    return np.abs(a[keep] / b[keep] - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--sentences", type=int, default=8)
    args = parser.parse_args()
    model = infolib.load_model(args.model)
    layers = model.resolve_layers("all")
    spreads = {"packaged": sigma_s(model, layers, packaged_corpus()), "sst2": sigma_s(model, layers, sst2_corpus())}
    sentences = load_sst2("dev").sentences[: args.sentences]
    results = {
        corpus: infolib.explain(model, sentences, layers, sigma_s=spread, progress=False)
        for corpus, spread in spreads.items()
    }
    rows = []
    for layer in layers:
        spread_change = relative(spreads["packaged"][layer].cpu(), spreads["sst2"][layer].cpu())
        sigma_change = np.concatenate(
            [
                relative(results["packaged"].sigma[i, layer], results["sst2"].sigma[i, layer])
                for i in range(len(sentences))
            ]
        )
        rho = [
            spearmanr(results["packaged"].sigma[i, layer].numpy(), results["sst2"].sigma[i, layer].numpy())[0]
            for i in range(len(sentences))
        ]
        rows.append(
            {
                "layer": layer,
                "sigma_s_median": float(np.median(spread_change)),
                "sigma_s_p90": float(np.quantile(spread_change, 0.9)),
                "sigma_median": float(np.median(sigma_change)),
                "sigma_p90": float(np.quantile(sigma_change, 0.9)),
                "spearman": float(np.nanmean(rho)),
            }
        )
    print(f"{args.model}: packaged corpus against SST-2 train, {len(sentences)} SST-2 dev sentences")
    print(f"{'layer':<10}{'σ_S med':>10}{'σ_S p90':>10}{'σ med':>10}{'σ p90':>10}{'Spearman':>10}")
    for r in rows:
        print(
            f"{r['layer']:<10}{r['sigma_s_median']:>10.3f}{r['sigma_s_p90']:>10.3f}"
            f"{r['sigma_median']:>10.3f}{r['sigma_p90']:>10.3f}{r['spearman']:>10.3f}"
        )
    print(json.dumps({"bench": "sigma_s_corpus", "model": args.model, "sentences": len(sentences), "rows": rows}))


if __name__ == "__main__":
    main()
