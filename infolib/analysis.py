"""The analyses behind the paper's figures (METHOD.md §5), as tested functions the notebooks call.

Every function takes tidy tables (`Explanation.to_frame()` / `Attribution.to_frame()`, one row per
method, model, sentence, layer and word) and returns a tidy table. Importance is always "larger =
more important": retained information I_i = −log(σ_i/scale) for σ, |score| for baselines
(`metrics.importance_column`).

Word kinds (figures 5-7): '[CLS]', '[SEP]', 'function' (`metrics.STOP_WORDS`), 'punctuation',
'sentiment' (a word whose SST phrase-tree leaf label is non-neutral in most of its occurrences,
see `sentiment_lexicon`), 'neutral' (every other word).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import metrics
from .metrics import STOP_WORDS, importance_column

KINDS = ("[CLS]", "[SEP]", "function", "punctuation", "sentiment", "neutral")
_PUNCTUATION = re.compile(r"^[^\w]+$")


# -- running several methods -----------------------------------------------------------------------
def explain_methods(model, sentences: Sequence[str], layers, methods: Sequence[str] = ("information",), *,
                    corpus: Sequence[str] | None = None, settings: Mapping | None = None,
                    baseline_settings: Mapping[str, Mapping] | None = None, progress: bool = False) -> pd.DataFrame:
    """One tidy table of several methods on the same sentences and hidden states.

    Every method goes through the result cache (`explain_corpus` for 'information',
    `attribute_corpus` for the baselines of `infolib.baselines.METHODS`), so a pair computed once,
    by any notebook, is read back everywhere. Baselines get the same σ_S as the estimator (so both
    see the state in the same normalised units) unless `baseline_settings[method]['sigma_s']` is
    given (None = raw).

    Args:
        model: a HookedModel or registry name.
        sentences: [n] sentences.
        layers: hidden states ('all', names, ...).
        methods: 'information' and/or baseline names.
        corpus: sentences for σ_S (default: 512 SST-2 train sentences).
        settings: estimator settings (max_steps, samples, ...).
        baseline_settings: method -> keyword arguments.
    Returns:
        DataFrame with the columns of `to_frame()` plus `importance` (≥ 0, larger = more important).
    """
    from .corpus import attribute_corpus, explain_corpus
    from .sigma_s import sigma_s as estimate
    from .zoo import load_model

    if isinstance(model, str):
        model = load_model(model)
    names = model.resolve_layers(layers)
    spread = estimate(model, names, corpus)
    frames = []
    for method in methods:
        if method == "information":
            result = explain_corpus(model, list(sentences), names, sigma_s=spread, progress=progress, **dict(settings or {}))
        else:
            kwargs = {"sigma_s": spread, **dict((baseline_settings or {}).get(method, {}))}
            result = attribute_corpus(model, list(sentences), names, method, progress=progress, **kwargs)
        frames.append(result.to_frame())
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(importance=importance_column(frame))


def explain_reversal(models, lengths: Sequence[int], per_length: int, methods: Sequence[str] = ("information",), *,
                     settings: Mapping | None = None, seed: int = 1, corpus_size: int = 256) -> pd.DataFrame:
    """The reversal task at every sequence length: each model's output steps explained by each method.

    For each length n, `per_length` dev sequences of n symbols are explained at step.1 … step.n, with
    σ_S from `corpus_size` other sequences of that length. Sentence ids run over all lengths.

    Returns:
        the `explain_methods` table plus a `length` column.
    """
    from .data import make_reverse

    frames, offset = [], 0
    for n in lengths:
        corpus = make_reverse("dev", corpus_size, min_len=n, max_len=n).sentences
        sequences = make_reverse("dev", per_length, min_len=n, max_len=n, seed=seed).sentences
        steps = [f"step.{t}" for t in range(1, n + 1)]
        for model in models:
            frame = explain_methods(model, sequences, steps, methods, corpus=corpus, settings=settings)
            frames.append(frame.assign(sentence_id=frame["sentence_id"] + offset, length=n))
        offset += per_length
    return pd.concat(frames, ignore_index=True)


def importance_map(frame: pd.DataFrame, method: str, model: str, sentence_id: int = 0,
                   layers: Sequence[str] | None = None, normalise: bool = True) -> tuple[np.ndarray, list[str], list[str]]:
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
    order = list(layers) if layers is not None else sorted(table.index, key=_layer_key)
    matrix = table.loc[order].to_numpy(dtype=float)
    if normalise:
        top = matrix.max(1, keepdims=True)
        matrix = np.divide(matrix, top, out=np.zeros_like(matrix), where=top > 0)
    words = rows.drop_duplicates("word_id").sort_values("word_id")["word"].tolist()
    return matrix, order, words


def _layer_key(name: str):
    match = re.fullmatch(r"(layer|step)\.(\d+)", str(name))
    return (0, match.group(1), int(match.group(2))) if match else (1, str(name), 0)


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
    layered = frame[frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")]
    for (method, model, sentence_id), group in layered.groupby(["method", "model", "sentence_id"], sort=False):
        matrix, layers, _ = metrics.importance_matrix(group, sentence_id)
        if len(layers) < 2 or matrix.shape[1] < 2:
            continue
        spread = metrics.log_magnitude_spread(matrix) if (matrix.sum(1) > 0).all() else math.nan
        rhos = metrics.adjacent_layer_spearman(matrix)
        rho = float(np.nanmean(rhos)) if not np.isnan(rhos).all() else math.nan
        rows.append({"method": method, "model": model, "sentence_id": int(sentence_id),
                     "log_magnitude_spread": spread, "adjacent_spearman": rho})
    return pd.DataFrame(rows, columns=columns)


def coherence_table(frame: pd.DataFrame, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Per method and model: the mean over sentences of `coherence_per_sentence`, with bootstrap intervals.

    Returns:
        DataFrame: method, model, log_magnitude_spread, log_magnitude_spread_low,
        log_magnitude_spread_high, adjacent_spearman, adjacent_spearman_low, adjacent_spearman_high,
        n_sentences (sentences with at least two layers and two words). Intervals: seeded 95 %
        percentile bootstrap over sentences (`metrics.bootstrap_interval`).
    """
    per = coherence_per_sentence(frame)
    return _mean_table(per, ["method", "model"], ["log_magnitude_spread", "adjacent_spearman"], n_boot, random_state)


