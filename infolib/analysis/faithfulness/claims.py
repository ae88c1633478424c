"""infolib's extension rows of the claims table (issue 23): not claims of the paper.

Per-layer faithfulness (`layers.layer_faithfulness`) tested like the paper's claims: each
comparison is the seeded 95 % bootstrap interval over sentences of the per-sentence difference
information − method in `output_aopc` (higher = more faithful), against 0 (`claims.verdict`):
'reproduced' when information is ahead, 'not reproduced' when the gradient method is, else
'inconclusive'; a row over several comparisons combines them (`claims.combine_verdicts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    from ..metrics import bootstrap_mean

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


def faithfulness_claims(table: pd.DataFrame, n_boot: int = 2000, random_state: int = 0) -> list[dict]:
    """Claims 9 and 10 (extension rows) from a `layer_faithfulness` table of one or more models."""
    from ..claims import _Estimate, combine_verdicts, verdict
    from ..metrics import bootstrap_mean

    needed = {"model", "sentence_id", "method", "layer", "metric", "value"}
    if not needed <= set(table.columns):
        raise ValueError(f"the faithfulness table needs columns {sorted(needed)}: pass `layer_faithfulness`'s table.")
    output = table[table["metric"] == "output_aopc"]
    rows = []
    for claim in (9, 10):
        values, verdicts = [], []
        for model, group in output.groupby("model", sort=False):
            layers = sorted(group["layer"].unique(), key=_depth)
            wide = group.pivot_table(index=["layer", "sentence_id"], columns="method", values="value")
            if "information" not in wide:
                continue
            for layer in layers[-1:] if claim == 9 else layers:
                at = wide.loc[layer]
                for method in [m for m in GRADIENT_METHODS if m in at]:
                    diff = (at["information"] - at[method]).to_numpy(float)
                    mean, low, high, n = bootstrap_mean(diff, n_boot, random_state)
                    values.append(_Estimate(f"{model} {layer} information − {method}", mean, low, high, n))
                    verdicts.append(verdict((low, high), (0.0, 0.0)) if n else "n/a")
        ahead = sum(v == "reproduced" for v in verdicts)
        behind = sum(v == "not reproduced" for v in verdicts)
        rows.append(
            {
                "claim": claim,
                "text": FAITHFULNESS_CLAIMS[claim],
                "metric": "output_aopc difference information − gradient method, per sentence (higher = information "
                "more faithful); ERASER thresholds, deletion",
                "values": "; ".join(str(v) for v in values),
                "verdict": combine_verdicts(verdicts),
                "note": f"{len(verdicts)} comparisons: information ahead in {ahead}, behind in {behind}, "
                f"the rest overlap 0",
                "n_sentences": min((v.n for v in values), default=0),
            }
        )
    return rows


def _depth(layer: str) -> float:
    tail = layer.rsplit(".", 1)[-1]
    return float(tail) if tail.isdigit() else np.inf
