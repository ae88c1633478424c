"""Explain a whole data set, resumably: `explain_corpus(model, "sst2-dev")`.

Sentences are explained in batches (of similar length, so little padding) and every finished
(sentence, hidden state) pair goes straight into the result cache. Interrupt the run anywhere
(Ctrl-C, or the process killed) and run it again: cached pairs are read back, only the rest is
computed. Because each pair's noise depends only on (random_state, sentence, hidden state, level),
never on which sentences share its batch, the resumed results equal an uninterrupted run.
"""
from __future__ import annotations

import inspect
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

import torch

from . import runlog
from .cache import ResultCache, tensor_digest
from .data import Split
from .explain import check_sentences, explain
from .hooks import HookedModel
from .result import Explanation
from .version import __version__


def load_dataset(dataset: str | Split | Sequence[str], limit: int | None = None, data_dir=None) -> list[str]:
    """Sentences from a name ('sst2-dev', 'sst2-train', 'sst2-test'), a Split, or a list."""
    if isinstance(dataset, str):
        from .data import load_sst2

        task, _, split = dataset.partition("-")
        if task != "sst2" or not split:
            raise ValueError(f"unknown dataset '{dataset}': use 'sst2-dev', 'sst2-train', 'sst2-test', or pass a list of sentences.")
        sentences = load_sst2(split, data_dir=data_dir).sentences
    elif isinstance(dataset, Split):
        sentences = dataset.sentences
    else:
        sentences = check_sentences(dataset)
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number ≥ 1, got {limit!r}.")
        sentences = sentences[:limit]
    return list(sentences)


def explain_corpus(
    model: HookedModel | str,
    dataset: str | Split | Sequence[str],
    layers="all",
    *,
    batch_size: int = 8,
    limit: int | None = None,
    out: str | os.PathLike | None = None,
    cache: bool | ResultCache = True,
    progress: bool = True,
    **kwargs,
) -> Explanation:
    """Explain every sentence of `dataset` at `layers`, batch by batch, resuming from the cache.

    Args:
        model: a HookedModel or a registry name.
        dataset: 'sst2-dev' / 'sst2-train' / 'sst2-test', a `Split`, or a list of sentences.
        batch_size: sentences optimised together (all their layers at once).
        limit: explain only the first `limit` sentences.
        out: also write the tidy table (one row per sentence, layer, word) to this CSV, atomically.
        cache: the result cache (True = default folder); it is what makes the run resumable.
        **kwargs: passed to `infolib.explain` (level, sigma_s, corpus, estimator settings).
    Returns:
        one Explanation over all sentences, in dataset order.
    """
    from .zoo import resolve_model

    model = resolve_model(model)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}.")
    if cache is not True and not isinstance(cache, ResultCache):
        raise ValueError("explain_corpus needs a result cache to be resumable: pass cache=True or a ResultCache.")
    store = ResultCache() if cache is True else cache
    sentences = check_sentences(load_dataset(dataset, limit))
    names = model.resolve_layers(layers)
    if kwargs.get("sigma_s") is None:
        from .sigma_s import sigma_s

        kwargs["sigma_s"] = sigma_s(model, names, kwargs.pop("corpus", None))
    order = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].split()), i))
    bar = _bar(len(sentences), progress)
    parts = []
    try:
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            part = explain(model, [sentences[i] for i in batch], names, cache=store, progress=False, **kwargs)
            parts.append((batch, part))
            if bar:
                cached = sum(d.get("cached", False) for d in part.diagnostics.values())
                bar.set_postfix_str(f"{cached}/{len(part.diagnostics)} pairs from cache")
                bar.update(len(batch))
    finally:
        if bar:
            bar.close()
    result = merge(parts, len(sentences))
    if out is not None:
        _write_csv_atomically(result, Path(out))
    return result


