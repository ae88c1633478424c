"""The layers × words map: one drawing behind every view of a sentence (figures, notebooks, widgets).

Rows are hidden states, shallow (top) to deep; columns are the sentence's words in reading order.
`SCALES` is the colour convention, so a reader learns it once: every map is darker where there is
more of the word in the state.

    information kept −log(σ/scale) (the default)  viridis_r  0 = forgotten (light), dark = kept
    importance (|score|, or / each row's max)    magma_r    light = unimportant, dark = important
    change after an edit (new − old)             RdBu       centred on 0: blue = kept more, red = forgot more
    raw: log(σ/scale), σ, entropy                viridis    higher = more forgotten (bright)

A result says which of the first two its `display_matrix` is (`display_kind`); `result_map` asks it.

`word_map` draws one map on an axis; `information_heatmap` (one explanation), `viz.compare`
(the what-if tool's figures) and `viz.figures.method_maps` (methods × models) are built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..core.results import INFORMATION_LABEL, INFORMATION_MEANING, Explanation
from .export import save_figure  # noqa: F401  (its old home: `from infolib.viz.maps import save_figure`)
from .labels import word_ticks
from .theme import theme


@dataclass(frozen=True)
class Scale:
    """How one kind of value is coloured: the colour map, its fixed ends, and what the colours mean.

    Attributes:
        label: what the values are; meaning: which way is kept/important (for the colour bar).
        cmap: matplotlib colour map; vmin, vmax: fixed ends (None = from the data).
        centred: symmetric around 0 (the ends are ± the largest |value|).
        magnitude: draw |value| (signed scores, whose magnitude is the importance).
    """

    label: str
    meaning: str
    cmap: str
    vmin: float | None = None
    vmax: float | None = None
    centred: bool = False
    magnitude: bool = False

    @property
    def colorbar_label(self) -> str:
        return f"{self.label}\n{self.meaning}"


SCALES = {
    "information": Scale(INFORMATION_LABEL, INFORMATION_MEANING, "viridis_r", vmin=0.0),
    "log_sigma_ratio": Scale("log(σ / scale)", "0 = forgotten, lower = kept", "viridis", vmax=0.0),
    "sigma": Scale("σ", "larger = more forgotten", "viridis"),
    "entropy_nats": Scale("H(X̃ᵢ) [nats]", "higher = more forgotten", "viridis"),
    "entropy_bits": Scale("H(X̃ᵢ) [bits]", "higher = more forgotten", "viridis"),
    "importance": Scale("|score|", "larger = more important", "magma_r", vmin=0.0, magnitude=True),
    "relative_importance": Scale(
        "importance / its layer's max", "1 = the layer's most important word (dark)", "magma_r", vmin=0.0, vmax=1.0
    ),
    "change": Scale("Δ (new − old)", "> 0: kept more (blue), < 0: forgot more (red)", "RdBu", centred=True),
}
# The values an Explanation offers (information_heatmap's `value`), with their label and meaning.
VALUES = {
    name: (SCALES[name].label, SCALES[name].meaning)
    for name in ("information", "log_sigma_ratio", "sigma", "entropy_nats", "entropy_bits")
}


def map_size(n_words: int, n_layers: int) -> tuple[float, float]:
    """(width, height) in inches of one map with room for its word and layer labels."""
    return max(4.0, 0.5 * n_words + 2.2), max(0.42 * n_layers + 1.8, 2.8)


def word_map(
    ax,
    matrix,
    words: Sequence[str],
    layers: Sequence[str],
    scale: str | Scale = "information",
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
    matrix, vmin, vmax = _styled(matrix, style)
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap=style.cmap, vmin=vmin, vmax=vmax)
    ax.grid(False)
    word_ticks(ax, list(words), fontsize=fontsize)
    ax.set_yticks(range(len(layers)), list(layers), fontsize=fontsize)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=label or style.colorbar_label, fraction=0.05)
    return image


def colour_limits(matrix, style: Scale) -> tuple[np.ndarray, float, float]:
    """(the values drawn, vmin, vmax) of a map in `style`: the scale's fixed ends, else the data's (what
    imshow's autoscaling gives, a constant map ± 0.5)."""
    matrix, vmin, vmax = _styled(np.asarray(matrix, dtype=float), style)
    finite = matrix[np.isfinite(matrix)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:  # a constant map: what imshow's autoscaling does with it
        vmin, vmax = vmin - 0.5, vmin + 0.5
    return matrix, vmin, vmax


def _styled(matrix: np.ndarray, style: Scale) -> tuple[np.ndarray, float | None, float | None]:
    """The values drawn (|value| for a magnitude scale) and the colour limits (None = the data's)."""
    if style.magnitude:
        matrix = np.abs(matrix)
    vmin, vmax = style.vmin, style.vmax
    if style.centred:
        finite = np.abs(matrix[np.isfinite(matrix)])
        vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        vmin = -vmax
    return matrix, vmin, vmax


def refresh_map(image, matrix, words: Sequence[str], layers: Sequence[str], scale: str | Scale = "information") -> None:
    """Redraw a `word_map` in place with new values and labels of the same shape: the image's data, its
    colour limits and the tick labels change, the axes and the colour bar stay (a what-if edit).

    Raises:
        ValueError: the new map's shape differs from the drawn one (draw a new map then).
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != image.get_array().shape or matrix.shape != (len(layers), len(words)):
        raise ValueError(f"refresh_map keeps the shape {image.get_array().shape}; got {matrix.shape}: draw a new map.")
    style = SCALES[scale] if isinstance(scale, str) else scale
    matrix, vmin, vmax = colour_limits(matrix, style)
    image.set_data(np.ma.masked_invalid(matrix))
    image.set_clim(vmin, vmax)
    ax = image.axes
    fontsize = ax.xaxis.get_ticklabels()[0].get_fontsize() if len(words) else 8
    word_ticks(ax, list(words), fontsize=fontsize)
    ax.set_yticks(range(len(layers)), list(layers), fontsize=fontsize)


def result_map(result, sentence: int = 0) -> tuple[np.ndarray, str]:
    """What a map of one sentence of a result shows: ([layers, words] values, the key of their scale).

    The result says: its `display_matrix` (information kept −log(σ/scale) for an Explanation, the
    score for an Attribution) and its `display_kind` ('information' / 'importance', drawn as |score|).
    """
    return result.display_matrix(sentence), result.display_kind


def _values(explanation: Explanation, sentence: int, value: str) -> np.ndarray:
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, got {value!r}.")
    if value == "sigma":
        return explanation.sigma_matrix(sentence)
    if value == "information":
        return explanation.display_matrix(sentence)
    return getattr(explanation, value)(sentence)


def information_heatmap(
    explanation: Explanation, sentence: int = 0, value: str = "information", ax=None, title: str | None = None
):
    """Layers × words map of one sentence's information; kept words are dark.

    Args:
        explanation: from `infolib.core.explain`.
        sentence: index of the sentence in the explanation.
        value: 'information' (default: information kept −log(σ/scale), comparable across layers and
            models), or a raw value: 'log_sigma_ratio', 'sigma', 'entropy_nats', 'entropy_bits'.
    Returns:
        the matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

    if not 0 <= sentence < len(explanation.sentences):
        raise IndexError(f"sentence {sentence} is out of range: the explanation has {len(explanation.sentences)}.")
    matrix = _values(explanation, sentence, value)
    words = explanation.words[sentence]
    with theme():  # the figures' one look (viz.theme)
        if ax is None:
            fig, ax = plt.subplots(figsize=map_size(len(words), len(explanation.layers)))
        else:
            fig = ax.figure
        word_map(ax, matrix, words, explanation.layers, value, fontsize=9, xlabel="word", ylabel="hidden state")
        ax.set_title(title or f"{explanation.model}: information each layer keeps of each word", fontsize=10)
        fig.tight_layout()
    return fig


__all__ = [
    "SCALES",
    "Scale",
    "VALUES",
    "colour_limits",
    "information_heatmap",
    "map_size",
    "result_map",
    "save_figure",
    "word_map",
]
