"""Lesson 4, what-if: predict, edit and verify, then a small counterfactual study with bootstrap intervals.

The checks compare with the what-if tool's parts: `infolib.interactive.prediction.predict`,
`infolib.analysis.edits.WordDiff` and `infolib.analysis.metrics.bootstrap_interval`.
"""

from __future__ import annotations

import numpy as np

from .exercise import Exercise, Mistake, call, close, number

# -- reference solutions (the notebook's solution cells hold exactly this code) --------------------


def positive_change(model, old, new):
    """P(positive | new) − P(positive | old): how the edit moved the classifier towards 'positive'."""
    from infolib.interactive.prediction import predict

    before, after = predict(model, old), predict(model, new)
    positive = before.labels.index("positive")
    return after.probabilities[positive] - before.probabilities[positive]


def kept_more(diff, layer):
    """The words (present in both sentences) that `layer` keeps more of after the edit: change < 0."""
    row = diff.change[diff.layers.index(layer)]
    return [word for word, kind, change in zip(diff.columns, diff.kinds, row) if kind == "same" and change < 0]


def effect_with_interval(deltas, n_boot=2000, seed=0):
    """(mean, low, high): the mean of `deltas` with a 95 % percentile-bootstrap interval over the pairs."""
    deltas = np.asarray(deltas, dtype=float)
    rng = np.random.default_rng(seed)
    means = rng.choice(deltas, size=(n_boot, len(deltas)), replace=True).mean(1)  # one mean per resample
    low, high = np.quantile(means, [0.025, 0.975])
    return float(deltas.mean()), float(low), float(high)


# -- checks ---------------------------------------------------------------------------------------

EDITS = [
    ("the film is good", "the film is not good"),
    ("a dull and lifeless movie", "a very dull and lifeless movie"),
    ("a charming story", "a boring story"),
    ("it is bad", "it is great"),
]


def _check_positive_change(answer, **context) -> str:
    from ..core.hooks import HookedModel
    from ..interactive.prediction import predict

    model = context.get("model")
    if not isinstance(model, HookedModel) or predict(model, "a") is None:
        raise TypeError("this check needs a classifier: call check(your_function, model=model).")
    for old, new in EDITS:
        got = number(call(answer, "positive_change", model, old, new), "positive_change")
        before, after = predict(model, old), predict(model, new)
        positive = before.labels.index("positive")
        expected = after.probabilities[positive] - before.probabilities[positive]
        if close(got, expected, rtol=1e-5, atol=1e-7):
            continue
        label_probability = after.probability - before.probability
        if close(got, label_probability, rtol=1e-5, atol=1e-7) and not close(got, -expected, rtol=1e-5, atol=1e-7):
            raise Mistake(
                f"for '{old}' → '{new}': Prediction.probability is the probability of the predicted label, which may "
                f"be 'negative': use probabilities[labels.index('positive')]."
            )
        candidates = {
            "the sign is reversed: the change is P(positive | new) − P(positive | old)"
            + (
                " (or you used Prediction.probability, which is P(negative) here: "
                "use probabilities[labels.index('positive')])"
                if before.label != "positive" and after.label != "positive"
                else ""
            ): -expected,
            "that is in percent: return a probability difference (between −1 and 1)": 100 * expected,
        }
        for message, wrong in candidates.items():
            if close(got, wrong, rtol=1e-5, atol=1e-7):
                raise Mistake(f"for '{old}' → '{new}': {message}.")
        raise Mistake(f"for '{old}' → '{new}' you return {got:.4f}; P(positive) moved by {expected:.4f}.")
    return "the change of P(positive) matches the what-if tool's predictions on four edits."


def _example_diff():
    from ..analysis.edits import WordDiff

    change = np.array([[-0.4, np.nan, 0.2, -0.1, np.nan], [0.3, np.nan, -0.5, 0.0, np.nan]])
    return WordDiff(
        layers=["layer.1", "layer.2"],
        columns=["the", "very", "film", "is", "dull"],
        kinds=["same", "added", "same", "same", "removed"],
        change=change,
        label="log(σ/scale)",
        old_sentence="the film is dull",
        new_sentence="the very film is",
    )


