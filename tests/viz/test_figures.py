"""infolib.viz.figures on constructed tables: labelled axes, nothing outside the canvas, legends off the data,
one colour per model in every figure, and the intervals drawn are the claims table's."""

from __future__ import annotations

import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from infolib import analysis  # noqa: E402
from infolib.viz import figures, theme  # noqa: E402
from infolib.viz.export import save_figure  # noqa: E402
from infolib.viz.faithfulness import layer_faithfulness_figure  # noqa: E402
from infolib.viz.labels import spread_labels  # noqa: E402

MODELS = ["bert-sst2", "transformer-sst2", "lstm-sst2", "cnn-sst2"]
DEPTHS = {"bert-sst2": 6, "transformer-sst2": 4, "lstm-sst2": 2, "cnn-sst2": 2}
METHODS = ["information", "gradient_saliency", "input_x_gradient"]
WORDS = ["[CLS]", "it", "'s", "a", "charming", "and", "often", "affecting", "journey", "unforgettably", ".", "[SEP]"]
KINDS = {"[CLS]": "[CLS]", "[SEP]": "[SEP]", ".": "punctuation", "charming": "sentiment", "affecting": "sentiment"}
RNG = np.random.default_rng(0)


def _kind(word: str) -> str:
    return KINDS.get(word, "function" if word in ("it", "'s", "a", "and") else "neutral")


def _frame() -> pd.DataFrame:
    """A tidy table: every method × model × 3 sentences × layers × words (information or score)."""
    rows = []
    for method, model, sentence in itertools.product(METHODS, MODELS, range(3)):
        for depth in range(1, DEPTHS[model] + 1):
            for w, word in enumerate(WORDS):
                value = float(RNG.uniform(0.05, 3.0))
                row = {"method": method, "model": model, "sentence_id": sentence, "sentence": " ".join(WORDS[1:-1])}
                row |= {"layer": f"layer.{depth}", "word_id": w, "word": word, "pieces": 1}
                row |= {"information": value} if method == "information" else {"score": value}
                rows.append(row)
    return pd.DataFrame(rows)


def _trajectories(n: int = 40) -> pd.DataFrame:
    rows = []
    for model, sentence in itertools.product(MODELS, range(n)):
        for w, word in enumerate(WORDS):
            half = RNG.uniform(0.2, 1.0)
            rows.append(
                {
                    "model": model,
                    "sentence_id": sentence,
                    "word_id": w,
                    "word": word,
                    "kind": _kind(word),
                    "half_depth": np.nan if RNG.uniform() < 0.2 else half,
                    "retention": RNG.uniform(0.2, 1.0) * (1.3 if model.startswith("bert") else 1.0),
                }
            )
    return pd.DataFrame(rows)


def _information_by_kind() -> pd.DataFrame:
    rows = []
    for model in MODELS:
        for depth, kind in itertools.product(range(1, DEPTHS[model] + 1), theme.KIND_ORDER):
            mean = 2.0 - depth / DEPTHS[model] + RNG.uniform(0, 0.3)
            rows.append(
                {
                    "model": model,
                    "layer": f"layer.{depth}",
                    "depth": depth,
                    "relative_depth": depth / DEPTHS[model],
                    "kind": kind,
                    "information": mean,
                    "information_low": mean - 0.1,
                    "information_high": mean + 0.15,
                    "n": 30,
                    "n_sentences": 3,
                }
            )
    return pd.DataFrame(rows)


def _coherence():
    frame = _frame()
    per_sentence = analysis.coherence_per_sentence(frame)
    table = analysis.coherence_table(frame, per_sentence=per_sentence)
    magnitudes = analysis.layer_magnitudes(frame.assign(importance=analysis.metrics.importance_column(frame)))
    return per_sentence, table, magnitudes


