"""infolib's estimator against the authors' algorithm: speed and quality.

    python benchmarks/bench_estimator.py            # ~15 minutes on 2 idle cores
    python benchmarks/bench_estimator.py --full     # full 5000-step reference on every pair (~1.5 h)

Setup: pretrained MiniLM (6 layers), the first 5 SST-2 dev sentences, all 6 layers, token level
(the reference explains tokens). Reported:
- infolib's wall time for all 30 (sentence, layer) pairs in one batched run;
- the reference's time: `--reference-steps` steps timed on every pair and extrapolated to 5000
  (said so in the output), unless --full;
- quality on `--quality-pairs` pairs where the reference runs its full 5000 steps: the objective
  L(σ) of both solutions with 256 fresh noise draws, and the Spearman correlation of their σ;
- the same pairs with `precision="bfloat16"` (Φ under bf16 autocast): its time and speed-up, its objective
  against float32's σ on every pair and against the reference on the quality pairs;
- the linear oracle of docs/method.md §4 (w = [3, −7, 0.5, 12, 1.5, −2], K = 64): each method's largest
  relative distance to the closed form.
The stopping rule alone (steps, and the objective against a run that never stops early) is
`benchmarks/bench_stopping.py`, a two-minute run.
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from scipy.stats import spearmanr

import infolib
from infolib.core.data import load_sst2
from infolib.core.estimator import objective
from infolib.core.explain import _model_problem
from infolib.core.inputs import encode_batch
from infolib.core.reference import STEPS, explain_reference, optimise_reference
from infolib.core.sigma_s import sigma_s as estimate_sigma_s
from infolib.core.sigma_s import sst2_corpus


def linear_oracle(seed: int = 0, **settings) -> dict:
    """Largest relative error to the closed form, infolib (with `settings`) vs the reference (docs/method.md §4)."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    K, rate = 64, 0.1
    x = 0.01 * torch.randn(len(w), K, generator=torch.Generator().manual_seed(seed))
    sigma_s = torch.ones(K)

    def phi(x):
        return (w[:, None] * x).sum(0)

    closed = math.sqrt(rate / (2 * len(w))) / w.abs()
    start = time.perf_counter()
    ours = infolib.explain_phi(x, phi, sigma_s, rate=rate, scale=1.0, random_state=seed, **settings)
    ours_s = time.perf_counter() - start
    ref = optimise_reference(x, phi, sigma_s, rate=rate, scale=1.0, seed=seed)
    return {
        "infolib_max_rel_error": float((ours.sigma / closed - 1).abs().max()),
        "reference_max_rel_error": float((ref.sigma / closed - 1).abs().max()),
        "reference_worst_word_ratio": float((ref.sigma / closed).max()),
        "infolib_seconds": ours_s,
        "reference_seconds": ref.seconds,
    }


def minilm_pairs(n_sentences: int):
    """(model, sentences, layers, σ_S): pretrained MiniLM, the first n SST-2 dev sentences, all layers, σ_S from
    the paper's corpus (as the published numbers) — the benchmarks' pairs."""
    model = infolib.load_model("minilm")
    layers = model.resolve_layers("all")
    return model, load_sst2("dev").sentences[:n_sentences], layers, estimate_sigma_s(model, layers, sst2_corpus())


def token_problem(model, sentences, layers, spread, pairs):
    """The estimator's token-level problem for `pairs` [(sentence index, layer)], as `explain` builds it."""
    with torch.no_grad(), infolib.frozen(model.module):
        return _model_problem(encode_batch(model, sentences, layers, "token", spread), pairs, 0)


