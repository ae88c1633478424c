"""Metrics that compare explanations: across layers, across methods, and against word classes.

Every metric takes plain numpy arrays (one sentence: `[n_words]` or `[layers, n_words]`) or the
tidy table of `Explanation.to_frame()` / `Attribution.to_frame()`, so it works for σ and for
every baseline. Higher "information"/"score" always means more important here:

    retained information  I_i = −log(σ_i / scale) ≥ 0   (nats per dimension; 0 = forgotten)

σ_i ≤ scale, so I_i ≥ 0; I_i = 0 when the hidden state tolerates the largest noise (word
forgotten), and it grows as the state keeps more of word i (σ_i → 0). For a tidy table,
`importance_column` picks the column: `score` (baselines; signed scores are compared by
magnitude) or, for the estimator, `information` (I, the column `Explanation.to_frame` writes).
"""

from __future__ import annotations

import math
from typing import Callable, Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.names import sort_key
from .kinds import SPECIAL_TOKENS, STOP_WORDS
from .statistics import (  # noqa: F401  (they lived here before: the old import path still works)
    bootstrap_groups,
    bootstrap_interval,
    bootstrap_mean,
    bootstrap_proportion,
    mean_interval,
)


# -- inputs --------------------------------------------------------------------------------------
def _array(values, name: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in dims:
        shape = " or ".join({1: "[n_words]", 2: "[layers, n_words]"}.get(d, f"{d}-d") for d in dims)
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}.")
    if array.size == 0 or array.shape[-1] == 0:
        raise ValueError(f"{name} is empty.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or inf.")
    return array


def _information(values, name: str = "information", ndim=1) -> np.ndarray:
    info = _array(values, name, ndim)
    if (info < 0).any():
        raise ValueError(f"{name} must be ≥ 0 (use retained_information(σ, scale), or |score| for signed scores).")
    return info


def retained_information(sigma, scale: float) -> np.ndarray:
    """I = −log(σ / scale), clipped at 0: the information a hidden state keeps about each word.

    Args:
        sigma: [...] σ from the estimator (0 < σ ≤ scale).
        scale: σ's upper bound.
    Returns:
        [...] I ≥ 0 (nats per dimension); 0 = forgotten.
    """
    sigma = np.asarray(sigma, dtype=float)
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}.")
    if sigma.size == 0 or not np.isfinite(sigma).all() or (sigma <= 0).any():
        raise ValueError("sigma must be non-empty, finite and > 0.")
    return np.maximum(-np.log(sigma / scale), 0.0)


def information_column(frame) -> np.ndarray:
    """[rows] the information kept I = −log(σ/scale) ≥ 0 of each estimator row of a tidy table (NaN elsewhere).

    The `information` column `Explanation.to_frame` writes; a table saved before that column existed
    has only the raw `log_sigma_ratio`, whose negation it is.
    """
    n = len(frame)
    if "information" in frame:
        return frame["information"].to_numpy(dtype=float)
    if "log_sigma_ratio" in frame:
        return np.maximum(-frame["log_sigma_ratio"].to_numpy(dtype=float), 0.0)
    return np.full(n, np.nan)


def importance_column(frame) -> np.ndarray:
    """[rows] importance of each row of a tidy table: |score|, or the information kept I for σ (≥ 0)."""
    if "score" not in frame and "information" not in frame and "log_sigma_ratio" not in frame:
        raise ValueError("the table needs a 'score' column (baselines) or 'information' (estimator).")
    n = len(frame)
    score = frame["score"].to_numpy(dtype=float) if "score" in frame else np.full(n, np.nan)
    # Rows of a concatenated table have one or the other.
    out = np.where(np.isnan(score), information_column(frame), np.abs(score))
    if np.isnan(out).any():
        raise ValueError("some rows have neither a score nor an information value.")
    return out


def importance_matrix(
    frame, sentence_id: int, method: str | None = None, model: str | None = None
) -> tuple[np.ndarray, list[str], list[str]]:
    """[layers, n_words] importance of one sentence from a tidy table, layers by depth.

    Returns:
        (matrix, layer names, words).
    """
    rows = frame[frame["sentence_id"] == sentence_id]
    if method is not None:
        rows = rows[rows["method"] == method]
    if model is not None:
        rows = rows[rows["model"] == model]
    if rows.empty:
        raise ValueError(f"no rows for sentence {sentence_id}, method {method!r}, model {model!r}.")
    if rows["method"].nunique() > 1 or rows["model"].nunique() > 1:
        raise ValueError("the rows mix several methods or models: pass method= and model=.")
    rows = rows.assign(importance=importance_column(rows))
    table = rows.pivot_table(index="layer", columns="word_id", values="importance", aggfunc="first")
    layers = sorted(table.index, key=sort_key)
    words = rows.drop_duplicates("word_id").sort_values("word_id")["word"].tolist()
    return table.loc[layers].to_numpy(dtype=float), list(layers), words


