"""The layers × words map as an HTML table: what the what-if widget shows after every edit.

A table of coloured cells is built in about a millisecond, where a matplotlib PNG of the same map
takes 0.1-0.2 s to render on this project's CPU (its tick labels, mostly), and it stays sharp at any
zoom. Each cell's tooltip (its `title`) holds the word, the hidden state and the exact value.

The colours are those of the static figures: the same `maps.SCALES` colour maps and limits
(`maps.colour_limits`), so a map looks the same in the widget and in an exported figure
(`WhatIfWidget.figure_now()`). Every text is escaped.

    html = side_by_side_html([result_a, result_b], ["bert-sst2: predicts positive", "minilm"])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..analysis.edits import WordDiff
from .compare import EDIT_MARKS, _diff_scale
from .export import escape
from .labels import abbreviate
from .maps import SCALES, Scale, colour_limits, result_map

CELL = "padding:3px 4px;min-width:2.2em;text-align:center;font:11px/1.2 sans-serif"
HEADER = "padding:2px 4px;font:11px/1.2 sans-serif;white-space:nowrap"
HATCH = {
    "added": "repeating-linear-gradient(45deg,#fff 0 3px,#b7e1b0 3px 6px)",
    "removed": "repeating-linear-gradient(45deg,#fff 0 3px,#d0d0d0 3px 6px)",
}
EDIT_COLOURS = {"added": "#1a7f1a", "removed": "#707070"}


def _hex_colours(matrix: np.ndarray, style: Scale) -> tuple[np.ndarray, float, float]:
    """([layers, words] '#rrggbb' or '' for NaN, vmin, vmax) in `style`'s colour map and limits."""
    from matplotlib import colormaps  # lazy: start-up cost (matplotlib, ~3 s to import)

    values, vmin, vmax = colour_limits(matrix, style)
    normed = np.clip((values - vmin) / (vmax - vmin), 0.0, 1.0)
    rgb = np.round(colormaps[style.cmap](np.nan_to_num(normed))[..., :3] * 255).astype(int)  # as matplotlib's to_hex
    hexes = np.array([f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb.reshape(-1, 3)]).reshape(values.shape)
    return np.where(np.isfinite(values), hexes, ""), vmin, vmax


def _ink(background: str) -> str:
    """Black or white text, whichever reads better on `background` ('#rrggbb')."""
    if not background:
        return "#000"
    r, g, b = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def _legend(style: Scale, vmin: float, vmax: float, label: str) -> str:
    """A colour strip from vmin to vmax with the scale's label and meaning."""
    from matplotlib import colormaps  # lazy: start-up cost (matplotlib, ~3 s to import)

    steps = colormaps[style.cmap](np.linspace(0, 1, 9), bytes=True)
    stops = ",".join(f"#{r:02x}{g:02x}{b:02x}" for r, g, b, _ in steps)
    strip = f"display:inline-block;width:120px;height:10px;background:linear-gradient(to right,{stops})"
    return (
        f"<div style='display:flex;align-items:center;gap:6px;{HEADER}'>"
        f"<span>{vmin:.3g}</span><span style='{strip}'></span>"
        f"<span>{vmax:.3g}</span><span>{escape(label)} ({escape(style.meaning)})</span></div>"
    )


def word_map_html(
    matrix,
    words: Sequence[str],
    layers: Sequence[str],
    scale: str | Scale = "information",
    *,
    title: str = "",
    label: str | None = None,
    kinds: Sequence[str] | None = None,
) -> str:
    """One [layers, words] map as an HTML table (a `maps.word_map` in HTML).

    Args:
        matrix: [len(layers), len(words)] values; NaN cells are blank (hatched when `kinds` marks the word
            'added' or 'removed').
        scale: a key of `maps.SCALES` or a `Scale`; label: the legend's label (default: the scale's).
        kinds: per word 'same' / 'added' / 'removed' (a difference map's columns).
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(layers), len(words)):
        raise ValueError(f"the map is {matrix.shape} but there are {len(layers)} hidden states and {len(words)} words.")
    style = SCALES[scale] if isinstance(scale, str) else scale
    colours, vmin, vmax = _hex_colours(matrix, style)
    values = np.abs(matrix) if style.magnitude else matrix
    kinds = list(kinds) if kinds is not None else ["same"] * len(words)
    head = "".join(
        f"<th title='{escape(w)}' style='{HEADER};color:{EDIT_COLOURS.get(k, '#000')}'>{escape(abbreviate(w))}</th>"
        for w, k in zip(words, kinds)
    )
    rows = []
    for r, layer in enumerate(layers):
        cells = []
        for c, word in enumerate(words):
            value = values[r, c]
            shown = "" if not np.isfinite(value) else f"{value:.2f}"
            tip = f"{word} · {layer}: {shown or kinds[c]}"
            background = colours[r, c] or HATCH.get(kinds[c], "#fff")
            cells.append(
                f"<td title='{escape(tip)}' style='{CELL};background:{background};color:{_ink(colours[r, c])}'>"
                f"{shown}</td>"
            )
        rows.append(f"<tr><th style='{HEADER};text-align:right'>{escape(layer)}</th>{''.join(cells)}</tr>")
    caption = f"<caption style='{HEADER};text-align:left;font-weight:bold'>{escape(title)}</caption>" if title else ""
    table = (
        f"<table style='border-collapse:collapse;margin:0'>{caption}"
        f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        f"<div style='display:inline-block;vertical-align:top;margin-right:16px'>{table}"
        + _legend(style, vmin, vmax, label or style.label)
        + "</div>"
    )


def side_by_side_html(results: Sequence, titles: Sequence[str]) -> str:
    """Layers × words map of sentence 0 of each result, side by side (`viz.compare.side_by_side` in HTML)."""
    if not results:
        raise ValueError("nothing to draw: no results given.")
    if len(titles) != len(results):
        raise ValueError(f"{len(results)} results but {len(titles)} titles.")
    panels = []
    for result, title in zip(results, titles):
        matrix, scale = result_map(result)
        panels.append(word_map_html(matrix, result.words[0], result.layers, scale, title=title))
    return f"<div class='infolib-map'>{''.join(panels)}</div>"


def diff_html(diffs) -> str:
    """The change of each word's information after an edit (`viz.compare.diff_figure` in HTML)."""
    diffs = [diffs] if isinstance(diffs, WordDiff) else list(diffs)
    if not diffs:
        raise ValueError("nothing to draw: no differences given.")
    panels = [
        word_map_html(
            d.change,
            [EDIT_MARKS[k].format(w) for w, k in zip(d.columns, d.kinds)],
            d.layers,
            _diff_scale(d),
            title=f"{d.model}: change after the edit (+ added, − removed)",
            label=f"Δ {d.label} (new − old)",
            kinds=d.kinds,
        )
        for d in diffs
    ]
    return f"<div class='infolib-diff'>{''.join(panels)}</div>"


__all__ = ["diff_html", "side_by_side_html", "word_map_html"]
