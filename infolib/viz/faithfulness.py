"""Per-layer faithfulness curves (issue 23): one panel per (metric, model), one line per method with its band."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..core.names import is_layer, layer_index
from ..methods import method_label
from . import theme as th

METRIC_LABELS = {
    "output_aopc": "output AOPC: p(ŷ) lost removing\nthe layer's top words (higher = faithful)",
    "state_degradation": "state change, top-k minus bottom-k\nremoved (higher = layer uses them)",
}


def layer_faithfulness_figure(summary: pd.DataFrame, metrics: Sequence[str] = tuple(METRIC_LABELS), title: str = ""):
    """Curves of `faithfulness.claims.layer_summary` over depth, with bootstrap 95 % bands.

    Args:
        summary: columns model, method, layer, metric, mean, low, high.
        metrics: rows of panels, in order.
    Returns:
        matplotlib Figure [len(metrics) rows × models columns].
    """
    import matplotlib.pyplot as plt  # lazy: start-up cost (matplotlib, ~3 s to import)
    from matplotlib.ticker import MaxNLocator  # lazy: start-up cost (matplotlib, ~3 s to import)

    if summary.empty or not len(metrics):
        raise ValueError("the summary is empty: run layer_faithfulness and layer_summary first.")
    models = th.model_order(summary["model"])
    methods = list(dict.fromkeys(summary["method"]))
    with th.theme():
        figure, axes = plt.subplots(
            len(metrics),
            len(models),
            figsize=(max(6.4, 2.4 * len(models) + 1.0), 2.8 * len(metrics) + 0.6),  # 4 models: legible at 7 in
            squeeze=False,
            sharex="col",
            layout="constrained",
        )
        _draw(axes, summary, metrics, models, methods, MaxNLocator)
        handles, labels = axes[0][0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=len(labels))  # outside: covers no point
        if title:
            figure.suptitle(title)
    return figure


def _draw(axes, summary: pd.DataFrame, metrics, models, methods, locator) -> None:
    """Fill the [metrics × models] grid: one line and band per method, the random floor dashed grey."""
    for r, metric in enumerate(metrics):
        for c, model in enumerate(models):
            ax = axes[r][c]
            for method in methods:
                rows = summary[
                    (summary["model"] == model) & (summary["method"] == method) & (summary["metric"] == metric)
                ]
                rows = rows[rows["layer"].map(is_layer)]
                if rows.empty:
                    continue
                rows = rows.assign(depth=rows["layer"].map(layer_index)).sort_values("depth")
                style = (
                    {"color": th.GREY, "linestyle": "--"} if method == "random" else {"color": th.method_colour(method)}
                )
                ax.plot(
                    rows["depth"],
                    rows["mean"],
                    marker="o",
                    markersize=3,
                    label=method_label(method),
                    **style,
                )
                ax.fill_between(rows["depth"], rows["low"], rows["high"], alpha=0.2, color=style["color"], linewidth=0)
            if r == 0:
                ax.set_title(model, color=th.model_colour(model))
            if c == 0:
                ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=8)
            if r == len(metrics) - 1:
                ax.set_xlabel("layer (deeper →)")
            ax.xaxis.set_major_locator(locator(integer=True))