# -- cross-layer coherence ---------------------------------------------------------------------
def log_magnitude_spread(importance) -> float:
    """std over layers of log Σ_i |a_{l,i}|: how much the total magnitude changes with depth.

    Args:
        importance: [layers, n_words] scores of one sentence.
    Returns:
        std_l(log Σ_i |a_{l,i}|) (population std, ddof = 0); 0 = same total at every layer.
    """
    a = _array(importance, "importance", 2)
    total = np.abs(a).sum(1)
    if (total <= 0).any():
        raise ValueError("a layer has zero total magnitude; its log is undefined.")
    return float(np.std(np.log(total)))


def adjacent_layer_spearman(importance) -> np.ndarray:
    """Spearman ρ between the word rankings of adjacent layers (by |a|).

    Args:
        importance: [layers, n_words] scores of one sentence (layers in depth order).
    Returns:
        [layers − 1] ρ(|a_l|, |a_{l+1}|); 1 = same ranking.
    """
    a = np.abs(_array(importance, "importance", 2))
    if a.shape[0] < 2:
        raise ValueError("need at least two layers to compare adjacent ones.")
    return np.array([_spearman(a[layer], a[layer + 1]) for layer in range(a.shape[0] - 1)])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import rankdata  # lazy: start-up cost (scipy.stats, ~4 s to import)

    if len(x) < 2:
        raise ValueError("rank correlations need at least two words.")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")  # a constant ranking has no correlation
    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])  # Spearman ρ: Pearson of the (average) ranks


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import kendalltau  # lazy: start-up cost (scipy.stats, ~4 s to import)

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(kendalltau(x, y).statistic)


# -- agreement between methods ------------------------------------------------------------------
def top_k_overlap(a, b, k: int) -> float:
    """|top_k(|a|) ∩ top_k(|b|)| / k: share of the k most important words two methods share.

    Args:
        a, b: [n_words] scores of one sentence and hidden state from two methods.
        k: number of top words (k ≤ n_words).
    """
    a, b = np.abs(_array(a, "a", 1)), np.abs(_array(b, "b", 1))
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(a):
        raise ValueError(f"k must be an int in 1 … {len(a)}, got {k!r}.")

    def top(v):
        return set(np.argsort(-v, kind="stable")[:k].tolist())

    return len(top(a) & top(b)) / k


def rank_agreement(a, b, k: int = 3) -> dict[str, float]:
    """Spearman ρ, Kendall τ and top-k overlap between two methods' word rankings (by |score|).

    Args:
        a, b: [n_words] scores of one sentence and hidden state.
        k: top-k size (clipped to n_words).
    Returns:
        {'spearman', 'kendall', 'top_k'}; ρ = τ = 1 for identical rankings, −1 for reversed.
    """
    a, b = np.abs(_array(a, "a", 1)), np.abs(_array(b, "b", 1))
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}.")
    return {"spearman": _spearman(a, b), "kendall": _kendall(a, b), "top_k": top_k_overlap(a, b, min(k, len(a)))}


def method_agreement(
    frame,
    method_a: str,
    method_b: str,
    k: int = 3,
    confidence: float = 0.95,
    interval: str = "t",
    random_state: int = 0,
):
    """Agreement of two methods per (model, layer): Spearman, Kendall, top-k overlap, with intervals.

    Each statistic is computed per sentence (ranking words by importance, see `importance_column`)
    and summarised over sentences by `mean_interval`.

    Args:
        frame: tidy table holding both methods (pandas.concat of their `to_frame()`s).
        method_a, method_b: values of the `method` column.
        k: top-k size; confidence, interval ('t' or 'bootstrap'), random_state: see `mean_interval`.
    Returns:
        DataFrame: model, layer, statistic, mean, low, high, n_sentences (intervals clipped to the
        statistic's range: [−1, 1] for ρ and τ, [0, 1] for top-k overlap).
    """

    for method in (method_a, method_b):
        if method not in set(frame["method"]):
            raise ValueError(f"method {method!r} is not in the table (has: {', '.join(sorted(set(frame['method'])))}).")
    frame = frame.assign(importance=importance_column(frame))
    keys = ["model", "sentence_id", "layer", "word_id"]
    a = frame[frame["method"] == method_a].set_index(keys)["importance"]
    b = frame[frame["method"] == method_b].set_index(keys)["importance"]
    joined = pd.concat({"a": a, "b": b}, axis=1).dropna().reset_index()
    if joined.empty:
        raise ValueError(f"{method_a} and {method_b} share no (model, sentence, layer, word).")
    rows = []
    for (model, layer), group in joined.groupby(["model", "layer"], sort=False):
        stats = [
            rank_agreement(g["a"].to_numpy(), g["b"].to_numpy(), k)
            for _, g in group.groupby("sentence_id")
            if len(g) >= 2
        ]
        for statistic in ("spearman", "kendall", "top_k"):
            values = [s[statistic] for s in stats]
            mean, low, high = mean_interval(values, confidence, interval, random_state=random_state)
            bound = (0.0, 1.0) if statistic == "top_k" else (-1.0, 1.0)  # t intervals can overshoot
            low, high = max(low, bound[0]), min(high, bound[1])
            rows.append(
                {
                    "model": model,
                    "layer": layer,
                    "statistic": statistic,
                    "mean": mean,
                    "low": low,
                    "high": high,
                    "n_sentences": int(np.sum(~np.isnan(values))) if values else 0,
                }
            )
    return pd.DataFrame(rows)


