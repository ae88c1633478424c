"""What a baseline explanation holds: one score per sentence, hidden state and word.

Unlike σ, a baseline score grows with importance: larger |score| = the hidden state depends more
on that word. Gradient saliency and occlusion scores are ≥ 0; gradient × input, integrated
gradients and LRP scores are signed (their sign is relative to the attributed scalar, see each
method), and their magnitude is the importance. Each result says so in `score_meaning`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor


@dataclass
class Attribution:
    """Per-word scores of a baseline method for every (sentence, hidden state) pair of one call.

    Attributes:
        method: 'gradient_saliency', 'input_x_gradient', 'integrated_gradients', 'occlusion', 'lrp'.
        sentences: the sentences, as explained.
        layers: hidden-state names explained (e.g. 'layer.1' … 'layer.6').
        words: per sentence, the explained units ([CLS], words, [SEP]; or tokens at token level).
        tokens: per sentence, the word pieces; word_of_token maps them to `words`.
        scores: (sentence index, layer) -> [n_words] score (larger |score| = more important).
        score_meaning: one sentence saying what the score is and which sign means what.
        aggregation: how the word pieces' scores were combined into a word's score.
        model, fingerprint: which model (name, weights hash) was explained; level: 'word'/'token'.
        settings: the method's settings (all of them change the answer).
        extra: method diagnostics, e.g. (sentence, layer) -> standard error or completeness delta.
    """

    method: str
    sentences: list[str]
    layers: list[str]
    words: list[list[str]]
    tokens: list[list[str]]
    word_of_token: list[list[int]]
    scores: dict[tuple[int, str], Tensor]
    score_meaning: str
    aggregation: str
    model: str
    fingerprint: str
    level: str = "word"
    settings: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def pieces(self, sentence: int) -> Tensor:
        """[n_words] word pieces per word of a sentence."""
        return torch.bincount(torch.tensor(self.word_of_token[sentence]), minlength=len(self.words[sentence]))

    def score_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] scores of one sentence."""
        return torch.stack([self.scores[sentence, layer] for layer in self.layers]).numpy()

    def to_frame(self):
        """Tidy table: one row per (sentence, layer, word), the estimator's key columns + `score`.

        Columns: method, model, sentence_id, sentence, layer, word_id, word, pieces, score.
        `pandas.concat` with `Explanation.to_frame()` gives one table for every method.
        """
        import pandas as pd

        rows = []
        for i, sentence in enumerate(self.sentences):
            pieces = self.pieces(i).tolist()
            for layer in self.layers:
                score = self.scores[i, layer]
                for w, word in enumerate(self.words[i]):
                    rows.append({
                        "method": self.method, "model": self.model, "sentence_id": i, "sentence": sentence,
                        "layer": layer, "word_id": w, "word": word, "pieces": pieces[w], "score": float(score[w]),
                    })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"<Attribution {self.method} on {self.model}: {len(self.sentences)} sentence(s) × "
                f"{len(self.layers)} hidden state(s), {self.level} level>")
