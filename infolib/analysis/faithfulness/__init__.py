"""Faithfulness of word scores: remove the words a method ranks highest and measure what the model loses.

`faithfulness(model, sentences, method=... | scores=...)` gives a tidy table of comprehensiveness,
sufficiency, their AOPC over thresholds (ERASER's or ferret's conventions, `aopc`), τ-LOO and the
normalised AOPC of Edin et al. (2025, `bounds`), by deletion or [MASK] (`removal`), at word or token
level. `layer_faithfulness` ranks the words by each hidden state's scores and measures the output's
and the state's own degradation (`layers`); `claims` adds the claims-table rows (9, 10).
docs/faithfulness.md lists every convention and every ferret quirk reproduced.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .aopc import MODES, check_thresholds, default_thresholds, ranking, sentence_rows
from .bounds import normalised_aopc
from .claims import layer_summary
from .layers import layer_faithfulness
from .scores import feature_scores, method_scores
from .removal import (
    LEVELS,
    REMOVALS,
    Prepared,
    check_choice,
    check_classifier,
    check_ferret_tokenizer,
    prepare,
    probabilities,
    removed_ids,
    replacement_id,
)
from ...api import resolve_model

METRICS = (
    "comprehensiveness",
    "sufficiency",
    "aopc_comprehensiveness",
    "aopc_sufficiency",
    "tau_loo",
    "naopc_comprehensiveness",
    "naopc_sufficiency",
)
DEFAULT_METRICS = METRICS[:5]  # normalised AOPC costs up to 2^n forward passes per sentence: ask for it
COLUMNS = ["sentence_id", "sentence", "method", "layer", "metric", "threshold", "value"]

__all__ = [
    "faithfulness",
    "layer_faithfulness",
    "layer_summary",
    "METRICS",
    "DEFAULT_METRICS",
    "MODES",
    "REMOVALS",
    "LEVELS",
]


def faithfulness(
    model,
    sentences: Sequence[str],
    *,
    method: str | None = None,
    scores=None,
    layers="all",
    metrics: Sequence[str] = DEFAULT_METRICS,
    mode: str = "ferret",
    removal: str = "delete",
    level: str = "word",
    thresholds: Sequence[float] | None = None,
    only_pos: bool = True,
    exact_limit: int = 10,
    beam_width: int = 5,
    random_state: int = 0,
) -> pd.DataFrame:
    """Comprehensiveness, sufficiency, AOPC, τ-LOO and normalised AOPC of word scores, for the predicted class.

    Args:
        model: a HookedModel with a classifier ('logits'), or a registry name ('bert-sst2').
        sentences: [n] sentences (words separated by spaces); none may be empty.
        method: a method name ('information', 'gradient_saliency', ...): its scores at each of
            `layers` are computed (or read from the result cache). Importance is the information
            kept, −log(σ/scale), for 'information' and |score| for the baselines. 'random' ranks
            the words by a permutation seeded with `random_state` (the floor).
        scores: instead of `method`, per sentence one score per token including the specials (as
            ferret takes them), one per unit ([CLS], words, [SEP]), or one per word; larger = more
            important. A dict {layer: such a list} gives scores per hidden state.
        layers: hidden states whose scores are ranked (with `method`); 'all' = layer.1 … layer.L.
        metrics: any of `METRICS` (default: all but the normalised AOPC, which costs up to 2^n
            forward passes per sentence).
        mode: 'ferret' (thresholds 10 … 100 %, ferret's quirks) or 'eraser' (1, 5, 10, 20, 50 %).
        removal: 'delete' the removed pieces, or 'mask' them (the [MASK] token, else pad, else unknown).
        level: 'word' (all pieces of a word removed together) or 'token' (pieces one by one).
        thresholds: fractions in (0, 1] of the words removed (default: the mode's).
        only_pos: ferret mode: drop features with score ≤ 0 after the top-k cut (ferret's default).
        exact_limit, beam_width: normalised AOPC bounds are exact up to `exact_limit` features,
            beam search of width `beam_width` beyond.
        random_state: seed of method='random'.
    Returns:
        DataFrame with columns sentence_id, sentence, method, layer, metric, threshold (NaN where
        it does not apply), value. Higher is more faithful for comprehensiveness, τ-LOO and both
        normalised AOPCs; lower is more faithful for sufficiency.
    Raises:
        ValueError: a model without a classifier, an empty sentence, scores of the wrong length or
            not finite, thresholds outside (0, 1], unknown mode/removal/level/metric.
    """

    model = resolve_model(model)
    check_classifier(model)
    check_choice(mode, MODES, "mode")
    check_choice(removal, REMOVALS, "removal")
    check_choice(level, LEVELS, "level")
    unknown = [m for m in ([metrics] if isinstance(metrics, str) else metrics) if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics must be a non-empty list of {', '.join(METRICS)}; got {metrics!r}.")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    thresholds = check_thresholds(default_thresholds(mode) if thresholds is None else thresholds)
    if (method is None) == (scores is None):
        raise ValueError("give either method= (a method name) or scores= (your own word scores), not both or neither.")
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of strings; wrap a single sentence in a list.")
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences is empty.")
    if mode == "ferret":
        check_ferret_tokenizer(model, removal)
    replacement = replacement_id(model) if removal == "mask" else None
    prepared = prepare(model, sentences, level)

    if scores is not None:
        per_layer = scores if isinstance(scores, dict) else {"": scores}
        label = "scores"
    else:
        label = method
        if method == "random":  # the floor: a seeded random ranking per sentence, the same at every layer
            rng = np.random.default_rng(random_state)
            shuffled = [rng.permutation(len(s.units)).astype(float) for s in prepared]
            per_layer = {layer: shuffled for layer in model.resolve_layers(layers)}
        else:
            per_layer = method_scores(model, sentences, method, layers)
    table = []
    for layer, layer_scores in per_layer.items():
        if len(layer_scores) != len(sentences):
            raise ValueError(
                f"scores{f'[{layer!r}]' if layer else ''} has {len(layer_scores)} entries for {len(sentences)} "
                "sentences: give one array of scores per sentence."
            )
        for sentence, raw in zip(prepared, layer_scores):
            values = feature_scores(model, sentence, raw, level, layer)
            rows = sentence_rows(
                model,
                sentence,
                values,
                mode=mode,
                thresholds=thresholds,
                removal=removal,
                replacement=replacement,
                only_pos=only_pos,
                metrics=metrics,
            )
            rows += _normalised_rows(model, sentence, values, metrics, removal, replacement, exact_limit, beam_width)
            table += [
                {
                    "sentence_id": sentence.index,
                    "sentence": sentences[sentence.index],
                    "method": label,
                    "layer": layer,
                    **r,
                }
                for r in rows
            ]
    return pd.DataFrame(table, columns=COLUMNS)


def _normalised_rows(model, sentence, values, metrics, removal, replacement, exact_limit, beam_width) -> list[dict]:
    rows = []
    for measure in ("comprehensiveness", "sufficiency"):
        if f"naopc_{measure}" not in metrics:
            continue

        def drops(sets, measure=measure):
            everything = range(sentence.n)
            inputs = []
            for s in sets:
                gone = s if measure == "comprehensiveness" else [f for f in everything if f not in set(s)]
                inputs.append(removed_ids(sentence, gone, removal, replacement))
            return sentence.p_full - probabilities(model, inputs)[:, sentence.target]

        value = normalised_aopc(
            sentence.n,
            drops,
            ranking(values, "eraser"),
            measure,
            exact_limit=exact_limit,
            beam_width=beam_width,
        )
        rows.append({"metric": f"naopc_{measure}", "threshold": float("nan"), "value": value})
    return rows