# -- concentration -------------------------------------------------------------------------------
def words_for_share(information, share: float = 0.5) -> int:
    """Smallest number of words that together hold `share` of the total information.

    Args:
        information: [n_words] per-word information I_i ≥ 0 of one sentence and hidden state.
        share: fraction in (0, 1], e.g. 0.5 or 0.8.
    Returns:
        min { m : sum of the m largest I_i ≥ share · Σ_i I_i }; 1 for a one-hot profile.
    """
    info = _information(information)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}.")
    total = info.sum()
    if total <= 0:
        raise ValueError("the information is zero for every word: nothing to concentrate.")
    cumulative = np.cumsum(np.sort(info)[::-1])
    return int(np.searchsorted(cumulative, share * total * (1 - 1e-12)) + 1)


def concentration(information, shares: Sequence[float] = (0.5, 0.8)) -> dict[str, float]:
    """Words holding each share of the information, and the entropy of the profile.

    Returns:
        {'words_50': …, 'words_80': …, 'entropy_nats': H(p), 'entropy_normalised': H(p) / log n}.
    """
    out: dict[str, float] = {f"words_{round(100 * s)}": words_for_share(information, s) for s in shares}
    out["entropy_nats"] = information_entropy(information)
    out["entropy_normalised"] = information_entropy(information, normalised=True)
    return out


def information_entropy(information, normalised: bool = False) -> float:
    """Entropy (nats) of p_i = I_i / Σ_j I_j, the normalised per-word information.

    0 for a one-hot profile, log n for a uniform one; with normalised=True divided by log n (∈ [0, 1]).
    """
    info = _information(information)
    total = info.sum()
    if total <= 0:
        raise ValueError("the information is zero for every word: the distribution is undefined.")
    p = info / total
    h = float(-(p[p > 0] * np.log(p[p > 0])).sum())
    if normalised:
        return h / math.log(len(p)) if len(p) > 1 else 0.0
    return h


# -- neighbourhood spread ------------------------------------------------------------------------
def neighbour_share(information, radius: int = 1, top: int = 1) -> float:
    """Share of the information on the neighbours of the most informative words.

    N = { j not among the `top` most informative words : |j − t| ≤ radius for one of them t };
    returns Σ_{j∈N} I_j / Σ_j I_j. Small = the model uses words precisely, large = it spreads over
    neighbouring words (paper §5.4: CNN / LSTM).

    Args:
        information: [n_words] I_i ≥ 0 of one sentence and hidden state.
        radius: neighbourhood size in positions (1 = ±1, 2 = ±2).
        top: how many of the most informative words are centres.
    """
    info = _information(information)
    n = len(info)
    for name, value in (("radius", radius), ("top", top)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}.")
    if top > n:
        raise ValueError(f"top must be ≤ n_words ({n}), got {top}.")
    total = info.sum()
    if total <= 0:
        raise ValueError("the information is zero for every word.")
    centres = np.argsort(-info, kind="stable")[:top]
    near = np.zeros(n, dtype=bool)
    for c in centres:
        near[max(0, c - radius) : c + radius + 1] = True
    near[centres] = False
    return float(info[near].sum() / total)


# -- meaningful vs function words ----------------------------------------------------------------
WordClass = Collection[str] | Mapping[str, bool] | Callable[[str], bool]


