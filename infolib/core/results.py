"""What an explanation holds: one score per sentence, hidden state and word, in one result type.

`WordScores` is the base: the sentences, hidden states, words and word pieces explained, which
model, and the tidy table, the map to plot, concatenation and save/load that every result shares.
Two kinds add their numbers:

- `Explanation` (the σ-optimisation): σ_i is the std of the largest Gaussian noise word i can take
  without changing the hidden state. Large σ (close to `scale`) = the hidden state has forgotten
  that word; small σ = it keeps the word's information. H(X̃_i) = m_i·K·(½·log 2πe + log σ_i) nats
  is the entropy of the perturbed word (m_i word pieces of K dimensions each); it grows with σ, so
  higher entropy = more forgotten. The one quantity every map, figure, table and widget shows is the
  information the state keeps about the word, `information(i)` = I_i = −log(σ_i / scale) in nats
  per dimension: ≥ 0, 0 = forgotten, larger = kept; it does not depend on K, so layers and models
  compare. σ, `log_sigma_ratio` = log(σ_i / scale) = −I_i and the entropies stay as raw accessors.
- `Attribution` (a baseline: saliency, gradient × input, integrated gradients, occlusion, LRP):
  unlike σ, a score grows with importance: larger |score| = the hidden state depends more on that
  word. Saliency and occlusion scores are ≥ 0; the others are signed (relative to the attributed
  scalar, see each method) and their magnitude is the importance. `score_meaning` says which.

`display_matrix(i)` gives both in one direction, larger = more of the word in the state: the
information kept −log(σ/scale) ≥ 0 for an Explanation, the score for an Attribution;
`display_label` / `display_meaning` say what it is and which way is "more", and `display_kind`
('information' or 'importance') names its colour convention (`infolib.viz.maps.SCALES`). Maps,
edits, metrics, widgets and the command line ask the result for these instead of re-deriving them.
`PhiExplanation` is the answer of `explain_phi` for one Φ on a tensor (no sentences).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar, Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from .atomic import atomic_write
from .version import __version__

HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)
# The one public quantity for "information kept by the layer", and how every figure and table names it.
INFORMATION_LABEL = "information kept −log(σ/scale) [nats/dim]"
INFORMATION_MEANING = "0 = forgotten, larger = kept"
NATS_PER_BIT = math.log(2)
FORMAT = "infolib-result/1"


def entropy_nats(sigma: Tensor, dims: Tensor | int) -> Tensor:
    """H(X̃_i) = dims_i · (½·log 2πe + log σ_i) in nats, dims_i = word pieces × K."""
    return torch.as_tensor(dims, dtype=sigma.dtype) * (HALF_LOG_2PI_E + torch.log(sigma))


def information_kept(sigma, scale: float) -> np.ndarray:
    """[...] I = −log(σ / scale) ≥ 0 in nats per dimension (σ ≤ scale; 0 = forgotten, never −0)."""
    sigma = np.asarray(sigma)
    sigma = sigma if np.issubdtype(sigma.dtype, np.floating) else sigma.astype(float)
    return np.maximum(-np.log(sigma / scale), 0.0) + 0.0


def _plain(value):
    """`value` with numpy numbers and arrays turned into Python numbers and tensors (safe to load)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Tensor):
        return value.detach().cpu()
    return value


