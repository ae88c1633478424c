"""infolib's extension rows of the claims table (issue 23): not claims of the paper.

Per-layer faithfulness (`layers.layer_faithfulness`) tested like the paper's claims: each
comparison is the seeded 95 % bootstrap interval over sentences of the per-sentence difference
information − method in `output_aopc` (higher = more faithful), against 0 (`claims.verdict`):
'reproduced' when information is ahead, 'not reproduced' when the gradient method is, else
'inconclusive'; a row over several comparisons combines them (`claims.combine_verdicts`).
The rows themselves are made in `analysis.claims` (claims 9 and 10), with the paper's claims.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ..metrics import bootstrap_mean

EXTENSION = "[infolib extension, not a claim of the paper] "
FAITHFULNESS_CLAIMS = {
    9: EXTENSION + "Information is at least as faithful as each gradient method at the last layer "
    "(output AOPC: removing the words it ranks highest costs the prediction at least as much).",
    10: EXTENSION + "Information is at least as faithful as each gradient method at every layer.",
}
GRADIENT_METHODS = ("gradient_saliency", "input_x_gradient", "integrated_gradients")
COLUMNS = ["claim", "text", "metric", "values", "verdict", "note", "n_sentences"]


def layer_summary(table: pd.DataFrame, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Mean of each (model, method, layer, metric) over sentences with its bootstrap 95 % interval.

    Returns:
        DataFrame: model, method, layer, metric, mean, low, high, n.
    """

    rows = []
    for (model, method, layer, metric), group in table.groupby(["model", "method", "layer", "metric"], sort=False):
        mean, low, high, n = bootstrap_mean(group["value"], n_boot, random_state)
        rows.append(
            {
                "model": model,
                "method": method,
                "layer": layer,
                "metric": metric,
                "mean": mean,
                "low": low,
                "high": high,
                "n": n,
            }
        )
    return pd.DataFrame(rows, columns=["model", "method", "layer", "metric", "mean", "low", "high", "n"])


def layer_depth(layer: str) -> float:
    """Sort key of a hidden state: its depth ('layer.N' -> N), anything else after every layer."""
    tail = layer.rsplit(".", 1)[-1]
    return float(tail) if tail.isdigit() else np.inf