def objectives(model, sentences, layers, spread, pairs, *fits, scale: float) -> list:
    """[pairs] objective L(σ) of each fit's σ (a mapping pair -> σ) with 256 fresh draws, token level."""
    problem = token_problem(model, sentences, layers, spread, pairs)
    with torch.no_grad(), infolib.frozen(model.module):
        return [objective(problem, [sigma[p] for p in pairs], scale, 0.1, samples=256) for sigma in fits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=5)
    parser.add_argument("--reference-steps", type=int, default=200, help="steps timed per pair, extrapolated to 5000")
    parser.add_argument(
        "--quality-pairs", default="0:layer.3,0:layer.6", help="sentence:layer pairs run for all 5000 reference steps"
    )
    parser.add_argument("--full", action="store_true", help="run the full 5000-step reference on every pair")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model = infolib.load_model("minilm")
    sentences = load_sst2("dev").sentences[: args.sentences]
    layers = model.resolve_layers("all")
    start = time.perf_counter()
    spread = estimate_sigma_s(model, layers, sst2_corpus())  # the paper's corpus, as the published numbers
    sigma_s_seconds = time.perf_counter() - start

    start = time.perf_counter()
    ours = infolib.explain(model, sentences, layers, level="token", sigma_s=spread, progress=False)
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    infolib.explain(model, sentences, layers, level="word", sigma_s=spread, progress=False)
    ours_word_seconds = time.perf_counter() - start
    # The same pairs with Φ under bf16 autocast (Settings.precision), σ and the loss in float32.
    start = time.perf_counter()
    bf16 = infolib.explain(
        model, sentences, layers, level="token", sigma_s=spread, progress=False, precision="bfloat16"
    )
    bf16_seconds = time.perf_counter() - start
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]

    # Reference timing: every pair, `reference-steps` steps (or all 5000 with --full).
    ref_steps = STEPS if args.full else args.reference_steps
    ref_fits, ref_seconds = {}, 0.0
    for i, layer in pairs:
        fit = explain_reference(model, sentences[i], layer, spread[layer], steps=ref_steps, seed=0)
        ref_fits[i, layer] = fit
        ref_seconds += fit.seconds
    ref_total = ref_seconds * STEPS / ref_steps

    # Quality where the reference ran its full 5000 steps.
    if args.full:
        quality_pairs = pairs
    else:
        quality_pairs = [(int(p.split(":")[0]), p.split(":")[1]) for p in args.quality_pairs.split(",") if p]
        for i, layer in quality_pairs:
            ref_fits[i, layer] = explain_reference(model, sentences[i], layer, spread[layer], seed=0)
    ref_sigma = {p: fit.sigma for p, fit in ref_fits.items()}
    L_ours, L_ref, L_bf16 = objectives(
        model, sentences, layers, spread, quality_pairs, ours.sigma, ref_sigma, bf16.sigma, scale=ours.scale
    )
    # bf16 against float32 on every pair, both evaluated in float32.
    all_fp32, all_bf16 = objectives(model, sentences, layers, spread, pairs, ours.sigma, bf16.sigma, scale=ours.scale)
    bf16_gap = ((all_bf16 - all_fp32) / all_fp32.abs()).tolist()
    bf16_vs_ref = ((L_bf16 - L_ref) / L_ref.abs()).tolist()
    rho = [float(spearmanr(ours.sigma[p].numpy(), ref_fits[p].sigma.numpy())[0]) for p in quality_pairs]
    steps = sorted(d["steps"] for d in ours.diagnostics.values())
    passes = sorted(d["passes"] for d in ours.diagnostics.values())
    oracle = linear_oracle()

    print(
        f"MiniLM, {len(sentences)} SST-2 dev sentences × {len(layers)} layers = {len(pairs)} pairs, token "
        f"level, {args.threads} threads"
    )
    print(f"σ_S (512 sentences, cached after the first run): {sigma_s_seconds:.1f} s")
    print(f"{'':32}{'infolib':>12}{'reference':>14}")
    print(
        f"{'wall time, all pairs (s)':32}{ours_seconds:12.1f}{ref_total:14.1f}"
        + ("" if args.full else f"  (timed {ref_steps} steps/pair, ×{STEPS // ref_steps})")
    )
    print(f"{'speed-up':32}{ref_total / ours_seconds:12.0f}×")
    print(f"{'infolib word level (s)':32}{ours_word_seconds:12.1f}")
    print(
        f"{'bf16 (s), speed-up':32}{bf16_seconds:12.1f}{ref_total / bf16_seconds:13.0f}×   objective vs float32 "
        f"mean {sum(bf16_gap) / len(bf16_gap):+.3%}, worst {max(bf16_gap):+.3%}; vs reference "
        f"{', '.join(f'{g:+.2%}' for g in bf16_vs_ref)}"
    )
    print(f"{'steps per pair (median)':32}{steps[len(steps) // 2]:12d}{STEPS:14d}")
    print(f"{'fwd+bwd passes per pair (median)':32}{passes[len(passes) // 2]:12d}{STEPS:14d}")
    for p, lo, lr, r in zip(quality_pairs, L_ours.tolist(), L_ref.tolist(), rho):
        print(
            f"{'objective L, sentence %d %s' % p:32}{lo:12.4f}{lr:14.4f}   rel. diff {(lo - lr) / abs(lr):+.2%} "
            f"  Spearman σ {r:.3f}"
        )
    print(
        f"{'linear oracle max rel. error':32}{oracle['infolib_max_rel_error']:12.1%}"
        f"{oracle['reference_max_rel_error']:14.1%}"
    )
    summary = {
        "bench": "estimator",
        "model": "minilm",
        "sentences": len(sentences),
        "layers": len(layers),
        "threads": args.threads,
        "infolib_seconds": round(ours_seconds, 2),
        "infolib_word_level_seconds": round(ours_word_seconds, 2),
        "reference_seconds": round(ref_total, 1),
        "reference_extrapolated": not args.full,
        "reference_steps_timed": ref_steps,
        "speedup": round(ref_total / ours_seconds, 1),
        "quality": [
            {
                "pair": f"{i}:{layer}",
                "objective_infolib": round(lo, 5),
                "objective_reference": round(lr, 5),
                "relative_difference": round((lo - lr) / abs(lr), 5),
                "spearman_sigma": round(r, 4),
            }
            for (i, layer), lo, lr, r in zip(quality_pairs, L_ours.tolist(), L_ref.tolist(), rho)
        ],
        "bfloat16": {
            "seconds": round(bf16_seconds, 2),
            "speedup": round(ref_total / bf16_seconds, 1),
            "objective_gap_vs_float32_mean": round(sum(bf16_gap) / len(bf16_gap), 5),
            "objective_gap_vs_float32_worst": round(max(bf16_gap), 5),
            "quality_relative_difference_mean": round(sum(bf16_vs_ref) / len(bf16_vs_ref), 5),
            "quality_relative_difference_worst": round(max(bf16_vs_ref), 5),
            "median_passes": statistics.median(d["passes"] for d in bf16.diagnostics.values()),
        },
        "linear_oracle": {k: round(v, 4) for k, v in oracle.items()},
        "median_steps": steps[len(steps) // 2],
        "mean_steps": round(sum(steps) / len(steps), 2),
        "median_passes": passes[len(passes) // 2],
        "mean_passes": round(sum(passes) / len(passes), 2),
        "reference_passes_per_pair": STEPS,
        "quality_relative_difference_mean": round(
            sum((lo - lr) / abs(lr) for lo, lr in zip(L_ours.tolist(), L_ref.tolist())) / len(quality_pairs), 5
        ),
        "quality_relative_difference_worst": round(
            max((lo - lr) / abs(lr) for lo, lr in zip(L_ours.tolist(), L_ref.tolist())), 5
        ),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