class _Stored:
    """save/load of a result dataclass as one file: torch.save of a plain dict of its fields."""

    _types: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _Stored._types[cls.__name__] = cls

    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to one file (atomically: a crash leaves the old file or none). Returns the path."""
        path = Path(path)
        data = {
            "format": FORMAT,
            "type": type(self).__name__,
            "version": __version__,
            "fields": {f.name: _plain(getattr(self, f.name)) for f in fields(self)},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, lambda tmp: torch.save(data, tmp))

    @classmethod
    def load(cls, path: str | os.PathLike):
        """The result `save` wrote (of this class, or any result class when called on `WordScores`)."""
        try:
            data = torch.load(Path(path), weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as error:
            raise ValueError(f"{path} is not a result saved by infolib ({type(error).__name__}: {error}).") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("type") not in _Stored._types:
            raise ValueError(f"{path} is not a result saved by infolib (`result.save(path)` writes one).")
        kind = _Stored._types[data["type"]]
        if not issubclass(kind, cls):
            raise TypeError(
                f"{path} holds an infolib {kind.__name__}, not {cls.__name__}: load it with {kind.__name__}.load."
            )
        return kind(**data["fields"])


@dataclass(kw_only=True)
class WordScores(_Stored):
    """Per-word values of every (sentence, hidden state) pair of one run: what every result shares.

    Attributes:
        sentences: the sentences, as explained.
        layers: hidden-state names explained (e.g. 'layer.1' … 'layer.6').
        words: per sentence, the explained units ([CLS], words, [SEP]; or tokens at token level).
        tokens: per sentence, the word pieces; word_of_token maps them to `words`.
        model, fingerprint: which model (name, weights hash) was explained; level: 'word'/'token'.
        settings: every setting that changes the answer.
        method: 'information' for the σ-optimisation, else the baseline's name.
    """

    sentences: list[str]
    layers: list[str]
    words: list[list[str]]
    tokens: list[list[str]]
    word_of_token: list[list[int]]
    model: str
    fingerprint: str
    level: str = "word"
    settings: dict = field(default_factory=dict)
    method: str = ""

    # Fields keyed (sentence index, layer), and fields every part of a `concat` must share.
    _per_pair: ClassVar[tuple[str, ...]] = ()
    _shared: ClassVar[tuple[str, ...]] = ("method", "layers", "model", "fingerprint", "level")
    display_label: ClassVar[str] = ""
    display_meaning: ClassVar[str] = ""
    display_kind: ClassVar[str] = ""

    def pieces(self, sentence: int) -> Tensor:
        """[n_words] word pieces per word of a sentence."""
        return torch.bincount(torch.tensor(self.word_of_token[sentence]), minlength=len(self.words[sentence]))

    def display_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] the value to plot, larger = more of the word in the state (`display_meaning`)."""
        raise NotImplementedError

    def _columns(self, sentence: int, layer: str, pieces: list[int]) -> dict[str, list]:
        """The subclass's own to_frame columns for one pair: column -> one value per word."""
        raise NotImplementedError

    def to_frame(self):
        """Tidy table: one row per (sentence, layer, word), the same leading columns for every method.

        Columns: method, model, sentence_id, sentence, layer, word_id, word, pieces, then the
        result's own (σ and entropies for an Explanation, `score` for an Attribution);
        `pandas.concat` of several results' tables gives one table for every method.
        """

        rows = []
        for i, sentence in enumerate(self.sentences):
            pieces = self.pieces(i).tolist()
            for layer in self.layers:
                own = self._columns(i, layer, pieces)
                for w, word in enumerate(self.words[i]):
                    rows.append(
                        {
                            "method": self.method,
                            "model": self.model,
                            "sentence_id": i,
                            "sentence": sentence,
                            "layer": layer,
                            "word_id": w,
                            "word": word,
                            "pieces": pieces[w],
                            **{column: values[w] for column, values in own.items()},
                        }
                    )
        return pd.DataFrame(rows)

    @classmethod
    def concat(cls, parts: Sequence[WordScores], positions: Sequence[int] | None = None):
        """One result from parts over different sentences (same model, method, layers and level).

        Args:
            parts: results of the same class; their sentences are taken in order.
            positions: for each of those sentences, its index in the result (a permutation of
                0 … n−1); default: in order.
        """
        parts = list(parts)
        if not parts:
            raise ValueError("concat needs at least one result.")
        first = parts[0]
        for part in parts:
            if not isinstance(part, cls) or type(part) is not type(first):
                raise TypeError(
                    f"concat joins results of one kind, got {type(first).__name__} and {type(part).__name__}."
                )
            for name in first._shared:
                if getattr(part, name) != getattr(first, name):
                    raise ValueError(
                        f"cannot concatenate results with different {name}: "
                        f"{getattr(first, name)!r} and {getattr(part, name)!r}."
                    )
        n = sum(len(part.sentences) for part in parts)
        order = list(range(n)) if positions is None else [int(p) for p in positions]
        if sorted(order) != list(range(n)):
            raise ValueError(f"positions must be a permutation of 0 … {n - 1} (one per sentence of the parts).")
        per_sentence = {name: [None] * n for name in ("sentences", "words", "tokens", "word_of_token")}
        per_pair = {name: {} for name in first._per_pair}
        k = 0
        for part in parts:
            for local in range(len(part.sentences)):
                i, k = order[k], k + 1
                for name, values in per_sentence.items():
                    values[i] = getattr(part, name)[local]
                for name, values in per_pair.items():
                    source = getattr(part, name)
                    for layer in part.layers:
                        if (local, layer) in source:
                            values[i, layer] = source[local, layer]
        rest = {
            f.name: getattr(first, f.name)
            for f in fields(first)
            if f.name not in per_sentence and f.name not in per_pair
        }
        return type(first)(**rest, **per_sentence, **per_pair)

    def _repr_name(self) -> str:
        return self.model

    def _repr_detail(self) -> str:
        return ""

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._repr_name()}: {len(self.sentences)} sentence(s) × {len(self.layers)} "
            f"hidden state(s), {self.level} level{self._repr_detail()}>"
        )


