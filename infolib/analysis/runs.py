"""Running several methods (information and the baselines) over the same sentences and models,
all through the result cache, into one tidy table."""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from ..core.estimator import Settings
from ..core.validation import settings_keywords
from ..methods import DEFAULT_METHOD, get_method
from ..api import explain_corpus, load_model
from ..core.data import make_reverse
from ..core.names import step_names
from ..core.sigma_s import sigma_s as estimate
from .metrics import importance_column


# -- running several methods -----------------------------------------------------------------------
def explain_methods(
    model,
    sentences: Sequence[str],
    layers,
    methods: Sequence[str] = (DEFAULT_METHOD,),
    *,
    corpus: Sequence[str] | None = None,
    settings: Settings | Mapping | None = None,
    baseline_settings: Mapping[str, Mapping] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """One tidy table of several methods on the same sentences and hidden states.

    Every method of `infolib.list_methods()` runs through the one data-set runner and the result cache
    (`explain_corpus(..., method=...)`), so a pair computed once, by any notebook, is read back
    everywhere. Every method gets the same σ_S (so all see the state in the same normalised units)
    unless `baseline_settings[method]['sigma_s']` is given (None = raw).

    Args:
        model: a HookedModel or registry name.
        sentences: [n] sentences.
        layers: hidden states ('all', names, ...).
        methods: names of `infolib.list_methods()` ('information', baselines, your own).
        corpus: sentences for σ_S (default: the sentences shipped with infolib; the notebooks pass `sst2_corpus()`).
        settings: estimator settings (an `infolib.Settings` or a dict: max_steps, samples, ...), for the
            methods that take them (`Method.takes_estimator_settings`).
        baseline_settings: method -> keyword arguments (its own options).
    Returns:
        DataFrame with the columns of `to_frame()` plus `importance` (≥ 0, larger = more important).
    """

    if isinstance(model, str):
        model = load_model(model)
    chosen = [get_method(method) for method in methods]  # an unknown name fails before any work
    names = model.resolve_layers(layers)
    spread = estimate(model, names, corpus)
    frames = []
    for method in chosen:
        estimator = settings_keywords(settings) if method.takes_estimator_settings else {}
        options = {"sigma_s": spread, **estimator, **dict((baseline_settings or {}).get(method.name, {}))}
        result = explain_corpus(model, list(sentences), names, method=method, progress=progress, **options)
        frames.append(result.to_frame())
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(importance=importance_column(frame))


def explain_reversal(
    models,
    lengths: Sequence[int],
    per_length: int,
    methods: Sequence[str] = (DEFAULT_METHOD,),
    *,
    settings: Mapping | None = None,
    seed: int = 1,
    corpus_size: int = 256,
) -> pd.DataFrame:
    """The reversal task at every sequence length: each model's output steps explained by each method.

    For each length n, `per_length` dev sequences of n symbols are explained at step.1 … step.n, with
    σ_S from `corpus_size` other sequences of that length. Sentence ids run over all lengths.

    Returns:
        the `explain_methods` table plus a `length` column.
    """

    frames, offset = [], 0
    for n in lengths:
        corpus = make_reverse("dev", corpus_size, min_len=n, max_len=n).sentences
        sequences = make_reverse("dev", per_length, min_len=n, max_len=n, seed=seed).sentences
        steps = step_names(n)
        for model in models:
            frame = explain_methods(model, sequences, steps, methods, corpus=corpus, settings=settings)
            frames.append(frame.assign(sentence_id=frame["sentence_id"] + offset, length=n))
        offset += per_length
    return pd.concat(frames, ignore_index=True)
