"""The paper's figures (METHOD.md §5) as functions returning matplotlib Figures.

Each takes the tidy tables of `infolib.analysis`; `viz.export.save_figure` writes PNG and SVG. Maps
follow the colour convention of `viz.maps.SCALES`: for σ-based maps dark = kept, for normalised
importance maps bright = important.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis.kinds import KINDS, word_kind
from ..analysis.tables import importance_map
from ..core.names import is_layer, layer_index
from .maps import SCALES, word_map

METHOD_LABELS = {
    "information": "information −log(σ/scale)",
    "gradient_saliency": "gradient ‖∂s/∂x‖",
    "input_x_gradient": "gradient × input",
    "integrated_gradients": "integrated gradients",
    "occlusion": "occlusion",
    "lrp": "LRP",
}


def _plt():
    import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)

    return plt


def method_maps(
    frame: pd.DataFrame,
    methods: Sequence[str],
    models: Sequence[str],
    sentence_id: int = 0,
    layers: Sequence[str] | None = None,
    ylabel: str = "hidden state",
    title: str | None = None,
):
    """Grid of importance maps: rows = models, columns = methods; each map [hidden states, words].

    Each row of each map is divided by its maximum (1 = the most important word of that hidden
    state), so the methods share one colour scale (`maps.SCALES['relative_importance']`); bright = important.
    """
    plt = _plt()
    fig, axes = plt.subplots(
        len(models), len(methods), figsize=(3.2 * len(methods) + 0.8, 2.6 * len(models) + 0.8), squeeze=False
    )
    image = None
    for r, model in enumerate(models):
        for c, method in enumerate(methods):
            ax = axes[r][c]
            matrix, rows, words = importance_map(frame, method, model, sentence_id, layers)
            image = word_map(ax, matrix, words, rows, "relative_importance", colorbar=False, fontsize=7)
            if r == 0:
                ax.set_title(METHOD_LABELS.get(method, method), fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{model}\n{ylabel}", fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8, label=SCALES["relative_importance"].colorbar_label)
    fig.suptitle(title or "Importance of each word per hidden state, by method", fontsize=10)
    return fig


def coherence_figure(magnitudes: pd.DataFrame, coherence: pd.DataFrame):
    """Left: total importance per layer (log scale, relative to the first layer) per method and
    model; right: mean adjacent-layer Spearman ρ per method and model."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for (method, model), group in magnitudes.groupby(["method", "model"], sort=False):
        total = group["total"].to_numpy()
        style = "-" if method == "information" else "--"
        left.plot(
            group["relative_depth"],
            total / total[0],
            style,
            marker="o",
            label=f"{model} · {METHOD_LABELS.get(method, method)}",
        )
    left.set_yscale("log")
    left.set_xlabel("relative depth (layer / L)")
    left.set_ylabel("Σ importance / value at the first layer")
    left.set_title("Scale across layers (flat = comparable)", fontsize=10)
    left.legend(fontsize=6)
    pivot = coherence.pivot_table(index="model", columns="method", values="adjacent_spearman")
    pivot.plot.bar(ax=right, rot=0)
    right.set_ylabel("mean Spearman ρ of adjacent layers")
    right.set_title("Ranking stability (1 = same ranking)", fontsize=10)
    right.set_ylim(-0.2, 1.05)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def metric_bars(
    summary: pd.DataFrame,
    metrics: Sequence[str],
    by: str = "model",
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    accuracy: pd.DataFrame | None = None,
):
    """One panel per metric: mean with 95 % interval per `by` value (from `analysis.summarise`);
    with `accuracy`, a last panel of each model's dev accuracy."""
    plt = _plt()
    panels = len(metrics) + (accuracy is not None)
    fig, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        rows = summary[summary["metric"] == metric]
        x = np.arange(len(rows))
        ax.bar(
            x, rows["mean"], yerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]], capsize=3, color="tab:blue"
        )
        ax.set_xticks(x, rows[by], rotation=30, ha="right", fontsize=8)
        ax.set_title((labels or {}).get(metric, metric), fontsize=9)
    if accuracy is not None:
        ax = axes[0][-1]
        ax.bar(range(len(accuracy)), accuracy["accuracy"], color="tab:green")
        ax.set_xticks(range(len(accuracy)), accuracy["model"], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0.5, 1.0)
        ax.set_title("dev accuracy", fontsize=9)
    fig.suptitle(title or "", fontsize=10)
    fig.tight_layout()
    return fig


