"""The paper's figures (docs/method.md §5), drawn in one theme (`viz.theme`) from the tables of `infolib.analysis`.

Every figure: labelled axes that say which direction is "more"; one colour per model, per method
and per kind of word (`theme`), the same in every figure; one panel per model or method where one
legend would otherwise carry many series; legends outside the plotting area; word labels that are
never cut (`viz.labels`). A mean over sentences is drawn with its 95 % percentile-bootstrap
interval: the `_low`/`_high` columns the analysis tables compute with `metrics.bootstrap_mean`, the
function behind the claims table, so a figure and the claims table show the same numbers.
`viz.export.save_figure` writes PNG (300 dpi), SVG and PDF.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis import metrics
from ..analysis.tables import importance_map
from ..core.names import is_layer, layer_index
from ..core.results import INFORMATION_LABEL
from . import theme as th
from .labels import abbreviate, attach_title, spread_labels, word_ticks
from .maps import SCALES, word_map
from ..analysis.kinds import word_kind

INFORMATION_AXIS = "information kept −log(σ/scale)\n[nats/dim] (0 = forgotten, ↑ = kept)"
# Paper §5.6 (BERT-base, 12 layers): [SEP] forgotten at layers 3-4, sentiment-irrelevant words over layers 5-12.
PAPER_SEP = (3 / 12, 4 / 12)
PAPER_IRRELEVANT = (5 / 12, 1.0)
BERT_LIKE = ("bert", "mpnet")


def _plt():
    import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

    return plt


def _figure(width: float, height: float, **kwargs):
    """A pyplot figure in infolib's theme with constrained layout (nothing cut, legends outside)."""
    with th.theme():
        return _plt().figure(figsize=(width, height), layout="constrained", **kwargs)


def _models(frame: pd.DataFrame) -> list[str]:
    """The table's models in one order for every figure (`theme.model_order`: bert, mpnet, transformer, lstm, cnn)."""
    return th.model_order(frame["model"])


def _errorbars(values: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """[2, n] distances below and above each value (NaN bounds → no bar)."""
    v, lo, hi = (np.asarray(x, dtype=float) for x in (values, low, high))
    return np.nan_to_num(np.vstack([v - lo, hi - v]), nan=0.0).clip(min=0.0)


# -- figure 1 (notebook 02): coherence across layers -----------------------------------------------
def coherence_figure(magnitudes: pd.DataFrame, coherence: pd.DataFrame):
    """Top: one panel per model, total importance per layer relative to the first layer, one line per method.
    Bottom: per model and method, the mean over sentences of the two coherence metrics with 95 % intervals
    (`analysis.coherence_table`: the claims table's claim-1 numbers)."""
    models = _models(coherence)
    methods = list(dict.fromkeys(coherence["method"]))
    with th.theme():
        fig = _figure(max(7.0, 2.4 * len(models)), 6.2)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.1])
        axes = top.subplots(1, len(models), sharey=True, squeeze=False)[0]
        for ax, model in zip(axes, models):
            for method in methods:
                one = magnitudes[(magnitudes["model"] == model) & (magnitudes["method"] == method)]
                if one.empty:
                    continue
                one = one.sort_values("relative_depth")
                colour = th.method_colour(method)
                if "relative" in one:  # each sentence relative to its first layer, mean with its 95 % interval
                    y = one["relative"]
                    ax.fill_between(
                        one["relative_depth"], one["relative_low"], one["relative_high"], color=colour, alpha=0.15, lw=0
                    )
                else:
                    y = one["total"] / one["total"].iloc[0]
                ax.plot(
                    one["relative_depth"],
                    y,
                    th.method_style(method),
                    marker=th.method_marker(method),
                    color=colour,
                    label=th.method_label(method),
                )
            _plain_log_axis(ax)
            ax.axhline(1.0, color=th.GREY, lw=0.8, zorder=0)
            ax.set_title(model, color=th.model_colour(model))
            ax.set_xlabel("relative depth →")
            ax.set_xlim(0, 1.05)
        axes[0].set_ylabel("Σ importance ÷ first layer's\n(log; 1 = same scale; 95 % band)")
        top.suptitle("Scale of each method across layers (flat = comparable)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside right upper", title="method")
        left, right = bottom.subplots(1, 2)
        for ax, metric, label, title in (
            (
                left,
                "adjacent_spearman",
                "mean Spearman ρ of adjacent layers\n(↑ = more stable ranking; 1 = same)",
                "Ranking stability",
            ),
            (
                right,
                "log_magnitude_spread",
                "std over layers of log Σ importance\n(↓ = more comparable scale; 0 = same)",
                "Scale change",
            ),
        ):
            _dodged_points(ax, coherence, metric, models, methods)
            ax.set_ylabel(label)
            ax.set_title(title)
        left.set_ylim(top=1.02)
        bottom.suptitle("Per sentence, then the mean over sentences with its 95 % bootstrap interval")
    return fig


