"""Integrated gradients (Captum's `IntegratedGradients`) of a scalar of the whole hidden state.

    score_i = Σ_{t ∈ word i} Σ_k (x − b)_{t,k} · ∫₀¹ ∂f/∂x_{t,k}(b + α(x − b)) dα

with b the baseline input and f one of (see `scalar.py`):
    'change' (default): f = mean ((s(·) − s(b)) / σ_S)², the squared normalised change of the whole
        hidden state from the baseline. f(b) = 0, so by completeness Σ_i score_i = f(x). A word's
        score can be negative (interaction terms), but the total is ≥ 0.
    'projection': f = ⟨u, s/σ_S⟩, u a fixed random unit direction; Σ_i score_i = f(x) − f(b).
Larger |score| = more important (unlike σ). Word level: the signed sum over the word's pieces
and K dims, which keeps completeness. The completeness error of the numerical integral is
reported per (sentence, layer) in `extra['delta']`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from torch import Tensor

from ..hooks import HookedModel, frozen
from .attribution import Attribution
from .inputs import assert_unchanged, check_positive_int, check_random_state, neutral_embed, parameters_snapshot, prepare, resolve_model
from .scalar import HiddenStateScalar, check_target

MEANING = {
    "change": ("IG of f = mean((s − s(baseline))/σ_S)², the squared normalised change of the whole hidden state; "
               "scores sum to f(x); larger |score| = more important."),
    "projection": ("IG of f = ⟨u, s/σ_S⟩, the projection on a fixed random unit direction u; signed (relative to u), "
                   "sum to f(x) − f(baseline); larger |score| = more important."),
}
AGGREGATION = "signed sum over the word's pieces and K dims (keeps completeness)"


def integrated_gradients(
    model: HookedModel | str,
    sentences: str | Sequence[str],
    layers: str | int | Sequence[str | int] = "all",
    *,
    level: str = "word",
    sigma_s: Mapping[str, Tensor] | None = None,
    target: str = "change",
    baseline: str | Tensor = "zero",
    n_steps: int = 32,
    max_rows: int = 128,
    random_state: int = 0,
    truncate: bool = False,
) -> Attribution:
    """Integrated gradients of a scalar f of the whole hidden state, per sentence, state and word.

    Args:
        model, sentences, layers, level, sigma_s, truncate: as `gradient_saliency`.
        target: the scalar attributed, 'change' or 'projection' (module doc).
        baseline: 'zero', 'mask' / 'pad' (the embedding of [MASK] / [PAD] at every position) or a
            tensor broadcastable to embed [batch, tokens, K].
        n_steps: points of the Gauss-Legendre path integral.
        max_rows: rows per forward pass (Captum's internal_batch_size).
        random_state: seed of u for 'projection'.
    Returns:
        Attribution; `extra[(i, layer)]['delta']` = f(x) − f(b) − Σ scores (completeness error).
    """
    from captum.attr import IntegratedGradients

    check_target(target)
    n_steps, max_rows = check_positive_int("n_steps", n_steps), check_positive_int("max_rows", max_rows)
    random_state = check_random_state(random_state)
    model = resolve_model(model)
    snapshot = parameters_snapshot(model)
    scores, extra = {}, {}
    with frozen(model.module):
        batch = prepare(model, sentences, layers, level, sigma_s, truncate)
        base = neutral_embed(model, batch.encoding, batch.embed, baseline)
        for name in batch.names:
            f = HiddenStateScalar(batch, name, target)
            direction = f.directions(random_state)
            reference = f.reference(base)
            x = batch.embed.detach().clone().requires_grad_(True)
            attr, delta = IntegratedGradients(f).attribute(
                x, baselines=base, additional_forward_args=(batch.mask, direction, reference),
                n_steps=n_steps, internal_batch_size=max_rows, return_convergence_delta=True,
            )
            for b in range(len(batch.sentences)):
                scores[b, name] = batch.to_units(attr[b].detach().sum(-1), b)
                extra[b, name] = {"delta": float(delta[b])}
    assert_unchanged(model, snapshot)
    settings = {"target": target, "baseline": baseline if isinstance(baseline, str) else "tensor", "n_steps": n_steps, "random_state": random_state}
    return batch.result("integrated_gradients", scores, MEANING[target], AGGREGATION, settings, extra)