KIND_ORDER = ("[CLS]", "[SEP]", "function", "punctuation", "sentiment", "neutral")


def forgetting_figure(by_kind: pd.DataFrame, kinds: Sequence[str] = KIND_ORDER):
    """Per model: relative depth at which each kind of word keeps ≤ half its first-layer information."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    models = list(dict.fromkeys(by_kind["model"]))
    width = 0.8 / max(1, len(kinds))
    for k, kind in enumerate(kinds):
        rows = by_kind[by_kind["kind"] == kind].set_index("model").reindex(models)
        ax.bar(np.arange(len(models)) + k * width, rows["half_depth"], width, label=kind)
    ax.set_xticks(np.arange(len(models)) + 0.4 - width / 2, models, fontsize=8)
    ax.set_ylabel("relative depth (layer / L)\nwhere ≤ half the information is left")
    ax.set_ylim(0, 1.05)
    ax.set_title("When each kind of word is forgotten (lower = earlier)", fontsize=10)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    return fig


def kind_trajectories(information: pd.DataFrame, kinds: Sequence[str] = KIND_ORDER):
    """Per model (one panel each): mean retained information −log(σ/scale) across layers per kind of word."""
    plt = _plt()
    models = list(dict.fromkeys(information["model"]))
    fig, axes = plt.subplots(1, len(models), figsize=(3.3 * len(models), 3.4), squeeze=False, sharey=True)
    for ax, model in zip(axes[0], models):
        rows = information[information["model"] == model]
        for kind in kinds:
            one = rows[rows["kind"] == kind]
            if len(one):
                ax.plot(one["relative_depth"], one["information"], marker="o", label=kind)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("relative depth")
    axes[0][0].set_ylabel("retained information −log(σ/scale)\n(0 = forgotten)")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def word_lines(frame: pd.DataFrame, model: str, sentence_id: int = 0, lexicon: Mapping[str, bool] | None = None):
    """Each word of one sentence: retained information across layers, coloured by kind of word."""

    plt = _plt()
    rows = frame[(frame["method"] == "information") & (frame["model"] == model) & (frame["sentence_id"] == sentence_id)]
    rows = rows[rows["layer"].map(is_layer)]
    if rows.empty:
        raise ValueError(f"no estimator rows for {model!r}, sentence {sentence_id}.")
    colours = dict(zip(KINDS, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for word_id, one in rows.groupby("word_id"):
        one = one.assign(depth=one["layer"].map(layer_index)).sort_values("depth")
        word = one["word"].iloc[0]
        kind = word_kind(word, lexicon)
        ax.plot(one["depth"], -one["log_sigma_ratio"], marker=".", color=colours[kind], alpha=0.85)
        ax.annotate(word, (one["depth"].iloc[-1], -one["log_sigma_ratio"].iloc[-1]), fontsize=7, color=colours[kind])
    for kind, colour in colours.items():
        ax.plot([], [], color=colour, label=kind)
    ax.set_xlabel("layer")
    ax.set_ylabel("−log(σ/scale) (0 = forgotten)")
    ax.set_title(f"{model}: each word's information across layers", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def toy_figure(
    closed_form: np.ndarray, estimate: np.ndarray, weights: Sequence[float], reference: np.ndarray | None = None
):
    """Linear Φ: estimated σ beside the closed form σ_i ∝ 1/|w_i| (log scale)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    x = np.arange(len(weights))
    ax.plot(x, closed_form, "k_", markersize=22, mew=2, label="closed form")
    ax.plot(x, estimate, "o", label="infolib estimate")
    if reference is not None:
        ax.plot(x, reference, "s", mfc="none", label="authors' Adam (reference)")
    ax.set_yscale("log")
    ax.set_xticks(x, [f"w={w:g}" for w in weights])
    ax.set_ylabel("σ (larger = Φ forgets the word)")
    ax.set_title("Linear Φ: σᵢ ∝ 1/|wᵢ|", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def sweep_figure(table: pd.DataFrame, x: str, title: str):
    """σ of every word against a setting (rate or scale), log-log, one line per word."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for word, group in table.groupby("word"):
        ax.plot(group[x], group["sigma"], marker="o", label=f"word {word}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel("σ")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def convergence_figure(curves: Mapping[str, Sequence[float]]):
    """Objective per step of each optimiser (the authors' Adam vs infolib's damped Newton step)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for label, curve in curves.items():
        curve = np.asarray(curve, dtype=float)
        ax.plot(np.arange(1, len(curve) + 1), curve, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("objective L(σ)")
    ax.set_title("Convergence", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
