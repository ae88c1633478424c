"""Layer-wise relevance propagation (Captum's `LRP`, ε-rule) of the projection of a hidden state.

    score_i = Σ_{t ∈ word i} Σ_k R_{t,k},     relevance of f(x) = ⟨u, s(x)/σ_S⟩ propagated to embed

with u a fixed random unit direction (see `scalar.py`). Signed (relative to u); larger |score| =
more important (unlike σ). Word level: the signed sum over the word's pieces and K dims.

Coverage. Captum has LRP rules only for nn.Linear, nn.Conv2d, max/average pooling and
nn.BatchNorm2d, and passes relevance through nn.ReLU, nn.Tanh and nn.Dropout. BERT-family models
(BERT, MiniLM, RoBERTa, ...) use nn.LayerNorm, GELU and attention (softmax and matmuls outside any
module), which have no LRP rule in Captum, so `lrp` raises NotImplementedError for them. It covers
HookedModels whose modules between `embed` and the hidden state are only those supported types
(e.g. `infolib.testing.ReluToyModel`, bias-free ReLU MLPs). infolib's LSTM (nn.LSTM) and CNN
(nn.Conv1d) are not covered either. Captum's LRP sees only modules: tensor
operations between them (scaling, sums, residual additions) scale the relevance by their local
gradient instead of conserving it. `lrp` cannot detect them; it warns when relevance is not
conserved (|f − Σ relevance| > conservation_tol·|f|), which also happens with biases (ε-rule).
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from ..core.inputs import Batch
from ._method import Scores, attribution_method
from .inputs import check_random_state
from .scalar import HiddenStateScalar

MEANING = (
    "LRP (ε-rule) relevance of f = ⟨u, s/σ_S⟩, the projection of the whole hidden state on a fixed "
    "random unit direction u, summed over the word's pieces; signed, larger |score| = more important."
)
AGGREGATION = "signed sum over the word's pieces and K dims"
COVERED = (
    "HookedModels built only from nn.Linear, nn.Conv2d, pooling, nn.BatchNorm2d, nn.ReLU, nn.Tanh and "
    "nn.Dropout chained between embed and the hidden state (e.g. infolib.testing.ReluToyModel)"
)


def supported_module_types() -> tuple[type, ...]:
    """The module types Captum's LRP has a rule for or passes relevance through."""
    # lazy: optional dependency (captum)
    from captum.attr._core.lrp import SUPPORTED_LAYERS_WITH_RULES, SUPPORTED_NON_LINEAR_LAYERS

    return tuple(SUPPORTED_LAYERS_WITH_RULES) + tuple(SUPPORTED_NON_LINEAR_LAYERS)


class _Relevance(nn.Module):
    """f = ⟨u, s/σ_S⟩ as a Module chain ending in a bias-free nn.Linear, as Captum's LRP expects.

    The leaf modules f runs are registered as children (this does not change them) so Captum
    hooks them; the final projection is a Linear so relevance starts from f itself.
    """

    def __init__(self, batch: Batch, name: str, weight: Tensor, leaves: list[nn.Module]):
        super().__init__()
        self.leaves = nn.ModuleList(leaves)
        self.projection = nn.Linear(weight.numel(), 1, bias=False)
        with torch.no_grad():
            self.projection.weight.copy_(weight.reshape(1, -1))
        self.projection.requires_grad_(False)
        self.batch, self.name = batch, name

    def forward(self, embed, mask):
        state = self.batch.model.states(embed, mask, [self.name])[self.name]
        return self.projection(state.flatten(1)).squeeze(1)


def _leaves_run(batch: Batch, name: str) -> list[nn.Module]:
    """The leaf modules that run between embed and hidden state `name` (found with forward hooks)."""
    seen: list[nn.Module] = []
    handles = [
        m.register_forward_hook(lambda m, i, o: seen.append(m) if m not in seen else None)
        for m in batch.model.module.modules()
        if not list(m.children())
    ]
    try:
        with torch.no_grad():
            batch.model.states(batch.embed, batch.mask, [name])
    finally:
        for handle in handles:
            handle.remove()
    return seen


@attribution_method("lrp", MEANING, AGGREGATION)
def lrp(batch: Batch, *, random_state: int = 0, conservation_tol: float = 0.05) -> Scores:
    """LRP relevance of f = ⟨u, s/σ_S⟩ per sentence, hidden state and word (supported models only).

    Args:
        model, sentences, layers, level, sigma_s, truncate: as `gradient_saliency`.
        random_state: seed of the direction u.
        conservation_tol: warn when |f − Σ relevance| > conservation_tol · |f|.
    Returns:
        Attribution with signed scores [n_words] per (sentence, layer); `extra[(i, layer)]['delta']`
        is f(x) − Σ relevance (0 for exact relevance conservation).
    Raises:
        NotImplementedError: for models with modules Captum's LRP has no rule for (BERT, MiniLM, ...).
    """
    from captum.attr import LRP  # lazy: optional dependency (captum)

    random_state = check_random_state(random_state)
    model = batch.model
    supported = supported_module_types()
    scores, extra = {}, {}
    for name in batch.names:
        leaves = _leaves_run(batch, name)
        missing = sorted({type(m).__name__ for m in leaves if type(m) not in supported})
        if missing:
            raise NotImplementedError(
                f"LRP is not available for {model.name}: Captum has no LRP rule for {', '.join(missing)}. "
                f"LRP covers {COVERED}; not BERT/MiniLM or the Transformer (LayerNorm, GELU, attention), "
                f"the LSTM (LSTM) or the CNN (Conv1d)."
            )
        direction = HiddenStateScalar(batch, name, "projection").directions(random_state)
        for b in range(len(batch.sentences)):
            # One sentence at a time: each has its own direction, i.e. its own projection weight.
            weight = direction[b] * batch.inv_sigma_s[name]
            relevance = _Relevance(batch, name, weight, leaves)
            x = batch.embed[b : b + 1].detach().clone().requires_grad_(True)
            attr, delta = LRP(relevance).attribute(
                x, additional_forward_args=(batch.mask[b : b + 1],), return_convergence_delta=True
            )
            scores[b, name] = batch.to_units(attr[0].detach().sum(-1), b)
            with torch.no_grad():
                f = float(relevance(batch.embed[b : b + 1], batch.mask[b : b + 1]))
            delta = float(delta.detach()[0])
            extra[b, name] = {"delta": delta, "f": f}
            if abs(delta) > conservation_tol * max(abs(f), 1e-12):
                warnings.warn(
                    f"LRP relevance is not conserved for sentence {b}, {name} (f = {f:.4g}, Σ relevance = "
                    f"{f - delta:.4g}): biases absorb relevance, or {model.name} uses tensor "
                    f"operations outside modules, which Captum's LRP cannot see.",
                    stacklevel=3,
                )
    return Scores(scores, {"target": "projection", "random_state": random_state}, extra)
