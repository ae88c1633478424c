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

    models = list(dict.fromkeys(summary["model"]))
    methods = list(dict.fromkeys(summary["method"]))
    if not models or not metrics:
        raise ValueError("the summary is empty: run layer_faithfulness and layer_summary first.")
    figure, axes = plt.subplots(
        len(metrics), len(models), figsize=(3.2 * len(models), 2.8 * len(metrics)), squeeze=False, sharex="col"
    )
    for r, metric in enumerate(metrics):
        for c, model in enumerate(models):
            ax = axes[r][c]
            for k, method in enumerate(methods):
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
                ax.set_title(model)
            if c == 0:
                ax.set_ylabel(METRIC_LABELS.get(metric, metric), fontsize=8)
            if r == len(metrics) - 1:
                ax.set_xlabel("layer")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0][0].legend(fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