def _summary():
    per = pd.DataFrame(
        [
            {"method": "information", "model": m, "sentence_id": s, "sentiment_share": RNG.uniform(0, 1)}
            for m in MODELS
            for s in range(30)
        ]
    )
    summary = analysis.summarise(per, ["sentiment_share"])
    accuracy = pd.DataFrame(
        {
            "model": MODELS,
            "accuracy": [0.9, 0.8, 0.78, 0.76],
            "accuracy_low": [0.88, 0.77, 0.75, 0.73],
            "accuracy_high": [0.92, 0.83, 0.81, 0.79],
        }
    )
    return summary, accuracy


def _all_figures() -> dict:
    per_sentence, coherence, magnitudes = _coherence()
    summary, accuracy = _summary()
    trajectories = _trajectories()
    frame = _frame()
    return {
        "coherence": figures.coherence_figure(magnitudes, coherence),
        "maps": figures.method_maps(frame, METHODS, MODELS, 0),
        "metrics": figures.metric_bars(summary, ["sentiment_share"], accuracy=accuracy),
        "forgetting": figures.forgetting_figure(_information_by_kind(), analysis.half_depth_table(trajectories)),
        "retention": figures.retention_figure(
            analysis.retention_table(trajectories), analysis.retention_table(trajectories, by_kind=True)
        ),
        "words": figures.word_lines(frame[frame["method"] == "information"], "bert-sst2", 0, {"charming": True}),
        "toy": figures.toy_figure(np.array([1.0, 0.5]), np.array([1.1, 0.5]), [1.0, 2.0]),
        "convergence": figures.convergence_figure({"Adam": [3.0, 2.0, 1.0], "Newton": [3.0, 1.0, 1.0]}),
        "sweep": figures.sweep_figure(
            pd.DataFrame({"word": [0, 0, 1, 1], "rate": [0.01, 0.1] * 2, "sigma": [0.1, 0.3, 0.05, 0.15]}),
            "rate",
            "σ against the rate",
        ),
        "faithfulness": layer_faithfulness_figure(_faithfulness_summary()),
    }


def _faithfulness_summary(models=("bert-sst2", "lstm-sst2")) -> pd.DataFrame:
    """A `layer_summary` table: `models`, three methods and the random floor, both metrics, with intervals."""
    rows = []
    for model, layers in ((m, DEPTHS[m]) for m in models):
        for k, method in enumerate(["information", "gradient_saliency", "input_x_gradient", "random"]):
            for metric in ("output_aopc", "state_degradation"):
                for layer in range(1, layers + 1):
                    mean = 0.05 * (k + 1) + 0.01 * layer
                    rows.append((model, method, f"layer.{layer}", metric, mean, mean - 0.02, mean + 0.02, 100))
    return pd.DataFrame(rows, columns=["model", "method", "layer", "metric", "mean", "low", "high", "n"])


@pytest.fixture(scope="module")
def drawn():
    figs = _all_figures()
    for fig in figs.values():
        fig.canvas.draw()
    yield figs
    for fig in figs.values():
        plt.close(fig)


def _plots(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]


def _grid_position(ax):
    spec = ax.get_subplotspec()
    return (spec.rowspan.start, spec.colspan.start, id(spec.get_gridspec())) if spec else (None, None, None)


@pytest.mark.parametrize(
    "name", ["coherence", "maps", "metrics", "forgetting", "retention", "words", "toy", "convergence", "faithfulness"]
)
def test_every_axis_says_what_it_shows(drawn, name):
    fig = drawn[name]
    plots = _plots(fig)
    assert plots
    for ax in plots:
        row, column, grid = _grid_position(ax)
        same_column = [a for a in plots if _grid_position(a)[1:] == (column, grid)]
        same_row = [a for a in plots if _grid_position(a)[0] == row and _grid_position(a)[2] == grid]
        x_named = any(a.get_xlabel() for a in same_column)
        y_named = any(a.get_ylabel() for a in same_row)
        assert x_named and y_named, (name, ax.get_title())