def _mean_table(per: pd.DataFrame, by: list[str], columns: list[str], n_boot: int, random_state: int,
                plain: Sequence[str] = ()) -> pd.DataFrame:
    """Per group of `by`: each column's mean with _low/_high bootstrap bounds, `plain` columns' means, n_sentences."""
    names = list(by) + [c + s for c in columns for s in ("", "_low", "_high")] + list(plain) + ["n_sentences"]
    rows = []
    for keys, group in per.groupby(by, sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        row = dict(zip(by, keys))
        for column in columns:
            row[column], row[column + "_low"], row[column + "_high"], _ = _interval(group[column], n_boot, random_state)
        for column in plain:
            row[column] = float(group[column].mean())
        row["n_sentences"] = int(group["sentence_id"].nunique())
        rows.append(row)
    return pd.DataFrame(rows, columns=names)


def layer_magnitudes(frame: pd.DataFrame) -> pd.DataFrame:
    """Total importance Σ_i per (method, model, layer), mean over sentences, and relative depth.

    Returns:
        DataFrame: method, model, layer, depth, relative_depth, total (mean over sentences).
    """
    layered = frame[frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")].copy()
    layered["depth"] = layered["layer"].map(metrics.layer_depth)
    totals = layered.groupby(["method", "model", "layer", "depth", "sentence_id"], sort=False)["importance"].sum().reset_index()
    out = totals.groupby(["method", "model", "layer", "depth"], sort=False)["importance"].mean().reset_index(name="total")
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
    steps = frame[frame["layer"].astype(str).str.fullmatch(r"step\.\d+")]
    if steps.empty:
        raise ValueError("the table has no 'step.t' rows (explain the reversal models' step states).")
    columns = ["method", "model", "sentence_id", "length", "accuracy", "mass", "chance"]
    rows = []
    for (method, model, sentence_id), one in steps.groupby(["method", "model", "sentence_id"], sort=False):
        matrix, _, words = importance_map(one, method, model, sentence_id, normalise=False)
        if (matrix.sum(1) <= 0).any():
            continue
        result = metrics.reverse_alignment(matrix)
        rows.append({"method": method, "model": model, "sentence_id": int(sentence_id), "length": len(words),
                     "accuracy": result["accuracy"], "mass": result["mass"], "chance": 1.0 / len(words)})
    return pd.DataFrame(rows, columns=columns)


def reversal_alignment_table(frame: pd.DataFrame, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Per method and model: the mean over sentences of `reversal_per_sentence`, with bootstrap intervals.

    Returns:
        DataFrame: method, model, accuracy, accuracy_low, accuracy_high, mass, mass_low, mass_high,
        chance (mean 1/length), n_sentences.
    """
    per = reversal_per_sentence(frame)
    return _mean_table(per, ["method", "model"], ["accuracy", "mass"], n_boot, random_state, plain=["chance"])


# -- word kinds ------------------------------------------------------------------------------------
def sentiment_lexicon(trees, min_share: float = 0.5) -> dict[str, bool]:
    """word (lower-case) -> True when most of its SST leaf labels are non-neutral (0, 1, 3, 4).

    Args:
        trees: `infolib.data.Tree`s (e.g. `load_sst_trees('dev')`).
        min_share: share of non-neutral occurrences needed.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for tree in trees:
        for word, label in zip(tree.words, tree.word_labels):
            entry = counts[word.lower()]
            entry[0] += label != 2
            entry[1] += 1
    return {word: polar / total >= min_share for word, (polar, total) in counts.items()}


def word_kind(word: str, lexicon: Mapping[str, bool] | None = None) -> str:
    """The kind of a word: '[CLS]', '[SEP]', 'function', 'punctuation', 'sentiment' or 'neutral'."""
    if word in ("[CLS]", "[SEP]"):
        return word
    lower = word.lower()
    if lower in STOP_WORDS:
        return "function"
    if _PUNCTUATION.match(word):
        return "punctuation"
    if lexicon is not None and lexicon.get(lower, False):
        return "sentiment"
    return "neutral"


def add_word_kinds(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None) -> pd.DataFrame:
    """The table with a `kind` column (see `word_kind`)."""
    return frame.assign(kind=[word_kind(w, lexicon) for w in frame["word"]])


# -- figures 4, 5, 8: model comparison -------------------------------------------------------------
def sentence_profile_metrics(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None, layer: str | None = None,
                             radius: int = 1) -> pd.DataFrame:
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
        layered = frame[frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")]
        depth = layered["layer"].map(metrics.layer_depth)
        rows = layered[depth == depth.groupby(layered["model"]).transform("max")]
    else:
        rows = frame if layer is None else frame[frame["layer"] == layer]
    if layer is None and rows.groupby(["method", "model"])["layer"].nunique().max() > 1:
        raise ValueError("the table has several hidden states: pass layer=.")
    out = []
    for (method, model, sentence_id), group in rows.groupby(["method", "model", "sentence_id"], sort=False):
        group = group[~group["word"].isin(metrics.SPECIAL_TOKENS)].sort_values("word_id")
        info = importance_column(group)
        words = group["word"].tolist()
        if len(words) < 2 or info.sum() <= 0:
            continue
        out.append({
            "method": method, "model": model, "sentence_id": int(sentence_id), "n_words": len(words),
            "entropy_normalised": metrics.information_entropy(info, normalised=True),
            "words_50": metrics.words_for_share(info, 0.5),
            "neighbour_share": metrics.neighbour_share(info, radius=radius),
            "sentiment_share": metrics.class_share(words, info, lambda w: word_kind(w, lexicon) == "sentiment"),
            "function_share": metrics.function_word_share(words, info),
        })
    return pd.DataFrame(out)


def summarise(per_sentence: pd.DataFrame, columns: Sequence[str], by: Sequence[str] = ("method", "model"), *,
              n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Mean over sentences of each column, per group, with a seeded 95 % percentile-bootstrap interval.

    The interval resamples the group's sentences (`metrics.bootstrap_interval`); NaN values (a
    metric undefined for a sentence) are left out.

    Returns:
        DataFrame: the `by` columns, metric, mean, low, high, n_sentences.
    """
    rows = []
    for keys, group in per_sentence.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for column in columns:
            mean, low, high, n = _interval(group[column], n_boot, random_state)
            rows.append({**dict(zip(by, keys)), "metric": column, "mean": mean, "low": low, "high": high, "n_sentences": n})
    return pd.DataFrame(rows, columns=[*by, "metric", "mean", "low", "high", "n_sentences"])


def model_accuracies(names: Sequence[str], smoke: bool = False, *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """Dev scores of cached trained models, from their metrics JSON.

    `accuracy_low`/`accuracy_high` are a seeded 95 % bootstrap interval over the n dev sentences
    (`metrics.bootstrap_proportion`); `hidden_layers` is the JSON's "hidden_layers" (NaN if absent).

    Returns:
        DataFrame: model, accuracy, accuracy_low, accuracy_high, mcc (as the metrics JSON holds it),
        n, hidden_layers.
    """
    from .zoo import model_metrics

    rows = []
    for name in names:
        key = f"{name}-smoke" if smoke and not name.endswith("-smoke") else name
        record = model_metrics(key)
        dev = record.get("dev", {})
        accuracy, n = dev.get("accuracy", np.nan), dev.get("n")
        _, low, high = metrics.bootstrap_proportion(accuracy, n, n_boot=n_boot, random_state=random_state)
        layers = record.get("hidden_layers")
        rows.append({"model": key, "accuracy": accuracy, "accuracy_low": low, "accuracy_high": high,
                     "mcc": dev.get("mcc", np.nan), "n": n, "hidden_layers": np.nan if layers is None else layers})
    return pd.DataFrame(rows, columns=["model", "accuracy", "accuracy_low", "accuracy_high", "mcc", "n", "hidden_layers"])


# -- figures 6, 7: forgetting across layers --------------------------------------------------------
def word_trajectories(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None, fraction: float = 0.9) -> pd.DataFrame:
    """Each word's information across 'layer.N' states of the estimator, with when it is forgotten.

    Per (model, sentence, word): the first layer with σ ≥ fraction·scale (`forgotten_layer`, NaN =
    never, `metrics.forgetting_layer`), the first layer keeping at most half of the first layer's
    information (`half_layer`), both also as relative depth (layer / L, L = deepest layer in the
    table), and `retention` = I_L / I_first (1 = nothing lost).

    Args:
        frame: estimator rows ('information' method, `log_sigma_ratio` column).
    Returns:
        DataFrame: model, sentence_id, word_id, word, kind, forgotten_layer, forgotten_depth,
        half_layer, half_depth, retention, information_first, information_last.
    """
    rows = frame[(frame["method"] == "information") & frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")]
    if rows.empty:
        raise ValueError("no estimator rows on 'layer.N' hidden states.")
    out = []
    for (model, sentence_id), group in rows.groupby(["model", "sentence_id"], sort=False):
        table = group.pivot_table(index="layer", columns="word_id", values="log_sigma_ratio", aggfunc="first")
        order = sorted(table.index, key=metrics.layer_depth)
        depths = [metrics.layer_depth(n) for n in order]
        L = max(depths)
        log_ratio = table.loc[order].to_numpy(dtype=float)
        forgotten = metrics.forgetting_layer(np.exp(log_ratio), 1.0, depths, L, fraction)
        info = forgotten["information"]
        words = group.drop_duplicates("word_id").sort_values("word_id")["word"].tolist()
        for w, word in enumerate(words):
            first = info[0, w]
            halved = np.nonzero(info[:, w] <= 0.5 * first)[0] if first > 0 else np.array([0])
            half = float(depths[halved[0]]) if len(halved) else math.nan
            out.append({"model": model, "sentence_id": int(sentence_id), "word_id": w, "word": word,
                        "kind": word_kind(word, lexicon), "forgotten_layer": float(forgotten["layer"][w]),
                        "forgotten_depth": float(forgotten["relative_depth"][w]), "half_layer": half,
                        "half_depth": half / L, "retention": float(info[-1, w] / first) if first > 0 else math.nan,
                        "information_first": float(first), "information_last": float(info[-1, w])})
    return pd.DataFrame(out)


def forgetting_by_kind(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Per model and word kind: mean relative depth at which words are forgotten / halved.

    `never_forgotten` is the share of words whose σ never reaches the threshold.

    Returns:
        DataFrame: model, kind, forgotten_depth, half_depth, never_forgotten, retention, n_words.
    """
    grouped = trajectories.groupby(["model", "kind"], sort=False)
    out = grouped.agg(forgotten_depth=("forgotten_depth", "mean"), half_depth=("half_depth", "mean"),
                      never_forgotten=("forgotten_layer", lambda s: float(s.isna().mean())),
                      retention=("retention", "mean"), n_words=("word", "size")).reset_index()
    return out


def information_by_kind(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None) -> pd.DataFrame:
    """Mean retained information I per (model, layer, kind) of the estimator's 'layer.N' rows.

    Returns:
        DataFrame: model, layer, depth, relative_depth, kind, information, n.
    """
    rows = frame[(frame["method"] == "information") & frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")]
    rows = add_word_kinds(rows, lexicon).assign(information=lambda f: np.maximum(-f["log_sigma_ratio"], 0.0))
    rows["depth"] = rows["layer"].map(metrics.layer_depth)
    out = rows.groupby(["model", "layer", "depth", "kind"], sort=False)["information"].agg(["mean", "size"]).reset_index()
    out = out.rename(columns={"mean": "information", "size": "n"})
    out["relative_depth"] = out["depth"] / out.groupby("model")["depth"].transform("max")
    return out.sort_values(["model", "depth", "kind"], ignore_index=True)


# -- claims ----------------------------------------------------------------------------------------
CLAIMS = {
    1: "Information is coherent across layers; gradient scores change scale and ranking.",
    2: "Reversal: the information measure shows the anti-diagonal (step t holds word n−t+1) better than gradient/perturbation.",
    3: "SST-2: the same comparison of methods on sentiment models.",
    4: "BERT and the Transformer locate task-relevant words precisely; CNN and LSTM spread over neighbours.",
    5: "BERT puts its information on meaningful words; the others more on function words.",
    6: "BERT forgets [SEP] early (layers 3-4 of 12) and sentiment-irrelevant words gradually later.",
    7: "BERT keeps fine-grained (per-word) information best across layers.",
    8: "Accuracy follows these differences: BERT best, then the Transformer.",
}
CLAIM_COLUMNS = ["claim", "text", "metric", "values", "verdict", "note", "n_sentences"]
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "n/a")


def verdict(expected_higher, expected_lower) -> str:
    """The verdict of one comparison: the single rule behind every verdict of the claims table.

    Each argument is a confidence interval (low, high) (or (estimate, low, high), as
    `metrics.bootstrap_interval` returns) of a quantity; the paper says `expected_higher` is the
    larger one. A fixed threshold t is the degenerate interval (t, t).

    - 'reproduced': the intervals separate in the paper's direction (expected_higher's low >
      expected_lower's high);
    - 'not reproduced': they separate in the opposite direction (expected_higher's high <
      expected_lower's low);
    - 'inconclusive': they overlap (touching counts as overlapping);
    - 'n/a': a bound is NaN (no data behind one of the values).
    """
    (h_low, h_high), (l_low, l_high) = _bounds(expected_higher, "expected_higher"), _bounds(expected_lower, "expected_lower")
    if any(math.isnan(b) for b in (h_low, h_high, l_low, l_high)):
        return "n/a"
    if h_low > l_high:
        return "reproduced"
    if h_high < l_low:
        return "not reproduced"
    return "inconclusive"


def _bounds(interval, name: str) -> tuple[float, float]:
    values = tuple(interval)
    if len(values) not in (2, 3):
        raise ValueError(f"{name} must be (low, high) or (estimate, low, high), got {interval!r}.")
    low, high = (float(v) for v in values[-2:])
    if low > high:
        raise ValueError(f"{name} has low > high: {interval!r}.")
    return low, high


def combine_verdicts(verdicts: Sequence[str]) -> str:
    """One verdict for a claim tested by several comparisons (each a `verdict`).

    'reproduced' when every comparison is; otherwise 'not reproduced' when any comparison is;
    otherwise 'inconclusive' (some overlap, or some could not be made); 'n/a' when there is no
    comparison or none could be made.
    """
    verdicts = list(verdicts)
    unknown = [v for v in verdicts if v not in VERDICTS]
    if unknown:
        raise ValueError(f"unknown verdicts {unknown!r}: use one of {', '.join(VERDICTS)}.")
    if not verdicts or all(v == "n/a" for v in verdicts):
        return "n/a"
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if "not reproduced" in verdicts:
        return "not reproduced"
    return "inconclusive"


class _Estimate:
    """A labelled value with its interval and the number of sentences behind it."""

    def __init__(self, label: str, estimate: float, low: float, high: float, n: int):
        self.label, self.estimate, self.low, self.high, self.n = label, estimate, low, high, n

    @property
    def interval(self) -> tuple[float, float]:
        return self.low, self.high

    def __str__(self) -> str:
        return f"{self.label} {_fmt(self.estimate)} [{_fmt(self.low)}, {_fmt(self.high)}]"


def _interval(values, n_boot: int, random_state: int) -> tuple[float, float, float, int]:
    """(mean, low, high, n) over the non-NaN values (one per sentence); NaNs and n = 0 when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean, low, high = metrics.bootstrap_interval(v, n_boot=n_boot, random_state=random_state)
    return mean, low, high, int(v.size)


def claim_row(claim: int, metric: str, estimates: Sequence[_Estimate], verdicts: Sequence[str], note: str = "") -> dict:
    """One row of the claims table: the values with their intervals, the combined verdict, the note.

    n_sentences is the smallest number of sentences behind any of the values.
    """
    return {"claim": claim, "text": CLAIMS[claim], "metric": metric, "values": "; ".join(str(e) for e in estimates),
            "verdict": combine_verdicts(verdicts), "note": note,
            "n_sentences": min((e.n for e in estimates), default=0)}


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _family(model: str) -> str:
    return str(model).split("-")[0]


def _labels(models) -> dict[str, str]:
    """model -> its family when no other model shares that family, else the full name."""
    models = list(dict.fromkeys(models))
    families = [_family(m) for m in models]
    return {m: f if families.count(f) == 1 else str(m) for m, f in zip(models, families)}


def _families(models, key: str) -> dict[str, str]:
    """family -> model; a claim that compares families needs one model per family."""
    out: dict[str, str] = {}
    for model in dict.fromkeys(models):
        family = _family(model)
        if family in out:
            raise ValueError(f"results[{key!r}] has several models of family {family!r} ({out[family]}, {model}): "
                             "pass one model per family.")
        out[family] = model
    return out


def _require(results: Mapping[str, pd.DataFrame], key: str, columns: Sequence[str], producer: str) -> pd.DataFrame:
    table = results[key]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"results[{key!r}] lacks the columns {', '.join(missing)}: pass the output of {producer}.")
    return table


def _tally(verdicts: Sequence[str], what: str) -> str:
    if not verdicts:
        return f"no comparison: {what}"
    counts = [(v, verdicts.count(v)) for v in VERDICTS if verdicts.count(v)]
    return f"{what}: " + ", ".join(f"{n}/{len(verdicts)} {v}" for v, n in counts)


def _order(estimates: Sequence[_Estimate], descending: bool = True) -> str:
    ranked = sorted((e for e in estimates if not math.isnan(e.estimate)), key=lambda e: e.estimate, reverse=descending)
    return (" > " if descending else " < ").join(e.label for e in ranked)


def claims_table(results: Mapping[str, pd.DataFrame], *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """The claims of METHOD.md §5 tested on per-sentence result tables, each value with a bootstrap interval.

    Every comparison is `verdict` on two seeded 95 % percentile-bootstrap intervals over sentences
    (`metrics.bootstrap_interval`, one value per sentence); a claim needing several comparisons
    gets `combine_verdicts` of them. Family = model name before the first '-' ('bert-sst2' -> bert).

    Args:
        results: any of (a missing table gives no row for its claims)
            'coherence': `coherence_per_sentence` (claim 1: per model and gradient method, information's
                log_magnitude_spread lower and adjacent_spearman higher; one row per metric);
            'reversal': `reversal_per_sentence` (claim 2: per model, information's anti-diagonal mass
                above each baseline's; its accuracy above chance = 1/length);
            'sentiment_methods': `sentence_profile_metrics` of several methods incl. 'information'
                (claim 3: per model, information's sentiment_share above the per-sentence median of the
                baselines' shares);
            'comparison': `sentence_profile_metrics` of the information method, one hidden state, one
                model per family (claim 4: bert and transformer below cnn and lstm in neighbour_share
                and in entropy_normalised, one row each; claim 5: bert's sentiment_share above and
                function_share below every other model's, one row each);
            'accuracy': `model_accuracies` (claim 8: bert's accuracy above the transformer's, the
                transformer's above every other model's; its hidden_layers feed the notes of claims
                6 and 7);
            'forgetting': `word_trajectories` (claim 6, BERT: per-sentence [SEP] half_depth below
                0.5, and function words' half_depth below sentiment words'; claim 7: bert's
                per-sentence mean retention above every other model's).
        n_boot, random_state: the bootstrap's resamples and seed.
    Returns:
        DataFrame: claim, text, metric, values ('label estimate [low, high]; ...'), verdict
        ('reproduced' / 'not reproduced' / 'inconclusive' / 'n/a'), note (computed from the
        tables), n_sentences (the fewest sentences behind any value of the row).
    """
    def est(label: str, values) -> _Estimate:
        return _Estimate(label, *_interval(values, n_boot, random_state))

    rows: list[dict] = []
    if "coherence" in results:
        rows += _claim_coherence(_require(results, "coherence", ["method", "model", "sentence_id", "log_magnitude_spread",
                                                                 "adjacent_spearman"], "coherence_per_sentence"), est)
    if "reversal" in results:
        rows += _claim_reversal(_require(results, "reversal", ["method", "model", "sentence_id", "accuracy", "mass", "chance"],
                                         "reversal_per_sentence"), est)
    if "sentiment_methods" in results:
        rows += _claim_sentiment_methods(_require(results, "sentiment_methods", ["method", "model", "sentence_id", "sentiment_share"],
                                                  "sentence_profile_metrics"), est)
    comparison = None
    if "comparison" in results:
        comparison = _require(results, "comparison", ["model", "sentence_id", "neighbour_share", "entropy_normalised",
                                                      "sentiment_share", "function_share"], "sentence_profile_metrics")
        if "method" in comparison:
            comparison = comparison[comparison["method"] == "information"]
        rows += _claim_comparison(comparison, est)
    accuracy = None
    if "accuracy" in results:
        accuracy = _require(results, "accuracy", ["model", "accuracy"], "model_accuracies")
        rows += _claim_accuracy(accuracy, comparison, n_boot, random_state)
    if "forgetting" in results:
        rows += _claim_forgetting(_require(results, "forgetting", ["model", "sentence_id", "kind", "half_depth", "retention"],
                                           "word_trajectories"), accuracy, est)
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return table.sort_values("claim", kind="stable", ignore_index=True)


def _claim_coherence(table: pd.DataFrame, est) -> list[dict]:
    labels = _labels(table["model"])
    out = []
    for metric, info_higher, text in (
            ("log_magnitude_spread", False, "log_magnitude_spread: std over layers of log total importance (lower = comparable "
                                            "scale); information expected lower than each gradient method"),
            ("adjacent_spearman", True, "adjacent_spearman: mean Spearman ρ of adjacent layers' word rankings (higher = stable "
                                        "ranking); information expected higher than each gradient method")):
        values, verdicts = [], []
        for model, group in table.groupby("model", sort=False):
            methods = [m for m in group["method"].unique() if m != "information"]
            if "information" not in set(group["method"]) or not methods:
                continue
            info = est(f"{labels[model]} information", group.loc[group["method"] == "information", metric])
            values.append(info)
            for method in methods:
                other = est(f"{labels[model]} {method}", group.loc[group["method"] == method, metric])
                values.append(other)
                verdicts.append(verdict(info.interval, other.interval) if info_higher else verdict(other.interval, info.interval))
        out.append(claim_row(1, text, values, verdicts, _tally(verdicts, "information vs each other method, per model")))
    return out


def _claim_reversal(table: pd.DataFrame, est) -> list[dict]:
    labels = _labels(table["model"])
    mass_values, mass_verdicts, acc_values, acc_verdicts = [], [], [], []
    for model, group in table.groupby("model", sort=False):
        if "information" not in set(group["method"]):
            continue
        info_rows = group[group["method"] == "information"]
        info = est(f"{labels[model]} information", info_rows["mass"])
        mass_values.append(info)
        for method in (m for m in group["method"].unique() if m != "information"):
            other = est(f"{labels[model]} {method}", group.loc[group["method"] == method, "mass"])
            mass_values.append(other)
            mass_verdicts.append(verdict(info.interval, other.interval))
        accuracy = est(f"{labels[model]} information accuracy", info_rows["accuracy"])
        chance = est(f"{labels[model]} chance", info_rows["chance"])
        acc_values += [accuracy, chance]
        acc_verdicts.append(verdict(accuracy.interval, chance.interval))
    lengths = ""
    if "length" in table and table["length"].notna().any():
        lengths = "; sequence lengths " + ", ".join(str(int(n)) for n in sorted(table["length"].dropna().unique()))
    return [
        claim_row(2, "mass: mean share of each output step's importance on its anti-diagonal word; information expected "
                     "above each other method", mass_values, mass_verdicts,
                  _tally(mass_verdicts, "information vs each other method, per model") + lengths),
        claim_row(2, "accuracy: share of output steps whose most important word is the anti-diagonal one; information "
                     "expected above chance (1/length)", acc_values, acc_verdicts,
                  _tally(acc_verdicts, "information vs chance, per model") + lengths),
    ]


def _claim_sentiment_methods(table: pd.DataFrame, est) -> list[dict]:
    labels = _labels(table["model"])
    values, verdicts, used = [], [], set()
    for model, group in table.groupby("model", sort=False):
        wide = group.pivot_table(index="sentence_id", columns="method", values="sentiment_share", aggfunc="first")
        baselines = [m for m in wide.columns if m != "information"]
        if "information" not in wide.columns or not baselines:
            continue
        used.update(baselines)
        info = est(f"{labels[model]} information", wide["information"])
        median = est(f"{labels[model]} baselines' median", wide[baselines].median(axis=1, skipna=True))
        values += [info, median]
        verdicts.append(verdict(info.interval, median.interval))
    note = _tally(verdicts, "information vs the baselines' per-sentence median, per model")
    if used:
        note += f"; baselines: {', '.join(sorted(used))}"
    return [claim_row(3, "sentiment_share: share of importance on SST sentiment words; information expected above the "
                         "per-sentence median of the baselines", values, verdicts, note)]


def _claim_comparison(table: pd.DataFrame, est) -> list[dict]:
    fam = _families(table["model"], "comparison")
    out = []
    attention = [f for f in ("bert", "transformer") if f in fam]
    recurrent = [f for f in ("cnn", "lstm") if f in fam]

    def family_estimates(metric, families):
        return {f: est(f, table.loc[table["model"] == fam[f], metric]) for f in families}

    if attention and recurrent:
        for metric, text in (("neighbour_share", "neighbour_share: share of information on the ±1 neighbours of the top word "
                                                 "(lower = precise); bert and transformer expected below cnn and lstm"),
                             ("entropy_normalised", "entropy_normalised: normalised entropy of the information profile "
                                                    "(lower = concentrated); bert and transformer expected below cnn and lstm")):
            values = family_estimates(metric, attention + recurrent)
            verdicts = [verdict(values[r].interval, values[a].interval) for a in attention for r in recurrent]
            out.append(claim_row(4, text, list(values.values()), verdicts,
                                 f"order (low to high): {_order(list(values.values()), descending=False)}"))
    if "bert" in fam:
        others = [f for f in fam if f != "bert"]
        for metric, bert_higher, text in (
                ("sentiment_share", True, "sentiment_share: share of information on SST sentiment words; bert expected above "
                                          "every other model"),
                ("function_share", False, "function_share: share of information on function words; bert expected below every "
                                          "other model")):
            values = family_estimates(metric, ["bert"] + others)
            b = values["bert"]
            verdicts = [verdict(b.interval, values[o].interval) if bert_higher else verdict(values[o].interval, b.interval)
                        for o in others]
            note = (f"order (high to low): {_order(list(values.values()))}" if bert_higher
                    else f"order (low to high): {_order(list(values.values()), descending=False)}")
            out.append(claim_row(5, text, list(values.values()), verdicts, note))
    return out


def _accuracy_estimate(row, label: str, n_boot: int, random_state: int) -> _Estimate:
    n = row.get("n", math.nan)
    n = math.nan if n is None or pd.isna(n) else int(n)
    if "accuracy_low" in row and "accuracy_high" in row and pd.notna(row["accuracy_low"]) and pd.notna(row["accuracy_high"]):
        low, high = float(row["accuracy_low"]), float(row["accuracy_high"])
    else:
        _, low, high = metrics.bootstrap_proportion(row["accuracy"], n, n_boot=n_boot, random_state=random_state)
    return _Estimate(label, float(row["accuracy"]), low, high, 0 if math.isnan(n) else n)


def _claim_accuracy(table: pd.DataFrame, comparison: pd.DataFrame | None, n_boot: int, random_state: int) -> list[dict]:
    fam = _families(table["model"], "accuracy")
    rows = table.set_index("model")
    values = {f: _accuracy_estimate(rows.loc[m], f, n_boot, random_state) for f, m in fam.items()}
    verdicts = []
    if "bert" in values:
        others = [f for f in values if f not in ("bert", "transformer")]
        if "transformer" in values:
            verdicts.append(verdict(values["bert"].interval, values["transformer"].interval))
            verdicts += [verdict(values["transformer"].interval, values[o].interval) for o in others]
        else:
            verdicts += [verdict(values["bert"].interval, values[o].interval) for o in others]
    note = f"accuracy order: {_order(list(values.values()))}"
    if comparison is not None and len(comparison):
        share = comparison.groupby(comparison["model"].map(_family))["sentiment_share"].mean()
        shared = [f for f in values if f in share.index and not math.isnan(values[f].estimate)]
        if len(shared) >= 3:
            from scipy.stats import spearmanr

            rho = spearmanr([values[f].estimate for f in shared], [share[f] for f in shared]).statistic
            note += f"; Spearman ρ(accuracy, mean sentiment share) over {len(shared)} models = {_fmt(float(rho))}"
    return [claim_row(8, "accuracy: dev accuracy from each model's metrics JSON (interval: bootstrap over the dev sentences); "
                         "bert expected above the transformer, the transformer above every other model",
                      list(values.values()), verdicts, note)]


def _hidden_layers(accuracy: pd.DataFrame | None) -> dict[str, int]:
    """family -> number of hidden layers, from the accuracy table's hidden_layers (where known)."""
    if accuracy is None or "hidden_layers" not in accuracy:
        return {}
    known = accuracy.dropna(subset=["hidden_layers"])
    return {_family(m): int(n) for m, n in zip(known["model"], known["hidden_layers"])}


def _per_sentence_mean(table: pd.DataFrame, column: str) -> pd.Series:
    return table.groupby("sentence_id")[column].mean()


def _claim_forgetting(table: pd.DataFrame, accuracy: pd.DataFrame | None, est) -> list[dict]:
    out = []
    depths = _hidden_layers(accuracy)
    labels = _labels(table["model"])
    bert_models = [m for m in table["model"].unique() if _family(m) == "bert"]
    if bert_models:
        sep_values, sep_verdicts, kind_values, kind_verdicts, sep_notes, kind_notes = [], [], [], [], [], []
        for model in bert_models:
            rows = table[table["model"] == model]
            # A word still holding more than half at the last layer is censored there: depth 1, a lower bound.
            rows = rows.assign(half_depth=rows["half_depth"].fillna(1.0), never_halved=rows["half_depth"].isna())
            sep_rows = rows[rows["kind"] == "[SEP]"]
            sep = est(f"{labels[model]} [SEP]", _per_sentence_mean(sep_rows, "half_depth"))
            sep_values.append(sep)
            sep_verdicts.append(verdict((0.5, 0.5), sep.interval))
            never = int(sep_rows["never_halved"].sum())
            if never:
                sep_notes.append(f"{labels[model]}: {never} of {len(sep_rows)} [SEP] never fall to half (counted as depth 1)")
            if _family(model) in depths:
                sep_notes.append(f"{labels[model]} has {depths[_family(model)]} hidden layers: depth 0.5 = layer "
                                 f"{_fmt(depths[_family(model)] / 2)}")
            by_kind = {}
            for kind in ("function", "sentiment"):
                kind_rows = rows[rows["kind"] == kind]
                by_kind[kind] = est(f"{labels[model]} {kind}", _per_sentence_mean(kind_rows, "half_depth"))
                never = int(kind_rows["never_halved"].sum())
                if never:
                    kind_notes.append(f"{labels[model]}: {never} of {len(kind_rows)} {kind} words never fall to half (counted as depth 1)")
            kind_values += [by_kind["function"], by_kind["sentiment"]]
            kind_verdicts.append(verdict(by_kind["sentiment"].interval, by_kind["function"].interval))
        out.append(claim_row(6, "half_depth of [SEP]: relative depth (layer / deepest layer) at which it keeps ≤ half of its "
                                "first-layer information, per-sentence; expected below 0.5", sep_values, sep_verdicts,
                             "; ".join([_tally(sep_verdicts, "[SEP] vs 0.5, per BERT model")] + sep_notes)))
        out.append(claim_row(6, "half_depth of function vs sentiment words (per-sentence mean); function words expected "
                                "earlier (lower) than sentiment words", kind_values, kind_verdicts,
                             "; ".join([_tally(kind_verdicts, "function vs sentiment words, per BERT model")] + kind_notes)))
    fam = _families(table["model"], "forgetting")
    if "bert" in fam and len(fam) > 1:
        values = {f: est(f, _per_sentence_mean(table[table["model"] == m], "retention")) for f, m in fam.items()}
        verdicts = [verdict(values["bert"].interval, values[o].interval) for o in values if o != "bert"]
        known = {f: depths[f] for f in fam if f in depths}
        if known:
            note = "hidden layers: " + ", ".join(f"{f} {n}" for f, n in known.items())
            unknown = [f for f in fam if f not in known]
            if unknown:
                note += f" ({', '.join(unknown)} unknown)"
            if len(set(known.values())) > 1:
                note += "; retention compares each model's first and last layer, so the deeper models have more layers to forget over"
        else:
            note = "model depths unknown (the accuracy table with hidden_layers was not given)"
        out.append(claim_row(7, "retention: I_last / I_first per word, mean per sentence (higher = keeps fine-grained "
                                "information); bert expected above every other model", list(values.values()), verdicts, note))
    return out


# -- notebook 01: the linear toy -------------------------------------------------------------------
class LinearPhi:
    """Φ(x) = Σ_i w_i x_i for x [n_words, K]: the oracle of METHOD.md §4 (callable, picklable)."""

    def __init__(self, weights: Sequence[float]):
        import torch

        self.weights = torch.as_tensor(weights, dtype=torch.float32)

    def __call__(self, x):
        return (self.weights[:, None] * x).sum(0)


def linear_toy(weights: Sequence[float], K: int = 16, x_std: float = 0.01, random_state: int = 0):
    """Words x [n, K] ~ N(0, x_std²), Φ = LinearPhi(weights), and σ_S = x_std·‖w‖ (Φ's spread over such x).

    Returns:
        (x, phi, sigma_s).
    """
    import torch

    x = x_std * torch.randn(len(weights), K, generator=torch.Generator().manual_seed(random_state))
    phi = LinearPhi(weights)
    return x, phi, float(x_std * phi.weights.norm())


def linear_closed_form(weights: Sequence[float], sigma_s: float, rate: float = 0.1, scale: float = 1.0) -> np.ndarray:
    """[n] σ_i = sqrt(rate / (2 n c)) / |w_i|, c = 1/σ_S² (METHOD.md §4), capped at scale."""
    w = np.abs(np.asarray(weights, dtype=float))
    c = 1.0 / sigma_s**2
    return np.minimum(np.sqrt(rate / (2 * len(w) * c)) / w, scale)


def inverse_order_holds(weights: Sequence[float], sigma: Sequence[float]) -> bool:
    """True when σ orders the words inversely to |w|: |w_i| > |w_j| ⇒ σ_i < σ_j (ties in |w| ignored)."""
    w, s = np.abs(np.asarray(weights, dtype=float)), np.asarray(sigma, dtype=float)
    if w.shape != s.shape:
        raise ValueError(f"weights and sigma differ in shape: {w.shape} and {s.shape}.")
    bigger = w[:, None] > w[None, :]
    return bool((s[:, None] < s[None, :])[bigger].all())


def linear_sweep(weights: Sequence[float], setting: str, values: Sequence[float], K: int = 16, **settings) -> pd.DataFrame:
    """σ of each word of the linear toy for each value of one estimator setting ('rate' or 'scale').

    Returns:
        DataFrame: word, weight, <setting>, sigma, closed_form.
    """
    from .explain import explain_phi

    if setting not in ("rate", "scale"):
        raise ValueError(f"setting must be 'rate' or 'scale', got {setting!r}.")
    x, phi, spread = linear_toy(weights, K)
    rows = []
    for value in values:
        config = {"rate": 0.1, "scale": 1.0, **settings, setting: value}
        fit = explain_phi(x, phi, spread, **config)
        closed = linear_closed_form(weights, spread, config["rate"], config["scale"])
        for i, w in enumerate(weights):
            rows.append({"word": i, "weight": w, setting: value, "sigma": float(fit.sigma[i]), "closed_form": float(closed[i])})
    return pd.DataFrame(rows)


def linear_convergence(weights: Sequence[float], K: int = 16, reference_steps: int = 5000, random_state: int = 0, **settings) -> dict:
    """Loss curves and final σ of infolib's estimator and the authors' Adam on the linear toy.

    Returns:
        {'curves': {label: [steps] objective}, 'table': DataFrame word, weight, closed_form,
         infolib, reference, infolib_error, reference_error (relative errors)}.
    """
    from .explain import explain_phi
    from .reference import optimise_reference

    x, phi, spread = linear_toy(weights, K)
    closed = linear_closed_form(weights, spread)
    fit = explain_phi(x, phi, spread, random_state=random_state, **settings)
    ref = optimise_reference(x, phi, __import__("torch").tensor(spread), steps=reference_steps, seed=random_state)
    table = pd.DataFrame({"word": range(len(weights)), "weight": list(weights), "closed_form": closed,
                          "infolib": fit.sigma.numpy(), "reference": ref.sigma.numpy()})
    table["infolib_error"] = table["infolib"] / table["closed_form"] - 1
    table["reference_error"] = table["reference"] / table["closed_form"] - 1
    return {"curves": {"infolib (damped Newton in log σ)": fit.loss_curve, f"authors' Adam, {reference_steps} steps": ref.loss_curve},
            "table": table}
