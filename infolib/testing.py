"""Tiny seeded toy models with known answers, for tests and notebooks (like `captum.testing`).

`LinearToyModel` is a HookedModel whose hidden states are simple, known maps of `embed`:

    embed     x_t = E[token_t]                               [batch, tokens, K]
    layer.1   h_t = w_t · A x_t       (A: [D, K], no bias)   [batch, tokens, D]
    layer.2   tanh(B h_t)             (B: [D, D], no bias)   [batch, tokens, D]
    pooled    Σ_t h_t = Σ_t w_t · A x_t                      [batch, D]
    logits    C · pooled              (C: [classes, D])      [batch, classes]

so ∂layer.1/∂x_t = w_t · A (block of token t) and `pooled` is the linear Φ(x) = Σ_i w_i x_i of
docs/method.md §4 when A = I. Words are split on spaces; a word written with '+' ("un+happy") is split
into word pieces ("un", "##happy") so word-level aggregation can be tested. There are no special
tokens. Padding positions are zero and never influence real tokens.
"""

from __future__ import annotations

import zlib
from typing import Mapping, Sequence

import torch
from torch import Tensor, nn

from .core.hooks import Encoding, HookedModel
from .core.names import layer_names
from .models.common import minilm_tokenizer
from .models.hf import HFEncoder

_LAYER_0, _LAYER_1, _LAYER_2 = layer_names(2)  # the toys' states: embed read as a state, then two blocks


class _LinearToyModule(nn.Module):
    """The toy's weights: embedding E [V, K], A [D, K], B [D, D], C [classes, D], position weights w."""

    def __init__(self, vocab: int, K: int, D: int, classes: int, position_weights: Tensor):
        super().__init__()
        self.embedding = nn.Embedding(vocab, K)
        self.A = nn.Linear(K, D, bias=False)
        self.B = nn.Linear(D, D, bias=False)
        self.act = nn.Tanh()
        self.C = nn.Linear(D, classes, bias=False)
        self.register_buffer("position_weights", position_weights)


class LinearToyModel(HookedModel):
    """A seeded toy HookedModel: `layer.1` is the known linear map h_t = w_t · A x_t of `embed`.

    Args:
        K: embedding size; D: hidden size; classes: number of logits.
        position_weights: [max_tokens] the w_t (default: seeded N(0, 1), so every token differs).
        vocab: number of token ids (pieces are hashed into it).
        random_state: seed of every weight.
    """

    def __init__(
        self,
        K: int = 8,
        D: int = 6,
        classes: int = 2,
        position_weights: Sequence[float] | Tensor | None = None,
        vocab: int = 97,
        random_state: int = 0,
        name: str = "linear-toy",
    ):
        generator = torch.Generator().manual_seed(random_state)
        if position_weights is None:
            position_weights = torch.randn(32, generator=generator)
        weights = torch.as_tensor(position_weights, dtype=torch.float32).flatten()
        if len(weights) == 0:
            raise ValueError("position_weights must hold at least one weight.")
        with torch.random.fork_rng():  # nn.Linear/nn.Embedding draw from the global generator
            torch.manual_seed(random_state)
            self.module = _LinearToyModule(vocab, K, D, classes, weights.clone())
        self.module.eval()
        self.vocab, self.name = vocab, name
        self.max_tokens = len(weights)
        self.hidden_states = (*layer_names(2), "pooled", "logits")

    # -- HookedModel ----------------------------------------------------------------------
    def encode(self, sentences: Sequence[str]) -> Encoding:
        tokens, words, word_of_token = [], [], []
        for sentence in sentences:
            pieces, mapping, names = [], [], sentence.split()
            for w, word in enumerate(names):
                parts = [p for p in word.split("+") if p] or [word]
                pieces += [parts[0]] + ["##" + p for p in parts[1:]]
                mapping += [w] * len(parts)
            tokens.append(pieces)
            words.append(names)
            word_of_token.append(mapping)
        T = max(len(t) for t in tokens)
        ids = torch.zeros(len(tokens), T, dtype=torch.long)
        mask = torch.zeros(len(tokens), T, dtype=torch.long)
        for b, pieces in enumerate(tokens):
            ids[b, : len(pieces)] = torch.tensor([zlib.crc32(p.encode()) % self.vocab for p in pieces])
            mask[b, : len(pieces)] = 1
        return Encoding(ids, mask, tokens, words, word_of_token)

    def embed(self, encoding: Encoding) -> Tensor:
        mask = encoding.attention_mask.to(self.device)
        return self.module.embedding(encoding.input_ids.to(self.device)) * mask[..., None]

    def default_scale(self) -> float:
        return 10.0 * float(self.module.embedding.weight.detach().std())

    def _forward(self, embed: Tensor, attention_mask: Tensor, want: Mapping[str, Tensor]) -> dict[str, Tensor]:
        T = embed.shape[1]
        m = self.module
        mask = attention_mask.to(embed.dtype)[..., None]
        states = {_LAYER_0: embed}
        # Only what is wanted runs (modules that run but are unused would confuse LRP's hooks).
        if set(want) - {_LAYER_0}:
            states[_LAYER_1] = m.position_weights[:T, None] * m.A(embed) * mask
        if _LAYER_2 in want:
            states[_LAYER_2] = m.act(m.B(states[_LAYER_1])) * mask
        if "pooled" in want or "logits" in want:
            states["pooled"] = states[_LAYER_1].sum(1)
        if "logits" in want:
            states["logits"] = m.C(states["pooled"])
        return {name: states[name][rows] for name, rows in want.items()}

    # -- known answers --------------------------------------------------------------------
    def layer1_jacobian_norm(self, n_tokens: int, sigma_s: Tensor | None = None) -> Tensor:
        """[n_tokens] ‖∂(layer.1/σ_S)/∂x_t‖_F = |w_t| · ‖diag(1/σ_S) A‖_F, the exact saliency."""
        A = self.module.A.weight.detach()
        if sigma_s is not None:
            A = A / sigma_s[:, None]
        return self.module.position_weights[:n_tokens].abs() * torch.linalg.norm(A)


