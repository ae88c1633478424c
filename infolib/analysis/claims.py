"""The paper's claims, each tested on saved tables with bootstrap intervals: `claims_table`."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..methods import DEFAULT_METHOD
from . import statistics
from .faithfulness.claims import FAITHFULNESS_CLAIMS, GRADIENT_METHODS, layer_depth

# -- claims ----------------------------------------------------------------------------------------
CLAIMS = {
    1: "Information is coherent across layers; gradient scores change scale and ranking.",
    2: "Reversal: the information measure shows the anti-diagonal (step t holds word n−t+1) better than "
    "gradient/perturbation.",
    3: "SST-2: the same comparison of methods on sentiment models.",
    4: "BERT and the Transformer locate task-relevant words precisely; CNN and LSTM spread over neighbours.",
    5: "BERT puts its information on meaningful words; the others more on function words.",
    6: "BERT forgets [SEP] early (layers 3-4 of 12) and sentiment-irrelevant words gradually later.",
    7: "BERT keeps fine-grained (per-word) information best across layers.",
    8: "Accuracy follows these differences: BERT best, then the Transformer.",
}
INFORMATION = DEFAULT_METHOD  # the paper's method, as the registry names it: the claims compare it with the rest
CLAIM_COLUMNS = ["claim", "text", "metric", "values", "verdict", "note", "n_sentences"]
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "n/a")


def verdict(expected_higher, expected_lower) -> str:
    """The verdict of one comparison: the single rule behind every verdict of the claims table.

    Each argument is a confidence interval (low, high) (or (estimate, low, high), as
    `statistics.bootstrap_interval` returns) of a quantity; the paper says `expected_higher` is the
    larger one. A fixed threshold t is the degenerate interval (t, t).

    - 'reproduced': the intervals separate in the paper's direction (expected_higher's low >
      expected_lower's high);
    - 'not reproduced': they separate in the opposite direction (expected_higher's high <
      expected_lower's low);
    - 'inconclusive': they overlap (touching counts as overlapping);
    - 'n/a': a bound is NaN (no data behind one of the values).
    """
    (h_low, h_high), (l_low, l_high) = (
        _bounds(expected_higher, "expected_higher"),
        _bounds(expected_lower, "expected_lower"),
    )
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


def claim_row(claim: int, metric: str, estimates: Sequence[_Estimate], verdicts: Sequence[str], note: str = "") -> dict:
    """One row of the claims table: the values with their intervals, the combined verdict, the note.

    n_sentences is the smallest number of sentences behind any of the values.
    """
    return {
        "claim": claim,
        "text": CLAIMS[claim],
        "metric": metric,
        "values": "; ".join(str(e) for e in estimates),
        "verdict": combine_verdicts(verdicts),
        "note": note,
        "n_sentences": min((e.n for e in estimates), default=0),
    }


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "nan" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _family(model: str) -> str:
    return str(model).split("-")[0]


# Pretrained transformer encoders: the paper's BERT role. mpnet (12 layers, `make reproduce DEEP=1`)
# gives claims 6 and 7 a row at the paper's depth next to the 6-layer MiniLM.
BERT_LIKE = ("bert", "mpnet")


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
            raise ValueError(
                f"results[{key!r}] has several models of family {family!r} ({out[family]}, {model}): "
                "pass one model per family."
            )
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


class _Estimator:
    """`est(label, values)`: the seeded bootstrap mean of per-sentence values, as an _Estimate."""

    def __init__(self, n_boot: int, random_state: int):
        self.n_boot, self.random_state = n_boot, random_state

    def __call__(self, label: str, values) -> _Estimate:
        return _Estimate(label, *statistics.bootstrap_mean(values, self.n_boot, self.random_state))


# results key -> (the columns its claims read, the function that makes such a table)
_INPUTS = {
    "coherence": (
        ["method", "model", "sentence_id", "log_magnitude_spread", "adjacent_spearman"],
        "coherence_per_sentence",
    ),
    "reversal": (["method", "model", "sentence_id", "accuracy", "mass", "chance"], "reversal_per_sentence"),
    "sentiment_methods": (["method", "model", "sentence_id", "sentiment_share"], "sentence_profile_metrics"),
    "comparison": (
        ["model", "sentence_id", "neighbour_share", "entropy_normalised", "sentiment_share", "function_share"],
        "sentence_profile_metrics",
    ),
    "accuracy": (["model", "accuracy"], "model_accuracies"),
    "forgetting": (["model", "sentence_id", "kind", "half_depth", "retention"], "word_trajectories"),
    "faithfulness": (["model", "sentence_id", "method", "layer", "metric", "value"], "layer_faithfulness"),
}


def _input_table(results: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """results[key], checked for the columns its claims read (the comparison: its information rows)."""
    table = _require(results, key, *_INPUTS[key])
    if key == "comparison" and "method" in table:
        table = table[table["method"] == INFORMATION]
    return table


def claims_table(results: Mapping[str, pd.DataFrame], *, n_boot: int = 2000, random_state: int = 0) -> pd.DataFrame:
    """The claims of docs/method.md §5 tested on per-sentence result tables, each value with a bootstrap interval.

    Every comparison is `verdict` on two seeded 95 % percentile-bootstrap intervals over sentences
    (`statistics.bootstrap_interval`, one value per sentence); a claim needing several comparisons
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
            'faithfulness': `layer_faithfulness` (claims 9 and 10, infolib's extension, not the paper's:
                information's output AOPC against each gradient method's, at the last layer and at every layer);
            'forgetting': `word_trajectories` (claim 6, BERT: per-sentence [SEP] half_depth below
                0.5, and function words' half_depth below sentiment words'; claim 7: bert's
                per-sentence mean retention above every other model's).
        n_boot, random_state: the bootstrap's resamples and seed.
    Returns:
        DataFrame: claim, text, metric, values ('label estimate [low, high]; ...'), verdict
        ('reproduced' / 'not reproduced' / 'inconclusive' / 'n/a'), note (computed from the
        tables), n_sentences (the fewest sentences behind any value of the row).
    """

    est = _Estimator(n_boot, random_state)
    tables: dict[str, pd.DataFrame] = {}
    rows: list[dict] = []
    for key, claim in _CLAIM_FUNCTIONS:
        if key not in results:
            continue
        if key not in tables:  # each table is checked when its first claim needs it
            tables[key] = _input_table(results, key)
        rows += claim(tables[key], tables, est)
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return table.sort_values("claim", kind="stable", ignore_index=True)


def _claim_coherence(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 1: information's layers agree in scale and ranking more than each gradient method's."""
    labels = _labels(table["model"])
    out = []
    for metric, info_higher, text in (
        (
            "log_magnitude_spread",
            False,
            "log_magnitude_spread: std over layers of log total importance (lower = comparable "
            "scale); information expected lower than each gradient method",
        ),
        (
            "adjacent_spearman",
            True,
            "adjacent_spearman: mean Spearman ρ of adjacent layers' word rankings (higher = stable "
            "ranking); information expected higher than each gradient method",
        ),
    ):
        values, verdicts = [], []
        for model, group in table.groupby("model", sort=False):
            methods = [m for m in group["method"].unique() if m != INFORMATION]
            if INFORMATION not in set(group["method"]) or not methods:
                continue
            info = est(f"{labels[model]} information", group.loc[group["method"] == INFORMATION, metric])
            values.append(info)
            for method in methods:
                other = est(f"{labels[model]} {method}", group.loc[group["method"] == method, metric])
                values.append(other)
                verdicts.append(
                    verdict(info.interval, other.interval) if info_higher else verdict(other.interval, info.interval)
                )
        out.append(
            claim_row(1, text, values, verdicts, _tally(verdicts, "information vs each other method, per model"))
        )
    return out


def _claim_reversal(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 2: on sequence reversal, output step t holds input word n − t + 1."""
    labels = _labels(table["model"])
    mass_values, mass_verdicts, acc_values, acc_verdicts = [], [], [], []
    for model, group in table.groupby("model", sort=False):
        if INFORMATION not in set(group["method"]):
            continue
        info_rows = group[group["method"] == INFORMATION]
        info = est(f"{labels[model]} information", info_rows["mass"])
        mass_values.append(info)
        for method in (m for m in group["method"].unique() if m != INFORMATION):
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
        claim_row(
            2,
            "mass: mean share of each output step's importance on its anti-diagonal word; information expected "
            "above each other method",
            mass_values,
            mass_verdicts,
            _tally(mass_verdicts, "information vs each other method, per model") + lengths,
        ),
        claim_row(
            2,
            "accuracy: share of output steps whose most important word is the anti-diagonal one; information "
            "expected above chance (1/length)",
            acc_values,
            acc_verdicts,
            _tally(acc_verdicts, "information vs chance, per model") + lengths,
        ),
    ]


def _claim_sentiment_methods(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 3: information puts more on sentiment words than the baselines' per-sentence median."""
    labels = _labels(table["model"])
    values, verdicts, used = [], [], set()
    for model, group in table.groupby("model", sort=False):
        wide = group.pivot_table(index="sentence_id", columns="method", values="sentiment_share", aggfunc="first")
        baselines = [m for m in wide.columns if m != INFORMATION]
        if INFORMATION not in wide.columns or not baselines:
            continue
        used.update(baselines)
        info = est(f"{labels[model]} information", wide[INFORMATION])
        median = est(f"{labels[model]} baselines' median", wide[baselines].median(axis=1, skipna=True))
        values += [info, median]
        verdicts.append(verdict(info.interval, median.interval))
    note = _tally(verdicts, "information vs the baselines' per-sentence median, per model")
    if used:
        note += f"; baselines: {', '.join(sorted(used))}"
    return [
        claim_row(
            3,
            "sentiment_share: share of importance on SST sentiment words; information expected above the "
            "per-sentence median of the baselines",
            values,
            verdicts,
            note,
        )
    ]


def _family_estimates(table: pd.DataFrame, fam: Mapping[str, str], metric: str, families, est) -> dict:
    """family -> the estimate of `metric` over its model's sentences."""
    return {f: est(f, table.loc[table["model"] == fam[f], metric]) for f in families}


def _claim_locality(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 4: attention models (bert, transformer) spread information less than cnn and lstm."""
    fam = _families(table["model"], "comparison")
    attention = [f for f in ("bert", "transformer") if f in fam]
    recurrent = [f for f in ("cnn", "lstm") if f in fam]
    if not (attention and recurrent):
        return []
    out = []
    for metric, text in (
        (
            "neighbour_share",
            "neighbour_share: share of information on the ±1 neighbours of the top word "
            "(lower = precise); bert and transformer expected below cnn and lstm",
        ),
        (
            "entropy_normalised",
            "entropy_normalised: normalised entropy of the information profile "
            "(lower = concentrated); bert and transformer expected below cnn and lstm",
        ),
    ):
        values = _family_estimates(table, fam, metric, attention + recurrent, est)
        verdicts = [verdict(values[r].interval, values[a].interval) for a in attention for r in recurrent]
        out.append(
            claim_row(
                4,
                text,
                list(values.values()),
                verdicts,
                f"order (low to high): {_order(list(values.values()), descending=False)}",
            )
        )
    return out


def _claim_bert_words(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 5: bert keeps more of sentiment words and less of function words than every other model."""
    fam = _families(table["model"], "comparison")
    if "bert" not in fam:
        return []
    others = [f for f in fam if f != "bert"]
    out = []
    for metric, bert_higher, text in (
        (
            "sentiment_share",
            True,
            "sentiment_share: share of information on SST sentiment words; bert expected above every other model",
        ),
        (
            "function_share",
            False,
            "function_share: share of information on function words; bert expected below every other model",
        ),
    ):
        values = _family_estimates(table, fam, metric, ["bert"] + others, est)
        b = values["bert"]
        verdicts = [
            verdict(b.interval, values[o].interval) if bert_higher else verdict(values[o].interval, b.interval)
            for o in others
        ]
        note = (
            f"order (high to low): {_order(list(values.values()))}"
            if bert_higher
            else f"order (low to high): {_order(list(values.values()), descending=False)}"
        )
        out.append(claim_row(5, text, list(values.values()), verdicts, note))
    return out


def _accuracy_estimate(row, label: str, n_boot: int, random_state: int) -> _Estimate:
    n = row.get("n", math.nan)
    n = math.nan if n is None or pd.isna(n) else int(n)
    if (
        "accuracy_low" in row
        and "accuracy_high" in row
        and pd.notna(row["accuracy_low"])
        and pd.notna(row["accuracy_high"])
    ):
        low, high = float(row["accuracy_low"]), float(row["accuracy_high"])
    else:
        _, low, high = statistics.bootstrap_proportion(row["accuracy"], n, n_boot=n_boot, random_state=random_state)
    return _Estimate(label, float(row["accuracy"]), low, high, 0 if math.isnan(n) else n)


def _claim_accuracy(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 8: bert classifies better than the transformer, the transformer better than the rest."""
    comparison = tables.get("comparison")
    fam = _families(table["model"], "accuracy")
    rows = table.set_index("model")
    values = {f: _accuracy_estimate(rows.loc[m], f, est.n_boot, est.random_state) for f, m in fam.items()}
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
            from scipy.stats import spearmanr  # lazy: start-up cost (scipy.stats, ~4 s to import)

            rho = spearmanr([values[f].estimate for f in shared], [share[f] for f in shared]).statistic
            note += f"; Spearman ρ(accuracy, mean sentiment share) over {len(shared)} models = {_fmt(float(rho))}"
    return [
        claim_row(
            8,
            "accuracy: dev accuracy from each model's metrics JSON (interval: bootstrap over the dev sentences); "
            "bert expected above the transformer, the transformer above every other model",
            list(values.values()),
            verdicts,
            note,
        )
    ]


def _hidden_layers(accuracy: pd.DataFrame | None) -> dict[str, int]:
    """family -> number of hidden layers, from the accuracy table's hidden_layers (where known)."""
    if accuracy is None or "hidden_layers" not in accuracy:
        return {}
    known = accuracy.dropna(subset=["hidden_layers"])
    return {_family(m): int(n) for m, n in zip(known["model"], known["hidden_layers"])}


def _per_sentence_mean(table: pd.DataFrame, column: str) -> pd.Series:
    return table.groupby("sentence_id")[column].mean()


def _half_depths(rows: pd.DataFrame, label: str, layers: int | None, est: _Estimator) -> dict:
    """One BERT-like model's claim-6 estimates: [SEP]'s half_depth against 0.5, function words' against
    sentiment words', with notes on censored words and the model's depth."""
    # A word still holding more than half at the last layer is censored there: depth 1, a lower bound.
    rows = rows.assign(half_depth=rows["half_depth"].fillna(1.0), never_halved=rows["half_depth"].isna())
    sep_rows = rows[rows["kind"] == "[SEP]"]
    sep = est(f"{label} [SEP]", _per_sentence_mean(sep_rows, "half_depth"))
    sep_notes, kind_notes = [], []
    never = int(sep_rows["never_halved"].sum())
    if never:
        sep_notes.append(f"{label}: {never} of {len(sep_rows)} [SEP] never fall to half (counted as depth 1)")
    if layers is not None:
        sep_notes.append(f"{label} has {layers} hidden layers: depth 0.5 = layer {_fmt(layers / 2)}")
    by_kind = {}
    for kind in ("function", "sentiment"):
        kind_rows = rows[rows["kind"] == kind]
        by_kind[kind] = est(f"{label} {kind}", _per_sentence_mean(kind_rows, "half_depth"))
        never = int(kind_rows["never_halved"].sum())
        if never:
            kind_notes.append(
                f"{label}: {never} of {len(kind_rows)} {kind} words never fall to half (counted as depth 1)"
            )
    return {
        "sep": sep,
        "sep_verdict": verdict((0.5, 0.5), sep.interval),
        "sep_notes": sep_notes,
        "kinds": [by_kind["function"], by_kind["sentiment"]],
        "kind_verdict": verdict(by_kind["sentiment"].interval, by_kind["function"].interval),
        "kind_notes": kind_notes,
    }


def _claim_forgetting_order(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 6: in BERT, [SEP] is forgotten in the first half of the layers, function words before sentiment words."""
    depths = _hidden_layers(tables.get("accuracy"))
    labels = _labels(table["model"])
    bert_models = [m for m in table["model"].unique() if _family(m) in BERT_LIKE]
    if not bert_models:
        return []
    per_model = [_half_depths(table[table["model"] == m], labels[m], depths.get(_family(m)), est) for m in bert_models]
    sep_verdicts = [p["sep_verdict"] for p in per_model]
    kind_verdicts = [p["kind_verdict"] for p in per_model]
    return [
        claim_row(
            6,
            "half_depth of [SEP]: relative depth (layer / deepest layer) at which it keeps ≤ half of its "
            "first-layer information, per-sentence; expected below 0.5",
            [p["sep"] for p in per_model],
            sep_verdicts,
            "; ".join(
                [_tally(sep_verdicts, "[SEP] vs 0.5, per BERT model")] + [n for p in per_model for n in p["sep_notes"]]
            ),
        ),
        claim_row(
            6,
            "half_depth of function vs sentiment words (per-sentence mean); function words expected "
            "earlier (lower) than sentiment words",
            [e for p in per_model for e in p["kinds"]],
            kind_verdicts,
            "; ".join(
                [_tally(kind_verdicts, "function vs sentiment words, per BERT model")]
                + [n for p in per_model for n in p["kind_notes"]]
            ),
        ),
    ]


def _claim_retention(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claim 7: pretrained BERT keeps more of each word from first to last layer than models trained from scratch."""
    depths = _hidden_layers(tables.get("accuracy"))
    fam = _families(table["model"], "forgetting")
    if not (any(f in fam for f in BERT_LIKE) and any(f not in BERT_LIKE for f in fam)):
        return []
    values = {f: est(f, _per_sentence_mean(table[table["model"] == m], "retention")) for f, m in fam.items()}
    verdicts = [
        verdict(values[b].interval, values[o].interval)
        for b in BERT_LIKE
        if b in values
        for o in values
        if o not in BERT_LIKE
    ]
    known = {f: depths[f] for f in fam if f in depths}
    if known:
        note = "hidden layers: " + ", ".join(f"{f} {n}" for f, n in known.items())
        unknown = [f for f in fam if f not in known]
        if unknown:
            note += f" ({', '.join(unknown)} unknown)"
        if len(set(known.values())) > 1:
            note += (
                "; retention compares each model's first and last layer, so the deeper models have more "
                "layers to forget over"
            )
    else:
        note = "model depths unknown (the accuracy table with hidden_layers was not given)"
    return [
        claim_row(
            7,
            "retention: I_last / I_first per word, mean per sentence (higher = keeps fine-grained "
            "information); bert (and mpnet, with DEEP=1) expected above every model trained from scratch",
            list(values.values()),
            verdicts,
            note,
        )
    ]


def faithfulness_claims(table: pd.DataFrame, n_boot: int = 2000, random_state: int = 0) -> list[dict]:
    """Claims 9 and 10 (infolib's extension, not the paper's) from a `layer_faithfulness` table."""
    table = _require({"faithfulness": table}, "faithfulness", *_INPUTS["faithfulness"])
    return _claim_faithfulness(table, {}, _Estimator(n_boot, random_state))


def _claim_faithfulness(table: pd.DataFrame, tables: Mapping[str, pd.DataFrame], est: _Estimator) -> list[dict]:
    """Claims 9 and 10: information's top words cost the prediction at least as much as each gradient method's
    (per-sentence output-AOPC difference against 0), at the last layer and at every layer."""
    output = table[table["metric"] == "output_aopc"]
    rows = []
    for claim in (9, 10):
        values, verdicts = [], []
        for model, group in output.groupby("model", sort=False):
            layers = sorted(group["layer"].unique(), key=layer_depth)
            wide = group.pivot_table(index=["layer", "sentence_id"], columns="method", values="value")
            if INFORMATION not in wide:
                continue
            for layer in layers[-1:] if claim == 9 else layers:
                at = wide.loc[layer]
                for method in [m for m in GRADIENT_METHODS if m in at]:
                    value = est(
                        f"{model} {layer} information − {method}", (at[INFORMATION] - at[method]).to_numpy(float)
                    )
                    values.append(value)
                    verdicts.append(verdict((value.low, value.high), (0.0, 0.0)) if value.n else "n/a")
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


# The claims in the order their rows are made (the table is then sorted by claim number, stably):
# (results key of the table a claim reads, the function that makes its rows).
_CLAIM_FUNCTIONS = (
    ("coherence", _claim_coherence),
    ("reversal", _claim_reversal),
    ("sentiment_methods", _claim_sentiment_methods),
    ("comparison", _claim_locality),
    ("comparison", _claim_bert_words),
    ("accuracy", _claim_accuracy),
    ("forgetting", _claim_forgetting_order),
    ("forgetting", _claim_retention),
    ("faithfulness", _claim_faithfulness),
)
