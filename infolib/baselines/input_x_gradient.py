"""Gradient × input (Captum's `InputXGradient`) of the projection of a whole hidden state.

    score_i = Σ_{t ∈ word i} Σ_k x_{t,k} · ∂f/∂x_{t,k},     f(x) = ⟨u, s(x)/σ_S⟩

with u a fixed random unit direction per (sentence, hidden state) (see `scalar.py`). Signed: the
sign says whether word i pushes s along u or against it; |score| larger = more important (unlike
σ). For a linear Φ the scores sum to f(x) − f(0). Word level: the signed sum over the word's
pieces and K dims (the first-order contribution of the whole word).
"""

from __future__ import annotations

from ..core.inputs import Batch
from ._method import Scores, attribution_method
from .inputs import check_random_state
from .scalar import HiddenStateScalar

MEANING = (
    "Σ x·∂f/∂x over the word's pieces, f = ⟨u, s/σ_S⟩ the projection of the whole hidden state "
    "on a fixed random unit direction u; signed (sign relative to u), larger |score| = more important."
)
AGGREGATION = "signed sum over the word's pieces and K dims"


@attribution_method("input_x_gradient", MEANING, AGGREGATION)
def input_x_gradient(batch: Batch, *, random_state: int = 0) -> Scores:
    """Gradient × input of f = ⟨u, s/σ_S⟩ for every sentence, hidden state s and word.

    Args:
        model, sentences, layers, level, sigma_s, truncate: as `gradient_saliency`.
        random_state: seed of the direction u (each sentence and state has its own).
    Returns:
        Attribution with signed scores [n_words] per (sentence, layer).
    """
    from captum.attr import InputXGradient  # lazy: optional dependency (captum)

    random_state = check_random_state(random_state)
    scores = {}
    for name in batch.names:
        f = HiddenStateScalar(batch, name, "projection")
        direction = f.directions(random_state)
        x = batch.embed.detach().clone().requires_grad_(True)
        attr = InputXGradient(f).attribute(x, additional_forward_args=(batch.mask, direction, f.reference(None)))
        for b in range(len(batch.sentences)):
            scores[b, name] = batch.to_units(attr[b].detach().sum(-1), b)
    return Scores(scores, {"target": "projection", "random_state": random_state})