@pytest.mark.parametrize(
    "name", ["coherence", "maps", "metrics", "forgetting", "retention", "words", "toy", "convergence", "faithfulness"]
)
def test_no_text_outside_the_canvas(drawn, name):
    fig = drawn[name]
    tight = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    tolerance = 0.02
    assert tight.x0 >= -tolerance and tight.y0 >= -tolerance, (name, tight)
    assert tight.x1 <= fig.get_figwidth() + tolerance and tight.y1 <= fig.get_figheight() + tolerance, (name, tight)


# Legible = the smallest text is at least this many points where the figure is shown: a 1280×720 slide
# (13.33 × 7.5 in at 96 px per inch, the figure scaled to fit) or a paper's full text width (7 in, scaled
# down only). 7 pt and 5 pt are the usual minima for slides and for print (journals ask for 5-7 pt).
SLIDE_INCHES, PAGE_WIDTH_INCHES = (13.33, 7.5), 7.0
MIN_SLIDE_PT, MIN_PAGE_PT = 7.0, 5.0


def _smallest_text_shown(fig) -> tuple[float, float]:
    """(points on a slide, points at a page's width) of the figure's smallest visible text."""
    width, height = fig.get_size_inches()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    smallest = min(t.get_fontsize() for t in texts)
    on_slide = smallest * min(SLIDE_INCHES[0] / width, SLIDE_INCHES[1] / height)
    return on_slide, smallest * min(1.0, PAGE_WIDTH_INCHES / width)


@pytest.mark.parametrize(
    "name",
    ["coherence", "maps", "metrics", "forgetting", "retention", "words", "toy", "convergence", "sweep", "faithfulness"],
)
def test_text_is_legible_on_a_slide_and_at_a_page_width(drawn, name):
    on_slide, on_page = _smallest_text_shown(drawn[name])
    assert on_slide >= MIN_SLIDE_PT and on_page >= MIN_PAGE_PT, (name, round(on_slide, 1), round(on_page, 1))


def test_four_methods_and_five_models_stay_legible():
    """The widest figures the notebooks draw: notebook 04's four methods, DEEP's fifth model in figure 06,
    notebook 09's four models."""
    frame = _frame()
    occlusion = frame[frame["method"] == "gradient_saliency"].assign(method="occlusion")
    maps = figures.method_maps(pd.concat([frame, occlusion]), [*METHODS, "occlusion"], MODELS, 0)
    information = _information_by_kind()
    deep = information[information["model"] == "bert-sst2"].assign(model="mpnet-sst2")
    forgetting = figures.forgetting_figure(pd.concat([information, deep]))
    faithfulness = layer_faithfulness_figure(_faithfulness_summary(MODELS))
    for name, fig in (("maps", maps), ("forgetting", forgetting), ("faithfulness", faithfulness)):
        fig.canvas.draw()
        on_slide, on_page = _smallest_text_shown(fig)
        assert on_slide >= MIN_SLIDE_PT and on_page >= MIN_PAGE_PT, (name, round(on_slide, 1), round(on_page, 1))
        plt.close(fig)


def _points_in_display(ax) -> np.ndarray:
    points = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines() if len(line.get_xydata())]
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets):
            points.append(collection.get_offset_transform().transform(offsets))
    return np.vstack(points) if points else np.empty((0, 2))


