"""A record of the work a run did: pairs explained, steps taken, pairs read from the cache.

When `$INFOLIB_RUN_LOG` names a file, every `explain` call and every data-set run of a baseline appends one JSON
line to it. `make reproduce` points it at one file per notebook (the kernel inherits the variable)
and summarises each with `summary`, so REPORT.md states the work each notebook measured, not a
wall time alone (a busy machine changes the time, never the work).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

RUN_LOG_ENV = "INFOLIB_RUN_LOG"


def record(**event) -> None:
    """Append one event (a JSON line) to `$INFOLIB_RUN_LOG`; does nothing when it is unset."""
    path = os.environ.get(RUN_LOG_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(event, default=str) + "\n")


def read(path: str | os.PathLike) -> list[dict]:
    """The events of a run log (an absent file is an empty run)."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summary(events: list[dict]) -> dict:
    """Totals of a run: estimator pairs optimised and read back, mean steps, pairs stopped by max_steps,
    baseline pairs computed and read back, and the worst integrated-gradients completeness error."""
    explained = [e for e in events if e.get("kind") == "explain"]
    attributed = [e for e in events if e.get("kind") == "attribute"]
    steps = [s for e in explained for s in e["steps"]]
    deltas = [e["worst_relative_delta"] for e in attributed if e.get("worst_relative_delta") is not None]
    return {
        "estimator_seconds": round(sum(e.get("seconds", 0.0) for e in explained), 1),
        "baseline_seconds": round(sum(e.get("seconds", 0.0) for e in attributed), 1),
        "pairs_explained": len(steps),
        "pairs_from_cache": sum(e["cached"] for e in explained),
        "mean_steps": round(sum(steps) / len(steps), 2) if steps else math.nan,
        "pairs_at_max_steps": sum(e["at_max_steps"] for e in explained),
        "baseline_pairs": sum(e["computed"] for e in attributed),
        "baseline_pairs_from_cache": sum(e["cached"] for e in attributed),
        "worst_ig_relative_delta": max(deltas) if deltas else math.nan,
    }
