"""Integrated gradients (Captum's `IntegratedGradients`) of a scalar of the whole hidden state.

    score_i = Σ_{t ∈ word i} Σ_k (x − b)_{t,k} · ∫₀¹ ∂f/∂x_{t,k}(b + α(x − b)) dα

with b the baseline input and f one of (see `scalar.py`):
    'change' (default): f = mean ((s(·) − s(b)) / σ_S)², the squared normalised change of the whole
        hidden state from the baseline. f(b) = 0, so by completeness Σ_i score_i = f(x). A word's
        score can be negative (interaction terms), but the total is ≥ 0.
    'projection': f = ⟨u, s/σ_S⟩, u a fixed random unit direction; Σ_i score_i = f(x) − f(b).
Larger |score| = more important (unlike σ). Word level: the signed sum over the word's pieces
and K dims, which keeps completeness.

Completeness and adaptive steps. The integral is a Gauss-Legendre quadrature of n points, so the
scores only approximately sum to the total. Per (sentence, hidden state) pair:

    total           = f(x) − f(b)                       (exact: two forward passes, no integral)
    delta (δ)       = Σ scores − total                  (Captum's convergence delta; sign as Captum)
    relative_delta  = |δ| / |total|                     (0 when δ = total = 0; inf when only total = 0)

Every pair starts at `n_steps` points. A pair with relative_delta > `tolerance` (default 5 %) is
computed again with twice the points (the last step capped at `max_steps`, default 512); only the
failing sentences of the failing hidden state are recomputed, together in one batch, until every
pair is within tolerance or has reached `max_steps`. `extra[(i, layer)]` records `delta`,
`relative_delta`, `n_steps` (points used) and `converged` (relative_delta ≤ tolerance); pairs that
still fail at `max_steps` are kept (converged False) and one warning says how many and the worst
relative δ. The result is deterministic: the same call gives the same steps and scores.
"""

from __future__ import annotations

import math
import warnings
from numbers import Real

import torch
from torch import Tensor

from ..core.inputs import Batch
from ._method import Scores, attribution_method
from .inputs import check_positive_int, check_random_state, neutral_embed
from .scalar import HiddenStateScalar, check_target

MEANING = {
    "change": (
        "IG of f = mean((s − s(baseline))/σ_S)², the squared normalised change of the whole hidden state; "
        "scores sum to f(x); larger |score| = more important."
    ),
    "projection": (
        "IG of f = ⟨u, s/σ_S⟩, the projection on a fixed random unit direction u; signed (relative to u), "
        "sum to f(x) − f(baseline); larger |score| = more important."
    ),
}
AGGREGATION = "signed sum over the word's pieces and K dims (keeps completeness)"


