"""`make bench`: every estimator benchmark in one run, then the faster-estimator targets, met or not.

    python benchmarks/bench_all.py              # ~30 minutes on 2 idle cores (models and σ_S cached)
    python benchmarks/bench_all.py --only stopping,probe

Runs `bench_estimator.py`, `bench_stopping.py`, `bench_noise_floor.py` and `bench_probe.py` one after
the other (each prints its own table and JSON line, shown as it runs), reads their JSON lines, and
prints the targets table and, last, one JSON line holding every target's value, its bound, whether
it is met, and the four benchmarks' own JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ("estimator", "stopping", "noise_floor", "probe")

# (name, bench, how to read the value from its JSON, bound, "≤" or "≥", unit)
TARGETS = (
    ("passes per pair, median", "stopping", lambda j: j["median_passes"], 12, "≤", ""),
    ("objective vs long run, mean", "stopping", lambda j: j["objective_excess_mean"], 0.001, "≤", "%"),
    ("objective vs long run, worst", "stopping", lambda j: j["objective_excess_worst"], 0.01, "≤", "%"),
    (
        "linear oracle, max rel. error",
        "stopping",
        lambda j: j["linear_oracle_max_rel_error"],
        0.02,
        "≤",
        "%",
    ),
    ("speed-up vs authors, float32", "estimator", lambda j: j["speedup"], 1000, "≥", "×"),
    ("speed-up vs authors, bfloat16", "estimator", lambda j: j["bfloat16"]["speedup"], 1000, "≥", "×"),
    ("objective vs authors, worst", "estimator", lambda j: j["quality_relative_difference_worst"], 0.01, "≤", "%"),
    ("probe, one model (s)", "probe", lambda j: j["one_model_seconds"]["median"], 0.3, "≤", "s"),
    ("probe, two models (s)", "probe", lambda j: j["two_models_seconds"]["median"], 0.6, "≤", "s"),
    ("probe objective, median pair", "probe", lambda j: j["quality"]["relative_excess_median"], 0.003, "≤", "%"),
    ("probe objective, worst pair", "probe", lambda j: j["quality"]["relative_excess_max"], 0.02, "≤", "%"),
    ("probe Spearman σ, worst pair", "probe", lambda j: j["quality"]["spearman_sigma_min"], 0.9, "≥", ""),
)


def run(bench: str) -> dict:
    """Run benchmarks/bench_<bench>.py, echoing its output; its last JSON line."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / f"bench_{bench}.py")], stdout=subprocess.PIPE, text=True, bufsize=1
    )
    last = None
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith("{"):
            last = line
    if process.wait() != 0 or last is None:
        raise SystemExit(f"bench_{bench}.py failed (exit {process.returncode}); see its output above.")
    return json.loads(last)


def evaluate(results: dict[str, dict]) -> list[dict]:
    """Each target whose benchmark ran, as {target, value, bound, met}, read from the benchmarks' JSON lines."""
    targets = []
    for name, bench, read, bound, sense, _ in TARGETS:
        if bench in results:
            value = float(read(results[bench]))
            met = value <= bound if sense == "≤" else value >= bound
            targets.append({"target": name, "value": value, "bound": f"{sense} {bound}", "met": met})
    return targets


def show(value: float, unit: str) -> str:
    return {"%": f"{value:+.2%}", "×": f"{value:.0f}×", "s": f"{value:.2f} s"}.get(unit, f"{value:g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}")
    args = parser.parse_args()
    chosen = [b for b in args.only.split(",") if b]
    unknown = sorted(set(chosen) - set(BENCHES))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {', '.join(unknown)}: choose from {', '.join(BENCHES)}.")
    start = time.perf_counter()
    results = {}
    for bench in chosen:
        print(f"\n=== bench_{bench}.py ===", flush=True)
        results[bench] = run(bench)
    targets = evaluate(results)
    judged = [t for t in TARGETS if t[1] in results]
    for target, (name, _, _, bound, sense, unit) in zip(targets, judged):
        verdict = "met" if target["met"] else "NOT met"
        print(f"{name:34}{show(target['value'], unit):>12}   target {sense} {show(bound, unit):>8}   {verdict}")
    print(f"{sum(t['met'] for t in targets)} of {len(targets)} targets met, in {time.perf_counter() - start:.0f} s")
    load = os.getloadavg()[0]
    summary = {"bench": "all", "targets": targets, "seconds": round(time.perf_counter() - start), "load_average": load}
    print(json.dumps(summary | {"python": platform.python_version(), "runs": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
