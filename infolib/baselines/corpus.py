"""Baseline attributions for a whole data set, through the same result cache as `explain_corpus`."""

from __future__ import annotations

import inspect
import json
import time
from typing import Sequence

import torch

from ..core import runlog
from ..core.corpus import load_dataset, progress_bar
from ..core.data import Split
from ..core.hooks import HookedModel
from ..core.inputs import check_model, check_sentences
from ..core.store import ResultCache, tensor_digest
from ..core.version import __version__
from ._method import SHARED
from .methods import METHODS
from ..core.results import Attribution


def attribute_corpus(
    model: HookedModel,
    dataset: str | Split | Sequence[str],
    layers="all",
    method: str = "gradient_saliency",
    *,
    sigma_s=None,
    batch_size: int = 8,
    cache: bool | ResultCache = True,
    progress: bool = True,
    **options,
):
    """A baseline's attributions for a whole data set, through the same result cache as `explain_corpus`.

    Each (sentence, hidden state) score is stored under a key of the model's fingerprint, the state,
    the sentence, the method and all its options, and σ_S's bytes; a later call (another notebook,
    a re-run) reads it back instead of recomputing. Sentences with any missing state are computed
    in batches of `batch_size`, all requested states at once.

    Args:
        method: a key of `infolib.baselines.METHODS`.
        sigma_s: name -> [D] spread (the same as the estimator's), or None for raw units.
        **options: the method's keyword arguments (level, n_steps, probes, baseline, ...).
    Returns:
        one Attribution over all sentences, in dataset order.
    """
    if method not in METHODS:
        raise ValueError(f"unknown baseline {method!r}: use one of {', '.join(METHODS)}.")
    started = time.perf_counter()
    model = check_model(model)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}.")
    store = ResultCache() if cache is True else cache if isinstance(cache, ResultCache) else None
    sentences = check_sentences(load_dataset(dataset))
    names = model.resolve_layers(layers)
    level = options.get("level", "word")
    spread_ids = {name: tensor_digest(sigma_s[name]) if sigma_s is not None else "raw" for name in names}
    fingerprint = model.fingerprint()
    settings = {"method": method, **_method_options(METHODS[method], options)}
    keys = ResultCache.pair_keys(
        fingerprint=fingerprint,
        sentences=sentences,
        names=names,
        level=level,
        settings=settings,
        spread_ids=spread_ids,
        version=__version__,
    )
    found = {pair: store.get(key) for pair, key in keys.items()} if store is not None else {}
    todo = [i for i in range(len(sentences)) if any(found.get((i, name)) is None for name in names)]
    bar = progress_bar(len(todo), progress and bool(todo), desc=method)
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            part = METHODS[method](model, [sentences[i] for i in batch], names, sigma_s=sigma_s, **options)
            for local, i in enumerate(batch):
                for name in names:
                    entry = {
                        "score": part.scores[local, name],
                        "extra": part.extra.get((local, name), {}),
                        "score_meaning": part.score_meaning,
                        "aggregation": part.aggregation,
                        "settings": part.settings,
                    }
                    # As stored, so a fresh answer and one read back are the same objects (tensors become lists).
                    found[i, name] = json.loads(json.dumps(entry, default=_plain))
                    if store is not None:
                        store.put(keys[i, name], found[i, name])
            if bar:
                bar.update(len(batch))
    finally:
        if bar:
            bar.close()
    deltas = [entry["extra"]["relative_delta"] for entry in found.values() if "relative_delta" in entry["extra"]]
    runlog.record(
        kind="attribute",
        model=model.name,
        method=method,
        seconds=time.perf_counter() - started,
        pairs=len(keys),
        computed=len(todo) * len(names),
        cached=len(keys) - len(todo) * len(names),
        worst_relative_delta=max(deltas) if deltas else None,
    )
    encoding = model.encode(sentences)
    first = found[0, names[0]]
    return Attribution(
        method=method,
        sentences=sentences,
        layers=names,
        words=encoding.words if level == "word" else encoding.tokens,
        tokens=encoding.tokens,
        word_of_token=encoding.word_of_token if level == "word" else [list(range(len(t))) for t in encoding.tokens],
        scores={pair: torch.tensor(entry["score"], dtype=torch.float32) for pair, entry in found.items()},
        score_meaning=first["score_meaning"],
        aggregation=first["aggregation"],
        model=model.name,
        fingerprint=fingerprint,
        level=level,
        settings=first["settings"],
        extra={pair: entry["extra"] for pair, entry in found.items()},
    )


def _plain(value):
    """JSON form of the tensors and numpy numbers in a baseline's diagnostics."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in the result cache.")


def _method_options(method, options: dict) -> dict:
    """Every option of a baseline that changes its answer, defaults included, JSON-ready (for the cache key)."""
    shared = set(SHARED)
    defaults = {
        name: p.default
        for name, p in inspect.signature(method).parameters.items()
        if name not in shared and p.default is not inspect.Parameter.empty
    }
    merged = {**defaults, **{k: v for k, v in options.items() if k not in shared}}
    return {k: tensor_digest(v) if isinstance(v, torch.Tensor) else v for k, v in merged.items()}
