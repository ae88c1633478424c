"""Comprehensiveness, sufficiency and their AOPC over thresholds, in ERASER's and ferret's conventions; τ-LOO.

For one sentence with features (words or pieces) f_1 … f_n, scores e_1 … e_n and predicted class ŷ:

    comprehensiveness(r) = p(ŷ | x) − p(ŷ | x ∖ r)       (remove the rationale r)
    sufficiency(r)       = p(ŷ | x) − p(ŷ | r)           (keep only r)
    AOPC                 = the mean over thresholds q of the measure at r = the top-k(q) features

ERASER mode (DeYoung et al., 2020): thresholds 1, 5, 10, 20, 50 %; k = ⌈q·n⌉ (at least one
feature; the paper fixes the percentages, not the rounding); ties in the scores go to the earlier
feature; every threshold counts, even when two give the same k.

ferret mode (ferret-xai's AOPC_Comprehensiveness/Sufficiency_Evaluation and TauLOO_Evaluation),
reproduced quirk by quirk (ferret works on word pieces: pass level='token' for its numbers):

- thresholds 0.1, 0.2, … 1.0 as `np.arange(0.1, 1.1, 0.1)` gives them (0.30000000000000004 …);
- n counts the features without [CLS]/[SEP], whose scores are dropped; k = int(q·n), and a
  threshold with k = 0 is skipped;
- the top k are `argsort(scores)[-k:][::-1]`: among equal scores the *later* feature is taken first
  (a stable sort; NumPy's default sort is stable only below 17 elements, so ferret itself can differ
  on longer sentences with ties);
- only_pos (default True): features with score ≤ 0 are dropped *after* the top-k cut, so a
  threshold can remove fewer than k features, or none (an empty removal set is still evaluated);
- a removal set equal (as a set) to the previous evaluated one is skipped;
- the input is built by deleting the ids (or writing [MASK] over them), decoding to a string and
  tokenising that string again (`removal.ferret_text`);
- the AOPC is the mean over the distinct sets evaluated; with none, comprehensiveness is 0 and
  sufficiency is 1 (ferret's return values);
- sufficiency with removal='mask' masks the rationale itself, not the rest (ferret writes
  `sample[id_top] = mask_token_id` in both evaluators), so it equals comprehensiveness there;
- τ-LOO is scipy's Kendall τ-b between the leave-one-out drops p(ŷ|x) − p(ŷ|x ∖ f_i) and the raw
  scores (not only_pos); the features are always deleted, also with removal='mask'; NaN when
  either is constant or n = 1.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .removal import Prepared, ferret_text, probabilities, removed_ids, text_probabilities

MODES = ("ferret", "eraser")
ERASER_THRESHOLDS = (0.01, 0.05, 0.1, 0.2, 0.5)


def default_thresholds(mode: str) -> tuple[float, ...]:
    if mode == "ferret":
        return tuple(float(q) for q in np.arange(0.1, 1.1, 0.1))
    return ERASER_THRESHOLDS


def check_thresholds(thresholds) -> tuple[float, ...]:
    values = tuple(thresholds)
    if not values:
        raise ValueError("thresholds is empty: give fractions in (0, 1], e.g. (0.1, 0.2, 0.5).")
    for q in values:
        if isinstance(q, bool) or not isinstance(q, (int, float, np.floating, np.integer)) or not 0 < q <= 1:
            raise ValueError(f"thresholds must be fractions of the words in (0, 1], got {q!r}.")
    return tuple(float(q) for q in values)


def ranking(scores: np.ndarray, mode: str) -> list[int]:
    """Feature indices, most important first, with the mode's tie rule (module docstring)."""
    if mode == "ferret":
        return [int(i) for i in np.argsort(scores, kind="stable")[::-1]]
    return [int(i) for i in np.argsort(-scores, kind="stable")]


def k_of(q: float, n: int, mode: str) -> int:
    if mode == "ferret":
        return int(q * n)
    return min(n, max(1, math.ceil(q * n - 1e-9)))


def removal_sets(
    scores: np.ndarray, thresholds: Sequence[float], mode: str, only_pos: bool
) -> list[tuple[float, list[int]]]:
    """(threshold, top-k feature indices) for each threshold evaluated, in the mode's rules."""
    n = len(scores)
    order = ranking(scores, mode)
    sets, previous = [], None
    for q in thresholds:
        k = k_of(q, n, mode)
        if mode == "ferret":
            if k == 0:
                continue
            top = order[:k]
            if only_pos:
                top = [i for i in top if scores[i] > 0]
            if previous is not None and set(top) == previous:
                continue
            previous = set(top)
        else:
            top = order[:k]
        sets.append((q, top))
    return sets


def curve(
    model, sentence: Prepared, sets: Sequence[Sequence[int]], mode: str, removal: str, replacement, measure: str
) -> np.ndarray:
    """[sets] p(ŷ|x) − p(ŷ|·) for each removal set, comprehensiveness or sufficiency."""
    if not sets:
        return np.zeros(0)
    if mode == "ferret":
        if measure == "comprehensiveness":
            texts = [ferret_text(model, sentence, s, removal) for s in sets]
        else:
            texts = [ferret_text(model, sentence, sorted(s), removal, keep=True) for s in sets]
        p = text_probabilities(model, texts)[:, sentence.target]
    else:
        everything = range(sentence.n)
        rows = []
        for s in sets:
            gone = s if measure == "comprehensiveness" else [f for f in everything if f not in set(s)]
            rows.append(removed_ids(sentence, gone, removal, replacement))
        p = probabilities(model, rows)[:, sentence.target]
    return sentence.p_full - p


def leave_one_out(model, sentence: Prepared, mode: str, removal: str, replacement) -> np.ndarray:
    """[n] p(ŷ|x) − p(ŷ|x ∖ f_i) for each feature."""
    return curve(model, sentence, [[i] for i in range(sentence.n)], mode, removal, replacement, "comprehensiveness")


def kendall_tau(a: np.ndarray, b: np.ndarray) -> float:
    """scipy's Kendall τ-b; NaN for fewer than two values or a constant input (no ranking to compare)."""
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan")
    from scipy.stats import kendalltau  # lazy: start-up cost (scipy.stats, ~4 s to import)

    return float(kendalltau(a, b)[0])


def sentence_rows(
    model, sentence: Prepared, scores: np.ndarray, *, mode, thresholds, removal, replacement, only_pos, metrics
) -> list[dict]:
    """The metric rows (metric, threshold, value) of one sentence's scores."""
    rows = []
    sets = removal_sets(scores, thresholds, mode, only_pos)
    for measure in ("comprehensiveness", "sufficiency"):
        if measure not in metrics and f"aopc_{measure}" not in metrics:
            continue
        values = curve(model, sentence, [s for _, s in sets], mode, removal, replacement, measure)
        if measure in metrics:
            rows += [{"metric": measure, "threshold": q, "value": float(v)} for (q, _), v in zip(sets, values)]
        if f"aopc_{measure}" in metrics:
            if len(values):
                aopc = float(np.mean(values))
            else:  # ferret's values when no threshold leaves a set to remove
                aopc = 0.0 if measure == "comprehensiveness" else 1.0
            rows.append({"metric": f"aopc_{measure}", "threshold": float("nan"), "value": aopc})
    if "tau_loo" in metrics:
        # ferret's leave-one-out always deletes (`sample.pop(occ_idx)`), whatever the removal
        drops = leave_one_out(model, sentence, mode, "delete" if mode == "ferret" else removal, replacement)
        rows.append({"metric": "tau_loo", "threshold": float("nan"), "value": kendall_tau(drops, scores)})
    return rows
