"""Per-layer faithfulness and its claims rows (issue 23), on hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from infolib.analysis.claims import faithfulness_claims
from infolib.analysis.faithfulness.claims import layer_summary
from infolib.analysis.faithfulness.layers import layer_faithfulness
from infolib.testing import BagOfPiecesClassifier


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def scores_table(sentence: str, by_method: dict[str, list[float]], layers=("layer.0", "layer.1")) -> pd.DataFrame:
    """An `explain_methods`-shaped table: one importance per unit ([CLS], words, [SEP]) per method and layer."""
    rows = []
    for method, values in by_method.items():
        for layer in layers:
            for w, value in enumerate(values):
                rows.append(
                    {
                        "model": "bag-of-pieces",
                        "method": method,
                        "layer": layer,
                        "sentence_id": 0,
                        "sentence": sentence,
                        "word_id": w,
                        "importance": value,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def bag():
    return BagOfPiecesClassifier({"good": [0, 2]})


def test_output_and_state_degradation_by_hand(bag):
    # "a good film", k = ⌈0.3·3⌉ = 1. oracle ranks good first (bottom: film); anti ranks it last.
    frame = scores_table("a good film", {"oracle": [0, 0, 1, 0, 0], "anti": [0, 1, 0, 2, 0]})
    table = layer_faithfulness(bag, frame, thresholds=[0.3])
    value = table.set_index(["method", "layer", "metric"])["value"]
    assert value["oracle", "layer.1", "output_aopc"] == pytest.approx(sig(2) - 0.5)
    assert value["anti", "layer.1", "output_aopc"] == pytest.approx(0.0, abs=1e-12)
    # layer.1 is the running sum: deleting 'good' zeroes the sums after it (relative change 1 at the
    # kept tokens); deleting 'film' changes none of them (0). At layer.0 the kept tokens of "a film" weigh
    # nothing: a state that is zero there has no relative change (NaN).
    assert value["oracle", "layer.1", "state_degradation"] == pytest.approx(1.0)
    assert value["anti", "layer.1", "state_degradation"] == pytest.approx(-1.0)
    assert math.isnan(value["oracle", "layer.0", "state_degradation"])
    assert set(table["method"]) == {"oracle", "anti", "random"}


def test_mask_removal_keeps_positions(bag):
    model = BagOfPiecesClassifier({"good": [0, 2], "[MASK]": [0, 1]})
    frame = scores_table("a good film", {"oracle": [0, 0, 1, 0, 0]}, layers=("layer.1",))
    table = layer_faithfulness(model, frame, thresholds=[0.3], removal="mask")
    value = table.set_index(["method", "layer", "metric"])["value"]
    assert value["oracle", "layer.1", "output_aopc"] == pytest.approx(sig(2) - sig(1))
    # running sums [0,0,2,2,2] -> [0,0,1,1,1] at the kept tokens [CLS] a film [SEP]: ‖(1,1)‖/‖(2,2)‖ = 1/2;
    # masking film instead: [0,0,2,3,3] vs [0,0,2,2,2], at [CLS] a good [SEP] ‖(1)‖/‖(2,2)‖.
    assert value["oracle", "layer.1", "state_degradation"] == pytest.approx(0.5 - 1 / math.sqrt(8))


def test_random_floor_is_seeded_and_the_same_at_every_layer(bag):
    frame = scores_table("good a b c d e f", {"oracle": [0, 5, 1, 1, 1, 1, 1, 1, 0]})
    one = layer_faithfulness(bag, frame, random_state=3)
    two = layer_faithfulness(bag, frame, random_state=3)
    pd.testing.assert_frame_equal(one, two)
    rand = one[(one["method"] == "random") & (one["metric"] == "output_aopc")]
    assert rand["value"].nunique() == 1


def test_summary_and_claims_rows():
    rng = np.random.default_rng(0)
    rows = []
    for sid in range(40):
        for layer in ("layer.1", "layer.2"):
            for method, shift in (("information", 0.3 if layer == "layer.2" else 0.0), ("gradient_saliency", 0.0)):
                value = shift + rng.normal(0, 0.01) + (0.0 if method == "information" else 0.1)
                rows.append(
                    {
                        "model": "m",
                        "sentence_id": sid,
                        "method": method,
                        "layer": layer,
                        "metric": "output_aopc",
                        "value": value,
                    }
                )
    table = pd.DataFrame(rows)
    summary = layer_summary(table, n_boot=200)
    assert (
        len(summary) == 4 and (summary["low"] <= summary["mean"]).all() and (summary["mean"] <= summary["high"]).all()
    )
    last, every = faithfulness_claims(table, n_boot=200)
    assert last["claim"] == 9 and last["verdict"] == "reproduced"  # layer.2: information 0.3 vs 0.1
    assert every["claim"] == 10 and every["verdict"] == "not reproduced"  # layer.1: 0.0 vs 0.1
    assert "not a claim of the paper" in last["text"] and last["n_sentences"] == 40


def test_bad_input(bag):
    frame = scores_table("a good film", {"oracle": [0, 0, 1, 0, 0]})
    with pytest.raises(ValueError, match="lacks importance"):
        layer_faithfulness(bag, frame.drop(columns="importance"))
    with pytest.raises(ValueError, match="thresholds"):
        layer_faithfulness(bag, frame, thresholds=[0])
    with pytest.raises(ValueError, match="have 2 values"):
        layer_faithfulness(bag, frame[frame["word_id"] < 2])
    with pytest.raises(ValueError, match="lacks the columns"):
        faithfulness_claims(frame)
