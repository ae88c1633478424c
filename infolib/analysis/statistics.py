"""Statistics over sentences: a mean's confidence interval and seeded percentile-bootstrap intervals.

The claims table and the per-figure tables report every quantity as (estimate, low, high) over
sentences; the resamples are drawn with a seeded numpy Generator, so the same `random_state` gives
the same interval on every machine.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd


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
        from scipy.stats import t  # lazy: start-up cost (scipy.stats, ~4 s to import)

        half = float(t.ppf((1 + confidence) / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
        return mean, mean - half, mean + half
    if method == "bootstrap":
        rng = np.random.default_rng(random_state)
        means = rng.choice(v, size=(n_boot, v.size), replace=True).mean(1)
        low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
        return mean, float(low), float(high)
    raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}.")


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


__all__ = ["bootstrap_groups", "bootstrap_interval", "bootstrap_mean", "bootstrap_proportion", "mean_interval"]
