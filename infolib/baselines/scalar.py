"""The scalar of a whole hidden state that Captum's attribution methods attribute to the words.

Captum attributes one number per example; a hidden state s is a [tokens, D] matrix or a vector.
Two documented choices (ŝ = s / σ_S, padded tokens excluded, M = number of real elements of s):

    'projection'   f(x) = ⟨u, ŝ(x)⟩, u a fixed random unit direction ([tokens, D] or [D]),
                   seeded per (random_state, sentence, hidden state): the same in any batch.
                   Linear in s, so for a linear Φ gradient × input and IG (zero baseline) agree.
    'change'       f(x) = (1/M) Σ_m (ŝ_m(x) − ŝ_m(b))², the squared normalised change of the whole
                   hidden state from its value at the baseline input b (`core.inputs.normalised_change`,
                   the estimator's reconstruction error, with b in place of the noise). f(b) = 0, so by
                   completeness the IG scores sum to f(x): the whole change, split over words.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.inputs import Batch, normalised_change
from ..core.validation import StrOptions, check_param

TARGETS = ("projection", "change")


class HiddenStateScalar:
    """f(embed) [rows] for one hidden state, in the form Captum calls: f(embed, mask, direction, reference)."""

    def __init__(self, batch: Batch, name: str, target: str):
        self.batch, self.name, self.target = batch, name, check_param("target", target, [StrOptions(TARGETS)])

    def scaled_state(self, embed: Tensor, mask: Tensor) -> Tensor:
        """[rows, tokens, D] or [rows, D] ŝ = s / σ_S with padding zeroed."""
        state = self.batch.model.states(embed, mask, [self.name])[self.name] * self.batch.inv_sigma_s[self.name]
        if self.batch.model.is_token_level(self.name):
            state = state * mask[:, : state.shape[1], None].to(state.dtype)
        return state

    def __call__(self, embed: Tensor, mask: Tensor, direction: Tensor, reference: Tensor) -> Tensor:
        if self.target == "projection":
            return (self.scaled_state(embed, mask) * direction).flatten(1).sum(1)
        state = self.batch.model.states(embed, mask, [self.name])[self.name]
        token_mask = mask if self.batch.model.is_token_level(self.name) else None
        return normalised_change(state, reference, self.batch.inv_var[self.name], token_mask)

    def directions(self, random_state: int) -> Tensor:
        """[batch, tokens, D] or [batch, D] unit directions u, zero on padding."""
        batch = self.batch
        with torch.no_grad():
            shape = self.scaled_state(batch.embed, batch.mask).shape[1:]
        out = torch.zeros(len(batch.sentences), *shape, dtype=batch.embed.dtype)
        for b, sentence in enumerate(batch.sentences):
            generator = torch.Generator().manual_seed(batch.seed(random_state, sentence, self.name, "direction"))
            n = batch.lengths[b]
            real = (n, shape[-1]) if batch.model.is_token_level(self.name) else (shape[-1],)
            u = torch.randn(*real, generator=generator, dtype=batch.embed.dtype)
            u = u / torch.linalg.norm(u)
            if batch.model.is_token_level(self.name):
                out[b, :n] = u
            else:
                out[b] = u
        return out.to(batch.embed.device)

    def reference(self, baseline_embed: Tensor | None) -> Tensor:
        """s at the baseline input ('change'), or zeros (unused by 'projection')."""
        with torch.no_grad():
            if baseline_embed is None:
                return torch.zeros_like(self.batch.clean[self.name])
            return self.batch.model.states(baseline_embed, self.batch.mask, [self.name])[self.name].detach()
