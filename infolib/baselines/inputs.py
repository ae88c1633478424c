"""What every baseline reads: the sentences encoded, the clean `embed`, the hidden states to
explain, σ_S, and the map from word pieces to the explained units (words or tokens).

Like the estimator, every baseline perturbs or differentiates `embed`, the output of the
embedding module, and reads hidden states through the HookedModel names.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Mapping

import torch
from torch import Tensor

from ..core.hooks import Encoding, HookedModel
from ..core.inputs import check_model, check_sentences, fit_length
from .attribution import Attribution


@dataclass
class Batch:
    """A batch of sentences ready to explain.

    Attributes:
        model: the HookedModel; encoding: its encoding of `sentences`.
        names: hidden-state names to explain.
        embed: [batch, tokens, K] clean `embed` (detached).
        mask: [batch, tokens] attention mask (1 = real token).
        units: per sentence, [n_tokens] LongTensor, the unit (word or token) of each real token.
        inv_sigma_s: name -> [D] 1/σ_S (ones when σ_S is not given).
        level: 'word' or 'token'.
        normalised: whether σ_S was given (otherwise σ_S = 1: raw units).
    """

    model: HookedModel
    sentences: list[str]
    encoding: Encoding
    names: list[str]
    embed: Tensor
    mask: Tensor
    units: list[Tensor]
    inv_sigma_s: dict[str, Tensor]
    level: str
    normalised: bool = False

    @property
    def lengths(self) -> list[int]:
        return [len(u) for u in self.units]

    def n_units(self, b: int) -> int:
        return int(self.units[b].max()) + 1

    def scaled(self, name: str, state: Tensor, rows: Tensor | None = None) -> Tensor:
        """state / σ_S with padded tokens zeroed: [rows, tokens, D] or [rows, D].

        Args:
            rows: [rows] sentence of each row of `state` (default: row b is sentence b).
        """
        state = state * self.inv_sigma_s[name]
        if self.model.is_token_level(name):
            mask = self.mask if rows is None else self.mask[rows]
            state = state * mask[:, : state.shape[1], None].to(state.dtype)
        return state

    def elements(self, name: str, b: int) -> int:
        """How many numbers sentence b's hidden state `name` has (real tokens × D, or D)."""
        D = self.inv_sigma_s[name].shape[-1]
        return self.lengths[b] * D if self.model.is_token_level(name) else D

    def to_units(self, per_token: Tensor, b: int) -> Tensor:
        """[n_units] sum over each unit's tokens of `per_token` [n_tokens]."""
        out = torch.zeros(self.n_units(b), dtype=per_token.dtype)
        return out.index_add_(0, self.units[b], per_token.detach().cpu()[: self.lengths[b]])

    def seed(self, random_state: int, *key: str) -> int:
        """A seed for one (sentence, hidden state): the same in any batch."""
        digest = hashlib.sha256("\x1f".join([str(random_state), *key]).encode()).digest()
        return int.from_bytes(digest[:7], "little")

    def result(self, method: str, scores: dict, meaning: str, aggregation: str, settings: dict, extra: dict | None = None) -> Attribution:
        enc = self.encoding
        return Attribution(
            method=method,
            sentences=self.sentences,
            layers=self.names,
            words=enc.words if self.level == "word" else enc.tokens,
            tokens=enc.tokens,
            word_of_token=enc.word_of_token if self.level == "word" else [list(range(len(t))) for t in enc.tokens],
            scores=scores,
            score_meaning=meaning,
            aggregation=aggregation if self.level == "word" else "none (token level)",
            model=self.model.name,
            fingerprint=self.model.fingerprint(),
            level=self.level,
            settings={**settings, "sigma_s_normalised": self.normalised},
            extra=extra or {},
        )


