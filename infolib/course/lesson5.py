"""Lesson 5, is it faithful? Delete the words a method ranks highest and watch the prediction.

The checks compare with infolib's faithfulness metrics (`infolib.analysis.faithfulness`, ERASER mode,
word level, words deleted): `aopc.ranking` and `aopc.k_of` for the rationale, and the prediction of
`infolib.interactive.prediction.predict` on the sentence without it.
"""

from __future__ import annotations

import math

import numpy as np

from .exercise import Exercise, Mistake, call, close, number

# -- reference solutions (the notebook's solution cells hold exactly this code) --------------------


def top_k(scores, q):
    """ERASER's rationale: the indices of the ⌈q·n⌉ highest scores (at least one), ties to the earlier word."""
    scores = np.asarray(scores, dtype=float)
    k = max(1, math.ceil(q * len(scores)))  # ERASER rounds up: 1 % of 10 words is 1 word, not 0
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))  # highest first, earlier word on a tie
    return order[:k]


def comprehensiveness(model, words, scores, q):
    """p(ŷ | x) − p(ŷ | x without its top-k words), ŷ the class predicted for the whole sentence."""
    from infolib.interactive.prediction import predict

    full = predict(model, " ".join(words))
    label = full.labels.index(full.label)
    removed = set(top_k(scores, q))
    rest = predict(model, " ".join(w for i, w in enumerate(words) if i not in removed))
    return full.probabilities[label] - rest.probabilities[label]


def aopc(model, words, scores, thresholds=(0.1, 0.2, 0.3, 0.5)):
    """The area over the perturbation curve: comprehensiveness averaged over the thresholds."""
    return float(np.mean([comprehensiveness(model, words, scores, q) for q in thresholds]))


# -- checks ---------------------------------------------------------------------------------------

SCORES = [0.1, 0.9, 0.3, 0.9, -0.2, 0.5, 0.0, 0.2, 0.7, 0.4]  # a tie at the top (words 1 and 3)
THRESHOLDS = (0.01, 0.1, 0.25, 0.3, 0.5, 1.0)

# Sentences with word scores (one per word, larger = more important, no ties) for the model checks.
CASES = [
    ("the film is a charming and often affecting journey".split(), [0.1, 0.3, 0.0, 0.05, 0.9, 0.2, 0.15, 0.8, 0.4]),
    ("a dull and lifeless movie".split(), [0.0, 0.9, 0.1, 0.7, 0.3]),
    ("it is not a good film".split(), [0.1, 0.2, 0.8, 0.0, 0.9, 0.3]),
]


def _eraser(scores, q) -> list[int]:
    from ..analysis.faithfulness.aopc import k_of, ranking

    scores = np.asarray(scores, dtype=float)
    return ranking(scores, "eraser")[: k_of(q, len(scores), "eraser")]


def _indices(got, name: str) -> list[int]:
    if not isinstance(got, (list, tuple, np.ndarray)):
        raise Mistake(f"{name} returned a {type(got).__name__}; return a list of word indices.")
    got = list(np.asarray(got).tolist())
    if any(isinstance(i, float) and not float(i).is_integer() for i in got):
        raise Mistake(f"{name} must return the words' positions (whole numbers), not their scores.")
    return [int(i) for i in got]


def _check_top_k(answer, **context) -> str:
    scores = np.asarray(SCORES)
    n = len(scores)
    for q in THRESHOLDS:
        got = _indices(call(answer, "top_k", list(SCORES), q), "top_k")
        expected = _eraser(SCORES, q)
        if got == expected:
            continue
        k = len(expected)
        if set(got) == set(expected):
            raise Mistake(
                f"at q = {q} you return the right words in another order: list them highest score first, "
                f"and the earlier word first on a tie."
            )
        lowest = sorted(range(n), key=lambda i: (scores[i], i))[:k]
        if sorted(got) == sorted(lowest):
            raise Mistake("those are the lowest-scored words: the rationale is the k highest (sort descending).")
        if len(got) == int(q * n) != k:
            raise Mistake(f"at q = {q} you take {len(got)} words: ERASER rounds up, k = ⌈q·n⌉, and at least 1.")
        later_first = [int(i) for i in np.argsort(scores, kind="stable")[::-1][:k]]
        if got == later_first:
            raise Mistake("on a tie (words 1 and 3 both score 0.9) ERASER takes the earlier word first.")
        raise Mistake(f"at q = {q} you return {got}; the rationale is {expected} (k = {k}).")
    return "your rationale is ERASER's: ⌈q·n⌉ words, highest first, ties to the earlier word."


def _model(context):
    from ..core.hooks import HookedModel
    from ..interactive.prediction import predict

    model = context.get("model")
    if not isinstance(model, HookedModel) or predict(model, "a") is None:
        raise TypeError("this check needs a classifier: call check(your_function, model=model).")
    return model


def _probability_after(model, words, keep, label):
    from ..interactive.prediction import predict

    return predict(model, " ".join(w for i, w in enumerate(words) if i in keep)).probabilities[label]