@pytest.mark.parametrize(
    "name", ["coherence", "forgetting", "retention", "words", "toy", "convergence", "faithfulness"]
)
def test_no_legend_covers_a_plotted_point(drawn, name):
    fig = drawn[name]
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [legend for sub in fig.subfigs for legend in sub.legends]
    legends += [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert legends, name
    for legend, ax in itertools.product(legends, _plots(fig)):
        box = legend.get_window_extent(renderer)
        points = _points_in_display(ax)
        points = points[np.isfinite(points).all(1)]
        inside = (points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
        assert not inside.any(), (name, ax.get_title())


def test_word_labels_neither_overlap_nor_lose_their_word(drawn, tmp_path):
    fig = drawn["maps"]
    renderer = fig.canvas.get_renderer()
    for ax in _plots(fig):
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        if not labels or not ax.xaxis.get_tick_params()["labelbottom"]:
            continue
        rotation = labels[0].get_rotation()
        if rotation == 0:  # side by side: their boxes do not meet
            boxes = [t.get_window_extent(renderer) for t in labels]
            assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:])), [t.get_text() for t in labels]
        else:  # slanted or upright: parallel lines at least one line height apart
            x = np.array([ax.transData.transform((t.get_position()[0], 0))[0] for t in labels])
            line = labels[0].get_fontsize() * fig.dpi / 72
            assert (np.diff(x) * np.sin(np.radians(rotation)) >= line).all(), [t.get_text() for t in labels]
    shown = [t.get_text() for t in _plots(fig)[-1].get_xticklabels()]
    assert "unforgettab…" in shown  # abbreviated on the figure …
    svg = save_figure(fig, tmp_path / "maps", formats=("svg",))[0].read_text()
    assert "<title>unforgettably</title>" in svg  # … whole in the SVG


def test_word_lines_labels_do_not_overlap(drawn):
    fig = drawn["words"]
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    assert len(texts) == len(WORDS)
    boxes = [t.get_window_extent(renderer) for t in texts]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    np.testing.assert_allclose(spread_labels([1.0, 1.0, 3.0], 0.5), [1.0, 1.5, 3.0])


def _errorbar_intervals(ax) -> list[tuple[float, float, float]]:
    """(x, low, high) of every vertical error bar of an axis."""
    out = []
    for container in ax.containers:
        if not hasattr(container, "has_yerr") or not container.has_yerr:
            continue
        for segment in container.lines[2][0].get_segments():
            (x, low), (_, high) = segment
            out.append((float(x), float(low), float(high)))
    return out


def _errorbar_colours(ax) -> list[str]:
    return [to_hex(c.lines[0].get_color()) for c in ax.containers if hasattr(c, "has_yerr")]


def test_a_model_has_one_colour_in_every_figure(drawn):
    metric_colours = _errorbar_colours(_plots(drawn["metrics"])[0])
    retention_colours = _errorbar_colours(_plots(drawn["retention"])[0])
    assert metric_colours == retention_colours == [to_hex(theme.model_colour(m)) for m in MODELS]
    titles = [ax.title for ax in _plots(drawn["forgetting"])]
    assert [to_hex(t.get_color()) for t in titles] == [to_hex(theme.model_colour(m)) for m in MODELS]
    assert len(set(metric_colours)) == len(MODELS)  # four models, four colours


def _claim_values(claims: pd.DataFrame, claim: int, row: int = 0) -> dict[str, tuple[float, float, float]]:
    """label -> (estimate, low, high) of a claims-table row's `values` ('label e [l, h]; …')."""
    text = claims[claims["claim"] == claim]["values"].iloc[row]
    found = re.findall(r"([^;]+?) (-?[\d.e+-]+|nan) \[(-?[\d.e+-]+|nan), (-?[\d.e+-]+|nan)\]", text)
    return {label.strip(): tuple(float(v) for v in values) for label, *values in found}