def _membership(word_class: WordClass) -> Callable[[str], bool]:
    if callable(word_class) and not isinstance(word_class, Mapping):
        return lambda w: bool(word_class(w))
    if isinstance(word_class, Mapping):
        bad = [v for v in word_class.values() if not isinstance(v, (bool, np.bool_))]
        if bad:
            raise TypeError(
                "a mapping word_class must map word -> bool; for graded labels (e.g. SST sentiment in "
                "[0, 1]) pass a callable such as lambda w: abs(labels.get(w, 0.5) - 0.5) >= 0.2."
            )
        lowered = {k.lower(): bool(v) for k, v in word_class.items()}
        return lambda w: lowered.get(w.lower(), False)
    if isinstance(word_class, str) or not isinstance(word_class, Collection):
        raise TypeError("word_class must be a set of words, a mapping word -> bool, or a callable word -> bool.")
    lowered_set = {w.lower() for w in word_class}
    return lambda w: w.lower() in lowered_set


def class_share(
    words: Sequence[str], information, word_class: WordClass, exclude: Collection[str] = SPECIAL_TOKENS
) -> float:
    """Share of the retained information on the words of a class: Σ_{i∈class} I_i / Σ_i I_i.

    Words in `exclude` (special tokens [CLS], [SEP], …) count in neither sum. Matching is
    case-insensitive.

    Args:
        words: [n_words] the words of one sentence.
        information: [n_words] I_i ≥ 0.
        word_class: a set of words, a mapping word -> bool, or a callable word -> bool
            (e.g. sentiment-bearing words from SST labels).
        exclude: words left out of both sums.
    Returns:
        share in [0, 1]; NaN when the non-excluded words hold no information.
    """
    info = _information(information)
    if len(words) != len(info):
        raise ValueError(f"words ({len(words)}) and information ({len(info)}) differ in length.")
    member = _membership(word_class)
    keep = np.array([w not in exclude for w in words])
    inside = np.array([member(w) for w in words]) & keep
    total = info[keep].sum()
    return float(info[inside].sum() / total) if total > 0 else float("nan")


def function_word_share(words: Sequence[str], information, stop_words: Collection[str] = STOP_WORDS) -> float:
    """Share of the retained information on function words (`STOP_WORDS`: 'and', 'the', 'is', …)."""
    return class_share(words, information, stop_words)


# -- layer forgetting ----------------------------------------------------------------------------
def forgetting_layer(
    sigma, scale: float, layers: Sequence[int], num_layers: int, fraction: float = 0.9
) -> dict[str, np.ndarray]:
    """The first layer at which each word is forgotten: σ_{l,i} ≥ fraction · scale.

    Args:
        sigma: [layers, n_words] σ of one sentence (layers in depth order).
        scale: σ's upper bound.
        layers: [layers] the block index of each row (e.g. [1, …, 6]).
        num_layers: L, the model's depth (relative depth = layer / L).
        fraction: σ / scale at which a word counts as forgotten (default 0.9).
    Returns:
        {'layer': [n_words] first such layer (NaN if never), 'relative_depth': layer / L,
         'information': [layers, n_words] retained information −log(σ/scale) by depth}.
    """
    sigma = _array(sigma, "sigma", 2)
    depths = np.asarray(layers, dtype=float)
    if depths.shape != (sigma.shape[0],):
        raise ValueError(f"layers must list one block index per row of sigma ({sigma.shape[0]}), got {depths.shape}.")
    if np.any(np.diff(depths) <= 0):
        raise ValueError("layers must be in increasing depth order.")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}.")
    if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
        raise ValueError(f"num_layers must be a positive int, got {num_layers!r}.")
    information = retained_information(sigma, scale)
    forgotten = sigma >= fraction * scale
    first = np.where(forgotten.any(0), depths[np.argmax(forgotten, axis=0)], np.nan)
    return {"layer": first, "relative_depth": first / num_layers, "information": information}


# -- reverse-sequence task -----------------------------------------------------------------------
def reverse_alignment(information) -> dict[str, float]:
    """How well output step t attends to input word n − t + 1 (the reversal task's ground truth).

    Args:
        information: [steps, n_words] information of each input word at output step t = 1 … steps
            (steps ≤ n_words).
    Returns:
        {'accuracy': mean_t [argmax_i I_{t,i} = n − t + 1],
         'mass': mean_t I_{t, n−t+1} / Σ_i I_{t,i}}; both 1 for a perfect anti-diagonal.
    """
    info = _information(information, ndim=2)
    steps, n = info.shape
    if steps > n:
        raise ValueError(f"more output steps ({steps}) than input words ({n}): word n − t + 1 does not exist.")
    totals = info.sum(1)
    if (totals <= 0).any():
        raise ValueError("an output step has zero total information.")
    target = n - 1 - np.arange(steps)  # 0-based index of word n − t + 1
    hits = info.argmax(1) == target
    mass = info[np.arange(steps), target] / totals
    return {"accuracy": float(hits.mean()), "mass": float(mass.mean())}