def _check_comprehensiveness(answer, **context) -> str:
    from ..interactive.prediction import predict

    model = _model(context)
    for words, scores in CASES:
        full = predict(model, " ".join(words))
        label = full.labels.index(full.label)
        for q in (0.2, 0.5):
            got = number(call(answer, "comprehensiveness", model, list(words), list(scores), q), "comprehensiveness")
            expected = comprehensiveness(model, words, scores, q)
            if close(got, expected, rtol=1e-4, atol=1e-6):
                continue
            top = set(_eraser(scores, q))
            everything = set(range(len(words)))
            bottom = set(sorted(everything, key=lambda i: (scores[i], i))[: len(top)])
            p_full = full.probabilities[label]
            rest_label = predict(model, " ".join(w for i, w in enumerate(words) if i not in top)).label
            other = full.labels.index(rest_label)
            candidates = {
                "the sign is reversed: it is p(ŷ | x) − p(ŷ | x without the rationale), positive when "
                "the removed words mattered": -expected,
                "you kept only the top words: that is sufficiency; comprehensiveness deletes them and keeps "
                "the rest": p_full - _probability_after(model, words, top, label),
                "you deleted the lowest-scored words: delete the top-k (the rationale)": p_full
                - _probability_after(model, words, everything - bottom, label),
                "ŷ is the class predicted for the whole sentence, not for the sentence without the rationale": (
                    full.probabilities[other] - _probability_after(model, words, everything - top, other)
                ),
            }
            if "positive" in full.labels and full.label != "positive":
                positive = full.labels.index("positive")
                message = "use the predicted class ŷ (here not 'positive'), not always P(positive)"
                candidates[message] = full.probabilities[positive] - _probability_after(
                    model, words, everything - top, positive
                )
            for message, wrong in candidates.items():
                if close(got, wrong, rtol=1e-4, atol=1e-6) and not close(wrong, expected, rtol=1e-4, atol=1e-6):
                    raise Mistake(f"for '{' '.join(words)}' at q = {q}: {message}.")
            raise Mistake(
                f"for '{' '.join(words)}' at q = {q} you return {got:.4f}; deleting its top words moves "
                f"p(ŷ) by {expected:.4f}."
            )
    return "your comprehensiveness matches infolib's (ERASER, words deleted) on three sentences."


def _check_aopc(answer, **context) -> str:
    model = _model(context)
    thresholds = (0.2, 0.5)  # not the default ones: the answer must use what it is given
    for words, scores in CASES:
        got = number(call(answer, "aopc", model, list(words), list(scores), thresholds), "aopc")
        per_q = [comprehensiveness(model, words, scores, q) for q in thresholds]
        expected = float(np.mean(per_q))
        if close(got, expected, rtol=1e-4, atol=1e-6):
            continue
        if close(got, sum(per_q), rtol=1e-4, atol=1e-6):
            raise Mistake("that is the sum over the thresholds: AOPC is their mean.")
        if close(got, per_q[-1], rtol=1e-4, atol=1e-6) or close(got, per_q[0], rtol=1e-4, atol=1e-6):
            raise Mistake("that is one threshold's comprehensiveness: average it over every threshold given.")
        default = float(np.mean([comprehensiveness(model, words, scores, q) for q in (0.1, 0.2, 0.3, 0.5)]))
        if close(got, default, rtol=1e-4, atol=1e-6):
            raise Mistake("use the thresholds passed in, not your default ones.")
        raise Mistake(f"for '{' '.join(words)}' you return {got:.4f}; the AOPC is {expected:.4f}.")
    return "your AOPC is the mean comprehensiveness over the thresholds, as ERASER's."


EXERCISES = {
    "top_k": Exercise(
        "5.1",
        "the rationale: the top-k words",
        difficulty=2,
        importance=4,
        minutes=8,
        checker=_check_top_k,
        reference=top_k,
        hints=(
            "k = ⌈q·n⌉, at least 1; sort the positions by score, highest first, the earlier word first on a tie.",
            "k = max(1, math.ceil(q * n)); then sorted(range(n), key=lambda i: (-scores[i], i))[:k].",
        ),
    ),
    "comprehensiveness": Exercise(
        "5.2",
        "delete the rationale, measure the drop",
        difficulty=2,
        importance=5,
        minutes=10,
        checker=_check_comprehensiveness,
        reference=comprehensiveness,
        hints=(
            "predict(model, sentence) gives .label, .labels and .probabilities; ŷ is the label for the whole sentence.",
            "Join the words whose positions are not in top_k(scores, q), predict that sentence, and subtract its "
            "p(ŷ) from the whole sentence's.",
        ),
    ),
    "aopc": Exercise(
        "5.3",
        "the area over the perturbation curve",
        difficulty=1,
        importance=3,
        minutes=5,
        checker=_check_aopc,
        reference=aopc,
        hints=(
            "Call your comprehensiveness once per threshold.",
            "Return the mean of those values (a float).",
        ),
    ),
}
