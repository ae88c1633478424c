"""Faithfulness per hidden state: does the model, and does layer l itself, depend on the words l ranks highest?

For each hidden state l, the words are ranked by a method's scores *at l* (ERASER's tie rule:
the earlier word first), and for each threshold q (ERASER's 1, 5, 10, 20, 50 %), with k = ⌈q·n⌉:

- `output_aopc`: the output's degradation, mean over q of p(ŷ|x) − p(ŷ|x ∖ top-k);
- `state_degradation`: the state's own, mean over q of d_l(top-k) − d_l(bottom-k), where
  d_l(S) = ‖s_l(x)[K] − s_l(x ∖ S)[K]‖_F / ‖s_l(x)[K]‖_F is the relative change of the state at
  the tokens K that were not removed (specials included; the whole vector for `pooled`).
  Positive: layer l changes more when the words it ranks high go than when those it ranks low go.
  NaN when the state is zero at the kept tokens (no relative change is defined).

The 'random' method ranks the words by a seeded random permutation per sentence (the same at
every layer): the floor any method should beat.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from ...api import resolve_model
from .aopc import ERASER_THRESHOLDS, check_thresholds, k_of, ranking
from .removal import BATCH, LEVELS, REMOVALS, check_choice, check_classifier, prepare, replacement_id, run_rows
from .scores import feature_scores

RANDOM = "random"
LAYER_METRICS = ("output_aopc", "state_degradation")


def scores_from_frame(frame: pd.DataFrame) -> dict[str, dict[str, list[np.ndarray]]]:
    """{method: {layer: per sentence [units] importance}} from an `explain_methods` table of one model.

    Sentences are in sentence_id order; each array follows word_id ([CLS], words, [SEP]).
    """
    missing = {"method", "layer", "sentence_id", "word_id", "importance"} - set(frame.columns)
    if missing:
        raise ValueError(f"the scores table lacks {', '.join(sorted(missing))}: pass an `explain_methods` table.")
    if "model" in frame and frame["model"].nunique() > 1:
        raise ValueError("the scores table holds several models: pass one model's rows.")
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for (method, layer), rows in frame.sort_values(["sentence_id", "word_id"]).groupby(["method", "layer"], sort=False):
        out.setdefault(method, {})[layer] = [g["importance"].to_numpy(float) for _, g in rows.groupby("sentence_id")]
    return out


def layer_faithfulness(
    model,
    frame: pd.DataFrame,
    *,
    thresholds: Sequence[float] = ERASER_THRESHOLDS,
    removal: str = "delete",
    level: str = "word",
    random_state: int = 0,
) -> pd.DataFrame:
    """Output and state degradation per (sentence, method, hidden state), with a random ranking as the floor.

    Args:
        model: the HookedModel (with a classifier) the scores explain.
        frame: its `analysis.explain_methods` table (columns sentence_id, sentence, method, layer,
            word_id, importance), any methods and hidden states.
        thresholds: fractions in (0, 1]; removal: 'delete' or 'mask'; level: 'word' or 'token'.
        random_state: seed of the random ranking.
    Returns:
        DataFrame: model, sentence_id, method, layer, metric ('output_aopc', 'state_degradation'), value.
    """
    model = resolve_model(model)
    check_classifier(model)
    check_choice(removal, REMOVALS, "removal")
    check_choice(level, LEVELS, "level")
    thresholds = check_thresholds(thresholds)
    scores = scores_from_frame(frame)
    sentences = frame.sort_values("sentence_id").drop_duplicates("sentence_id")["sentence"].tolist()
    layers = sorted({layer for by_layer in scores.values() for layer in by_layer}, key=model.hidden_states.index)
    prepared = prepare(model, sentences, level)
    rng = np.random.default_rng(random_state)
    shuffled = [rng.permutation(s.n).astype(float) for s in prepared]

    plans = []  # (sentence, method, layer, [(top, bottom) per threshold])
    for method, by_layer in list(scores.items()) + [(RANDOM, {layer: None for layer in layers})]:
        for layer, per_sentence in by_layer.items():
            for s in prepared:
                if per_sentence is None:
                    values = shuffled[s.index]
                else:
                    values = feature_scores(model, s, per_sentence[s.index], level, layer)
                order = ranking(values, "eraser")
                pairs = []
                for q in thresholds:
                    k = k_of(q, s.n, "eraser")
                    pairs.append((frozenset(order[:k]), frozenset(order[s.n - k :])))
                plans.append((s, method, layer, pairs))
    wanted = {(s.index, S) for s, _, _, pairs in plans for pair in pairs for S in pair}
    # rows of similar length share a batch (little padding); the order is deterministic
    size = {
        r: len(prepared[r[0]].ids) - (removal == "delete") * sum(len(prepared[r[0]].features[f]) for f in r[1])
        for r in wanted
    }
    requests = sorted(wanted, key=lambda r: (size[r], r[0], sorted(r[1])))
    results = _evaluate(model, prepared, requests, layers, removal)
    rows = []
    for s, method, layer, pairs in plans:
        output = np.mean([s.p_full - results[s.index, top][0] for top, _ in pairs])
        state = np.mean([results[s.index, top][1][layer] - results[s.index, bottom][1][layer] for top, bottom in pairs])
        for metric, value in (("output_aopc", output), ("state_degradation", state)):
            rows.append(
                {
                    "model": model.name,
                    "sentence_id": s.index,
                    "method": method,
                    "layer": layer,
                    "metric": metric,
                    "value": float(value),
                }
            )
    return pd.DataFrame(rows, columns=["model", "sentence_id", "method", "layer", "metric", "value"])


def _evaluate(model, prepared, requests, layers: list[str], removal: str) -> dict:
    """(sentence, removed set) -> (p(ŷ), {layer: d_l}) for every request, in batched forward passes."""
    replacement = replacement_id(model) if removal == "mask" else None
    clean = {}
    for start in range(0, len(prepared), BATCH):
        chunk = prepared[start : start + BATCH]
        states = run_rows(model, [list(s.ids) for s in chunk], layers)
        for b, s in enumerate(chunk):
            clean[s.index] = {layer: states[layer][b] for layer in layers}
    out = {}
    for start in range(0, len(requests), BATCH):
        chunk = requests[start : start + BATCH]
        inputs, kept = [], []
        for i, removed in chunk:
            s = prepared[i]
            gone = {t for f in removed for t in s.features[f]}
            positions = [t for t in range(len(s.ids)) if t not in gone]
            if removal == "delete":
                inputs.append([s.ids[t] for t in positions])
                kept.append((positions, list(range(len(positions)))))
            else:
                inputs.append([replacement if t in gone else s.ids[t] for t in range(len(s.ids))])
                kept.append((positions, positions))
        states = run_rows(model, inputs, layers + ["logits"])
        probs = torch.softmax(states["logits"].double(), -1).numpy()
        for b, (i, removed) in enumerate(chunk):
            s, (before, after) = prepared[i], kept[b]
            change = {}
            for layer in layers:
                reference, state = clean[i][layer], states[layer][b]
                if model.is_token_level(layer):
                    reference, state = reference[before], state[after]
                norm = float(torch.linalg.norm(reference))
                change[layer] = float(torch.linalg.norm(state - reference)) / norm if norm > 0 else math.nan
            out[i, removed] = (float(probs[b, s.target]), change)
    return out
