"""The what-if tool's figures: one sentence on several models side by side, and the change after an edit.

Both are drawn with `maps.word_map` in its colour convention, on a plain `matplotlib.figure.Figure`
(not pyplot), so a widget's background thread can draw them.
"""

from __future__ import annotations

from typing import Sequence

from ..analysis.edits import WordDiff
from .maps import SCALES, Scale, map_size, result_map, word_map

EDIT_MARKS = {"same": "{}", "added": "+{}", "removed": "−{}"}
EDIT_COLOURS = {"added": "tab:green", "removed": "grey"}


def _panels(widths: list[float], height: float, fig=None):
    from matplotlib.figure import Figure  # lazy: start-up cost (matplotlib, ~3 s to import)

    fig = fig or Figure(figsize=(sum(widths), height))
    return fig, fig.subplots(1, len(widths), gridspec_kw={"width_ratios": widths}, squeeze=False)[0]


def side_by_side(results: Sequence, titles: Sequence[str], fig=None):
    """Layers × words map of sentence 0 of each result, side by side (e.g. one per model).

    Args:
        results: Explanations (information kept −log(σ/scale), dark = kept) or Attributions
            (|score|, dark = important); each result says which (`display_kind`).
        titles: one title per panel.
    Returns:
        the matplotlib Figure (1 × len(results) panels).
    """
    if not results:
        raise ValueError("nothing to draw: no results given.")
    if len(titles) != len(results):
        raise ValueError(f"{len(results)} results but {len(titles)} titles.")
    sizes = [map_size(len(r.words[0]), len(r.layers)) for r in results]
    fig, axes = _panels([w for w, _ in sizes], max(h for _, h in sizes), fig)
    for i, (ax, result, title) in enumerate(zip(axes, results, titles)):
        matrix, scale = result_map(result)
        label = f"|{result.display_label}|\n{SCALES[scale].meaning}" if SCALES[scale].magnitude else None
        ylabel = "hidden state" if i == 0 else None  # one row of panels shares its layers
        word_map(ax, matrix, result.words[0], result.layers, scale, label=label, xlabel="word", ylabel=ylabel)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def diff_figure(diffs: WordDiff | Sequence[WordDiff], fig=None):
    """Change of each word's information per layer after an edit; added/removed words marked.

    Blue (positive) = the layer keeps more of the word after the edit; red = forgets more. Added
    words ('+word', green, hatched //) and removed words ('−word', grey, hatched xx) have no difference.
    Returns:
        the matplotlib Figure (one panel per model).
    """
    from matplotlib.patches import Rectangle  # lazy: start-up cost (matplotlib, ~3 s to import)

    diffs = [diffs] if isinstance(diffs, WordDiff) else list(diffs)
    if not diffs:
        raise ValueError("nothing to draw: no differences given.")
    sizes = [map_size(len(d.columns), len(d.layers)) for d in diffs]
    fig, axes = _panels([w for w, _ in sizes], max(h for _, h in sizes) + 0.2, fig)
    change = SCALES["change"]
    for ax, d in zip(axes, diffs):
        labels = [EDIT_MARKS[k].format(w) for w, k in zip(d.columns, d.kinds)]
        scale = Scale(f"Δ {d.label}\n(new − old)", change.meaning, change.cmap, centred=True)
        word_map(ax, d.change, labels, d.layers, scale)
        for tick, kind in zip(ax.get_xticklabels(), d.kinds):
            if kind in EDIT_COLOURS:
                tick.set_color(EDIT_COLOURS[kind])
        for c, kind in enumerate(d.kinds):
            if kind != "same":
                ax.add_patch(
                    Rectangle(
                        (c - 0.5, -0.5),
                        1,
                        len(d.layers),
                        fill=False,
                        linewidth=0,
                        hatch="//" if kind == "added" else "xx",
                        edgecolor=EDIT_COLOURS[kind],
                    )
                )
        ax.set_title(f"{d.model}: change after the edit (+ added, − removed)", fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ["diff_figure", "side_by_side"]
