"""infolib.viz.html: the what-if widget's maps as HTML tables, in the static figures' colours."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from infolib.analysis.edits import WordDiff  # noqa: E402
from infolib.viz.html import diff_html, word_map_html  # noqa: E402
from infolib.viz.maps import word_map  # noqa: E402

WORDS = ["[CLS]", "a", "<b>bold</b>", "unforgettably", "film", "[SEP]"]
LAYERS = ["layer.1", "layer.2"]


def _cells(html: str) -> list[tuple[str, str, str]]:
    """(tooltip, background, text) of every cell, row by row."""
    return re.findall(r"<td title='([^']*)' style='[^']*background:([^;]*);[^']*'>([^<]*)</td>", html)


def test_cells_have_the_colours_of_the_static_map():
    matrix = np.array([[0.0, 0.5, 1.0, 2.0, 3.0, 0.25], [1.5, np.nan, 2.5, 0.1, 0.2, 0.3]])
    image = word_map(Figure().subplots(), matrix, WORDS, LAYERS, "information")
    expected = [to_hex(c) for c in image.to_rgba(np.ma.masked_invalid(matrix)).reshape(-1, 4)]
    cells = _cells(word_map_html(matrix, WORDS, LAYERS, "information"))
    assert len(cells) == matrix.size
    for (tip, background, text), value, colour in zip(cells, matrix.ravel(), expected):
        if np.isnan(value):
            assert text == "" and background == "#fff"  # blank, as the figure leaves it
        else:
            assert background == colour and float(text) == pytest.approx(value, abs=0.005)
            assert tip.endswith(f": {value:.2f}")


def test_every_text_is_escaped_and_long_words_keep_their_full_form():
    html = word_map_html(np.ones((2, 6)), WORDS, LAYERS)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "title='unforgettably'" in html and ">unforgettab…</th>" in html


def test_a_difference_map_hatches_added_and_removed_words():
    change = np.array([[0.3, np.nan, np.nan, -0.2], [0.1, np.nan, np.nan, 0.4]])
    diff = WordDiff(
        model="m",
        layers=LAYERS,
        columns=["a", "dull", "bright", "film"],
        kinds=["same", "removed", "added", "same"],
        change=change,
        label="information kept",
        old_sentence="a dull film",
        new_sentence="a bright film",
    )
    html = diff_html(diff)
    assert ">−dull</th>" in html and ">+bright</th>" in html
    backgrounds = [b for _, b, _ in _cells(html)]
    assert "repeating-linear-gradient" in backgrounds[1] and "repeating-linear-gradient" in backgrounds[2]
    assert backgrounds[1] != backgrounds[2]  # removed grey, added green
    centred = [float(t) for _, _, t in _cells(html) if t]
    assert centred == [0.3, -0.2, 0.1, 0.4]


def test_a_map_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="2 hidden states and 6 words"):
        word_map_html(np.ones((3, 6)), WORDS, LAYERS)