@dataclass(kw_only=True, repr=False)
class Explanation(WordScores):
    """Per-word information of every (sentence, hidden state) pair explained in one run (module doc).

    Attributes (besides `WordScores`'):
        sigma: (sentence index, layer) -> [n_words] σ.
        diagnostics: (sentence index, layer) -> {'loss_curve', 'steps', 'converged', 'passes', 'cached'}
            (passes: forward and backward passes of the model spent on the pair, None if not recorded).
        scale, K: σ's upper bound and the embedding size; settings: the estimator settings.
    """

    sigma: dict[tuple[int, str], Tensor]
    diagnostics: dict[tuple[int, str], dict]
    scale: float
    K: int
    method: str = "information"

    _per_pair: ClassVar[tuple[str, ...]] = ("sigma", "diagnostics")
    _shared: ClassVar[tuple[str, ...]] = WordScores._shared + ("scale", "K", "settings")
    display_label: ClassVar[str] = INFORMATION_LABEL
    display_meaning: ClassVar[str] = INFORMATION_MEANING
    display_kind: ClassVar[str] = "information"

    def sigma_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] σ of one sentence."""
        return torch.stack([self.sigma[sentence, layer] for layer in self.layers]).numpy()

    def log_sigma_ratio(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] log(σ / scale) = −`information` (raw accessor): 0 = forgotten, more negative = kept."""
        return np.log(self.sigma_matrix(sentence) / self.scale)

    def information(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] information kept I = −log(σ / scale) ≥ 0, nats per dimension (0 = forgotten, ↑ = kept)."""
        return information_kept(self.sigma_matrix(sentence), self.scale)

    def display_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] what a map shows: `information` (0 = forgotten, larger = kept)."""
        return self.information(sentence)

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

    def _columns(self, sentence: int, layer: str, pieces: list[int]) -> dict[str, list]:
        sigma = self.sigma[sentence, layer]
        entropy = entropy_nats(sigma, torch.tensor(pieces) * self.K).tolist()
        diag = self.diagnostics[sentence, layer]
        values = sigma.tolist()
        return {
            "sigma": values,
            "log_sigma_ratio": [math.log(s / self.scale) for s in values],
            "information": information_kept(np.asarray(values, dtype=float), self.scale).tolist(),
            "entropy_nats": entropy,
            "entropy_bits": [h / NATS_PER_BIT for h in entropy],
            "steps": [diag["steps"]] * len(values),
            "converged": [diag["converged"]] * len(values),
        }

    def _repr_detail(self) -> str:
        ok = sum(d["converged"] for d in self.diagnostics.values())
        return f", {ok}/{len(self.sigma)} converged"


@dataclass(kw_only=True, repr=False)
class Attribution(WordScores):
    """Per-word scores of a baseline method for every (sentence, hidden state) pair of one call.

    Attributes (besides `WordScores`'):
        method: 'gradient_saliency', 'input_x_gradient', 'integrated_gradients', 'occlusion', 'lrp'.
        scores: (sentence index, layer) -> [n_words] score (larger |score| = more important).
        score_meaning: one sentence saying what the score is and which sign means what.
        aggregation: how the word pieces' scores were combined into a word's score.
        settings: the method's settings (all of them change the answer).
        extra: method diagnostics, e.g. (sentence, layer) -> standard error or completeness delta.
    """

    method: str
    scores: dict[tuple[int, str], Tensor]
    score_meaning: str
    aggregation: str
    extra: dict = field(default_factory=dict)

    _per_pair: ClassVar[tuple[str, ...]] = ("scores", "extra")
    _shared: ClassVar[tuple[str, ...]] = WordScores._shared + ("score_meaning", "aggregation")
    display_meaning: ClassVar[str] = "larger |score| = more important"
    display_kind: ClassVar[str] = "importance"

    @property
    def display_label(self) -> str:
        return f"{self.method} score"

    def score_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] scores of one sentence."""
        return torch.stack([self.scores[sentence, layer] for layer in self.layers]).numpy()

    def display_matrix(self, sentence: int = 0) -> np.ndarray:
        """[layers, n_words] the scores (larger |score| = more important)."""
        return self.score_matrix(sentence)

    def _columns(self, sentence: int, layer: str, pieces: list[int]) -> dict[str, list]:
        return {"score": self.scores[sentence, layer].tolist()}

    def _repr_name(self) -> str:
        return f"{self.method} on {self.model}"


@dataclass(repr=False)
class PhiExplanation(_Stored):
    """σ for the words (rows) of x under one Φ (`explain_phi`).

    Attributes:
        sigma: [n_words] noise std each word tolerates; larger = more forgotten by Φ.
        entropy_nats: [n_words] H(X̃_i) = K·(½·log 2πe + log σ_i).
        scale: upper bound of σ used.
        loss_curve: objective per step; steps: steps taken; converged: stopped by the rule.
        passes: forward and backward passes of Φ spent (the start's probes included).
    """

    sigma: Tensor
    entropy_nats: Tensor
    scale: float
    loss_curve: list[float]
    steps: int
    converged: bool
    passes: int = 0

    @property
    def entropy_bits(self) -> Tensor:
        return self.entropy_nats / NATS_PER_BIT

    display_label: ClassVar[str] = INFORMATION_LABEL
    display_meaning: ClassVar[str] = INFORMATION_MEANING
    display_kind: ClassVar[str] = "information"

    def display_matrix(self) -> np.ndarray:
        """[1, n_words] −log(σ / scale): the information Φ keeps, 0 = forgotten, larger = kept."""
        return information_kept(self.sigma.numpy(), self.scale)[None]

    def __repr__(self) -> str:
        return (
            f"<PhiExplanation: {len(self.sigma)} word(s), {self.steps} step(s), "
            f"{'converged' if self.converged else 'not converged'}>"
        )