def prepare(model, sentences, layers, level: str, sigma_s: Mapping[str, Tensor] | None, truncate: bool) -> Batch:
    """Check the arguments and encode the sentences (call inside `frozen(model.module)`).

    Args:
        model: a HookedModel (`infolib.load_model(...)`).
        sentences: a sentence or a list of them (words separated by whitespace).
        layers: 'all', a name ('layer.3', 'pooled'), an int, or a list of those.
        level: 'word' or 'token'.
        sigma_s: name -> [D] spread of each hidden state, or None for no normalisation (σ_S = 1).
        truncate: cut sentences longer than the model's maximum instead of failing.
    """
    model = check_model(model)
    if level not in ("word", "token"):
        raise ValueError(f"level must be 'word' or 'token', got {level!r}.")
    sentences = fit_length(model, check_sentences(sentences), truncate)
    names = model.resolve_layers(layers)
    encoding = model.encode(sentences)
    with torch.no_grad():
        embed = model.embed(encoding).detach()
        mask = encoding.attention_mask.to(embed.device)
        clean = model.states(embed, mask, names)
    inv = {}
    for name in names:
        D = clean[name].shape[-1]
        inv[name] = _inverse_spread(sigma_s, name, D, embed)
    lengths = encoding.attention_mask.sum(1).tolist()
    if level == "word":
        units = [torch.tensor(encoding.word_of_token[b][:n]) for b, n in enumerate(lengths)]
    else:
        units = [torch.arange(n) for n in lengths]
    return Batch(model, sentences, encoding, names, embed, mask, units, inv, level, sigma_s is not None)


def _inverse_spread(sigma_s, name: str, D: int, like: Tensor) -> Tensor:
    if sigma_s is None:
        return torch.ones(D, dtype=like.dtype, device=like.device)
    if not isinstance(sigma_s, Mapping):
        raise TypeError(f"sigma_s must be a mapping name -> [D] tensor (or None), got {type(sigma_s).__name__}.")
    if name not in sigma_s:
        raise ValueError(f"sigma_s has no entry for {name}.")
    spread = torch.as_tensor(sigma_s[name], dtype=like.dtype, device=like.device)
    if spread.shape != (D,):
        raise ValueError(f"sigma_s['{name}'] must have shape [{D}], got {tuple(spread.shape)}.")
    if torch.isnan(spread).any() or (spread <= 0).any():
        raise ValueError(f"sigma_s['{name}'] must be positive (inf marks a dimension that never varies).")
    return 1.0 / spread


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
            raise ValueError(f"baseline of shape {tuple(baseline.shape)} does not broadcast to embed {tuple(embed.shape)}.") from error
    if baseline == "zero":
        return torch.zeros_like(embed)
    if baseline in ("mask", "pad"):
        tokenizer = getattr(model, "tokenizer", None)
        token_id = getattr(tokenizer, f"{baseline}_token_id", None)
        if token_id is None:
            raise ValueError(f"baseline '{baseline}' needs a model with a tokenizer that has a [{baseline.upper()}] token; use 'zero'.")
        ids = torch.full_like(encoding.input_ids, int(token_id))
        swapped = Encoding(ids, encoding.attention_mask, encoding.tokens, encoding.words, encoding.word_of_token)
        with torch.no_grad():
            return model.embed(swapped).detach()
    raise ValueError(f"baseline must be 'zero', 'mask', 'pad' or a tensor, got {baseline!r}.")


def check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return value


def check_random_state(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"random_state must be an int, got {value!r}.")
    return value


def parameters_snapshot(model: HookedModel) -> dict[str, Tensor]:
    """A copy of every weight and buffer, to check that explaining left the model unchanged."""
    return {k: v.detach().clone() for k, v in model.module.state_dict().items()}


def assert_unchanged(model: HookedModel, snapshot: dict[str, Tensor]) -> None:
    for key, value in model.module.state_dict().items():
        if not torch.equal(value, snapshot[key]):
            raise RuntimeError(f"explaining changed the model's '{key}'; this is a bug in infolib.")
