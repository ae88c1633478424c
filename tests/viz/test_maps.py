"""infolib.viz: the one layers × words map, its colour convention, and getting figures out (files, PNG, HTML)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from infolib.core.results import Explanation  # noqa: E402
from infolib.viz import export, maps  # noqa: E402
from infolib.viz.compare import side_by_side  # noqa: E402


def _explanation(sigma_rows, words=("[CLS]", "a", "film", "[SEP]"), layers=("layer.1", "layer.2")) -> Explanation:
    words = list(words)
    return Explanation(
        sentences=[" ".join(words[1:-1])],
        layers=list(layers),
        words=[words],
        tokens=[words],
        word_of_token=[list(range(len(words)))],
        sigma={(0, name): torch.tensor(row) for name, row in zip(layers, sigma_rows)},
        diagnostics={(0, name): {"steps": 1, "converged": True, "loss_curve": []} for name in layers},
        scale=2.0,
        K=8,
        settings={},
        model="m",
        fingerprint="f",
    )


SIGMA = [[2.0, 1.0, 0.5, 2.0], [2.0, 2.0, 0.25, 1.0]]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("information", -np.log(np.array(SIGMA) / 2.0)),
        ("log_sigma_ratio", np.log(np.array(SIGMA) / 2.0)),
        ("sigma", np.array(SIGMA)),
    ],
)
def test_information_heatmap_draws_the_explanation(value, expected):
    fig = maps.information_heatmap(_explanation(SIGMA), value=value)
    ax, colorbar = fig.axes
    np.testing.assert_allclose(ax.images[0].get_array(), expected, rtol=1e-6)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["[CLS]", "a", "film", "[SEP]"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["layer.1", "layer.2"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("word", "hidden state")
    assert colorbar.get_ylabel() == maps.SCALES[value].colorbar_label
    if value == "information":  # the default: 0 = forgotten is the light end, dark = kept
        assert ax.images[0].get_cmap().name == "viridis_r" and ax.images[0].get_clim()[0] == 0.0
    else:  # raw σ-based values: higher = more forgotten = bright
        assert ax.images[0].get_cmap().name == "viridis"
    if value == "log_sigma_ratio":
        assert ax.images[0].get_clim()[1] == 0.0
    plt.close(fig)


def test_bad_requests_are_clear_errors():
    explanation = _explanation(SIGMA)
    with pytest.raises(ValueError, match="value must be one of information, log_sigma_ratio, sigma"):
        maps.information_heatmap(explanation, value="score")
    with pytest.raises(IndexError, match="sentence 1 is out of range"):
        maps.information_heatmap(explanation, sentence=1)
    ax = Figure().subplots()
    with pytest.raises(ValueError, match=r"the map is \(2, 3\) but there are 2 hidden states and 4 words"):
        maps.word_map(ax, np.zeros((2, 3)), ["a", "b", "c", "d"], ["layer.1", "layer.2"])
    with pytest.raises(ValueError, match="scale must be one of"):
        maps.word_map(ax, np.zeros((1, 1)), ["a"], ["layer.1"], "rainbow")


def test_word_map_centred_scale_and_blank_cells():
    ax = Figure().subplots()
    matrix = np.array([[0.5, np.nan, -2.0]])
    image = maps.word_map(ax, matrix, ["a", "b", "c"], ["layer.1"], "change", colorbar=False)
    assert image.get_clim() == (-2.0, 2.0)
    assert list(image.get_array().mask[0]) == [False, True, False]
    assert ax.figure.axes == [ax]  # no colour bar asked for


def test_side_by_side_panels():
    a, b = _explanation(SIGMA), _explanation([[2.0, 0.1, 2.0, 2.0]], layers=("layer.3",))
    fig = side_by_side([a, b], ["left", "right"])
    panels, colorbars = fig.axes[:2], fig.axes[2:]
    assert [ax.get_title() for ax in panels] == ["left", "right"] and len(colorbars) == 2
    np.testing.assert_allclose(panels[0].images[0].get_array(), a.information(0))  # the one sign: larger = kept
    np.testing.assert_allclose(panels[1].images[0].get_array(), b.information(0))
    assert [t.get_text() for t in panels[1].get_yticklabels()] == ["layer.3"]
    with pytest.raises(ValueError, match="2 results but 1 titles"):
        side_by_side([a, b], ["left"])
    with pytest.raises(ValueError, match="nothing to draw"):
        side_by_side([], [])


def test_to_png_closes_pyplot_figures_only(tmp_path):
    shown = maps.information_heatmap(_explanation(SIGMA))
    assert plt.fignum_exists(shown.number)
    png = export.to_png(shown)
    assert png.startswith(b"\x89PNG") and not plt.fignum_exists(shown.number)  # a notebook will not show it twice
    plain = Figure()
    plain.subplots().plot([0, 1])
    assert export.to_png(plain).startswith(b"\x89PNG")
    files = maps.save_figure(shown, tmp_path / "sub" / "map")  # still saveable, from its old import path
    assert [f.name for f in files] == ["map.png", "map.svg", "map.pdf"] and all(f.stat().st_size > 0 for f in files)


def test_escape():
    assert export.escape("<b>a & 'b'</b>") == "&lt;b&gt;a &amp; &#x27;b&#x27;&lt;/b&gt;"
    assert export.escape(ValueError("x < y")) == "x &lt; y"
