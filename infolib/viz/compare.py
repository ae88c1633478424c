"""The what-if tool's figures: one sentence on several models side by side, and the change after an edit.

`update_side_by_side` and `update_diff_figure` redraw such a figure in place after an edit (the
images' data, the colour limits, the tick labels, the titles; the same Figure and axes) when every
panel keeps its shape, and rebuild it on the same Figure otherwise (a sentence of another length).

Both are drawn with `maps.word_map` in its colour convention, on a plain `matplotlib.figure.Figure`
(not pyplot), so a widget's background thread can draw them.
"""

from __future__ import annotations

from typing import Sequence

from ..analysis.edits import WordDiff
from .maps import SCALES, Scale, map_size, refresh_map, result_map, word_map

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
    panels = []
    for i, (ax, result, title) in enumerate(zip(axes, results, titles)):
        matrix, scale = result_map(result)
        label = f"|{result.display_label}|\n{SCALES[scale].meaning}" if SCALES[scale].magnitude else None
        ylabel = "hidden state" if i == 0 else None  # one row of panels shares its layers
        image = word_map(ax, matrix, result.words[0], result.layers, scale, label=label, xlabel="word", ylabel=ylabel)
        ax.set_title(title, fontsize=9)
        panels.append((image, scale, matrix.shape))
    fig.tight_layout()
    fig._infolib_panels = ("side_by_side", panels)
    return fig


def _same_panels(fig, kind: str, shapes: list[tuple[int, int]]) -> list | None:
    """The drawn panels of `fig` if it is a `kind` figure whose panels have exactly these shapes, else None."""
    drawn_kind, panels = getattr(fig, "_infolib_panels", (None, []))
    if drawn_kind != kind or [shape for *_, shape in panels] != shapes:
        return None
    return panels


def _rebuild(fig, widths: list[float], height: float):
    fig.clf()
    fig.__dict__.pop("_infolib_titles", None)
    fig.set_size_inches(sum(widths), height)
    return fig


def update_side_by_side(fig, results: Sequence, titles: Sequence[str]):
    """`side_by_side(results, titles)` drawn into `fig` (one it drew): in place when every panel keeps its
    [layers, words] shape and scale, else rebuilt on the same Figure. Returns `fig`."""
    if len(titles) != len(results):
        raise ValueError(f"{len(results)} results but {len(titles)} titles.")
    maps = [result_map(r) for r in results]
    panels = _same_panels(fig, "side_by_side", [m.shape for m, _ in maps])
    if panels is None or [scale for _, scale, _ in panels] != [scale for _, scale in maps]:
        sizes = [map_size(len(r.words[0]), len(r.layers)) for r in results]
        return side_by_side(results, titles, _rebuild(fig, [w for w, _ in sizes], max(h for _, h in sizes)))
    fig.__dict__.pop("_infolib_titles", None)
    for (image, scale, _), (matrix, _), result, title in zip(panels, maps, results, titles):
        refresh_map(image, matrix, result.words[0], result.layers, scale)
        image.axes.set_title(title, fontsize=9)
    return fig


def diff_figure(diffs: WordDiff | Sequence[WordDiff], fig=None):
    """Change of each word's information per layer after an edit; added/removed words marked.

    Blue (positive) = the layer keeps more of the word after the edit; red = forgets more. Added
    words ('+word', green, hatched //) and removed words ('−word', grey, hatched xx) have no difference.
    Returns:
        the matplotlib Figure (one panel per model).
    """
    diffs = [diffs] if isinstance(diffs, WordDiff) else list(diffs)
    if not diffs:
        raise ValueError("nothing to draw: no differences given.")
    sizes = [map_size(len(d.columns), len(d.layers)) for d in diffs]
    fig, axes = _panels([w for w, _ in sizes], max(h for _, h in sizes) + 0.2, fig)
    panels = []
    for ax, d in zip(axes, diffs):
        scale = _diff_scale(d)
        image = word_map(ax, d.change, _diff_labels(d), d.layers, scale)
        _mark_edits(ax, d)
        panels.append((image, scale.label, d.change.shape))
    fig.tight_layout()
    fig._infolib_panels = ("diff", panels)
    return fig


def _diff_scale(d: WordDiff) -> Scale:
    change = SCALES["change"]
    return Scale(f"Δ {d.label}\n(new − old)", change.meaning, change.cmap, centred=True)


def _diff_labels(d: WordDiff) -> list[str]:
    return [EDIT_MARKS[k].format(w) for w, k in zip(d.columns, d.kinds)]


def _mark_edits(ax, d: WordDiff) -> None:
    """Colour the added and removed words' labels and hatch their columns (replacing earlier marks)."""
    from matplotlib.patches import Rectangle  # lazy: start-up cost (matplotlib, ~3 s to import)

    for patch in list(ax.patches):
        patch.remove()
    for tick, kind in zip(ax.get_xticklabels(), d.kinds):
        tick.set_color(EDIT_COLOURS.get(kind, "black"))
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


def update_diff_figure(fig, diffs: WordDiff | Sequence[WordDiff]):
    """`diff_figure(diffs)` drawn into `fig` (one it drew): in place when every panel keeps its shape and
    label, else rebuilt on the same Figure. Returns `fig`."""
    diffs = [diffs] if isinstance(diffs, WordDiff) else list(diffs)
    if not diffs:
        raise ValueError("nothing to draw: no differences given.")
    panels = _same_panels(fig, "diff", [d.change.shape for d in diffs])
    if panels is None or [label for _, label, _ in panels] != [_diff_scale(d).label for d in diffs]:
        sizes = [map_size(len(d.columns), len(d.layers)) for d in diffs]
        return diff_figure(diffs, _rebuild(fig, [w for w, _ in sizes], max(h for _, h in sizes) + 0.2))
    fig.__dict__.pop("_infolib_titles", None)
    for (image, _, _), d in zip(panels, diffs):
        refresh_map(image, d.change, _diff_labels(d), d.layers, _diff_scale(d))
        _mark_edits(image.axes, d)
    return fig


__all__ = ["diff_figure", "side_by_side", "update_diff_figure", "update_side_by_side"]
