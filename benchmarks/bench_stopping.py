"""The stopping rule: how many steps it takes, and how much objective it gives up for them.

    python benchmarks/bench_stopping.py        # about 2 minutes on 2 idle cores
    python benchmarks/bench_stopping.py --settings '{"window": 3, "z": 0.65}'   # another rule, same pairs

Setup as `bench_estimator.py`: pretrained MiniLM, the first 5 SST-2 dev sentences, all 6 layers
(30 pairs), token level. Reported:
- steps per pair with the default settings (median, mean, pairs stopped by max_steps), and the
  forward + backward passes per pair (the linearised start's probes included);
- the objective L(σ) of every pair with 256 fresh noise draws, against a run of `--long-steps`
  steps that never stops early (z = 0) and averages its last 50 damped iterates from the fixed start
  (the same reference whatever the defaults are): the optimum as well as this estimator finds it
  (relative excess, mean and worst pair);
- the linear oracle of docs/method.md §4 (w = [3, −7, 0.5, 12, 1.5, −2], K = 64): the largest relative
  error of σ to the closed form.
Prints a table and, last, one JSON line.
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

from bench_estimator import linear_oracle, minilm_pairs, objectives  # same folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=5)
    parser.add_argument("--long-steps", type=int, default=400, help="steps of the run that never stops early")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settings", type=json.loads, default={}, help="estimator settings to try, as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, sentences, layers, spread = minilm_pairs(args.sentences)
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]

    start = time.perf_counter()
    ours = infolib.explain(model, sentences, layers, level="token", sigma_s=spread, progress=False, **args.settings)
    seconds = time.perf_counter() - start
    long = infolib.explain(
        model,
        sentences,
        layers,
        level="token",
        sigma_s=spread,
        progress=False,
        max_steps=args.long_steps,
        window=50,
        z=0.0,
        tol=1e-9,
        start="fixed",
        warmup=2,
        damping=0.5,
    )
    L_ours, L_long = objectives(model, sentences, layers, spread, pairs, ours.sigma, long.sigma, scale=ours.scale)
    excess = ((L_ours - L_long) / L_long.abs()).tolist()
    steps = [ours.diagnostics[p]["steps"] for p in pairs]
    passes = [ours.diagnostics[p]["passes"] for p in pairs]
    capped = sum(not ours.diagnostics[p]["converged"] for p in pairs)

    oracle_error = linear_oracle(**args.settings)["infolib_max_rel_error"]

    print(
        f"MiniLM, {len(sentences)} SST-2 dev sentences × {len(layers)} layers = {len(pairs)} pairs, token "
        f"level, {args.threads} threads"
    )
    print(f"{'wall time, all pairs (s)':40}{seconds:10.1f}")
    print(f"{'steps per pair: median, mean':40}{statistics.median(steps):10.1f}{statistics.mean(steps):10.2f}")
    print(f"{'passes per pair: median, mean':40}{statistics.median(passes):10.1f}{statistics.mean(passes):10.2f}")
    print(f"{'pairs stopped by max_steps':40}{capped:10d}")
    print(
        f"{'objective vs %d-step run: mean, worst' % args.long_steps:40}"
        f"{statistics.mean(excess):+10.3%}{max(excess):+10.3%}"
    )
    print(f"{'linear oracle: max rel. error':40}{oracle_error:10.1%}")
    print(
        json.dumps(
            {
                "bench": "stopping",
                "model": "minilm",
                "pairs": len(pairs),
                "threads": args.threads,
                "settings": args.settings,
                "seconds": round(seconds, 2),
                "median_steps": statistics.median(steps),
                "mean_steps": round(statistics.mean(steps), 2),
                "median_passes": statistics.median(passes),
                "mean_passes": round(statistics.mean(passes), 2),
                "at_max_steps": capped,
                "objective_excess_mean": round(statistics.mean(excess), 6),
                "objective_excess_worst": round(max(excess), 6),
                "long_steps": args.long_steps,
                "linear_oracle_max_rel_error": round(oracle_error, 4),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
