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

    'information' runs `explain_corpus` (resumable, result cache); baselines come from
    `infolib.baselines.METHODS` and get the same σ_S as the estimator (so both see the state in
    the same normalised units) unless `baseline_settings[method]['sigma_s']` is given (None = raw).

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
    from .baselines import METHODS
    from .corpus import explain_corpus
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
            frame = result.to_frame()
        elif method in METHODS:
            kwargs = {"sigma_s": spread, **dict((baseline_settings or {}).get(method, {}))}
            frame = METHODS[method](model, list(sentences), names, **kwargs).to_frame()
        else:
            raise ValueError(f"unknown method {method!r}: use 'information' or one of {', '.join(METHODS)}.")
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(importance=importance_column(frame))


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
def coherence_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per method and model: how much the total importance and the word ranking change across layers.

    Per sentence: `log_magnitude_spread` (std over layers of log Σ_i importance; 0 = same scale at
    every layer) and the mean `adjacent_layer_spearman` (1 = same ranking in every layer); then the
    mean over sentences. Only 'layer.N' rows are used.

    Returns:
        DataFrame: method, model, log_magnitude_spread, adjacent_spearman, n_sentences.
    """
    rows = []
    layered = frame[frame["layer"].astype(str).str.fullmatch(r"layer\.\d+")]
    for (method, model), group in layered.groupby(["method", "model"], sort=False):
        spreads, rhos = [], []
        for sentence_id in sorted(group["sentence_id"].unique()):
            matrix, layers, _ = metrics.importance_matrix(group, int(sentence_id))
            if len(layers) < 2 or matrix.shape[1] < 2:
                continue
            if (matrix.sum(1) > 0).all():
                spreads.append(metrics.log_magnitude_spread(matrix))
            rhos.append(float(np.nanmean(metrics.adjacent_layer_spearman(matrix))) if not np.isnan(metrics.adjacent_layer_spearman(matrix)).all() else np.nan)
        rows.append({"method": method, "model": model,
                     "log_magnitude_spread": float(np.mean(spreads)) if spreads else np.nan,
                     "adjacent_spearman": float(np.nanmean(rhos)) if rhos and not np.isnan(rhos).all() else np.nan,
                     "n_sentences": len(rhos)})
    return pd.DataFrame(rows)


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
def reversal_alignment_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per method and model: does output step t hold input word n − t + 1 (`metrics.reverse_alignment`)?

    Rows with layer 'step.t' are used; per sentence the [steps, n_words] map gives accuracy
    (argmax on the anti-diagonal) and mass (share of the step's importance on it); then means.
    Chance accuracy is 1/n.

    Returns:
        DataFrame: method, model, accuracy, mass, chance, n_sentences.
    """
    steps = frame[frame["layer"].astype(str).str.fullmatch(r"step\.\d+")]
    if steps.empty:
        raise ValueError("the table has no 'step.t' rows (explain the reversal models' step states).")
    rows = []
    for (method, model), group in steps.groupby(["method", "model"], sort=False):
        acc, mass, chance = [], [], []
        for sentence_id, one in group.groupby("sentence_id"):
            matrix, _, words = importance_map(one, method, model, int(sentence_id), normalise=False)
            if (matrix.sum(1) <= 0).any():
                continue
            result = metrics.reverse_alignment(matrix)
            acc.append(result["accuracy"])
            mass.append(result["mass"])
            chance.append(1.0 / len(words))
        rows.append({"method": method, "model": model, "accuracy": float(np.mean(acc)) if acc else np.nan,
                     "mass": float(np.mean(mass)) if mass else np.nan,
                     "chance": float(np.mean(chance)) if chance else np.nan, "n_sentences": len(acc)})
    return pd.DataFrame(rows)


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


def summarise(per_sentence: pd.DataFrame, columns: Sequence[str], by: Sequence[str] = ("method", "model")) -> pd.DataFrame:
    """Mean and 95 % t-interval over sentences of each column, per group.

    Returns:
        DataFrame: the `by` columns, metric, mean, low, high, n_sentences.
    """
    rows = []
    for keys, group in per_sentence.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for column in columns:
            values = group[column].to_numpy(dtype=float)
            mean, low, high = metrics.mean_interval(values)
            finite = values[~np.isnan(values)]
            if finite.size and finite.min() >= 0 and finite.max() <= 1:  # shares: keep the interval in [0, 1]
                low, high = max(low, 0.0), min(high, 1.0)
            rows.append({**dict(zip(by, keys)), "metric": column, "mean": mean, "low": low, "high": high,
                         "n_sentences": int(group[column].notna().sum())})
    return pd.DataFrame(rows)


