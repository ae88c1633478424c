"""The analyses behind the paper's figures (docs/method.md §5), as tested functions the notebooks call.

Every function takes tidy tables (`Explanation.to_frame()` / `Attribution.to_frame()`, one row per
method, model, sentence, layer and word) and returns a tidy table. Importance is always "larger =
more important": retained information I_i = −log(σ_i/scale) for σ, |score| for baselines
(`metrics.importance_column`).

Word kinds are in `kinds`, the claims in `claims`, the linear toy in `toy`.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.names import is_layer, is_step, layer_index, sort_key
from ..models import registry
from . import metrics, statistics
from .kinds import SPECIAL_TOKENS, add_word_kinds, word_kind
from .metrics import importance_column


def importance_map(
    frame: pd.DataFrame,
    method: str,
    model: str,
    sentence_id: int = 0,
    layers: Sequence[str] | None = None,
    normalise: bool = True,
) -> tuple[np.ndarray, list[str], list[str]]:
    """[layers, n_words] importance of one sentence for one method and model.

    Args:
        normalise: divide each row by its maximum, so methods whose scale changes across layers
            can be drawn on one colour scale (the cross-layer scale is measured separately).
        layers: the rows and their order (default: the table's layers, by depth, then others).
    Returns:
        (matrix, layer names, words).
    """
    rows = frame[(frame["method"] == method) & (frame["model"] == model) & (frame["sentence_id"] == sentence_id)]
    if rows.empty:
        raise ValueError(f"no rows for method {method!r}, model {model!r}, sentence {sentence_id}.")
    rows = rows.assign(importance=importance_column(rows))
    table = rows.pivot_table(index="layer", columns="word_id", values="importance", aggfunc="first")
    order = list(layers) if layers is not None else sorted(table.index, key=sort_key)
    matrix = table.loc[order].to_numpy(dtype=float)
    if normalise:
        top = matrix.max(1, keepdims=True)
        matrix = np.divide(matrix, top, out=np.zeros_like(matrix), where=top > 0)
    words = rows.drop_duplicates("word_id").sort_values("word_id")["word"].tolist()
    return matrix, order, words


# -- figure 1: coherence across layers -------------------------------------------------------------
def coherence_per_sentence(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (method, model, sentence): how much the total importance and the word ranking change across layers.

    Only 'layer.N' rows are used; sentences with fewer than two layers or two words are left out.
    `log_magnitude_spread` is the std over layers of log Σ_i importance (0 = same scale at every
    layer; NaN when a layer's total is 0), `adjacent_spearman` the mean Spearman ρ between the word
    rankings of adjacent layers (1 = same ranking; NaN when every ranking is constant).

    Returns:
        DataFrame: method, model, sentence_id, log_magnitude_spread, adjacent_spearman.
    """
    columns = ["method", "model", "sentence_id", "log_magnitude_spread", "adjacent_spearman"]
    rows = []
    layered = frame[frame["layer"].map(is_layer)]
    importance = importance_column(layered)
    depth = layered["layer"].map(layer_index).to_numpy()
    word = layered["word_id"].to_numpy()
    groups = layered.groupby(["method", "model", "sentence_id"], sort=False).indices
    for (method, model, sentence_id), index in groups.items():
        matrix = _layers_by_words(depth[index], word[index], importance[index])
        if matrix.shape[0] < 2 or matrix.shape[1] < 2:
            continue
        spread = metrics.log_magnitude_spread(matrix) if (matrix.sum(1) > 0).all() else math.nan
        rhos = metrics.adjacent_layer_spearman(matrix)
        rho = float(np.nanmean(rhos)) if not np.isnan(rhos).all() else math.nan
        rows.append(
            {
                "method": method,
                "model": model,
                "sentence_id": int(sentence_id),
                "log_magnitude_spread": spread,
                "adjacent_spearman": rho,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _layers_by_words(depth: np.ndarray, word: np.ndarray, importance: np.ndarray) -> np.ndarray:
    """[layers, words] importance of one sentence from its rows (layers by depth, words by id)."""
    layers, row = np.unique(depth, return_inverse=True)
    words, column = np.unique(word, return_inverse=True)
    matrix = np.full((len(layers), len(words)), np.nan)
    matrix[row[::-1], column[::-1]] = importance[::-1]  # a repeated (layer, word): the first row wins
    return matrix


def coherence_table(
    frame: pd.DataFrame, *, per_sentence: pd.DataFrame | None = None, n_boot: int = 2000, random_state: int = 0
) -> pd.DataFrame:
    """Per method and model: the mean over sentences of `coherence_per_sentence`, with bootstrap intervals.

    `per_sentence`: that table when already computed from `frame` (it is not computed again).

    Returns:
        DataFrame: method, model, log_magnitude_spread, log_magnitude_spread_low,
        log_magnitude_spread_high, adjacent_spearman, adjacent_spearman_low, adjacent_spearman_high,
        n_sentences (sentences with at least two layers and two words). Intervals: seeded 95 %
        percentile bootstrap over sentences (`statistics.bootstrap_interval`).
    """
    per = coherence_per_sentence(frame) if per_sentence is None else per_sentence
    return _mean_table(per, ["method", "model"], ["log_magnitude_spread", "adjacent_spearman"], n_boot, random_state)


def _mean_table(
    per: pd.DataFrame, by: list[str], columns: list[str], n_boot: int, random_state: int, plain: Sequence[str] = ()
) -> pd.DataFrame:
    """Per group of `by`: each column's mean with _low/_high bootstrap bounds, `plain` columns' means, n_sentences."""
    names = list(by) + [c + s for c in columns for s in ("", "_low", "_high")] + list(plain) + ["n_sentences"]
    rows = []
    for keys, group in per.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys))
        for column in columns:
            row[column], row[column + "_low"], row[column + "_high"], _ = statistics.bootstrap_mean(
                group[column], n_boot, random_state
            )
        for column in plain:
            row[column] = float(group[column].mean())
        row["n_sentences"] = int(group["sentence_id"].nunique())
        rows.append(row)
    return pd.DataFrame(rows, columns=names)


def layer_magnitudes(frame: pd.DataFrame, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Total importance Σ_i per (method, model, layer), mean over sentences, and relative depth.

    `relative` is each sentence's total at that layer divided by its total at the first layer, averaged
    over sentences, with its seeded 95 % bootstrap interval (`metrics.bootstrap_mean`, as the claims
    table); 1 = the same scale as the first layer.

    Returns:
        DataFrame: method, model, layer, depth, relative_depth, total (mean over sentences), relative,
        relative_low, relative_high, n_sentences.
    """
    layered = frame[frame["layer"].map(is_layer)].copy()
    if "importance" not in layered:
        layered["importance"] = importance_column(layered)
    layered["depth"] = layered["layer"].map(layer_index)
    keys = ["method", "model", "layer", "depth"]
    totals = layered.groupby(keys + ["sentence_id"], sort=False)["importance"].sum().reset_index()
    first = totals.loc[totals.groupby(["method", "model", "sentence_id"])["depth"].transform("min") == totals["depth"]]
    first = first.set_index(["method", "model", "sentence_id"])["importance"].rename("first")
    totals = totals.join(first, on=["method", "model", "sentence_id"])
    totals["relative"] = totals["importance"] / totals["first"].where(totals["first"] > 0)
    rows = []
    for key, group in totals.groupby(keys, sort=False):
        relative, low, high, n = metrics.bootstrap_mean(group["relative"], n_boot, random_state)
        rows.append(
            {
                **dict(zip(keys, key)),
                "total": float(group["importance"].mean()),
                "relative": relative,
                "relative_low": low,
                "relative_high": high,
                "n_sentences": n,
            }
        )
    out = pd.DataFrame(rows, columns=keys + ["total", "relative", "relative_low", "relative_high", "n_sentences"])
    out["relative_depth"] = out["depth"] / out.groupby(["method", "model"])["depth"].transform("max")
    return out.sort_values(["method", "model", "depth"], ignore_index=True)


# -- figure 2: reversal --------------------------------------------------------------------------
def reversal_per_sentence(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (method, model, sentence): does output step t hold input word n − t + 1 (`metrics.reverse_alignment`)?

    Rows with layer 'step.t' are used; the sentence's [steps, n_words] map gives `accuracy` (share
    of steps whose argmax is on the anti-diagonal) and `mass` (mean share of a step's importance on
    it). Sentences with a step of zero total importance are left out. `chance` = 1/length.

    Returns:
        DataFrame: method, model, sentence_id, length (n words), accuracy, mass, chance.
    """
    steps = frame[frame["layer"].map(is_step)]
    if steps.empty:
        raise ValueError("the table has no 'step.t' rows (explain the reversal models' step states).")
    columns = ["method", "model", "sentence_id", "length", "accuracy", "mass", "chance"]
    rows = []
    for (method, model, sentence_id), one in steps.groupby(["method", "model", "sentence_id"], sort=False):
        matrix, _, words = importance_map(one, method, model, sentence_id, normalise=False)
        if (matrix.sum(1) <= 0).any():
            continue
        result = metrics.reverse_alignment(matrix)
        rows.append(
            {
                "method": method,
                "model": model,
                "sentence_id": int(sentence_id),
                "length": len(words),
                "accuracy": result["accuracy"],
                "mass": result["mass"],
                "chance": 1.0 / len(words),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def reversal_alignment_table(frame: pd.DataFrame, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Per method and model: the mean over sentences of `reversal_per_sentence`, with bootstrap intervals.

    Returns:
        DataFrame: method, model, accuracy, accuracy_low, accuracy_high, mass, mass_low, mass_high,
        chance (mean 1/length), n_sentences.
    """
    per = reversal_per_sentence(frame)
    return _mean_table(per, ["method", "model"], ["accuracy", "mass"], n_boot, random_state, plain=["chance"])


# -- figures 4, 5, 8: model comparison -------------------------------------------------------------
def sentence_profile_metrics(
    frame: pd.DataFrame, lexicon: Mapping[str, bool] | None, layer: str | None = None, radius: int = 1
) -> pd.DataFrame:
    """Per (method, model, sentence): how concentrated the importance of one hidden state is.

    Special tokens are left out (they are not words of the sentence). Columns:
    `entropy_normalised` (H(p)/log n of p_i = I_i/Σ I; lower = more concentrated), `words_50`
    (words holding half), `neighbour_share` (share on the ±radius neighbours of the top word;
    higher = spread over neighbouring words), `sentiment_share`, `function_share`.

    Args:
        layer: the hidden state; 'last' = each model's deepest 'layer.N'; None = the only one
            in the table (e.g. 'pooled').
    """
    if layer == "last":
        layered = frame[frame["layer"].map(is_layer)]
        depth = layered["layer"].map(layer_index)
        rows = layered[depth == depth.groupby(layered["model"]).transform("max")]
    else:
        rows = frame if layer is None else frame[frame["layer"] == layer]
    if layer is None and rows.groupby(["method", "model"])["layer"].nunique().max() > 1:
        raise ValueError("the table has several hidden states: pass layer=.")
    out = []
    for (method, model, sentence_id), group in rows.groupby(["method", "model", "sentence_id"], sort=False):
        group = group[~group["word"].isin(SPECIAL_TOKENS)].sort_values("word_id")
        info = importance_column(group)
        words = group["word"].tolist()
        if len(words) < 2 or info.sum() <= 0:
            continue
        out.append(
            {
                "method": method,
                "model": model,
                "sentence_id": int(sentence_id),
                "n_words": len(words),
                "entropy_normalised": metrics.information_entropy(info, normalised=True),
                "words_50": metrics.words_for_share(info, 0.5),
                "neighbour_share": metrics.neighbour_share(info, radius=radius),
                "sentiment_share": metrics.class_share(words, info, lambda w: word_kind(w, lexicon) == "sentiment"),
                "function_share": metrics.function_word_share(words, info),
            }
        )
    return pd.DataFrame(out)


def summarise(
    per_sentence: pd.DataFrame,
    columns: Sequence[str],
    by: Sequence[str] = ("method", "model"),
    *,
    n_boot: int = 2000,
    random_state: int = 0,
) -> pd.DataFrame:
    """Mean over sentences of each column, per group, with a seeded 95 % percentile-bootstrap interval.

    The interval resamples the group's sentences (`statistics.bootstrap_interval`); NaN values (a
    metric undefined for a sentence) are left out.

    Returns:
        DataFrame: the `by` columns, metric, mean, low, high, n_sentences.
    """
    rows = []
    for keys, group in per_sentence.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for column in columns:
            mean, low, high, n = statistics.bootstrap_mean(group[column], n_boot, random_state)
            rows.append(
                {**dict(zip(by, keys)), "metric": column, "mean": mean, "low": low, "high": high, "n_sentences": n}
            )
    return pd.DataFrame(rows, columns=[*by, "metric", "mean", "low", "high", "n_sentences"])


def model_accuracies(
    models: Sequence, smoke: bool = False, *, n_boot: int = 2000, random_state: int = 0
) -> pd.DataFrame:
    """Dev scores of cached trained models, from their metrics JSON.

    `accuracy_low`/`accuracy_high` are a seeded 95 % bootstrap interval over the n dev sentences
    (`statistics.bootstrap_proportion`); `hidden_layers` is the JSON's "hidden_layers", else the loaded
    model's depth when `models` holds HookedModels (metrics written before the field existed), else NaN.

    Args:
        models: model names or loaded HookedModels.
    Returns:
        DataFrame: model, accuracy, accuracy_low, accuracy_high, mcc (as the metrics JSON holds it),
        n, hidden_layers.
    """
    rows = []
    for model in models:
        name = model if isinstance(model, str) else model.name
        key = f"{name}-smoke" if smoke and not name.endswith("-smoke") else name
        record = registry.model_metrics(key)  # looked up at call time, so a test can patch it
        dev = record.get("dev", {})
        accuracy, n = dev.get("accuracy", np.nan), dev.get("n")
        _, low, high = statistics.bootstrap_proportion(accuracy, n, n_boot=n_boot, random_state=random_state)
        layers = record.get("hidden_layers", None if isinstance(model, str) else model.num_layers)
        rows.append(
            {
                "model": key,
                "accuracy": accuracy,
                "accuracy_low": low,
                "accuracy_high": high,
                "mcc": dev.get("mcc", np.nan),
                "n": n,
                "hidden_layers": np.nan if layers is None else layers,
            }
        )
    return pd.DataFrame(
        rows, columns=["model", "accuracy", "accuracy_low", "accuracy_high", "mcc", "n", "hidden_layers"]
    )


# -- figures 6, 7: forgetting across layers --------------------------------------------------------
def word_trajectories(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None, fraction: float = 0.9) -> pd.DataFrame:
    """Each word's information across 'layer.N' states of the estimator, with when it is forgotten.

    Per (model, sentence, word): the first layer with σ ≥ fraction·scale (`forgotten_layer`, NaN =
    never, `metrics.forgetting_layer`), the first layer keeping at most half of the first layer's
    information (`half_layer`), both also as relative depth (layer / L, L = deepest layer in the
    table), and `retention` = I_L / I_first (1 = nothing lost).

    Args:
        frame: a tidy table; its σ rows (`sigma_rows`: the estimator's, with the `information` column) are used.
    Returns:
        DataFrame: model, sentence_id, word_id, word, kind, forgotten_layer, forgotten_depth,
        half_layer, half_depth, retention, information_first, information_last.
    """
    rows = frame[sigma_rows(frame) & frame["layer"].map(is_layer)]
    if rows.empty:
        raise ValueError("no estimator rows on 'layer.N' hidden states.")
    out = []
    for (model, sentence_id), group in rows.groupby(["model", "sentence_id"], sort=False):
        group = group.assign(information=metrics.information_column(group))
        table = group.pivot_table(index="layer", columns="word_id", values="information", aggfunc="first")
        order = sorted(table.index, key=layer_index)
        depths = [layer_index(n) for n in order]
        L = max(depths)
        kept = table.loc[order].to_numpy(dtype=float)
        forgotten = metrics.forgetting_layer(np.exp(-kept), 1.0, depths, L, fraction)  # σ/scale = exp(−I)
        info = forgotten["information"]
        words = group.drop_duplicates("word_id").sort_values("word_id")["word"].tolist()
        for w, word in enumerate(words):
            first = info[0, w]
            halved = np.nonzero(info[:, w] <= 0.5 * first)[0] if first > 0 else np.array([0])
            half = float(depths[halved[0]]) if len(halved) else math.nan
            out.append(
                {
                    "model": model,
                    "sentence_id": int(sentence_id),
                    "word_id": w,
                    "word": word,
                    "kind": word_kind(word, lexicon),
                    "forgotten_layer": float(forgotten["layer"][w]),
                    "forgotten_depth": float(forgotten["relative_depth"][w]),
                    "half_layer": half,
                    "half_depth": half / L,
                    "retention": float(info[-1, w] / first) if first > 0 else math.nan,
                    "information_first": float(first),
                    "information_last": float(info[-1, w]),
                }
            )
    return pd.DataFrame(out)


def forgetting_by_kind(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Per model and word kind: mean relative depth at which words are forgotten / halved.

    `never_forgotten` is the share of words whose σ never reaches the threshold.

    Returns:
        DataFrame: model, kind, forgotten_depth, half_depth, never_forgotten, retention, n_words.
    """
    grouped = trajectories.groupby(["model", "kind"], sort=False)
    out = grouped.agg(
        forgotten_depth=("forgotten_depth", "mean"),
        half_depth=("half_depth", "mean"),
        never_forgotten=("forgotten_layer", lambda s: float(s.isna().mean())),
        retention=("retention", "mean"),
        n_words=("word", "size"),
    ).reset_index()
    return out


def sigma_rows(frame: pd.DataFrame) -> pd.Series:
    """[rows] True where a row holds σ (a `log_sigma_ratio` value): the rows of a method whose result is σ."""
    if "log_sigma_ratio" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["log_sigma_ratio"].notna()


def information_by_kind(
    frame: pd.DataFrame, lexicon: Mapping[str, bool] | None, *, n_boot: int = 2000, random_state: int = 0
) -> pd.DataFrame:
    """Information kept I per (model, layer, kind of word) of the estimator's 'layer.N' rows, with intervals.

    Per sentence, the mean I of its words of that kind; then the mean over sentences with its seeded
    95 % percentile-bootstrap interval (`metrics.bootstrap_mean`, the claims table's function).

    Returns:
        DataFrame: model, layer, depth, relative_depth, kind, information, information_low,
        information_high, n (words), n_sentences.
    """
    rows = frame[sigma_rows(frame) & frame["layer"].map(is_layer)]
    rows = add_word_kinds(rows, lexicon)
    rows = rows.assign(information=metrics.information_column(rows), depth=rows["layer"].map(layer_index))
    keys = ["model", "layer", "depth", "kind"]
    per_sentence = rows.groupby(keys + ["sentence_id"], sort=False)["information"].mean().reset_index()
    out = []
    for key, group in per_sentence.groupby(keys, sort=False):
        mean, low, high, n_sentences = metrics.bootstrap_mean(group["information"], n_boot, random_state)
        out.append(
            {
                **dict(zip(keys, key)),
                "information": mean,
                "information_low": low,
                "information_high": high,
                "n_sentences": n_sentences,
            }
        )
    columns = keys + ["information", "information_low", "information_high", "n_sentences"]
    out = pd.DataFrame(out, columns=columns)
    words = rows.groupby(keys, sort=False).size().rename("n").reset_index()
    out = out.merge(words, on=keys, how="left")
    out["relative_depth"] = out["depth"] / out.groupby("model")["depth"].transform("max")
    return out.sort_values(["model", "depth", "kind"], ignore_index=True)


def half_depth_table(trajectories: pd.DataFrame, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Per model and kind of word: mean relative depth where a word keeps ≤ half its first-layer information.

    The numbers of the claims table's claim 6: a word still above half at the last layer counts as
    depth 1 (a lower bound); per sentence the mean over its words of that kind; then the mean over
    sentences with its seeded 95 % bootstrap interval (`metrics.bootstrap_mean`).

    Returns:
        DataFrame: model, kind, half_depth, half_depth_low, half_depth_high, n_sentences, never_halved (words).
    """
    rows = trajectories.assign(
        never_halved=trajectories["half_depth"].isna(), half_depth=trajectories["half_depth"].fillna(1.0)
    )
    out = []
    for (model, kind), group in rows.groupby(["model", "kind"], sort=False):
        per_sentence = group.groupby("sentence_id")["half_depth"].mean()
        mean, low, high, n = metrics.bootstrap_mean(per_sentence, n_boot, random_state)
        out.append(
            {
                "model": model,
                "kind": kind,
                "half_depth": mean,
                "half_depth_low": low,
                "half_depth_high": high,
                "n_sentences": n,
                "never_halved": int(group["never_halved"].sum()),
            }
        )
    columns = ["model", "kind", "half_depth", "half_depth_low", "half_depth_high", "n_sentences", "never_halved"]
    return pd.DataFrame(out, columns=columns)


def retention_table(
    trajectories: pd.DataFrame, by_kind: bool = False, *, n_boot: int = 2000, random_state: int = 0
) -> pd.DataFrame:
    """Per model (and kind of word): retention I_last / I_first, per-sentence mean, with a 95 % bootstrap interval.

    Without `by_kind` these are the claims table's claim-7 numbers (`metrics.bootstrap_mean` of each
    sentence's mean retention over its words).

    Returns:
        DataFrame: model, [kind,] retention, retention_low, retention_high, n_sentences.
    """
    keys = ["model", "kind"] if by_kind else ["model"]
    out = []
    for key, group in trajectories.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        per_sentence = group.groupby("sentence_id")["retention"].mean()
        mean, low, high, n = metrics.bootstrap_mean(per_sentence, n_boot, random_state)
        out.append(
            {**dict(zip(keys, key)), "retention": mean, "retention_low": low, "retention_high": high, "n_sentences": n}
        )
    return pd.DataFrame(out, columns=keys + ["retention", "retention_low", "retention_high", "n_sentences"])
