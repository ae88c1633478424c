"""Getting a figure out: files for a paper or a slide, PNG bytes for a widget, escaped text for its HTML."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Sequence


FORMATS = ("png", "svg", "pdf")


def save_figure(fig, path: str | Path, formats: Sequence[str] = FORMATS, dpi: int = 300) -> list[Path]:
    """Write `fig` as path.png (at `dpi`), path.svg and path.pdf (or the given formats); returns the files.

    Text stays text in the SVG, and a label whose full text was kept (`viz.labels.attach_title`, e.g.
    an abbreviated word) carries it as an SVG <title>, shown as a tooltip.
    """
    import matplotlib as mpl  # lazy: start-up cost (matplotlib, ~3 s to import)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        with mpl.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
            fig.savefig(target, dpi=dpi, bbox_inches="tight")
        if fmt == "svg":
            add_svg_titles(target, getattr(fig, "_infolib_titles", {}))
        written.append(target)
    return written


def add_svg_titles(svg: Path, titles: dict[str, str]) -> None:
    """Insert <title>text</title> as the first child of each SVG group whose id is a key of `titles`."""
    if not titles:
        return
    text = svg.read_text()
    for gid, title in titles.items():
        text = text.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(title)}</title>', 1)
    svg.write_text(text)


def to_png(fig, dpi: int = 100, compress_level: int = 6) -> bytes:
    """The figure as PNG bytes (for an ipywidgets Image or Output).

    compress_level: zlib level 0-9 (6 = matplotlib's default); the what-if widget uses 1, which encodes
    several times faster for a slightly larger PNG.

    A figure made through pyplot is closed afterwards, so a notebook does not show it a second time
    below the widget; it can still be saved. A plain `matplotlib.figure.Figure` (what the what-if
    tool draws, safe in a background thread) is left as it is.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pil_kwargs={"compress_level": compress_level})
    if getattr(fig.canvas, "manager", None) is not None:  # only pyplot's figures have a manager
        import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

        plt.close(fig)
    return buffer.getvalue()


def escape(text) -> str:
    """`text` safe inside an HTML widget: &, <, >, and quotes escaped."""
    return html.escape(str(text))


__all__ = ["FORMATS", "add_svg_titles", "escape", "save_figure", "to_png"]