def _check_kept_more(answer, **context) -> str:
    diff = _example_diff()
    expected = {"layer.1": ["the", "is"], "layer.2": ["film"]}
    for layer, words in expected.items():
        got = call(answer, "kept_more", diff, layer)
        if not isinstance(got, (list, tuple)):
            raise Mistake(f"kept_more returned a {type(got).__name__}; return a list of words.")
        if any(not isinstance(w, str) for w in got):
            raise Mistake("kept_more must return the words themselves (str), not their positions.")
        got = list(got)
        if got == words:
            continue
        row = diff.change[diff.layers.index(layer)]
        lost = [w for w, k, c in zip(diff.columns, diff.kinds, row) if k == "same" and c > 0]
        if got == lost:
            raise Mistake(
                "those are the words the layer forgets more: a negative change of log(σ/scale) means "
                "smaller σ, kept more."
            )
        if any(w in ("very", "dull") for w in got):
            raise Mistake(
                "added and removed words have no change (NaN): keep only the words of kind 'same' "
                "(NaN compares False with everything, so test `change < 0`, not `not change >= 0`)."
            )
        union = [w for c, w in enumerate(diff.columns) if (diff.change[:, c] < 0).any()]
        if got == union:
            raise Mistake(f"you collected words of every layer: read only the row of {layer!r} (diff.layers.index).")
        raise Mistake(f"for {layer} you return {got}; the layer keeps more of {words}.")
    return "you read the WordDiff's rows the way the what-if tool's figure does."


def _check_interval(answer, **context) -> str:
    from ..analysis.metrics import bootstrap_interval

    rng = np.random.default_rng(4)
    deltas = rng.normal(-0.15, 0.2, size=30)
    out = call(answer, "effect_with_interval", list(deltas))
    if not isinstance(out, tuple) or len(out) != 3:
        raise Mistake(f"effect_with_interval returned a {type(out).__name__}; return a tuple (mean, low, high).")
    mean, low, high = (number(v, "effect_with_interval") for v in out)
    expected, e_low, e_high = bootstrap_interval(deltas, confidence=0.95, n_boot=2000, random_state=0)
    if not close(mean, expected, rtol=1e-6) and close(high, expected, rtol=1e-6):
        raise Mistake("the order is (mean, low, high): you returned the mean last.")
    if not close(mean, expected, rtol=1e-6):
        raise Mistake(f"the first value must be the mean of the deltas ({expected:.4f}), got {mean:.4f}.")
    if not low <= mean <= high:
        raise Mistake(f"the interval [{low:.3f}, {high:.3f}] does not contain the mean {mean:.3f}: (mean, low, high).")
    width, e_width = high - low, e_high - e_low
    if width > 3 * e_width:
        raise Mistake(
            f"the interval is {width / e_width:.1f}× too wide: that is the spread of the deltas themselves; "
            f"resample the pairs, take each resample's mean, and use the quantiles of those means."
        )
    if 0.6 * e_width < width < 0.9 * e_width:
        raise Mistake("the interval is too narrow for 95 %: use the 2.5 % and 97.5 % quantiles (not 5 % and 95 %).")
    if not (0.85 * e_width <= width <= 1.15 * e_width and abs((low + high) / 2 - (e_low + e_high) / 2) < 0.2 * e_width):
        raise Mistake(
            f"[{low:.3f}, {high:.3f}] is not a 95 % bootstrap interval of the mean; infolib's gives "
            f"[{e_low:.3f}, {e_high:.3f}]."
        )
    return (
        f"mean {mean:.3f}, 95 % interval [{low:.3f}, {high:.3f}]; "
        f"infolib's bootstrap_interval: [{e_low:.3f}, {e_high:.3f}]."
    )


EXERCISES = {
    "positive_change": Exercise(
        "4.1",
        "how an edit moves the prediction",
        difficulty=1,
        importance=4,
        minutes=6,
        checker=_check_positive_change,
        reference=positive_change,
        hints=(
            "infolib.interactive.prediction.predict(model, sentence) returns a Prediction "
            "with .labels and .probabilities.",
            "Index the probabilities with labels.index('positive'), for the new and the old sentence, and subtract.",
        ),
    ),
    "kept_more": Exercise(
        "4.2",
        "which words a layer keeps more after an edit",
        difficulty=2,
        importance=3,
        minutes=6,
        checker=_check_kept_more,
        reference=kept_more,
        hints=(
            "diff.change is [layers, columns] of new − old log(σ/scale); diff.kinds says 'same', 'added' or 'removed'.",
            "Smaller σ = kept more, so a kept-more word has change < 0 in that layer's row.",
        ),
    ),
    "effect_with_interval": Exercise(
        "4.3",
        "a bootstrap interval over edit pairs",
        difficulty=2,
        importance=4,
        minutes=10,
        checker=_check_interval,
        reference=effect_with_interval,
        hints=(
            "Draw n_boot resamples of the n pairs with replacement (rng.choice(deltas, size=(n_boot, n))).",
            "Take each resample's mean; the interval is the 2.5 % and 97.5 % quantiles of those means.",
        ),
    ),
}
