"""How many noise draws any σ-optimiser of this objective needs: the Monte-Carlo floor of the estimator.

    python benchmarks/bench_noise_floor.py        # ~3 minutes on 2 idle cores (MiniLM and σ_S cached)

Setup as `bench_stopping.py`: pretrained MiniLM, the first `--sentences` SST-2 dev sentences, all 6
layers, token level. At each pair's optimum σ* (the estimator's defaults), over its units inside (0, scale), measured:
- one draw's g_i = ∂R/∂log σ_i (one forward and backward pass): its relative standard deviation per
  unit over `--draws` draws, and the mean g_i / r_i (1 at the optimum);
- one Hutchinson probe's curvature â_i (the linearised start's input): its relative standard deviation;
- the linearised start from `--draws` probes: its distance to σ* in log σ and its objective gap.

Why it bounds the passes. Near the optimum L ≈ L* + Σ_i r_i δ_i² with δ_i the error in log σ_i (the
second derivative of L in log σ_i is 2 r_i there). A Newton step sets log σ_i from ½ log(r_i / g_i), so
one draw leaves δ_i with standard deviation ≈ ½ · relstd(g_i), and the best unbiased use of N draws
≈ ½ · relstd(g_i) / √N. The fewest draws for a relative gap G is then
N(G) = Σ_i r_i · relstd(g_i)² / 4 / (G · L*), whatever the start and the stopping rule; passes per pair
are at least that (plus the probes, plus any draws spent moving from the start to the optimum).
Prints a table and, last, one JSON line with N(0.1 %) and N(1 %) per pair (median and worst).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

import infolib
from infolib.core import estimator as E

from bench_estimator import minilm_pairs, token_problem  # same folder


def per_draw_gradients(
    problem: E.Problem, packed, log_sigma: torch.Tensor, draws: int, noise: str = E.Settings.noise
) -> torch.Tensor:
    """[draws, P, U] g = ∂R/∂log σ from one noise draw each (of kind `noise`), at log_sigma [P, U]."""
    P, T, K = packed.x.shape
    generators = [torch.Generator().manual_seed(100 + p) for p in range(P)]
    pairs, ones = torch.arange(P), torch.ones(P, dtype=torch.long)
    out = []
    for _ in range(draws):
        draw = E._noise(generators, list(range(P)), [1] * P, packed.lengths, T, K, packed.x, noise)
        leaf = log_sigma.clone().requires_grad_(True)
        E.reconstruction(problem, packed, leaf, pairs, ones, draw, 64, grad=True)
        out.append(leaf.grad.clone())
    return torch.stack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=5)  # the 30 pairs of make bench
    parser.add_argument("--draws", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--noise", choices=E.NOISES, default=E.Settings.noise, help="how the draws are made")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, sentences, layers, spread = minilm_pairs(args.sentences)
    fit = infolib.explain(model, sentences, layers, level="token", sigma_s=spread, progress=False, cache=False)
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]
    problem = token_problem(model, sentences, layers, spread, pairs)
    settings = E.Settings()
    packed = E._Packed(problem, settings.rate)
    P = len(pairs)
    optimum = [fit.sigma[p] for p in pairs]
    L = E.objective(problem, optimum, fit.scale, settings.rate, samples=256)
    log_sigma = torch.zeros(packed.unit_mask.shape)
    for p, sigma in enumerate(optimum):
        log_sigma[p, : len(sigma)] = torch.log(sigma)
    # Units pinned at σ = scale (words the state ignores) sit on the boundary, not at a stationary point.
    mask = packed.unit_mask & (log_sigma < math.log(fit.scale) - 1e-3)

    g = per_draw_gradients(problem, packed, log_sigma, args.draws, args.noise)
    relstd = torch.where(mask, g.std(0) / g.mean(0).abs().clamp_min(1e-12), torch.zeros(()))
    ratio = (g.mean(0) / packed.r)[mask]
    curvatures = torch.stack(
        [
            E.curvature(problem, packed, 1, [torch.Generator().manual_seed(7 + 1000 * k + p) for p in range(P)], 64)
            for k in range(args.draws)
        ]
    )
    a_relstd = (curvatures.std(0) / curvatures.mean(0).clamp_min(1e-30))[mask]
    start = E.linearised_start(packed, curvatures.mean(0), math.log(fit.scale))
    distance = (start - log_sigma)[mask]
    L_start = E.objective(
        problem,
        [torch.exp(start[p, : int(packed.n_units[p])]) for p in range(P)],
        fit.scale,
        settings.rate,
        samples=256,
    )
    excess = (packed.r * relstd.pow(2) / 4).sum(1)  # Σ_i r_i relstd_i² / 4: the gap one draw leaves
    needed = {gap: (excess / (gap * L.abs())).tolist() for gap in (0.001, 0.01)}

    median = statistics.median
    print(f"MiniLM, {len(sentences)} SST-2 dev sentences × {len(layers)} layers, token level, {args.draws} draws")
    print(f"objective L* (mean over pairs)                {float(L.mean()):.4f}")
    print(
        f"one draw: relstd(g_i) median / 90th pct       {float(relstd[mask].median()):.2f} / "
        f"{float(relstd[mask].quantile(0.9)):.2f}"
    )
    print(f"mean g_i / r_i at σ* (median)                 {float(ratio.median()):.3f}")
    print(f"one probe: relstd(â_i) median                 {float(a_relstd.median()):.2f}")
    print(
        f"linearised start ({args.draws} probes) − log σ*: std {float(distance.std()):.2f}, "
        f"objective gap {float(((L_start - L) / L.abs()).mean()):+.2%}"
    )
    print(f"draws needed for a gap of 0.1 %: median {median(needed[0.001]):.1f}, worst pair {max(needed[0.001]):.1f}")
    print(f"draws for a mean gap over pairs of 0.1 % (the same for every pair): {statistics.mean(needed[0.001]):.1f}")
    print(f"draws needed for a gap of 1 %:   median {median(needed[0.01]):.1f}, worst pair {max(needed[0.01]):.1f}")
    summary = {
        "bench": "noise_floor",
        "pairs": P,
        "draws": args.draws,
        "noise": args.noise,
        "objective_mean": float(L.mean()),
        "draw_relstd_median": float(relstd[mask].median()),
        "draw_relstd_q90": float(relstd[mask].quantile(0.9)),
        "g_over_r_median": float(ratio.median()),
        "probe_relstd_median": float(a_relstd.median()),
        "linearised_start_log_distance_std": float(distance.std()),
        "linearised_start_gap_mean": float(((L_start - L) / L.abs()).mean()),
        "draws_for_0.1pct_median": median(needed[0.001]),
        "draws_for_0.1pct_worst": max(needed[0.001]),
        "draws_for_0.1pct_mean_gap": statistics.mean(needed[0.001]),  # the same draws for every pair
        "draws_for_1pct_median": median(needed[0.01]),
        "draws_for_1pct_worst": max(needed[0.01]),
        "threads": args.threads,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
