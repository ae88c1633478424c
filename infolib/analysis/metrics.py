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

from ..core.names import sort_key

# A documented English function-word list (articles, auxiliaries, pronouns, prepositions,
# conjunctions, particles), used for the "meaningful vs function words" comparison (paper §5.5).
STOP_WORDS = frozenset(
    """
a an the and or but nor so yet if then than as because while although though
is am are was were be been being do does did doing have has had having will would shall should can could
may might must
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
this that these those who whom whose which what there here
of in on at by for with about against between into through during before after above below to from
up down out off over under again further once
not no just too very also only own same such both each few more most other some any all
's 't n't 're 've 'll 'd 'm
""".split()
)

SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]", "[MASK]", "<s>", "</s>", "<pad>"})


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
    from scipy.stats import rankdata

    if len(x) < 2:
        raise ValueError("rank correlations need at least two words.")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")  # a constant ranking has no correlation
    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])  # Spearman ρ: Pearson of the (average) ranks


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import kendalltau

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


def mean_interval(
    values, confidence: float = 0.95, method: str = "t", n_boot: int = 2000, random_state: int = 0
) -> tuple[float, float, float]:
    """Mean over sentences with a confidence interval: Student t, or percentile bootstrap.

    t: mean ± t_{(1+c)/2, n−1} · s / sqrt(n). bootstrap: the (1−c)/2 and (1+c)/2 quantiles of the
    means of `n_boot` resamples (with replacement, seeded). NaNs (undefined correlations) are dropped.
    Returns:
        (mean, low, high); low = high = mean when only one value is left.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (float("nan"),) * 3
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    mean = float(v.mean())
    if v.size == 1:
        return mean, mean, mean
    if method == "t":
        from scipy.stats import t

        half = float(t.ppf((1 + confidence) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
        return mean, mean - half, mean + half
    if method == "bootstrap":
        rng = np.random.default_rng(random_state)
        means = rng.choice(v, size=(n_boot, v.size), replace=True).mean(1)
        low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
        return mean, float(low), float(high)
    raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}.")


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
    import pandas as pd

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


# -- bootstrap intervals over sentences ----------------------------------------------------------
_VECTORISED = {np.mean, np.nanmean, np.median, np.nanmedian}
_CHUNK = 256  # resamples drawn at once (bounds memory at _CHUNK × n values)


def _check_bootstrap(confidence: float, n_boot: int) -> None:
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}.")


def _resample_indices(n: int, n_boot: int, random_state: int):
    """Yield [chunk, n] arrays of indices drawn with replacement, n_boot rows in all (seeded)."""
    rng = np.random.default_rng(random_state)
    for start in range(0, n_boot, _CHUNK):
        yield rng.integers(0, n, size=(min(_CHUNK, n_boot - start), n))


def _percentiles(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    stats = np.asarray(stats, dtype=float)
    if np.isnan(stats).all():
        return float("nan"), float("nan")
    low, high = np.nanquantile(stats, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def bootstrap_interval(
    values, confidence: float = 0.95, n_boot: int = 2000, random_state: int = 0, statistic: Callable = np.nanmean
) -> tuple[float, float, float]:
    """A statistic over sentences with its seeded percentile-bootstrap interval.

    The rows of `values` (its first axis) are the sentences: each of `n_boot` resamples draws n
    rows with replacement, and the interval is the (1−c)/2 and (1+c)/2 quantiles of the statistic
    over the resamples. Rows that are entirely NaN (a metric undefined for that sentence) are
    dropped first, so n counts the sentences that have a value. The same `random_state` gives the
    same interval.

    Args:
        values: [n_sentences] or [n_sentences, ...] one row per sentence (compute per-sentence
            values first for word-level data, or use `bootstrap_groups`).
        confidence: coverage in (0, 1).
        n_boot: number of resamples.
        random_state: seed of the resampling.
        statistic: callable(array [n, ...]) -> float (default np.nanmean). np.mean, np.nanmean,
            np.median and np.nanmedian on 1-d values are evaluated for all resamples at once.
    Returns:
        (estimate on all rows, low, high); (nan, nan, nan) when every row is NaN; low = high =
        estimate for a single sentence.
    Raises:
        ValueError: empty input, bad confidence or n_boot.
    """
    _check_bootstrap(confidence, n_boot)
    v = np.asarray(values, dtype=float)
    if v.ndim == 0:
        raise ValueError("values must be an array with one row per sentence, got a scalar.")
    if v.shape[0] == 0 or v.size == 0:
        raise ValueError("values is empty: there are no sentences to bootstrap over.")
    keep = ~np.isnan(v.reshape(v.shape[0], -1)).all(1)
    v = v[keep]
    if v.shape[0] == 0:
        return (float("nan"),) * 3
    estimate = float(statistic(v))
    n = v.shape[0]
    if v.ndim == 1 and statistic in _VECTORISED:
        stats = np.concatenate([statistic(v[idx], axis=1) for idx in _resample_indices(n, n_boot, random_state)])
    else:
        stats = np.array(
            [float(statistic(v[row])) for idx in _resample_indices(n, n_boot, random_state) for row in idx]
        )
    low, high = _percentiles(stats, confidence)
    return estimate, low, high


def bootstrap_groups(
    frame, value, group_col: str = "sentence_id", confidence: float = 0.95, n_boot: int = 2000, random_state: int = 0
) -> tuple[float, float, float]:
    """A statistic of a table with several rows per sentence (e.g. words), resampling sentences.

    Each resample draws whole sentences (the groups of `group_col`) with replacement, never single
    rows, so rows of one sentence stay together and the interval reflects sentence-to-sentence
    variation.

    Args:
        frame: DataFrame with a `group_col` column.
        value: a column name: the mean of that column over all rows of the drawn sentences
            (NaN rows ignored; a sentence with more rows weighs more), evaluated for all resamples
            at once; or a callable(DataFrame) -> float, evaluated on each resample (slower), which
            sees each drawn sentence as a distinct group (`group_col` renumbered 0 … n−1).
        group_col: the sentence column.
        confidence, n_boot, random_state: see `bootstrap_interval`.
    Returns:
        (estimate on the whole table, low, high); (nan, nan, nan) when no row has a value.
    Raises:
        ValueError: empty table, missing columns, bad confidence or n_boot.
    """
    import pandas as pd

    _check_bootstrap(confidence, n_boot)
    if group_col not in frame:
        raise ValueError(f"the table has no {group_col!r} column to resample over.")
    if len(frame) == 0:
        raise ValueError("the table is empty: there are no sentences to bootstrap over.")
    if isinstance(value, str):
        if value not in frame:
            raise ValueError(f"the table has no {value!r} column.")
        column = pd.to_numeric(frame[value], errors="raise").astype(float)
        grouped = column.groupby(frame[group_col], sort=True)
        sums, counts = grouped.sum().to_numpy(), grouped.count().to_numpy().astype(float)
        keep = counts > 0
        sums, counts = sums[keep], counts[keep]
        if not keep.any():
            return (float("nan"),) * 3
        estimate = float(sums.sum() / counts.sum())
        stats = np.concatenate(
            [sums[idx].sum(1) / counts[idx].sum(1) for idx in _resample_indices(len(sums), n_boot, random_state)]
        )
        low, high = _percentiles(stats, confidence)
        return estimate, low, high
    if not callable(value):
        raise TypeError("value must be a column name or a callable(DataFrame) -> float.")
    groups = [group for _, group in frame.groupby(group_col, sort=True)]
    estimate = float(value(frame))

    def draw(idx):
        return pd.concat([groups[i].assign(**{group_col: k}) for k, i in enumerate(idx)], ignore_index=True)

    stats = np.array(
        [float(value(draw(row))) for idx in _resample_indices(len(groups), n_boot, random_state) for row in idx]
    )
    low, high = _percentiles(stats, confidence)
    return estimate, low, high


def bootstrap_proportion(
    proportion: float, n: int, confidence: float = 0.95, n_boot: int = 2000, random_state: int = 0
) -> tuple[float, float, float]:
    """A proportion measured on n sentences (e.g. dev accuracy) with its bootstrap interval.

    Rebuilds the n outcomes (round(proportion · n) right, the rest wrong) and resamples them with
    `bootstrap_interval`.

    Returns:
        (round(proportion · n) / n, low, high); (nan, nan, nan) when proportion or n is missing.
    """
    if (
        proportion is None
        or n is None
        or (isinstance(proportion, float) and math.isnan(proportion))
        or (isinstance(n, float) and math.isnan(n))
    ):
        return (float("nan"),) * 3
    if not 0 <= float(proportion) <= 1:
        raise ValueError(f"proportion must be in [0, 1], got {proportion!r}.")
    if float(n) != int(n) or int(n) < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}.")
    n = int(n)
    right = int(round(float(proportion) * n))
    outcomes = np.r_[np.ones(right), np.zeros(n - right)]
    return bootstrap_interval(outcomes, confidence, n_boot, random_state)


def bootstrap_mean(values, n_boot: int, random_state: int) -> tuple[float, float, float, int]:
    """(mean, low, high, n) over the non-NaN values (one per sentence); NaNs and n = 0 when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean, low, high = bootstrap_interval(v, n_boot=n_boot, random_state=random_state)
    return mean, low, high, int(v.size)