@attribution_method("integrated_gradients", None, AGGREGATION)
def integrated_gradients(
    batch: Batch,
    *,
    target: str = "change",
    baseline: str | Tensor = "zero",
    n_steps: int = 32,
    max_rows: int = 128,
    random_state: int = 0,
    tolerance: float = 0.05,
    max_steps: int = 512,
) -> Scores:
    """Integrated gradients of a scalar f of the whole hidden state, per sentence, state and word.

    Args:
        model, sentences, layers, level, sigma_s, truncate: as `gradient_saliency`.
        target: the scalar attributed, 'change' or 'projection' (module doc).
        baseline: 'zero', 'mask' / 'pad' (the embedding of [MASK] / [PAD] at every position) or a
            tensor broadcastable to embed [batch, tokens, K].
        n_steps: points of the Gauss-Legendre path integral to start with (every pair).
        max_rows: rows per forward pass (Captum's internal_batch_size).
        random_state: seed of u for 'projection'.
        tolerance: the largest accepted |δ| / |f(x) − f(b)| (completeness error relative to the
            total); pairs above it are recomputed with twice the steps.
        max_steps: the most points a pair is given (≥ n_steps; max_steps = n_steps turns the
            refinement off).
    Returns:
        Attribution; `extra[(i, layer)]` = {'delta': Σ scores − (f(x) − f(b)) (Captum's sign),
        'relative_delta': |δ| / |f(x) − f(b)|, 'n_steps': points used, 'converged': bool}.
    Warns:
        UserWarning once, when some pairs still exceed `tolerance` at `max_steps`.
    """
    check_target(target)
    n_steps, max_rows = check_positive_int("n_steps", n_steps), check_positive_int("max_rows", max_rows)
    tolerance = _check_tolerance(tolerance)
    max_steps = check_positive_int("max_steps", max_steps)
    if max_steps < n_steps:
        raise ValueError(
            f"max_steps must be ≥ n_steps (the starting steps), got max_steps={max_steps} < n_steps={n_steps}."
        )
    random_state = check_random_state(random_state)
    scores, extra = {}, {}
    base = neutral_embed(batch.model, batch.encoding, batch.embed, baseline)
    for name in batch.names:
        f = HiddenStateScalar(batch, name, target)
        direction = f.directions(random_state)
        reference = f.reference(base)
        rows, steps = list(range(len(batch.sentences))), n_steps
        while True:
            attr, delta = _attribute(f, batch, base, direction, reference, rows, steps, max_rows)
            for local, b in enumerate(rows):
                scores[b, name] = batch.to_units(attr[local].detach().sum(-1), b)
                extra[b, name] = _completeness(attr[local], float(delta[local]), steps, tolerance)
            rows = [b for b in rows if not extra[b, name]["converged"]]
            if not rows or steps >= max_steps:
                break
            steps = min(2 * steps, max_steps)
    failed = [record["relative_delta"] for record in extra.values() if not record["converged"]]
    if failed:
        warnings.warn(
            f"integrated_gradients: {len(failed)} of {len(extra)} (sentence, hidden state) pairs still break "
            "completeness "
            f"by more than tolerance={tolerance:g} at max_steps={max_steps} (worst relative δ {max(failed):.3g}); "
            f"see extra[(i, layer)]['relative_delta'], or raise max_steps.",
            UserWarning,
            stacklevel=3,
        )
    settings = {
        "target": target,
        "baseline": baseline if isinstance(baseline, str) else "tensor",
        "n_steps": n_steps,
        "random_state": random_state,
        "tolerance": tolerance,
        "max_steps": max_steps,
    }
    return Scores(scores, settings, extra, MEANING[target])


def _attribute(
    f: HiddenStateScalar,
    batch: Batch,
    base: Tensor,
    direction: Tensor,
    reference: Tensor,
    rows: list[int],
    steps: int,
    max_rows: int,
) -> tuple[Tensor, Tensor]:
    """Captum IG of the sentences `rows` only (one batch): ([rows, tokens, K] attributions, [rows] δ)."""
    from captum.attr import IntegratedGradients

    index = torch.tensor(rows, device=batch.embed.device)
    if len(rows) == len(batch.sentences):
        index = None  # the whole batch: no copies
    pick = (lambda t: t) if index is None else (lambda t: t.index_select(0, index))
    x = pick(batch.embed).detach().clone().requires_grad_(True)
    return IntegratedGradients(f).attribute(
        x,
        baselines=pick(base),
        additional_forward_args=(pick(batch.mask), pick(direction), pick(reference)),
        n_steps=steps,
        internal_batch_size=max_rows,
        return_convergence_delta=True,
    )


def _completeness(attr: Tensor, delta: float, steps: int, tolerance: float) -> dict:
    """The completeness record of one pair: δ, |δ| / |f(x) − f(b)|, steps used, converged."""
    total = float(attr.detach().double().sum()) - delta  # Captum: δ = Σ attr − (f(x) − f(b))
    if total != 0:
        relative = abs(delta) / abs(total)
    else:
        relative = 0.0 if delta == 0 else math.inf
    return {"delta": delta, "relative_delta": relative, "n_steps": steps, "converged": relative <= tolerance}


def _check_tolerance(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"tolerance must be a positive finite number (a fraction of f(x) − f(baseline), e.g. 0.05), got {value!r}."
        )
    return float(value)