class ReluToyModel(LinearToyModel):
    """A seeded toy HookedModel that is a pure chain of modules (what Captum's LRP needs):

        layer.1   ReLU(A x_t)        [batch, tokens, D]
        layer.2   ReLU(B layer.1)    [batch, tokens, D]

    Bias-free, so LRP (ε → 0) equals gradient × input on it. Same tokenisation as LinearToyModel.
    """

    def __init__(self, K: int = 8, D: int = 6, vocab: int = 97, random_state: int = 0, name: str = "relu-toy"):
        super().__init__(K=K, D=D, vocab=vocab, random_state=random_state, name=name)
        with torch.random.fork_rng():
            torch.manual_seed(random_state + 1)
            self.module.act = nn.ReLU()
            self.module.act2 = nn.ReLU()
        self.hidden_states = tuple(layer_names(2))

    def _forward(self, embed: Tensor, attention_mask: Tensor, want: Mapping[str, Tensor]) -> dict[str, Tensor]:
        m = self.module
        mask = attention_mask.to(embed.dtype)[..., None]
        states = {_LAYER_0: embed}
        if set(want) - {_LAYER_0}:
            states[_LAYER_1] = m.act(m.A(embed)) * mask
        if _LAYER_2 in want:
            states[_LAYER_2] = m.act2(m.B(states[_LAYER_1])) * mask
        return {name: states[name][rows] for name, rows in want.items()}


class BagOfPiecesClassifier(HookedModel):
    """A classifier whose probabilities can be worked out by hand, over MiniLM's real WordPiece tokenizer.

        embed / layer.0   x_t = W[token_t]            [batch, tokens, classes]
        layer.1           Σ_{u ≤ t} x_u (running sum)  [batch, tokens, classes]
        logits            bias + Σ_t x_t               [batch, classes]

    W holds the given per-piece weights (e.g. {'good': [0, 2], '[MASK]': [0, 0]}); every other piece,
    [CLS] and [SEP] included, weighs 0. So p(class | x) = softmax(bias + Σ_t W[token_t]).
    """

    def __init__(self, weights: Mapping[str, Sequence[float]], classes: int = 2, bias: Sequence[float] | None = None):

        self.tokenizer = minilm_tokenizer()
        table = torch.zeros(len(self.tokenizer), classes)
        for piece, row in weights.items():
            index = self.tokenizer.convert_tokens_to_ids(piece)
            if index == self.tokenizer.unk_token_id and piece != self.tokenizer.unk_token:
                raise ValueError(f"{piece!r} is not a piece of MiniLM's vocabulary.")
            table[index] = torch.as_tensor(row, dtype=torch.float32)
        self.module = nn.Embedding.from_pretrained(table, freeze=True)
        self.module.register_buffer("bias", torch.zeros(classes) if bias is None else torch.as_tensor(bias))
        self.hidden_states = (_LAYER_0, _LAYER_1, "logits")
        self.name = "bag-of-pieces"

    def encode(self, sentences: Sequence[str]) -> Encoding:
        return HFEncoder.encode(self, sentences)

    def embed(self, encoding: Encoding) -> Tensor:
        return self.module(encoding.input_ids.to(self.device))

    def default_scale(self) -> float:
        return 1.0

    def _forward(self, embed: Tensor, attention_mask: Tensor, want: Mapping[str, Tensor]) -> dict[str, Tensor]:
        x = embed * attention_mask.to(embed.dtype)[..., None]
        states = {_LAYER_0: x, _LAYER_1: x.cumsum(1), "logits": self.module.bias + x.sum(1)}
        return {name: states[name][rows] for name, rows in want.items()}
