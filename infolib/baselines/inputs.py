"""What only the baselines need besides `core.inputs`' batch: the neutral input a word is replaced
by, and checks of their own options.

Like the estimator, every baseline perturbs or differentiates `embed`, the output of the
embedding module, and reads hidden states through the HookedModel names.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.hooks import Encoding, HookedModel


def neutral_embed(model: HookedModel, encoding: Encoding, embed: Tensor, baseline: str | Tensor) -> Tensor:
    """[batch, tokens, K] the neutral input a word is replaced by.

    Args:
        baseline: 'zero' (all zeros), 'mask' / 'pad' (the embedding module's output when every
            token is [MASK] / [PAD]: word + position + segment embedding, after LayerNorm, so it
            is position-aware), or a tensor broadcastable to `embed`'s shape.
    """
    if isinstance(baseline, Tensor):
        try:
            return torch.broadcast_to(baseline.to(embed), embed.shape).clone()
        except RuntimeError as error:
            raise ValueError(
                f"baseline of shape {tuple(baseline.shape)} does not broadcast to embed {tuple(embed.shape)}."
            ) from error
    if baseline == "zero":
        return torch.zeros_like(embed)
    if baseline in ("mask", "pad"):
        tokenizer = getattr(model, "tokenizer", None)
        token_id = getattr(tokenizer, f"{baseline}_token_id", None)
        if token_id is None:
            raise ValueError(
                f"baseline '{baseline}' needs a model with a tokenizer that has a [{baseline.upper()}] token; "
                "use 'zero'."
            )
        ids = torch.full_like(encoding.input_ids, int(token_id))
        swapped = Encoding(ids, encoding.attention_mask, encoding.tokens, encoding.words, encoding.word_of_token)
        with torch.no_grad():
            return model.embed(swapped).detach()
    raise ValueError(f"baseline must be 'zero', 'mask', 'pad' or a tensor, got {baseline!r}.")
