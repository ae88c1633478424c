"""The layers × words map: one drawing behind every view of a sentence (figures, notebooks, widgets).

Rows are hidden states, shallow (top) to deep; columns are the sentence's words in reading order.
`SCALES` is the colour convention, so a reader learns it once:

    σ-based values (log(σ/scale), σ, entropy)   viridis   dark = kept, bright = forgotten
    importance (|score|, or / each row's max)   magma     bright = important
    change after an edit (new − old)            RdBu_r    centred on 0: blue = kept more, red = forgot more

`word_map` draws one map on an axis; `information_heatmap` (one explanation), `viz.compare`
(the what-if tool's figures) and `viz.paper.method_maps` (methods × models) are built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..core.results import Explanation
from .export import save_figure  # noqa: F401  (its old home: `from infolib.viz.maps import save_figure`)

INFORMATION = "information"


@dataclass(frozen=True)
class Scale:
    """How one kind of value is coloured: the colour map, its fixed ends, and what the colours mean.

    Attributes:
        label: what the values are; meaning: which way is kept/important (for the colour bar).
        cmap: matplotlib colour map; vmin, vmax: fixed ends (None = from the data).
        centred: symmetric around 0 (the ends are ± the largest |value|).
    """

    label: str
    meaning: str
    cmap: str
    vmin: float | None = None
    vmax: float | None = None
    centred: bool = False

    @property
    def colorbar_label(self) -> str:
        return f"{self.label}\n{self.meaning}"


SCALES = {
    "log_sigma_ratio": Scale("log(σ / scale)", "0 = forgotten, lower = kept", "viridis", vmax=0.0),
    "sigma": Scale("σ", "larger = more forgotten", "viridis"),
    "entropy_nats": Scale("H(X̃ᵢ) [nats]", "higher = more forgotten", "viridis"),
    "entropy_bits": Scale("H(X̃ᵢ) [bits]", "higher = more forgotten", "viridis"),
    "importance": Scale("|score|", "larger = more important", "magma", vmin=0.0),
    "relative_importance": Scale("importance / row max", "(bright = important)", "magma", vmin=0.0, vmax=1.0),
    "change": Scale("Δ (new − old)", "< 0: kept more, > 0: forgot more", "RdBu_r", centred=True),
}
# The values an Explanation offers (information_heatmap's `value`), with their label and meaning.
VALUES = {
    name: (SCALES[name].label, SCALES[name].meaning)
    for name in ("log_sigma_ratio", "sigma", "entropy_nats", "entropy_bits")
}


def map_size(n_words: int, n_layers: int) -> tuple[float, float]:
    """(width, height) in inches of one map with room for its word and layer labels."""
    return max(4.0, 0.5 * n_words + 2.2), max(0.42 * n_layers + 1.8, 2.8)


def word_map(
    ax,
    matrix,
    words: Sequence[str],
    layers: Sequence[str],
    scale: str | Scale = "log_sigma_ratio",
    *,
    label: str | None = None,
    colorbar: bool = True,
    fontsize: int = 8,
    xlabel: str | None = None,
    ylabel: str | None = None,
):
    """Draw one [layers, words] map on `ax` in the colour convention of `scale`.

    Args:
        matrix: [len(layers), len(words)] values; NaN cells are left blank.
        scale: a key of `SCALES` or a `Scale`.
        label: the colour bar's label (default: the scale's label and meaning); colorbar: draw one.
    Returns:
        the AxesImage (for a colour bar shared by several maps).
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(layers), len(words)):
        raise ValueError(f"the map is {matrix.shape} but there are {len(layers)} hidden states and {len(words)} words.")
    if isinstance(scale, str) and scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} or a Scale, got {scale!r}.")
    style = SCALES[scale] if isinstance(scale, str) else scale
    vmin, vmax = style.vmin, style.vmax
    if style.centred:
        finite = np.abs(matrix[np.isfinite(matrix)])
        vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        vmin = -vmax
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap=style.cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(words)), list(words), rotation=60, ha="right", fontsize=fontsize)
    ax.set_yticks(range(len(layers)), list(layers), fontsize=fontsize)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=label or style.colorbar_label, fraction=0.05)
    return image


def result_map(result, sentence: int = 0) -> tuple[np.ndarray, str]:
    """What a map of one sentence of a result shows: ([layers, words] values, the key of their scale).

    An Explanation gives log(σ/scale) ('log_sigma_ratio'); a baseline Attribution gives |score|
    ('importance').
    """
    if getattr(result, "method", None) == INFORMATION:
        return result.log_sigma_ratio(sentence), "log_sigma_ratio"
    return np.abs(result.score_matrix(sentence)), "importance"


def _values(explanation: Explanation, sentence: int, value: str) -> np.ndarray:
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, got {value!r}.")
    if value == "sigma":
        return explanation.sigma_matrix(sentence)
    return getattr(explanation, value)(sentence)


def information_heatmap(
    explanation: Explanation, sentence: int = 0, value: str = "log_sigma_ratio", ax=None, title: str | None = None
):
    """Layers × words map of one sentence's information; kept words are dark.

    Args:
        explanation: from `infolib.core.explain`.
        sentence: index of the sentence in the explanation.
        value: 'log_sigma_ratio' (default; comparable across layers and models), 'sigma',
            'entropy_nats' or 'entropy_bits'.
    Returns:
        the matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

    if not 0 <= sentence < len(explanation.sentences):
        raise IndexError(f"sentence {sentence} is out of range: the explanation has {len(explanation.sentences)}.")
    matrix = _values(explanation, sentence, value)
    words = explanation.words[sentence]
    if ax is None:
        fig, ax = plt.subplots(figsize=map_size(len(words), len(explanation.layers)))
    else:
        fig = ax.figure
    word_map(ax, matrix, words, explanation.layers, value, fontsize=9, xlabel="word", ylabel="hidden state")
    ax.set_title(title or f"{explanation.model}: information each layer keeps of each word", fontsize=10)
    fig.tight_layout()
    return fig


__all__ = ["SCALES", "Scale", "VALUES", "information_heatmap", "map_size", "result_map", "save_figure", "word_map"]