def attribute_corpus(
    model: HookedModel | str,
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
    from .baselines import METHODS
    from .baselines.attribution import Attribution
    from .zoo import resolve_model

    if method not in METHODS:
        raise ValueError(f"unknown baseline {method!r}: use one of {', '.join(METHODS)}.")
    started = time.perf_counter()
    model = resolve_model(model)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}.")
    store = ResultCache() if cache is True else cache if isinstance(cache, ResultCache) else None
    sentences = check_sentences(load_dataset(dataset))
    names = model.resolve_layers(layers)
    level = options.get("level", "word")
    spread_ids = {name: tensor_digest(sigma_s[name]) if sigma_s is not None else "raw" for name in names}
    fingerprint = model.fingerprint()
    settings = {"method": method, **_method_options(METHODS[method], options)}
    keys = {(i, name): ResultCache.key(fingerprint=fingerprint, hidden_state=name, sentence=sentence, level=level,
                                       settings=settings, sigma_s=spread_ids[name], version=__version__)
            for i, sentence in enumerate(sentences) for name in names}
    found = {pair: store.get(key) for pair, key in keys.items()} if store is not None else {}
    todo = [i for i in range(len(sentences)) if any(found.get((i, name)) is None for name in names)]
    bar = _bar(len(todo), progress and bool(todo), desc=method)
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            part = METHODS[method](model, [sentences[i] for i in batch], names, sigma_s=sigma_s, **options)
            for local, i in enumerate(batch):
                for name in names:
                    entry = {"score": part.scores[local, name], "extra": part.extra.get((local, name), {}),
                             "score_meaning": part.score_meaning, "aggregation": part.aggregation, "settings": part.settings}
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
    runlog.record(kind="attribute", model=model.name, method=method, seconds=time.perf_counter() - started, pairs=len(keys),
                  computed=len(todo) * len(names), cached=len(keys) - len(todo) * len(names),
                  worst_relative_delta=max(deltas) if deltas else None)
    encoding = model.encode(sentences)
    first = found[0, names[0]]
    return Attribution(
        method=method, sentences=sentences, layers=names,
        words=encoding.words if level == "word" else encoding.tokens, tokens=encoding.tokens,
        word_of_token=encoding.word_of_token if level == "word" else [list(range(len(t))) for t in encoding.tokens],
        scores={pair: torch.tensor(entry["score"], dtype=torch.float32) for pair, entry in found.items()},
        score_meaning=first["score_meaning"], aggregation=first["aggregation"], model=model.name, fingerprint=fingerprint,
        level=level, settings=first["settings"], extra={pair: entry["extra"] for pair, entry in found.items()},
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
    shared = {"model", "sentences", "layers", "level", "sigma_s", "truncate"}
    defaults = {name: p.default for name, p in inspect.signature(method).parameters.items()
                if name not in shared and p.default is not inspect.Parameter.empty}
    merged = {**defaults, **{k: v for k, v in options.items() if k not in shared}}
    return {k: tensor_digest(v) if isinstance(v, torch.Tensor) else v for k, v in merged.items()}


def merge(parts: list[tuple[list[int], Explanation]], n: int) -> Explanation:
    """One Explanation from parts that each explain the sentences at the given indices."""
    first = parts[0][1]
    fields = {"sentences": [None] * n, "words": [None] * n, "tokens": [None] * n, "word_of_token": [None] * n}
    sigma, diagnostics = {}, {}
    for indices, part in parts:
        for local, i in enumerate(indices):
            for field, values in fields.items():
                values[i] = getattr(part, field)[local]
            for layer in part.layers:
                sigma[i, layer] = part.sigma[local, layer]
                diagnostics[i, layer] = part.diagnostics[local, layer]
    return Explanation(
        sentences=fields["sentences"], layers=first.layers, words=fields["words"], tokens=fields["tokens"],
        word_of_token=fields["word_of_token"], sigma=sigma, diagnostics=diagnostics, scale=first.scale, K=first.K,
        settings=first.settings, model=first.model, fingerprint=first.fingerprint, level=first.level,
    )


def _write_csv_atomically(result: Explanation, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        result.to_frame().to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _bar(total: int, enabled: bool, desc: str = "explain-corpus"):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="sentence")