def model_accuracies(names: Sequence[str], smoke: bool = False) -> pd.DataFrame:
    """Dev scores of cached trained models, from their metrics JSON.

    Returns:
        DataFrame: model, accuracy, mcc (as the metrics JSON holds it), n.
    """
    from .zoo import model_metrics

    rows = []
    for name in names:
        key = f"{name}-smoke" if smoke and not name.endswith("-smoke") else name
        dev = model_metrics(key).get("dev", {})
        rows.append({"model": key, "accuracy": dev.get("accuracy", np.nan), "mcc": dev.get("mcc", np.nan), "n": dev.get("n")})
    return pd.DataFrame(rows)


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


def claim_row(claim: int, metric: str, values: Mapping[str, float], reproduced: bool | None, note: str = "") -> dict:
    """One row of the claims table: claim number and text, the metric, values per model, verdict."""
    verdict = "n/a" if reproduced is None else ("reproduced" if reproduced else "NOT reproduced")
    shown = "; ".join(f"{k}: {_fmt(v)}" for k, v in values.items())
    return {"claim": claim, "text": CLAIMS[claim], "metric": metric, "values": shown, "verdict": verdict, "note": note}


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _family(model: str) -> str:
    return model.split("-")[0]


def claims_table(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The claims of METHOD.md §5 tested on the saved result tables.

    Args:
        results: any of 'coherence' (`coherence_table`, fig 1), 'reversal' (`reversal_alignment_table`,
            fig 2), 'sentiment_methods' (`summarise` of `sentence_profile_metrics` per method, fig 3),
            'comparison' (`summarise` per model, information only, figs 4-5), 'accuracy'
            (`model_accuracies`), 'forgetting' (`forgetting_by_kind`, fig 6). Missing tables give
            no row for their claims.
    Returns:
        DataFrame: claim, text, metric, values, verdict ('reproduced' / 'NOT reproduced'), note.
    """
    rows = []
    if "coherence" in results:
        table = results["coherence"]
        info = table[table["method"] == "information"].set_index("model")
        values, scale_ok, rank_ok = {}, [], []
        for row in table[table["method"] != "information"].itertuples():
            if row.model not in info.index:
                continue
            i_s, i_r = info.loc[row.model, "log_magnitude_spread"], info.loc[row.model, "adjacent_spearman"]
            values[f"{_family(row.model)} {row.method} (spread, ρ)"] = f"info {_fmt(i_s)}, {_fmt(i_r)} vs {_fmt(row.log_magnitude_spread)}, {_fmt(row.adjacent_spearman)}"
            scale_ok.append(bool(i_s < row.log_magnitude_spread))
            rank_ok.append(bool(i_r >= row.adjacent_spearman))
        ok = all(scale_ok) and all(rank_ok) if scale_ok else None
        rows.append(claim_row(1, "std over layers of log total importance (lower = comparable scale); mean adjacent-layer Spearman ρ (higher = stable ranking); information vs each gradient method",
                              values, ok, f"scale more stable than the gradient method in {sum(scale_ok)}/{len(scale_ok)} comparisons, "
                                          f"ranking at least as stable in {sum(rank_ok)}/{len(rank_ok)}"))
    if "reversal" in results:
        table = results["reversal"]
        values, ok = {}, []
        for model, group in table.groupby("model", sort=False):
            by = group.set_index("method")
            for method in by.index:
                values[f"{_family(model)} {method}"] = f"acc {_fmt(by.loc[method, 'accuracy'])}, mass {_fmt(by.loc[method, 'mass'])}"
            if "information" in by.index:
                others = by.drop("information")
                ok.append(bool(by.loc["information", "mass"] >= others["mass"].max() and by.loc["information", "accuracy"] > by.loc["information", "chance"]))
        note = "reproduced = information has the largest anti-diagonal mass and above-chance accuracy on every model"
        if ok and not all(ok):
            note += ("; likely reason: I = −log(σ/scale) is a log-scale quantity, so its share on the target word is "
                     "compressed next to squared-gradient or occlusion scores even when its argmax is right")
        rows.append(claim_row(2, "anti-diagonal accuracy and mass per method (chance = 1/n)", values, all(ok) if ok else None, note))
    if "sentiment_methods" in results:
        table = results["sentiment_methods"]
        table = table[table["metric"] == "sentiment_share"]
        values, ok = {}, []
        for model, group in table.groupby("model", sort=False):
            by = group.set_index("method")["mean"]
            values.update({f"{_family(model)} {m}": v for m, v in by.items()})
            if "information" in by.index and len(by) > 1:
                ok.append(bool(by["information"] >= by.drop("information").median()))
        rows.append(claim_row(3, "share of importance on SST sentiment words, per method", values, all(ok) if ok else None,
                              "reproduced = information's share ≥ the median baseline's on every model"))
    if "comparison" in results:
        table = results["comparison"]
        table = table[table["method"] == "information"] if "method" in table else table
        mean = table.pivot_table(index="model", columns="metric", values="mean")
        fam = {_family(m): m for m in mean.index}
        attention, recurrent = [fam[f] for f in ("bert", "transformer") if f in fam], [fam[f] for f in ("cnn", "lstm") if f in fam]
        if attention and recurrent:
            for metric, text in (("neighbour_share", "share of information on the ±1 neighbours of the top word (lower = precise)"),
                                 ("entropy_normalised", "normalised entropy of the information profile (lower = concentrated)")):
                values = {_family(m): mean.loc[m, metric] for m in mean.index}
                rows.append(claim_row(4, text, values, bool(mean.loc[attention, metric].max() < mean.loc[recurrent, metric].min())))
        if "bert" in fam:
            values = {f"{_family(m)} sentiment/function": f"{_fmt(mean.loc[m, 'sentiment_share'])}/{_fmt(mean.loc[m, 'function_share'])}" for m in mean.index}
            others = mean.drop(fam["bert"])
            ok = bool(len(others) and mean.loc[fam["bert"], "sentiment_share"] > others["sentiment_share"].max()
                      and mean.loc[fam["bert"], "function_share"] < others["function_share"].min())
            order = " > ".join(_family(m) for m in mean["sentiment_share"].sort_values(ascending=False).index)
            rows.append(claim_row(5, "share of information on sentiment words / on function words", values, ok if len(others) else None,
                                  f"sentiment-share order: {order}"))
        if "accuracy" in results:
            acc = results["accuracy"].assign(family=lambda f: f["model"].map(_family)).set_index("family")["accuracy"]
            values = {f: acc[f] for f in acc.index}
            ranked = list(acc.sort_values(ascending=False).index)
            ok = ranked[:2] == ["bert", "transformer"]
            shared = [f for f in acc.index if f in fam]
            note = f"accuracy order: {' > '.join(ranked)}"
            if len(shared) >= 3:
                from scipy.stats import spearmanr

                rho = spearmanr([acc[f] for f in shared], [mean.loc[fam[f], "sentiment_share"] for f in shared]).statistic
                note += f"; Spearman ρ(accuracy, sentiment share) over {len(shared)} models = {_fmt(float(rho))}"
            rows.append(claim_row(8, "dev accuracy from each model's metrics JSON", values, ok, note))
    if "forgetting" in results:
        table = results["forgetting"]
        bert = table[table["model"].map(_family) == "bert"].set_index("kind")
        if not bert.empty:
            depth = lambda kind: float(bert.loc[kind, "half_depth"]) if kind in bert.index else math.nan
            values = {f"{k} half-depth": depth(k) for k in ("[CLS]", "[SEP]", "function", "sentiment")}
            sep, func, sent = depth("[SEP]"), depth("function"), depth("sentiment")
            ok = bool(sep <= 0.5 and (math.isnan(sent) or func <= sent)) if not math.isnan(sep) else False
            rows.append(claim_row(6, "relative depth at which a word keeps ≤ half of its layer-1 information (BERT)", values, ok,
                                  "reproduced = [SEP] by half the depth (3-4 of 12 ≈ 0.3) and function words no later than sentiment words"))
        retention = table.groupby("model").apply(lambda g: float(np.average(g["retention"], weights=g["n_words"])), include_groups=False)
        fam = {_family(m): m for m in retention.index}
        if "bert" in fam and len(fam) > 1:
            rows.append(claim_row(7, "mean retention I_last / I_first over words (higher = keeps fine-grained information)",
                                  {f: retention[m] for f, m in fam.items()},
                                  bool(retention[fam["bert"]] >= retention.drop(fam["bert"]).max()),
                                  "retention compares each model's first and last layer; models differ in depth (BERT 6, "
                                  "Transformer 4, LSTM/CNN 2 layers), so deeper models have more layers to forget over"))
    return pd.DataFrame(rows, columns=["claim", "text", "metric", "values", "verdict", "note"])


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
