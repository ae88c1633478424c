"""How an edit of a sentence changes what each layer keeps of each word (the what-if tool's difference).

`information_diff` aligns the words of two sentences (difflib) and gives, for the words present in
both, the change of the method's value per layer; added and removed words are marked. The value is
the one the result displays (`display_matrix`): for σ the information kept −log(σ/scale), so a
positive change (new − old) means the edited sentence's layer keeps *more* of that word.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

import numpy as np


def value_matrix(result, sentence: int = 0) -> tuple[np.ndarray, str, str]:
    """[layers, words] values of one sentence of a result, their label and what they mean: as the result says.

    For σ (an Explanation): the information kept −log(σ/scale) (0 = forgotten, larger = kept). For
    a baseline (an Attribution): its score (larger |score| = more important).
    """
    return result.display_matrix(sentence), result.display_label, result.display_meaning


@dataclass
class WordDiff:
    """How an edit changed each word's information, per layer.

    Attributes:
        layers: [L] hidden states present in both results.
        columns: [C] words of the aligned sentences in reading order (removed words included).
        kinds: [C] 'same', 'added' (only in the new sentence) or 'removed' (only in the old one).
        change: [L, C] new − old value for 'same' words, NaN for added and removed words.
        label: what `change` is the difference of; old_sentence, new_sentence: the two sentences.
        model: the model's name.
    """

    layers: list[str]
    columns: list[str]
    kinds: list[str]
    change: np.ndarray
    label: str
    old_sentence: str
    new_sentence: str
    model: str = ""

    @property
    def added(self) -> list[str]:
        return [w for w, k in zip(self.columns, self.kinds) if k == "added"]

    @property
    def removed(self) -> list[str]:
        return [w for w, k in zip(self.columns, self.kinds) if k == "removed"]

    def gained(self, threshold: float = 0.0) -> list[tuple[str, str, float]]:
        """(layer, word, change) where the word is kept more after the edit (change > threshold)."""
        return [
            (self.layers[r], self.columns[c], float(self.change[r, c]))
            for r, c in zip(*np.nonzero(self.change > threshold))
        ]

    def lost(self, threshold: float = 0.0) -> list[tuple[str, str, float]]:
        """(layer, word, change) where the word is forgotten more after the edit (change < −threshold)."""
        return [
            (self.layers[r], self.columns[c], float(self.change[r, c]))
            for r, c in zip(*np.nonzero(self.change < -threshold))
        ]


def align_words(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int | None, int | None]]:
    """Align two word lists: ('same', i_old, i_new), ('added', None, i_new), ('removed', i_old, None).

    Words are compared case-insensitively; replaced words count as removed + added.
    """
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in old], b=[w.lower() for w in new], autojunk=False)
    out: list[tuple[str, int | None, int | None]] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out += [("same", a0 + k, b0 + k) for k in range(a1 - a0)]
            continue
        out += [("removed", i, None) for i in range(a0, a1)]
        out += [("added", None, j) for j in range(b0, b1)]
    return out


def information_diff(old, new) -> WordDiff:
    """Change of each word's value per layer from `old` to `new` (Explanations or Attributions).

    Args:
        old, new: results of the same method on one sentence each (sentence 0 is used).
    Returns:
        WordDiff with change [layers in both, aligned words]; for σ the change of the information
        kept −log(σ/scale): positive = the layer keeps more of the word after the edit.
    """
    if getattr(old, "method", None) != getattr(new, "method", None):
        raise ValueError(f"cannot compare a {old.method} result with a {new.method} result.")
    old_values, label, _ = value_matrix(old)
    new_values, _, _ = value_matrix(new)
    layers = [name for name in new.layers if name in old.layers]
    if not layers:
        raise ValueError("the two results share no hidden state: choose overlapping layer ranges.")
    old_rows = [old.layers.index(name) for name in layers]
    new_rows = [new.layers.index(name) for name in layers]
    old_words, new_words = old.words[0], new.words[0]
    alignment = align_words(old_words, new_words)
    change = np.full((len(layers), len(alignment)), np.nan)
    columns, kinds = [], []
    for c, (kind, i, j) in enumerate(alignment):
        kinds.append(kind)
        columns.append(new_words[j] if j is not None else old_words[i])
        if kind == "same":
            change[:, c] = new_values[new_rows, j] - old_values[old_rows, i]
    return WordDiff(
        layers, columns, kinds, change, label, old.sentences[0], new.sentences[0], getattr(new, "model", "")
    )


__all__ = ["WordDiff", "align_words", "information_diff", "value_matrix"]