def _plain_log_axis(ax) -> None:
    """A log y axis whose ticks read as plain numbers (0.8, 1, 2) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter  # lazy: start-up cost (matplotlib, ~3 s to import)

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))

    def minor(value, _):  # only 2× and 5× a power of ten: the others crowd next to 1
        lead = round(value / 10 ** np.floor(np.log10(value))) if value > 0 else 0
        return f"{value:g}" if lead in (2, 5) else ""

    ax.yaxis.set_minor_formatter(FuncFormatter(minor))


def _model_ticks(ax, models: Sequence[str]) -> None:
    """Models on the x axis by family name, each in its colour (full name in the SVG title)."""
    word_ticks(ax, [th.family(m) for m in models])
    for label, model in zip(ax.get_xticklabels(), models):
        label.set_color(th.model_colour(model))
    ax.set_xlabel("model")


def _dodged_points(ax, table: pd.DataFrame, metric: str, models: Sequence[str], methods: Sequence[str]) -> None:
    """Per model (x) and method (dodged, method colours): the mean with its [_low, _high] interval."""
    width = 0.7 / max(1, len(methods))
    for m, method in enumerate(methods):
        rows = table[table["method"] == method].set_index("model").reindex(models)
        x = np.arange(len(models)) + (m - (len(methods) - 1) / 2) * width
        ax.errorbar(
            x,
            rows[metric],
            yerr=_errorbars(rows[metric], rows[f"{metric}_low"], rows[f"{metric}_high"]),
            fmt=th.method_marker(method),
            color=th.method_colour(method),
            capsize=3,
            label=th.method_label(method),
        )
    _model_ticks(ax, models)


# -- figures 2 and 3 (notebooks 02-04): method maps ------------------------------------------------
def method_maps(
    frame: pd.DataFrame,
    methods: Sequence[str],
    models: Sequence[str],
    sentence_id: int = 0,
    layers: Sequence[str] | None = None,
    ylabel: str = "layer (↓ deeper)",
    title: str | None = None,
    anti_diagonal: bool = False,
):
    """Grid of importance maps: rows = models, columns = methods; each map [hidden states, words].

    Each row of each map is divided by its maximum (1 = the layer's most important word), so the methods
    share one colour scale (`maps.SCALES['relative_importance']`, dark = important). A panel is as wide
    as its words need; a row's words are written under it only when they differ from the next row's.
    `anti_diagonal` outlines the cells the reversal task expects (output step t holds word n − t + 1).
    """
    cells = {
        (model, method): importance_map(frame, method, model, sentence_id, layers)
        for model in models
        for method in methods
    }
    n_words = max(len(words) for _, _, words in cells.values())
    # 0.17 in per word: 8 pt labels upright (slanted when they fit) fill a column; a row's hidden states are
    # named once, in its first panel. Four methods × 12 words then stay legible (tests/viz/test_figures.py).
    panel_w = max(1.8, 0.17 * n_words + 0.25)
    with th.theme():
        rows_per_model = [max(len(cells[model, methods[0]][1]), 4) for model in models]  # room for the row's label
        fig = _figure(panel_w * len(methods) + 1.7, sum(0.2 * n + 0.5 for n in rows_per_model) + 1.2)
        axes = fig.subplots(len(models), len(methods), squeeze=False, height_ratios=rows_per_model)
        image = None
        for r, model in enumerate(models):
            for c, method in enumerate(methods):
                ax = axes[r][c]
                matrix, rows, words = cells[model, method]
                image = word_map(ax, matrix, words, rows, "relative_importance", colorbar=False, fontsize=8)
                if anti_diagonal:
                    steps = np.arange(min(len(rows), len(words)))
                    ax.scatter(
                        len(words) - 1 - steps, steps, s=60, marker="s", facecolors="none", edgecolors="#56B4E9", lw=1.2
                    )
                ax.tick_params(axis="y", labelsize=8, labelleft=c == 0)
                below = cells.get((models[r + 1], method)) if r + 1 < len(models) else None
                if below is not None and below[2] == words:
                    ax.tick_params(axis="x", labelbottom=False)
                else:
                    ax.set_xlabel("word")
                if r == 0:
                    ax.set_title(th.method_label(method), color=th.method_colour(method))
                if c == 0:
                    ax.set_ylabel(f"{model}\n{ylabel}", color=th.model_colour(model))
        fig.colorbar(image, ax=axes, shrink=0.6, aspect=30, label=SCALES["relative_importance"].colorbar_label)
        fig.suptitle(title or "Importance of each word per hidden state, by method")
    return fig


# -- figures 4, 5, 8 (notebook 05): model comparison -----------------------------------------------
def metric_bars(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    by: str = "model",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    accuracy: pd.DataFrame | None = None,
):
    """One panel per metric: the mean over sentences with its 95 % interval per model (`analysis.summarise`,
    the claims table's numbers), in the model's colour; with `accuracy`, a last panel of each model's dev
    accuracy with its interval (`analysis.model_accuracies`)."""
    panels = len(metrics) + (accuracy is not None)
    with th.theme():
        fig = _figure(max(6.5, 2.2 * panels), 3.4)
        axes = fig.subplots(1, panels, squeeze=False)[0]
        for ax, metric in zip(axes, metrics):
            rows = summary[summary["metric"] == metric]
            _model_points(ax, rows[by], rows["mean"], rows["low"], rows["high"])
            ax.set_title((labels or {}).get(metric, metric))
            ax.set_ylabel("mean over sentences\n(95 % interval)")
        if accuracy is not None:
            ax = axes[-1]
            low = accuracy.get("accuracy_low", accuracy["accuracy"])
            high = accuracy.get("accuracy_high", accuracy["accuracy"])
            _model_points(ax, accuracy["model"], accuracy["accuracy"], low, high)
            ax.set_title("dev accuracy (↑ = better)")
            ax.set_ylabel("accuracy (95 % interval)")
        if title:
            fig.suptitle(title)
    return fig


def _model_points(ax, models, mean, low, high) -> None:
    """Per model: its mean (a point) with its interval, in the model's colour."""
    models = list(models)
    values = np.asarray(mean, dtype=float)
    errors = _errorbars(mean, low, high)
    for i, model in enumerate(models):
        ax.errorbar(i, values[i], yerr=errors[:, i : i + 1], fmt="o", color=th.model_colour(model), capsize=4, ms=6)
    ax.set_xlim(-0.6, len(models) - 0.4)
    _model_ticks(ax, models)


# -- figure 6 (notebook 06): information kept per kind of word across depth -------------------------
def forgetting_figure(information: pd.DataFrame, half_depths: pd.DataFrame | None = None, kinds=th.KIND_ORDER):
    """One panel per model: information kept per kind of word against relative depth, 95 % bands.

    Args:
        information: `analysis.information_by_kind` (mean over sentences with information_low/_high).
        half_depths: optional `analysis.half_depth_table` (the claims table's claim-6 numbers): each BERT-like
            model's panel then shows, above the curves, per kind the mean relative depth where half the
            first layer's information is left, with its 95 % interval. BERT-like panels also shade the
            paper's statement for BERT-base: [SEP] forgotten at layers 3-4 of 12, sentiment-irrelevant
            words over layers 5-12.
    """
    models = _models(information)
    shown = [k for k in kinds if half_depths is not None and k in set(half_depths["kind"])]
    with th.theme():
        # At most four panels a row (five models, with DEEP's MPNet, take two rows), so a row stays legible
        # at a slide's and a page's width.
        ncols = len(models) if len(models) <= 4 else 3
        nrows = math.ceil(len(models) / ncols)
        fig = _figure(max(6.5, 2.5 * ncols), 4.6 if nrows == 1 else 3.4 * nrows + 0.6)  # two rows fit a slide's 7.5 in
        grid = fig.subplots(nrows, ncols, squeeze=False)  # each model its own scale: compare kinds within it
        axes = list(grid.flat[: len(models)])
        for spare in grid.flat[len(models) :]:
            spare.set_visible(False)
        for ax, model in zip(axes, models):
            rows = information[information["model"] == model]
            top = float(np.nanmax(rows[["information", "information_high"]].to_numpy(dtype=float), initial=0.0))
            top = top if top > 0 else 1.0
            step, marks = 0.075 * top, []
            for kind in kinds:
                one = rows[rows["kind"] == kind].sort_values("relative_depth")
                if one.empty:
                    continue
                colour = th.kind_colour(kind)
                ax.fill_between(
                    one["relative_depth"],
                    one["information_low"],
                    one["information_high"],
                    color=colour,
                    alpha=0.2,
                    lw=0,
                )
                marker = th.KIND_MARKERS.get(kind, "o")
                ax.plot(one["relative_depth"], one["information"], marker=marker, color=colour, label=kind)
            layers = int(rows["depth"].max()) if len(rows) else 0
            ax.set_title(f"{model}\n{layers} layers", color=th.model_colour(model))
            ax.set_xlabel("depth, layer / L →")
            ax.set_xlim(0, 1.05)
            if th.family(model) in BERT_LIKE:
                ax.axvspan(*PAPER_SEP, color=th.kind_colour("[SEP]"), alpha=0.15, lw=0, label="paper: [SEP] forgotten")
                ax.axvspan(
                    *PAPER_IRRELEVANT, ymax=0.04, color=th.GREY, alpha=0.35, lw=0, label="paper: irrelevant words fade"
                )
                if half_depths is not None:
                    marks = shown
                    _half_depth_marks(ax, half_depths[half_depths["model"] == model], shown, top * 1.1, step)
            ax.set_ylim(0, top * 1.1 + step * (len(marks) + 1) if marks else top * 1.05)
        for row in grid:
            row[0].set_ylabel(INFORMATION_AXIS)
        handles = {}
        for ax in axes:
            for h, label in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(label, h)
        fig.legend(
            list(handles.values()), list(handles.keys()), loc="outside lower center", ncol=4, title="kind of word"
        )
        fig.suptitle("Information kept per kind of word, by depth (mean over sentences, 95 % band)")
    return fig


def _half_depth_marks(ax, rows: pd.DataFrame, kinds, bottom: float, step: float) -> None:
    """Per kind: its half depth (claim 6) as a point with a horizontal 95 % interval, stacked above the curves."""
    for i, kind in enumerate(kinds):
        one = rows[rows["kind"] == kind]
        if one.empty:
            continue
        row = one.iloc[0]
        ax.errorbar(
            row["half_depth"],
            bottom + step * (i + 0.5),
            xerr=_errorbars([row["half_depth"]], [row["half_depth_low"]], [row["half_depth_high"]]),
            fmt=th.KIND_MARKERS.get(kind, "o"),
            ms=4,
            color=th.kind_colour(kind),
            capsize=2,
        )
    ax.text(0.02, bottom + step * (len(kinds) + 0.3), "half depth (claim 6) ↓", fontsize=8, color=th.GREY)


# -- figure 7 (notebook 07): fine-grained forgetting -----------------------------------------------
def retention_figure(retention: pd.DataFrame, by_kind: pd.DataFrame | None = None, kinds=th.KIND_ORDER):
    """Left: each model's retention I_last / I_first (per-sentence mean, 95 % interval: claim 7's numbers).
    Right (with `by_kind`): the same per kind of word, one colour per kind, models side by side.

    Args:
        retention: `analysis.retention_table(trajectories)` (model, retention, retention_low, retention_high).
        by_kind: `analysis.retention_table(trajectories, by_kind=True)`.
    """
    with th.theme():
        fig = _figure(8.5 if by_kind is not None else 3.8, 3.6)
        axes = fig.subplots(
            1, 2 if by_kind is not None else 1, squeeze=False, width_ratios=[1.3, 2.2] if by_kind is not None else None
        )[0]
        _model_points(
            axes[0], retention["model"], retention["retention"], retention["retention_low"], retention["retention_high"]
        )
        axes[0].set_ylabel("retention I_last / I_first\n(↑ = keeps more; 1 = nothing lost)")
        axes[0].set_title("Per-word information kept\nby the last layer")
        axes[0].axhline(1.0, color=th.GREY, lw=0.8, zorder=0)
        if by_kind is not None:
            ax = axes[1]
            models = _models(by_kind)
            present = [k for k in kinds if k in set(by_kind["kind"])]
            width = 0.8 / max(1, len(present))
            for k, kind in enumerate(present):
                rows = by_kind[by_kind["kind"] == kind].set_index("model").reindex(models)
                x = np.arange(len(models)) + (k - (len(present) - 1) / 2) * width
                ax.errorbar(
                    x,
                    rows["retention"],
                    yerr=_errorbars(rows["retention"], rows["retention_low"], rows["retention_high"]),
                    fmt=th.KIND_MARKERS.get(kind, "o"),
                    color=th.kind_colour(kind),
                    capsize=2,
                    label=kind,
                )
            _model_ticks(ax, models)
            ax.axhline(1.0, color=th.GREY, lw=0.8, zorder=0)
            ax.set_ylabel("retention I_last / I_first (↑ = keeps more)")
            ax.set_title("By kind of word")
            fig.suptitle("Retention: mean over sentences with its 95 % bootstrap interval", x=0.45)
            fig.legend(loc="outside right upper", title="kind of word")
    return fig


def kind_trajectories(information: pd.DataFrame, kinds: Sequence[str] = th.KIND_ORDER):
    """Per model (one panel each): information kept across depth per kind of word, with 95 % bands."""
    return forgetting_figure(information, None, kinds)


def word_lines(frame: pd.DataFrame, model: str, sentence_id: int = 0, lexicon: Mapping[str, bool] | None = None):
    """Each word of one sentence: information kept across layers, coloured by kind of word.

    The words are written at the right end of their lines, moved apart so that none overlaps another,
    joined to their line's end by a thin leader; long words are abbreviated (full word in the SVG title).
    """

    rows = frame[(frame["model"] == model) & (frame["sentence_id"] == sentence_id)]
    rows = rows[rows["layer"].map(is_layer)]
    rows = rows.assign(information=metrics.information_column(rows)).dropna(subset=["information"])
    if rows.empty:
        raise ValueError(f"no estimator rows for {model!r}, sentence {sentence_id}.")
    with th.theme():
        fig = _figure(6.0, 4.0)
        ax = fig.subplots()
        ends, names, colours = [], [], []
        depth_max = 0
        for _, one in rows.groupby("word_id"):
            one = one.assign(depth=one["layer"].map(layer_index)).sort_values("depth")
            word = str(one["word"].iloc[0])
            colour = th.kind_colour(word_kind(word, lexicon))
            ax.plot(one["depth"], one["information"], marker=".", color=colour, alpha=0.9)
            ends.append(float(one["information"].iloc[-1]))
            names.append(word)
            colours.append(colour)
            depth_max = max(depth_max, int(one["depth"].max()))
        low, high = min(0.0, float(rows["information"].min())), float(rows["information"].max())
        gap = 0.055 * max(high - low, 1e-9)
        placed = spread_labels(ends, gap)
        ax.set_ylim(low, max(high, float(placed.max()) + gap) * 1.02 if len(placed) else high)
        x_text = depth_max + 0.35
        for end, y, word, colour in zip(ends, placed, names, colours):
            ax.plot([depth_max, x_text - 0.05], [end, y], color=colour, lw=0.5, alpha=0.6)
            text = ax.text(x_text, y, abbreviate(word, 14), color=colour, fontsize=7, va="center", ha="left")
            attach_title(text, word)
        ax.set_xlim(0.8, depth_max + 1.6)
        ax.set_xticks(range(1, depth_max + 1))
        ax.set_xlabel("layer (deeper →)")
        ax.set_ylabel(INFORMATION_AXIS)
        ax.set_title(f"{model}: each word's information across layers")
        found = {word_kind(w, lexicon) for w in names}
        present = [k for k in th.KIND_ORDER if k in found] + sorted(found - set(th.KIND_ORDER))
        handles = [
            _plt().Line2D([], [], color=th.kind_colour(k), marker=th.KIND_MARKERS.get(k, "o"), label=k) for k in present
        ]
        fig.legend(handles=handles, loc="outside right upper", title="kind of word")
    return fig


# -- the linear toy (notebook 01) -------------------------------------------------------------------
def toy_figure(
    closed_form: np.ndarray, estimate: np.ndarray, weights: Sequence[float], reference: np.ndarray | None = None
):
    """Linear Φ: estimated σ beside the closed form σ_i ∝ 1/|w_i| (log scale)."""
    with th.theme():
        fig = _figure(5.0, 3.2)
        ax = fig.subplots()
        x = np.arange(len(weights))
        ax.plot(x, closed_form, "_", color=th.OKABE_ITO["black"], markersize=22, mew=2, label="closed form")
        ax.plot(x, estimate, "o", color=th.OKABE_ITO["blue"], label="infolib estimate")
        if reference is not None:
            ax.plot(x, reference, "s", mfc="none", color=th.OKABE_ITO["vermillion"], label="authors' Adam (reference)")
        ax.set_yscale("log")
        ax.set_xticks(x, [f"w={w:g}" for w in weights])
        ax.set_xlabel("word (its weight wᵢ in Φ)")
        ax.set_ylabel("σ (log; ↑ = Φ forgets the word)")
        ax.set_title("Linear Φ: σᵢ ∝ 1/|wᵢ|")
        fig.legend(loc="outside right upper")
    return fig


def sweep_figure(table: pd.DataFrame, x: str, title: str):
    """σ of every word against a setting (rate or scale), log-log, one line per word."""
    with th.theme():
        fig = _figure(5.0, 3.2)
        ax = fig.subplots()
        palette = list(th.OKABE_ITO.values())[1:]
        for i, (word, group) in enumerate(table.groupby("word")):
            ax.plot(group[x], group["sigma"], marker="o", color=palette[i % len(palette)], label=f"word {word}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{x} (log) →")
        ax.set_ylabel("σ (log; ↑ = more forgotten)")
        ax.set_title(title)
        fig.legend(loc="outside right upper")
    return fig


def convergence_figure(curves: Mapping[str, Sequence[float]]):
    """Objective per step of each optimiser (the authors' Adam vs infolib's damped Newton step)."""
    with th.theme():
        fig = _figure(5.0, 3.2)
        ax = fig.subplots()
        palette = [th.OKABE_ITO["blue"], th.OKABE_ITO["vermillion"], th.OKABE_ITO["bluish green"]]
        for i, (label, curve) in enumerate(curves.items()):
            curve = np.asarray(curve, dtype=float)
            ax.plot(np.arange(1, len(curve) + 1), curve, color=palette[i % len(palette)], label=label)
        ax.set_xscale("log")
        # log y as well: Adam starts thousands of times above the optimum, where infolib's first steps land
        if all(np.nanmin(np.asarray(c, dtype=float)) > 0 for c in curves.values()):
            ax.set_yscale("log")
        ax.set_xlabel("optimisation step (log) →")
        ax.set_ylabel("objective L(σ) (log; ↓ = better)")
        ax.set_title("Convergence")
        fig.legend(loc="outside lower center", ncols=max(1, len(curves)))
    return fig


INFORMATION_LABEL = INFORMATION_LABEL  # re-exported: the label of the one quantity
KIND_ORDER = th.KIND_ORDER

__all__ = [
    "INFORMATION_AXIS",
    "KIND_ORDER",
    "coherence_figure",
    "convergence_figure",
    "forgetting_figure",
    "kind_trajectories",
    "method_maps",
    "metric_bars",
    "retention_figure",
    "sweep_figure",
    "toy_figure",
    "word_lines",
]
