"""Readable word labels: never cut, never on top of each other, the full word kept in the SVG.

`word_ticks` puts a sentence's words under a map: long words are abbreviated ('unforgettable' →
'unforgetta…'), labels are rotated when they would not fit side by side, and each label gets a
`gid` whose full word `export.save_figure` writes into the SVG as a <title> (a tooltip in a
browser). `spread_labels` moves the labels at the end of several lines apart so they do not overlap.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

MAX_CHARS = 12  # longer words are abbreviated on the figure (full word in the SVG title)
LINE_SPACING = 1.25  # a line of text is this many font sizes high
TITLE_PREFIX = "infolib-title-"


def abbreviate(word: str, max_chars: int = MAX_CHARS) -> str:
    """`word` cut to `max_chars` characters with '…' when longer."""
    word = str(word)
    return word if len(word) <= max_chars else word[: max_chars - 1] + "…"


def attach_title(artist, text: str) -> None:
    """Keep `text` as the SVG <title> of `artist` (written by `export.save_figure`)."""
    fig = artist.get_figure(root=True) if hasattr(artist, "get_figure") else None
    if fig is None:
        return
    titles = fig.__dict__.setdefault("_infolib_titles", {})
    gid = f"{TITLE_PREFIX}{len(titles)}"
    titles[gid] = str(text)
    artist.set_gid(gid)


def word_ticks(ax, words: Sequence[str], fontsize: float | None = None, max_chars: int = MAX_CHARS) -> None:
    """Words as x tick labels at 0 … n−1: abbreviated when long, rotated or thinned when they would overlap.

    Labels stay horizontal when every (abbreviated) word fits its column (estimated from the axis
    width); otherwise they are rotated by 45° (anchored at their right end, so none is cut) when
    neighbouring slanted labels are at least a line apart, else by 90°; when even upright lines do not
    fit, only every k-th word is written. Each label's full word is its SVG title.
    """
    shown = [abbreviate(w, max_chars) for w in words]
    ax.set_xticks(range(len(words)), shown)
    size = fontsize
    if size is None:
        size = ax.xaxis.get_ticklabels()[0].get_fontsize() if len(words) else 8
    column = _column_width_points(ax, len(words))
    widest = max((len(w) for w in shown), default=0) * 0.6 * size  # average glyph ≈ 0.6 em
    line = LINE_SPACING * size
    if widest <= 0.9 * column:
        rotation, align, every = 0, "center", 1
    elif column * math.sin(math.radians(45)) >= line:
        rotation, align, every = 45, "right", 1
    else:
        rotation, align, every = 90, "right", max(1, math.ceil(line / max(column, 1e-9)))
    for i, (label, word) in enumerate(zip(ax.get_xticklabels(), words)):
        label.set_fontsize(size)
        label.set_rotation(rotation)
        label.set_horizontalalignment(align)
        label.set_rotation_mode("anchor")
        if rotation == 90:
            label.set_verticalalignment("center")
        label.set_visible(i % every == 0)
        attach_title(label, word)


def _column_width_points(ax, n: int) -> float:
    fig = ax.get_figure(root=True)
    width_inches = ax.get_position().width * fig.get_figwidth()
    return 72.0 * width_inches / max(n, 1)


def spread_labels(values: Sequence[float], min_gap: float) -> np.ndarray:
    """Positions for labels wanted at `values`, pushed upwards until neighbours are ≥ `min_gap` apart.

    Returns:
        [n] positions in the order of `values`; a label only ever moves up, and sorted positions
        keep the values' order.
    """
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    placed = values[order].copy()
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + min_gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


__all__ = ["MAX_CHARS", "abbreviate", "attach_title", "spread_labels", "word_ticks"]
