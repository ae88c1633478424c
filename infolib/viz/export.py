"""Getting a figure out: files for a paper or a slide, PNG bytes for a widget, escaped text for its HTML."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Sequence


def save_figure(fig, path: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write `fig` as path.png, path.svg (and any other matplotlib format); returns the files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=150, bbox_inches="tight")
        written.append(target)
    return written


def to_png(fig, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for an ipywidgets Image or Output).

    A figure made through pyplot is closed afterwards, so a notebook does not show it a second time
    below the widget; it can still be saved. A plain `matplotlib.figure.Figure` (what the what-if
    tool draws, safe in a background thread) is left as it is.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    if getattr(fig.canvas, "manager", None) is not None:  # only pyplot's figures have a manager
        import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

        plt.close(fig)
    return buffer.getvalue()


def escape(text) -> str:
    """`text` safe inside an HTML widget: &, <, >, and quotes escaped."""
    return html.escape(str(text))


__all__ = ["escape", "save_figure", "to_png"]