def test_the_interval_drawn_is_the_claims_tables():
    trajectories = _trajectories()
    claims = analysis.claims_table({"forgetting": trajectories})
    fig = figures.retention_figure(analysis.retention_table(trajectories))
    drawn = _errorbar_intervals(fig.axes[0])
    claimed = _claim_values(claims, 7)
    for (x, low, high), model in zip(drawn, MODELS):
        estimate, c_low, c_high = claimed[theme.family(model)]
        assert low == pytest.approx(c_low, rel=5e-3) and high == pytest.approx(c_high, rel=5e-3)  # .3g in the table
    plt.close(fig)
    # claim 6: [SEP]'s half depth, drawn at the top of the BERT panel
    half = analysis.half_depth_table(trajectories)
    sep = half[(half["model"] == "bert-sst2") & (half["kind"] == "[SEP]")].iloc[0]
    estimate, low, high = _claim_values(claims, 6)["bert [SEP]"]
    assert (sep["half_depth"], sep["half_depth_low"], sep["half_depth_high"]) == pytest.approx(
        (estimate, low, high), rel=5e-3
    )
    fig = figures.forgetting_figure(_information_by_kind(), half)
    marks = [
        c for c in fig.axes[0].containers if hasattr(c, "has_xerr") and c.has_xerr and c.lines[2]
    ]  # one per kind, in KIND_ORDER
    kinds = [k for k in theme.KIND_ORDER if k in set(half["kind"])]
    (left, _), (right, _) = marks[kinds.index("[SEP]")].lines[2][0].get_segments()[0]
    assert (left, right) == pytest.approx((sep["half_depth_low"], sep["half_depth_high"]))
    plt.close(fig)


def test_coherence_points_are_claim_one():
    per_sentence, coherence, magnitudes = _coherence()
    claims = analysis.claims_table({"coherence": per_sentence})
    claimed = _claim_values(claims, 1, row=1)  # adjacent_spearman
    fig = figures.coherence_figure(magnitudes, coherence)
    ax = [a for a in _plots(fig) if "Ranking" in a.get_title()][0]
    labels = {theme.method_label(m): m for m in METHODS}
    checked = 0
    for container in ax.containers:
        method = labels[container.get_label()]
        for model, segment in zip(MODELS, container.lines[2][0].get_segments()):
            (_, low), (_, high) = segment
            assert (low, high) == pytest.approx(claimed[f"{theme.family(model)} {method}"][1:], rel=5e-3, abs=1e-3)
            checked += 1
    assert checked == len(METHODS) * len(MODELS)
    plt.close(fig)


def test_every_report_figure_has_one_caption_in_the_report_and_the_gallery(tmp_path):
    from infolib import reproduce
    from infolib.viz import gallery

    stems = [f for _, figures_, _ in reproduce.SECTIONS.values() for f in figures_]
    assert all(gallery.caption(s.replace("*", "bert-sst2")) for s in stems)  # every figure has a caption
    with pytest.raises(KeyError, match="has no caption"):
        gallery.caption("99_unknown")
    out = tmp_path / "reports"
    (out / "figures").mkdir(parents=True)
    fig = figures.toy_figure(np.array([1.0, 0.5]), np.array([1.1, 0.5]), [1.0, 2.0])
    for stem in ("06_forgetting", "07_words_bert-sst2"):
        save_figure(fig, out / "figures" / stem, formats=("png",), dpi=400)
    plt.close(fig)
    results = {"smoke": True, "seconds": {}, "total_seconds": 0, "notebooks": {}, "work": {}, "models": []}
    results["notebooks"] = {"06_layerwise_forgetting": "ok", "07_fine_grained_forgetting": "ok"}
    reproduce.write_report(out, pd.DataFrame(columns=["claim", "text", "verdict"]), results)
    report = (out / "REPORT.md").read_text()
    page = gallery.write_gallery(out, tmp_path / "docs").read_text()
    for stem in ("06_forgetting", "07_words_bert-sst2"):
        assert f"![{stem}](figures/{stem}.png)\n\n{gallery.caption(stem)}" in report  # under its figure
        assert gallery.caption(stem) in page and f"figures/gallery/{stem}.png" in page
    shrunk = plt.imread(tmp_path / "docs" / "figures" / "gallery" / "06_forgetting.png")
    assert shrunk.shape[1] <= gallery.GALLERY_WIDTH  # small files in the docs
    assert gallery.caption("07_words_bert-sst2") in (out / "REPORT.html").read_text().replace("<em>", "*").replace(
        "</em>", "*"
    )
