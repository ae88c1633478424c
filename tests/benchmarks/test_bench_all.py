"""`make bench`'s summary (benchmarks/bench_all.py): the targets read from the benchmarks' JSON lines."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_all():
    spec = importlib.util.spec_from_file_location("bench_all", ROOT / "benchmarks" / "bench_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_targets_are_read_and_judged_in_their_direction(bench_all):
    stopping = {"median_passes": 28, "objective_excess_mean": 0.0005, "objective_excess_worst": 0.02}
    stopping["linear_oracle_max_rel_error"] = 0.015
    probe = {
        "one_model_seconds": {"median": 0.25},
        "two_models_seconds": {"median": 0.7},
        "quality": {"relative_excess_median": 0.0002, "relative_excess_max": 0.03, "spearman_sigma_min": 0.95},
    }
    targets = {t["target"]: t for t in bench_all.evaluate({"stopping": stopping, "probe": probe})}
    assert not any(name.startswith("speed-up") for name in targets)  # bench_estimator did not run
    met = {name: t["met"] for name, t in targets.items()}
    assert met == {
        "passes per pair, median": False,
        "objective vs long run, mean": True,
        "objective vs long run, worst": False,
        "linear oracle, max rel. error": True,
        "probe, one model (s)": True,
        "probe, two models (s)": False,
        "probe objective, median pair": True,
        "probe objective, worst pair": False,
        "probe Spearman σ, worst pair": True,
    }
    assert targets["passes per pair, median"] == {
        "target": "passes per pair, median",
        "value": 28.0,
        "bound": "≤ 12",
        "met": False,
    }


def test_every_target_names_a_benchmark_that_runs(bench_all):
    assert {bench for _, bench, *_ in bench_all.TARGETS} <= set(bench_all.BENCHES)
