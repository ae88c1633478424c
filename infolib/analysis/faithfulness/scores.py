"""Word scores for faithfulness: a method's importance through the result store, or the user's own."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .removal import Prepared
from ..runs import explain_methods


def feature_scores(model, sentence: Prepared, raw, level: str, layer: str = "") -> np.ndarray:
    """[features] one score per word (or piece) from per-token, per-unit or per-word scores.

    Per-token scores of the specials are dropped; at word level, the scores of a word's pieces are
    summed. Per-unit scores at token level give each piece its word's score.
    """
    where = f"scores{f'[{layer!r}]' if layer else ''} of sentence {sentence.index}"
    try:
        values = np.asarray(raw, dtype=float).reshape(-1)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where} are not numbers ({error}).") from None
    if not np.isfinite(values).all():
        raise ValueError(f"{where} contain NaN or infinite values; every score must be finite.")
    n_tokens, n_units = len(sentence.ids), len(sentence.units)
    n_words = len({sentence.unit_of_token[t] for t in range(n_tokens) if not sentence.special[t]})
    if len(values) == n_tokens:
        per_token = values
    elif len(values) in (n_units, n_words):
        special_units = {sentence.unit_of_token[t] for t in range(n_tokens) if sentence.special[t]}
        if len(values) == n_words:  # one per word: spread over the units, specials get 0
            words = [u for u in range(n_units) if u not in special_units]
            per_unit = np.zeros(n_units)
            per_unit[words] = values
        else:
            per_unit = values
        if level == "word":
            return np.array([per_unit[sentence.unit_of_token[f[0]]] for f in sentence.features])
        per_token = np.array([per_unit[u] for u in sentence.unit_of_token])
    else:
        raise ValueError(
            f"{where} have {len(values)} values; expected {n_tokens} (one per token, specials included), "
            f"{n_units} (one per unit: {' '.join(sentence.units)}) or {n_words} (one per word)."
        )
    return np.array([float(per_token[list(f)].sum()) for f in sentence.features])


def method_scores(model, sentences: Sequence[str], method: str, layers) -> dict[str, list[np.ndarray]]:
    """The seam to the method registry: {layer: per sentence [units] importance ≥ 0}.

    'information': the information kept, −log(σ/scale); a baseline: |score|; both through the
    result cache (`analysis.runs.explain_methods`), so scores computed by notebooks 02/04 are reused.
    """

    names = model.resolve_layers(layers)
    frame = explain_methods(model, list(sentences), names, [method])
    out = {}
    for layer in names:
        rows = frame[frame["layer"] == layer].sort_values(["sentence_id", "word_id"])
        out[layer] = [group["importance"].to_numpy() for _, group in rows.groupby("sentence_id", sort=True)]
    return out
