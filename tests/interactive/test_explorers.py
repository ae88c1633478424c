"""SentenceExplorer and LinearToyExplorer: changing a widget draws a new figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

pytest.importorskip("ipywidgets")

from infolib.interactive.explorers import LinearToyExplorer, SentenceExplorer  # noqa: E402
from infolib.testing import LinearToyModel  # noqa: E402

CORPUS = [" ".join(f"w{i + j}" for j in range(5)) for i in range(20)]


@pytest.fixture
def explorer():
    return SentenceExplorer(
        [LinearToyModel()],
        ["w1 w2 w3", "w4 w5 w6 w7"],
        layers=["layer.1", "layer.2"],
        methods=["information", "occlusion"],
        settings={"max_steps": 10},
        corpus=CORPUS,
    )


def test_first_figure_is_drawn(explorer):
    assert explorer.renders == 1 and bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.figure.axes[0].get_ylabel() == "hidden state"
    assert len(explorer.figure.axes[0].get_yticklabels()) == 2


def test_each_widget_redraws(explorer):
    before = explorer.image.value
    explorer.sentence.value = "w4 w5 w6 w7"
    assert explorer.renders == 2 and bytes(explorer.image.value) != bytes(before)
    assert [t.get_text() for t in explorer.figure.axes[0].get_xticklabels()] == ["w4", "w5", "w6", "w7"]
    explorer.layer.value = "layer.2"
    assert explorer.renders == 3 and [t.get_text() for t in explorer.figure.axes[0].get_yticklabels()] == ["layer.2"]
    explorer.method.value = "occlusion"
    assert explorer.renders == 4 and "occlusion" in explorer.figure.axes[0].get_title()
    explorer.text.value = "w9 w8"
    assert explorer.renders == 5 and explorer.current_sentence == "w9 w8"
    assert [t.get_text() for t in explorer.figure.axes[0].get_xticklabels()] == ["w9", "w8"]


def test_errors_are_shown_not_raised(explorer):
    explorer.text.value = " ".join(["w1"] * 40)  # longer than the toy's 32 tokens
    assert explorer.error and "error" in explorer.status.value and explorer.renders == 1


def test_toy_explorer_follows_the_rate_slider():
    toy = LinearToyExplorer([10.0, 20.0, 5.0], K=8, settings={"max_steps": 30})
    first = toy.figure.axes[0].lines[1].get_ydata().copy()
    toy.rate.value = 1.0
    assert toy.renders == 2
    assert (toy.figure.axes[0].lines[1].get_ydata() > first).all()  # larger rate, larger σ
