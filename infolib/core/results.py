"""What an explanation holds: σ and entropy per sentence, hidden state and word, with diagnostics.

Reading the numbers: σ_i is the std of the largest Gaussian noise word i can take without changing
the hidden state. Large σ (close to `scale`) = the hidden state has forgotten that word; small σ =
it keeps the word's information. H(X̃_i) = m_i·K·(½·log 2πe + log σ_i) nats is the entropy of the
perturbed word (m_i word pieces of K dimensions each); it grows with σ, so higher entropy = more
forgotten. For comparisons across layers and models use `log_sigma_ratio` = log(σ_i / scale), which
does not depend on K: 0 = forgotten entirely, more negative = kept more.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)
NATS_PER_BIT = math.log(2)


def entropy_nats(sigma: Tensor, dims: Tensor | int) -> Tensor:
    """H(X̃_i) = dims_i · (½·log 2πe + log σ_i) in nats, dims_i = word pieces × K."""
    return torch.as_tensor(dims, dtype=sigma.dtype) * (HALF_LOG_2PI_E + torch.log(sigma))


@dataclass
class PhiExplanation:
    """σ for the words (rows) of x under one Φ.

    Attributes:
        sigma: [n_words] noise std each word tolerates; larger = more forgotten by Φ.
        entropy_nats: [n_words] H(X̃_i) = K·(½·log 2πe + log σ_i).
        scale: upper bound of σ used.
        loss_curve: objective per step; steps: steps taken; converged: stopped by the rule.
    """

    sigma: Tensor
    entropy_nats: Tensor
    scale: float
    loss_curve: list[float]
    steps: int
    converged: bool

    @property
    def entropy_bits(self) -> Tensor:
        return self.entropy_nats / NATS_PER_BIT


@dataclass
class Explanation:
    """Per-word information of every (sentence, hidden state) pair explained in one run.

    Attributes:
        sentences: the sentences, as given.
        layers: hidden-state names explained (e.g. 'layer.1' … 'layer.6').
        words: per sentence, the explained units ([CLS], words, [SEP]; or tokens at token level).
        tokens: per sentence, the word pieces; word_of_token maps them to `words`.
        sigma: (sentence index, layer) -> [n_words] σ.
        diagnostics: (sentence index, layer) -> {'loss_curve', 'steps', 'converged'}.
        scale, K: σ's upper bound and the embedding size; settings: the estimator settings.
        model, fingerprint: which model (name, weights hash) was explained; level: 'word'/'token'.
    """

    sentences: list[str]
    layers: list[str]
    words: list[list[str]]
    tokens: list[list[str]]
    word_of_token: list[list[int]]
    sigma: dict[tuple[int, str], Tensor]
    diagnostics: dict[tuple[int, str], dict]
    scale: float
    K: int
    settings: dict
    model: str
    fingerprint: str
    level: str = "word"
    method: str = "information"
    extra: dict = field(default_factory=dict)

    def pieces(self, sentence: int) -> Tensor:
        """[n_words] word pieces per word of a sentence."""
        return torch.bincount(torch.tensor(self.word_of_token[sentence]), minlength=len(self.words[sentence]))

    def sigma_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] σ of one sentence."""
        return torch.stack([self.sigma[sentence, layer] for layer in self.layers]).numpy()

    def log_sigma_ratio(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] log(σ / scale): 0 = forgotten, more negative = kept."""
        return np.log(self.sigma_matrix(sentence) / self.scale)

    def entropy_nats(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] H(X̃_i) in nats (word pieces × K dimensions per word)."""
        dims = self.pieces(sentence) * self.K
        return torch.stack([entropy_nats(self.sigma[sentence, layer], dims) for layer in self.layers]).numpy()

    def entropy_bits(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] H(X̃_i) in bits."""
        return self.entropy_nats(sentence) / NATS_PER_BIT

    @property
    def converged(self) -> bool:
        return all(d["converged"] for d in self.diagnostics.values())

    def to_frame(self):
        """Tidy table: one row per (sentence, layer, word), the same columns for every method."""
        import pandas as pd

        rows = []
        for i, sentence in enumerate(self.sentences):
            pieces = self.pieces(i).tolist()
            for layer in self.layers:
                sigma = self.sigma[i, layer]
                entropy = entropy_nats(sigma, torch.tensor(pieces) * self.K)
                diag = self.diagnostics[i, layer]
                for w, word in enumerate(self.words[i]):
                    rows.append({
                        "method": self.method, "model": self.model, "sentence_id": i, "sentence": sentence,
                        "layer": layer, "word_id": w, "word": word, "pieces": pieces[w],
                        "sigma": float(sigma[w]), "log_sigma_ratio": math.log(float(sigma[w]) / self.scale),
                        "entropy_nats": float(entropy[w]), "entropy_bits": float(entropy[w]) / NATS_PER_BIT,
                        "steps": diag["steps"], "converged": diag["converged"],
                    })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        pairs = len(self.sigma)
        ok = sum(d["converged"] for d in self.diagnostics.values())
        return (f"<Explanation {self.model}: {len(self.sentences)} sentence(s) × {len(self.layers)} hidden state(s), "
                f"{self.level} level, {ok}/{pairs} converged>")
