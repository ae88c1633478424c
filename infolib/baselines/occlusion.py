"""Occlusion: how much the whole hidden state changes when a word is replaced by a neutral input.

    score_i = sqrt( (1/M) Σ_m ((s_m(x^(i←b)) − s_m(x)) / σ_S,m)² )

x^(i←b) is the clean `embed` with every piece of word i replaced by the baseline b (zero, or the
embedding module's output for [MASK] / [PAD] at those positions), s the hidden state, M its number
of real elements (real tokens × D, or D): the root-mean-square change of the normalised state, the
same normalisation as the estimator's reconstruction error. ≥ 0, larger = more important (unlike σ).

Word level occludes all the word's pieces at once (not an aggregate of piece scores). Written
here rather than with Captum's `Occlusion`/`FeatureAblation` because those attribute one scalar
per forward pass; this way one forward pass of each perturbed sentence serves every layer.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.inputs import Batch
from ._method import Scores, attribution_method
from ..core.validation import COUNT, validate_params
from .inputs import neutral_embed

MEANING = (
    "RMS over the hidden state's elements of the change of s/σ_S when the word's embedding is "
    "replaced by the baseline; ≥ 0, larger = more important (unlike σ)."
)
AGGREGATION = "all the word's pieces occluded together"


@attribution_method("occlusion", MEANING, AGGREGATION)
@validate_params({"max_rows": [COUNT]})
def occlusion(batch: Batch, *, baseline: str | Tensor = "zero", max_rows: int = 128) -> Scores:
    """RMS normalised change of each hidden state when each word is occluded.

    Args:
        model, sentences, layers, level, sigma_s, truncate: as `gradient_saliency`.
        baseline: 'zero', 'mask' / 'pad' (embedding of [MASK] / [PAD] at the word's positions),
            or a tensor broadcastable to embed [batch, tokens, K].
        max_rows: perturbed sentences per forward pass.
    Returns:
        Attribution with scores ≥ 0 [n_words] per (sentence, layer).
    """
    model = batch.model
    with torch.no_grad():
        base = neutral_embed(model, batch.encoding, batch.embed, baseline)
        # One perturbed row per (sentence, word), shortest sentences first: a pass is padded to its longest row.
        jobs = [(b, u) for b in range(len(batch.sentences)) for u in range(batch.n_units(b))]
        jobs.sort(key=lambda job: (batch.lengths[job[0]], job))
        squared = {name: [torch.zeros(batch.n_units(b)) for b in range(len(batch.sentences))] for name in batch.names}
        for start in range(0, len(jobs), max_rows):
            part = jobs[start : start + max_rows]
            rows = torch.tensor([b for b, _ in part])
            width = max(batch.lengths[b] for b, _ in part)
            x = batch.embed[rows, :width].clone()
            for r, (b, u) in enumerate(part):
                tokens = (batch.units[b] == u).nonzero().squeeze(1)
                x[r, tokens] = base[b, tokens]
            states = model.states(x, batch.mask[rows, :width], batch.names)
            for name in batch.names:
                change = batch.change(name, states[name], rows).cpu()  # [rows] mean ((s − s_clean)/σ_S)²
                for r, (b, u) in enumerate(part):
                    squared[name][b][u] = change[r]
        scores = {(b, name): squared[name][b].sqrt() for name in batch.names for b in range(len(batch.sentences))}
    return Scores(scores, {"baseline": baseline if isinstance(baseline, str) else "tensor"})
