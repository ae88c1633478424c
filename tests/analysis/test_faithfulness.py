"""Faithfulness (issue 23): hand-worked cases on a classifier whose probabilities are a softmax of summed
per-piece weights (BagOfPiecesClassifier), every ferret quirk, and every bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import infolib
from infolib.analysis.faithfulness import METRICS
from infolib.testing import BagOfPiecesClassifier, LinearToyModel, ReluToyModel

TOL = 1e-6


def sig(x: float) -> float:
    """p(class 1) of a two-class softmax whose logit difference is x."""
    return 1 / (1 + math.exp(-x))


@pytest.fixture(scope="module")
def bag():
    return BagOfPiecesClassifier({"good": [0, 2], "bad": [2, 0], "[MASK]": [0, 0.5]})


def values(frame, metric):
    rows = frame[frame["metric"] == metric]
    return rows["threshold"].tolist(), rows["value"].to_numpy()


# -- ferret mode, quirk by quirk ---------------------------------------------------------------------
def test_ferret_drops_special_scores_skips_k0_and_repeated_sets(bag):
    # token scores [CLS] a good film [SEP]; n = 3 words: k = int(q·3) is 0 for q ≤ 0.3 (skipped),
    # 1 for 0.4-0.6 ({good}, then the same set twice: skipped), 2 for 0.7-0.9 ({good, a}), 3 at 1.0
    # ({good, a, film} → only_pos drops film → {good, a} again: skipped).
    frame = infolib.faithfulness(bag, ["a good film"], scores=[[0, 1, 2, 0, 0]])
    thresholds, comp = values(frame, "comprehensiveness")
    assert thresholds == pytest.approx([0.4, 0.7])
    full = sig(2)
    assert comp == pytest.approx([full - 0.5, full - 0.5], abs=TOL)  # "a film" and "film": logits 0
    _, suff = values(frame, "sufficiency")
    assert suff == pytest.approx([0, 0], abs=TOL)  # "good", "a good": logits [0, 2]
    assert values(frame, "aopc_comprehensiveness")[1] == pytest.approx([full - 0.5], abs=TOL)


def test_ferret_only_pos_cuts_after_top_k(bag):
    # The [CLS]/[SEP] scores (9) are dropped; words a, good, film score −1, 2, −3.
    scores = [[9, -1, 2, -3, 9]]
    kept = infolib.faithfulness(bag, ["a good film"], scores=scores)
    assert values(kept, "comprehensiveness")[0] == pytest.approx([0.4])  # later sets shrink back to {good}
    every = infolib.faithfulness(bag, ["a good film"], scores=scores, only_pos=False)
    thresholds, comp = values(every, "comprehensiveness")
    assert thresholds == pytest.approx([0.4, 0.7, 1.0])
    assert comp == pytest.approx([sig(2) - 0.5] * 3, abs=TOL)  # removing all leaves [CLS] [SEP]: logits 0


def test_ferret_evaluates_an_empty_set_and_returns_0_and_1_without_sets(bag):
    frame = infolib.faithfulness(bag, ["a good film"], scores=[[-1, -2, -3]])
    thresholds, comp = values(frame, "comprehensiveness")
    assert thresholds == pytest.approx([0.4]) and comp == pytest.approx([0.0], abs=TOL)  # removes nothing
    assert values(frame, "sufficiency")[1] == pytest.approx([sig(2) - 0.5], abs=TOL)  # keeps nothing
    none = infolib.faithfulness(bag, ["good"], scores=[[1.0]], thresholds=[0.5])  # k = int(0.5) = 0
    assert values(none, "comprehensiveness")[1].size == 0
    assert values(none, "aopc_comprehensiveness")[1] == pytest.approx([0.0])
    assert values(none, "aopc_sufficiency")[1] == pytest.approx([1.0])


def test_tie_rules_ferret_takes_the_later_word_eraser_the_earlier(bag):
    # "good a a": equal scores; ferret removes the last 'a' first (nothing changes), ERASER 'good'.
    ferret = infolib.faithfulness(bag, ["good a a"], scores=[[1, 1, 1]], thresholds=[0.4])
    eraser = infolib.faithfulness(bag, ["good a a"], scores=[[1, 1, 1]], thresholds=[0.4], mode="eraser")
    assert values(ferret, "comprehensiveness")[1] == pytest.approx([0.0], abs=TOL)
    assert values(eraser, "comprehensiveness")[1] == pytest.approx([sig(2) - 0.5], abs=TOL)


def test_ferret_decodes_and_retokenises():
    # 'overrated' is over + ##rated. Deleting the piece 'over' leaves '##rated', which decodes to the
    # text "##rated but good" and re-tokenises as '#', '#', 'rated': its weight is lost in ferret mode,
    # kept when the ids go to the model directly (ERASER mode).
    model = BagOfPiecesClassifier({"##rated": [0, 3], "good": [0, 2]})
    scores = [[0, 5, 1, 1, 1, 0]]  # [CLS] over ##rated but good [SEP]
    kwargs = dict(scores=scores, level="token", thresholds=[0.25], metrics=["comprehensiveness"])
    ferret = infolib.faithfulness(model, ["overrated but good"], **kwargs)
    eraser = infolib.faithfulness(model, ["overrated but good"], mode="eraser", **kwargs)
    assert ferret["value"].to_numpy() == pytest.approx([sig(5) - sig(2)], abs=TOL)
    assert eraser["value"].to_numpy() == pytest.approx([0.0], abs=TOL)


def test_word_level_removes_every_piece_of_a_word():
    model = BagOfPiecesClassifier({"over": [0, 1], "##rated": [0, 3], "good": [0, 2]})
    frame = infolib.faithfulness(
        model,
        ["overrated but good"],
        scores=[[3, 1, 2]],
        mode="eraser",
        thresholds=[0.3],
        metrics=["comprehensiveness"],
    )
    assert frame["value"].to_numpy() == pytest.approx([sig(6) - sig(2)], abs=TOL)


def test_mask_removal_and_ferrets_masked_sufficiency(bag):
    # k = 1 in both modes: int(0.4·3) (ferret), ⌈0.3·3⌉ (ERASER)
    kwargs = dict(scores=[[1, 2, 0]], removal="mask", metrics=["comprehensiveness", "sufficiency"])
    ferret = infolib.faithfulness(bag, ["a good film"], thresholds=[0.4], **kwargs)
    eraser = infolib.faithfulness(bag, ["a good film"], mode="eraser", thresholds=[0.3], **kwargs)
    masked_good = sig(2) - sig(0.5)  # "a [MASK] film"
    assert values(ferret, "comprehensiveness")[1] == pytest.approx([masked_good], abs=TOL)
    assert values(ferret, "sufficiency")[1] == pytest.approx([masked_good], abs=TOL)  # ferret masks the rationale
    assert values(eraser, "comprehensiveness")[1] == pytest.approx([masked_good], abs=TOL)
    assert values(eraser, "sufficiency")[1] == pytest.approx([sig(2) - sig(3)], abs=TOL)  # "[MASK] good [MASK]"


def test_tau_loo():
    model = BagOfPiecesClassifier({"good": [0, 3], "bad": [1, 0]})
    # full logits [1, 3]: drops are good σ(2)−σ(−1) > a 0 > bad σ(2)−σ(3)
    same = infolib.faithfulness(model, ["good bad a"], scores=[[3, 1, 2]], metrics=["tau_loo"])
    reverse = infolib.faithfulness(model, ["good bad a"], scores=[[1, 3, 2]], metrics=["tau_loo"])
    flat = infolib.faithfulness(model, ["good bad a"], scores=[[1, 1, 1]], metrics=["tau_loo"])
    assert same["value"].item() == pytest.approx(1.0) and reverse["value"].item() == pytest.approx(-1.0)
    assert math.isnan(flat["value"].item())


# -- normalised AOPC ----------------------------------------------------------------------------------
def _brute_force_naopc(weights: dict, words: list[str], order: list[int]) -> float:
    """Independent oracle: AOPC of every ordering from the logits by hand (sum of word weights)."""

    def p1(kept):
        a, b = np.sum([weights.get(w, [0, 0]) for w in kept] or [[0, 0]], axis=0)
        return sig(b - a)

    full = p1(words)
    n = len(words)

    def aopc(perm):
        return sum(full - p1([w for i, w in enumerate(words) if i not in perm[:k]]) for k in range(1, n))

    totals = [aopc(list(p)) for p in itertools.permutations(range(n))]
    return (aopc(order) - min(totals)) / (max(totals) - min(totals))


def test_normalised_aopc_exact_matches_enumerating_orderings_and_beam_matches_exact():
    weights = {"good": [0, 2.0], "bad": [1.5, 0], "fine": [0, 0.7], "dull": [0.4, 0]}
    model = BagOfPiecesClassifier(weights)
    words = ["good", "dull", "a", "bad", "fine"]
    scores = [0.3, 2.0, 0.1, 1.0, 0.5]
    frame = infolib.faithfulness(
        model, [" ".join(words)], scores=[scores], mode="eraser", metrics=["naopc_comprehensiveness"]
    )
    order = list(np.argsort(-np.array(scores), kind="stable"))
    assert frame["value"].item() == pytest.approx(_brute_force_naopc(weights, words, order), abs=1e-6)
    beam = infolib.faithfulness(
        model, [" ".join(words)], scores=[scores], metrics=["naopc_comprehensiveness"], exact_limit=0, beam_width=50
    )
    assert beam["value"].item() == pytest.approx(frame["value"].item(), abs=1e-9)
    narrow = infolib.faithfulness(
        model, [" ".join(words)], scores=[scores], metrics=["naopc_sufficiency"], exact_limit=0, beam_width=1
    )
    assert 0.0 <= narrow["value"].item() <= 1.0


def test_normalised_aopc_is_one_for_the_best_ordering(bag):
    frame = infolib.faithfulness(bag, ["good a a"], scores=[[3, 2, 1]], metrics=["naopc_comprehensiveness"])
    assert frame["value"].item() == pytest.approx(1.0)
    frame = infolib.faithfulness(bag, ["good a a"], scores=[[1, 2, 3]], metrics=["naopc_comprehensiveness"])
    assert frame["value"].item() == pytest.approx(0.0)


# -- score formats, layers, methods ---------------------------------------------------------------------
def test_token_unit_and_word_scores_agree():
    model = BagOfPiecesClassifier({"over": [0, 1], "##rated": [0, 3], "good": [0, 2]})
    sentence = ["overrated but good"]
    per_token = infolib.faithfulness(model, sentence, scores=[[7, 1, 2, 0.5, 2, 7]], mode="eraser")
    per_unit = infolib.faithfulness(model, sentence, scores=[[7, 3, 0.5, 2, 7]], mode="eraser")
    per_word = infolib.faithfulness(model, sentence, scores=[[3, 0.5, 2]], mode="eraser")
    for other in (per_unit, per_word):
        assert np.allclose(per_token["value"], other["value"], equal_nan=True)
    assert list(per_token.columns) == ["sentence_id", "sentence", "method", "layer", "metric", "threshold", "value"]


def test_scores_per_layer_and_a_registered_method(bag):
    frame = infolib.faithfulness(bag, ["a good film"], scores={"layer.0": [[1, 2, 0]], "layer.1": [[2, 1, 0]]})
    assert set(frame["layer"]) == {"layer.0", "layer.1"}
    by_method = infolib.faithfulness(bag, ["a good film", "bad film"], method="gradient_saliency", layers=["layer.1"])
    assert set(by_method["method"]) == {"gradient_saliency"} and set(by_method["sentence_id"]) == {0, 1}


def test_explaining_does_not_change_the_model(bag):
    before = bag.fingerprint()
    infolib.faithfulness(bag, ["a good film"], scores=[[1, 2, 0]], metrics=list(METRICS))
    assert bag.fingerprint() == before


# -- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "scores, message",
    [([[1, 2]], "have 2 values"), ([[1, float("nan"), 0]], "NaN or infinite"), ([[1, float("inf"), 0]], "NaN")],
)
def test_bad_scores(bag, scores, message):
    with pytest.raises(ValueError, match=message):
        infolib.faithfulness(bag, ["a good film"], scores=scores)


def test_scores_for_the_wrong_number_of_sentences(bag):
    with pytest.raises(ValueError, match="one array of scores per sentence"):
        infolib.faithfulness(bag, ["a good film", "bad"], scores=[[1, 2, 0]])


@pytest.mark.parametrize("sentence", ["", "   "])
def test_empty_sentence(bag, sentence):
    with pytest.raises(ValueError, match="sentence 0 is empty"):
        infolib.faithfulness(bag, [sentence], scores=[[]])


def test_one_word_sentence(bag):
    frame = infolib.faithfulness(bag, ["good"], scores=[[1.0]], metrics=list(METRICS))
    assert values(frame, "comprehensiveness")[1] == pytest.approx([sig(2) - 0.5], abs=TOL)  # only q = 1.0
    assert math.isnan(values(frame, "tau_loo")[1].item())
    assert math.isnan(values(frame, "naopc_comprehensiveness")[1].item())


@pytest.mark.parametrize("thresholds", [[0], [1.5], [-0.1], [], [0.5, 2]])
def test_thresholds_outside_0_1(bag, thresholds):
    with pytest.raises(ValueError, match="thresholds"):
        infolib.faithfulness(bag, ["a good film"], scores=[[1, 2, 0]], thresholds=thresholds)


def test_model_without_classifier():
    with pytest.raises(ValueError, match="no classifier"):
        infolib.faithfulness(ReluToyModel(), ["a b"], scores=[[1, 2]], mode="eraser")


def test_removing_every_word(bag):
    # With [CLS]/[SEP] the model still reads the specials: p(ŷ | [CLS] [SEP]).
    frame = infolib.faithfulness(bag, ["good bad good"], scores=[[1, 2, 3]], mode="eraser", thresholds=[1.0])
    assert values(frame, "comprehensiveness")[1] == pytest.approx([sig(2) - 0.5], abs=TOL)
    # A model without special tokens has nothing left to read.
    toy = LinearToyModel()
    with pytest.raises(ValueError, match="removing every word"):
        infolib.faithfulness(toy, ["a b"], scores=[[1, 2]], mode="eraser", thresholds=[1.0])


def test_bad_options(bag):
    one = dict(scores=[[1, 2, 0]])
    for kwargs, message in [
        ({"mode": "lime"}, "mode must be one of"),
        ({"removal": "zero"}, "removal must be one of"),
        ({"level": "char"}, "level must be one of"),
        ({"metrics": ["aopc"]}, "metrics must be"),
    ]:
        with pytest.raises(ValueError, match=message):
            infolib.faithfulness(bag, ["a good film"], **one, **kwargs)
    with pytest.raises(ValueError, match="either method"):
        infolib.faithfulness(bag, ["a good film"])
    with pytest.raises(ValueError, match="needs a Hugging Face tokenizer"):
        infolib.faithfulness(LinearToyModel(), ["a b"], scores=[[1, 2]])
    with pytest.raises(ValueError, match="no mask, pad or unknown"):
        infolib.faithfulness(LinearToyModel(), ["a b"], scores=[[1, 2]], mode="eraser", removal="mask")
    with pytest.raises(TypeError, match="list of strings"):
        infolib.faithfulness(bag, "a good film", **one)


def test_ferret_tau_loo_always_deletes():
    # [MASK] weighs +3 for class 0: masking a word would make every drop large; deleting does not.
    from infolib.analysis.faithfulness import aopc, removal

    model = BagOfPiecesClassifier({"good": [0, 3], "bad": [1, 0], "[MASK]": [3, 0]})
    (sentence,) = removal.prepare(model, ["good bad a"], "word")
    deleted = aopc.leave_one_out(model, sentence, "ferret", "delete", None)
    rows = aopc.sentence_rows(
        model,
        sentence,
        np.array([3.0, 1.0, 2.0]),
        mode="ferret",
        thresholds=[1.0],
        removal="mask",
        replacement=103,
        only_pos=True,
        metrics=["tau_loo"],
    )
    assert deleted[2] == pytest.approx(0.0, abs=TOL)  # deleting 'a' changes nothing
    assert rows[0]["value"] == pytest.approx(aopc.kendall_tau(deleted, np.array([3.0, 1.0, 2.0])))


def test_random_ranking_is_seeded(bag):
    kwargs = dict(method="random", layers=["layer.1"], mode="eraser", metrics=["aopc_comprehensiveness"])
    one = infolib.faithfulness(bag, ["good a b c d e f g"], random_state=1, **kwargs)
    two = infolib.faithfulness(bag, ["good a b c d e f g"], random_state=1, **kwargs)
    assert set(one["method"]) == {"random"} and one["value"].tolist() == two["value"].tolist()
