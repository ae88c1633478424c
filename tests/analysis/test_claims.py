"""The verdict rule, the bootstrap over sentences, and the claims table on constructed per-sentence tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from infolib import analysis
from infolib.analysis import statistics

N = 120  # sentences per model in the constructed tables (the issue asks for ≥ 100)


# -- the verdict rule ------------------------------------------------------------------------------
def test_verdict_reproduced_when_intervals_separate_in_the_papers_direction():
    assert analysis.verdict((0.6, 0.7), (0.4, 0.5)) == "reproduced"
    assert analysis.verdict((0.65, 0.6, 0.7), (0.45, 0.4, 0.5)) == "reproduced"  # (estimate, low, high) works too
    assert analysis.verdict((0.5, 0.5), (0.2, 0.4)) == "reproduced"  # a threshold: degenerate interval


def test_verdict_not_reproduced_when_intervals_separate_the_other_way():
    assert analysis.verdict((0.4, 0.5), (0.6, 0.7)) == "not reproduced"
    assert analysis.verdict((0.5, 0.5), (0.6, 0.8)) == "not reproduced"


def test_verdict_inconclusive_when_intervals_overlap():
    assert analysis.verdict((0.4, 0.6), (0.5, 0.7)) == "inconclusive"
    assert analysis.verdict((0.5, 0.6), (0.4, 0.5)) == "inconclusive"  # touching counts as overlap
    assert analysis.verdict((0.5, 0.5), (0.4, 0.6)) == "inconclusive"


def test_verdict_na_and_bad_intervals():
    assert analysis.verdict((math.nan, math.nan), (0.4, 0.5)) == "n/a"
    assert analysis.verdict((0.4, 0.5), (0.1, math.nan)) == "n/a"
    with pytest.raises(ValueError, match="low > high"):
        analysis.verdict((0.7, 0.6), (0.1, 0.2))
    with pytest.raises(ValueError):
        analysis.verdict((0.1,), (0.1, 0.2))


def test_combine_verdicts():
    assert analysis.combine_verdicts(["reproduced", "reproduced"]) == "reproduced"
    assert analysis.combine_verdicts(["reproduced", "not reproduced", "inconclusive"]) == "not reproduced"
    assert analysis.combine_verdicts(["reproduced", "inconclusive"]) == "inconclusive"
    assert analysis.combine_verdicts(["reproduced", "n/a"]) == "inconclusive"  # a comparison that could not be made
    assert analysis.combine_verdicts([]) == "n/a"
    assert analysis.combine_verdicts(["n/a", "n/a"]) == "n/a"
    with pytest.raises(ValueError, match="unknown verdicts"):
        analysis.combine_verdicts(["NOT reproduced"])


# -- the bootstrap ---------------------------------------------------------------------------------
def test_bootstrap_interval_is_seeded_and_covers_the_true_mean():
    sample = np.random.default_rng(42).normal(1.0, 2.0, 400)
    estimate, low, high = statistics.bootstrap_interval(sample)
    assert estimate == pytest.approx(sample.mean()) and low < 1.0 < high
    assert high - low == pytest.approx(2 * 1.96 * 2.0 / math.sqrt(400), rel=0.2)  # ≈ the normal-theory width
    assert statistics.bootstrap_interval(sample) == (estimate, low, high)  # same seed, same interval
    assert statistics.bootstrap_interval(sample, random_state=1) != (estimate, low, high)
    # a generic statistic sees the same resamples as the vectorised mean
    assert statistics.bootstrap_interval(sample, statistic=lambda v: float(np.mean(v))) == pytest.approx(
        (estimate, low, high)
    )
    assert (
        statistics.bootstrap_interval(sample, confidence=0.5)[2]
        - statistics.bootstrap_interval(sample, confidence=0.5)[1]
        < high - low
    )


def test_bootstrap_interval_nan_and_edge_cases():
    values = np.array([0.2, np.nan, 0.4, 0.6, np.nan])
    assert statistics.bootstrap_interval(values) == statistics.bootstrap_interval(values[~np.isnan(values)])
    assert statistics.bootstrap_interval([0.3]) == (0.3, 0.3, 0.3)
    assert all(math.isnan(v) for v in statistics.bootstrap_interval([np.nan, np.nan]))
    rows = np.array([[1.0, 2.0], [3.0, np.nan], [np.nan, np.nan]])  # first axis = sentences
    assert statistics.bootstrap_interval(rows, statistic=np.nanmean)[0] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="empty"):
        statistics.bootstrap_interval([])
    with pytest.raises(ValueError, match="confidence"):
        statistics.bootstrap_interval([1.0, 2.0], confidence=95)
    with pytest.raises(ValueError, match="n_boot"):
        statistics.bootstrap_interval([1.0, 2.0], n_boot=0)


def test_bootstrap_groups_resamples_sentences_not_words():
    rng = np.random.default_rng(0)
    per_sentence = rng.normal(0.0, 1.0, 20)
    words = pd.DataFrame({"sentence_id": np.repeat(np.arange(20), 30), "value": np.repeat(per_sentence, 30)})
    by_sentence = statistics.bootstrap_interval(per_sentence)
    # equal-sized sentences: the pooled word mean of resampled sentences = the mean of their sentence means
    assert statistics.bootstrap_groups(words, "value") == pytest.approx(by_sentence)
    assert statistics.bootstrap_groups(words, lambda f: f["value"].mean(), n_boot=200) == pytest.approx(
        statistics.bootstrap_interval(per_sentence, n_boot=200)
    )
    # resampling the 600 words as if independent would be ~sqrt(30) times too narrow
    by_word = statistics.bootstrap_interval(words["value"].to_numpy())
    assert (by_word[2] - by_word[1]) < 0.5 * (by_sentence[2] - by_sentence[1])
    with pytest.raises(ValueError, match="empty"):
        statistics.bootstrap_groups(words.iloc[:0], "value")
    with pytest.raises(ValueError, match="no 'x' column"):
        statistics.bootstrap_groups(words, "x")


def test_bootstrap_proportion_of_dev_accuracy():
    estimate, low, high = statistics.bootstrap_proportion(0.87, 872)
    assert estimate == pytest.approx(round(0.87 * 872) / 872) and low < 0.87 < high
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(0.87 * 0.13 / 872), rel=0.2)
    assert all(math.isnan(v) for v in statistics.bootstrap_proportion(0.87, None))
    with pytest.raises(ValueError):
        statistics.bootstrap_proportion(1.5, 10)


# -- per-sentence tables and the claims table ------------------------------------------------------
def _retention(means: dict[str, float], sd: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """word_trajectories-like rows: per model, N sentences × 4 words of each kind."""
    rng = np.random.default_rng(seed)
    rows = []
    for model, mean in means.items():
        for sid in range(N):
            for kind, half in (("[SEP]", 0.3), ("function", 0.5), ("function", 0.5), ("sentiment", 0.8)):
                rows.append(
                    {
                        "model": model,
                        "sentence_id": sid,
                        "word_id": len(rows),
                        "word": "w",
                        "kind": kind,
                        "half_depth": half + rng.normal(0, 0.05),
                        "retention": mean + rng.normal(0, sd),
                    }
                )
    return pd.DataFrame(rows)


def test_claim_7_reproduced_not_reproduced_inconclusive():
    models = ("bert-sst2", "lstm-sst2", "cnn-sst2")
    cases = {"reproduced": (0.8, 0.4, 0.5), "not reproduced": (0.3, 0.4, 0.5), "inconclusive": (0.5, 0.5, 0.5)}
    for expected, means in cases.items():
        claims = analysis.claims_table({"forgetting": _retention(dict(zip(models, means)))})
        row = claims[claims["claim"] == 7].iloc[0]
        assert row["verdict"] == expected, (expected, row["values"])
        assert row["n_sentences"] == N and row["values"].count("[") == 3 and "bert " in row["values"]
        assert list(claims.columns) == ["claim", "text", "metric", "values", "verdict", "note", "n_sentences"]


def test_claim_7_note_takes_depths_from_the_data():
    table = _retention({"bert-sst2": 0.8, "lstm-sst2": 0.4})
    unknown = analysis.claims_table({"forgetting": table}).set_index("claim").loc[7, "note"]
    assert "unknown" in unknown and "6" not in unknown
    accuracy = pd.DataFrame(
        {"model": ["bert-sst2", "lstm-sst2"], "accuracy": [0.9, 0.8], "n": [872, 872], "hidden_layers": [12, 3]}
    )
    known = analysis.claims_table({"forgetting": table, "accuracy": accuracy}).set_index("claim")
    assert "bert 12" in known.loc[7, "note"] and "lstm 3" in known.loc[7, "note"]
    assert "layer 6" in known.loc[6, "note"].iloc[0]  # depth 0.5 of a 12-layer BERT
    assert known.loc[8, "verdict"] == "reproduced"


def test_claim_6_threshold_and_kinds():
    claims = analysis.claims_table({"forgetting": _retention({"bert-sst2": 0.8})})
    assert list(claims["claim"]) == [6, 6]  # one model: no claim-7 row
    assert (claims["verdict"] == "reproduced").all()  # [SEP] ≈ 0.3 < 0.5; function 0.5 < sentiment 0.8
    late = _retention({"bert-sst2": 0.8})
    late.loc[late["kind"] == "[SEP]", "half_depth"] += 0.4
    late.loc[late["kind"] == "[SEP]", "half_depth"] = late.loc[late["kind"] == "[SEP]", "half_depth"].where(
        late.loc[late["kind"] == "[SEP]", "sentence_id"] > 0
    )  # one [SEP] never halves
    row = analysis.claims_table({"forgetting": late}).iloc[0]
    assert (
        row["verdict"] == "not reproduced" and "1 of 120 [SEP] never fall to half (counted as depth 1)" in row["note"]
    )
    assert row["n_sentences"] == N  # censored at depth 1, not left out


def test_claim_1_from_coherence_per_sentence():
    rng = np.random.default_rng(1)
    rows = []
    for sid in range(N):
        rows.append(
            {
                "method": "information",
                "model": "bert-sst2",
                "sentence_id": sid,
                "log_magnitude_spread": 0.1 + rng.normal(0, 0.05),
                "adjacent_spearman": 0.8 + rng.normal(0, 0.1),
            }
        )
        rows.append(
            {
                "method": "gradient_saliency",
                "model": "bert-sst2",
                "sentence_id": sid,
                "log_magnitude_spread": 1.0 + rng.normal(0, 0.3),
                "adjacent_spearman": 0.8 + rng.normal(0, 0.1),
            }
        )
    claims = analysis.claims_table({"coherence": pd.DataFrame(rows)})
    assert list(claims["verdict"]) == ["reproduced", "inconclusive"]  # scale: separated; ranking: same distribution
    assert "bert information" in claims.loc[0, "values"] and "bert gradient_saliency" in claims.loc[0, "values"]


def test_claims_2_and_3_from_per_sentence_tables():
    rng = np.random.default_rng(2)
    reversal, profiles = [], []
    for model in ("lstm-reverse", "transformer-reverse"):
        for length in range(3, 13):  # one sequence per length
            reversal.append(
                {
                    "method": "information",
                    "model": model,
                    "sentence_id": length,
                    "length": length,
                    "accuracy": 0.9 + rng.normal(0, 0.03),
                    "mass": 0.3 + rng.normal(0, 0.02),
                    "chance": 1 / length,
                }
            )
            reversal.append(
                {
                    "method": "occlusion",
                    "model": model,
                    "sentence_id": length,
                    "length": length,
                    "accuracy": 0.9,
                    "mass": 0.6 + rng.normal(0, 0.02),
                    "chance": 1 / length,
                }
            )
    for sid in range(N):
        for method, share in (
            ("information", 0.6),
            ("gradient_saliency", 0.3),
            ("occlusion", 0.4),
            ("integrated_gradients", 0.2),
        ):
            profiles.append(
                {
                    "method": method,
                    "model": "bert-sst2",
                    "sentence_id": sid,
                    "sentiment_share": share + rng.normal(0, 0.05),
                }
            )
    claims = analysis.claims_table({"reversal": pd.DataFrame(reversal), "sentiment_methods": pd.DataFrame(profiles)})
    by = claims.set_index("metric")
    mass = by.filter(like="mass", axis=0).iloc[0]
    accuracy = by.filter(like="accuracy", axis=0).iloc[0]
    assert mass["verdict"] == "not reproduced" and mass["n_sentences"] == 10 and "lengths 3, 4" in mass["note"]
    assert accuracy["verdict"] == "reproduced" and "lstm chance" in accuracy["values"]
    sentiment = claims[claims["claim"] == 3].iloc[0]
    assert sentiment["verdict"] == "reproduced" and "baselines' median" in sentiment["values"]


def test_claims_table_is_seeded_and_checks_its_inputs():
    table = _retention({"bert-sst2": 0.8, "lstm-sst2": 0.4})
    first = analysis.claims_table({"forgetting": table})
    pd.testing.assert_frame_equal(first, analysis.claims_table({"forgetting": table}))
    assert analysis.claims_table({}).empty
    assert set(first["verdict"]) <= set(analysis.VERDICTS)
    by_kind = (
        table.groupby(["model", "kind"])[["half_depth", "retention"]].mean().reset_index()
    )  # a summary, not per sentence
    with pytest.raises(ValueError, match="word_trajectories"):
        analysis.claims_table({"forgetting": by_kind})


def test_summaries_use_the_bootstrap():
    per = pd.DataFrame(
        {
            "method": "information",
            "model": "m",
            "sentence_id": range(50),
            "x": np.random.default_rng(3).uniform(0, 1, 50),
        }
    )
    summary = analysis.summarise(per, ["x"])
    assert list(summary.columns) == ["method", "model", "metric", "mean", "low", "high", "n_sentences"]
    assert (summary.loc[0, "mean"], summary.loc[0, "low"], summary.loc[0, "high"]) == statistics.bootstrap_interval(
        per["x"]
    )
    assert summary.loc[0, "n_sentences"] == 50


def test_model_accuracies_reads_hidden_layers(monkeypatch):
    from infolib.models import registry as zoo

    records = {
        "bert-sst2": {"dev": {"accuracy": 0.87, "mcc": 0.7, "n": 872}, "hidden_layers": 6},
        "cnn-sst2": {"dev": {"accuracy": 0.8, "n": 872}},
    }
    monkeypatch.setattr(zoo, "model_metrics", lambda name: records[name])
    table = analysis.model_accuracies(["bert-sst2", "cnn-sst2"]).set_index("model")
    assert list(table.reset_index().columns) == [
        "model",
        "accuracy",
        "accuracy_low",
        "accuracy_high",
        "mcc",
        "n",
        "hidden_layers",
    ]
    assert table.loc["bert-sst2", "hidden_layers"] == 6 and math.isnan(table.loc["cnn-sst2", "hidden_layers"])
    assert table.loc["bert-sst2", "accuracy_low"] < 0.87 < table.loc["bert-sst2", "accuracy_high"]


def test_model_accuracies_take_the_depth_of_a_loaded_model_when_metrics_lack_it(monkeypatch):
    """Models trained before metrics.json recorded `hidden_layers` still give claim 7 its depths."""
    from types import SimpleNamespace

    from infolib.models import registry as zoo

    records = {"cnn-sst2": {"dev": {"accuracy": 0.8, "n": 872}}, "bert-sst2": {"dev": {"n": 872}, "hidden_layers": 6}}
    monkeypatch.setattr(zoo, "model_metrics", lambda name: records[name])
    loaded = [SimpleNamespace(name="cnn-sst2", num_layers=2), SimpleNamespace(name="bert-sst2", num_layers=99)]
    table = analysis.model_accuracies(loaded).set_index("model")
    assert table.loc["cnn-sst2", "hidden_layers"] == 2  # from the model
    assert table.loc["bert-sst2", "hidden_layers"] == 6  # the JSON wins


def test_the_12_layer_mpnet_gets_its_own_rows_in_claims_6_and_7():
    """DEEP=1: mpnet-sst2 is read as a BERT-like model: its own [SEP]/kind estimates, and it is compared
    with the models trained from scratch, not with BERT."""
    claims = analysis.claims_table({"forgetting": _retention({"bert-sst2": 0.8, "mpnet-sst2": 0.3, "lstm-sst2": 0.5})})
    six = claims[claims["claim"] == 6]
    assert all("mpnet" in values and "bert" in values for values in six["values"])
    seven = claims[claims["claim"] == 7].iloc[0]
    assert "mpnet " in seven["values"] and seven["values"].count("[") == 3
    assert seven["verdict"] == "not reproduced"  # bert 0.8 > lstm 0.5, but mpnet 0.3 < lstm 0.5
