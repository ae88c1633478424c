"""Explain a whole data set, resumably: `explain_corpus(model, "sst2-dev")`.

Sentences are explained in batches (of similar length, so little padding) and every finished
(sentence, hidden state) pair goes straight into the result cache. Interrupt the run anywhere
(Ctrl-C, or the process killed) and run it again: cached pairs are read back, only the rest is
computed. Because each pair's noise depends only on (random_state, sentence, hidden state, level),
never on which sentences share its batch, the resumed results equal an uninterrupted run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Sequence


from .store import ResultCache, Store
from .data import SST2_SPLITS, Split
from .estimator import Settings
from .explain import explain
from .inputs import check_model, check_sentences
from .hooks import HookedModel
from .results import Explanation


def load_dataset(dataset: str | Split | Sequence[str], limit: int | None = None, data_dir=None) -> list[str]:
    """Sentences from a name ('sst2-dev', 'sst2-train', 'sst2-test'), a Split, or a list."""
    if isinstance(dataset, str):
        from .data import load_sst2

        task, _, split = dataset.partition("-")
        if task != "sst2" or split not in SST2_SPLITS:
            raise ValueError(
                f"unknown dataset '{dataset}': use 'sst2-dev', 'sst2-train', 'sst2-test', or pass a list of sentences."
            )
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
    model: HookedModel,
    dataset: str | Split | Sequence[str],
    layers="all",
    *,
    batch_size: int = 8,
    limit: int | None = None,
    out: str | os.PathLike | None = None,
    cache: bool | Store = True,
    progress: bool = True,
    settings: Settings | None = None,
    **kwargs,
) -> Explanation:
    """Explain every sentence of `dataset` at `layers`, batch by batch, resuming from the cache.

    Args:
        model: a HookedModel or a registry name.
        dataset: 'sst2-dev' / 'sst2-train' / 'sst2-test', a `Split`, or a list of sentences.
        batch_size: sentences optimised together (all their layers at once).
        limit: explain only the first `limit` sentences.
        out: also write the tidy table (one row per sentence, layer, word) to this CSV, atomically.
        cache: the result cache (True = default folder, or any `Store`); it makes the run resumable.
        settings: estimator settings as a `Settings` (and/or as keywords in **kwargs).
        **kwargs: passed to `infolib.core.explain` (level, sigma_s, corpus, estimator settings).
    Returns:
        one Explanation over all sentences, in dataset order.
    """
    model = check_model(model)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}.")
    if cache is not True and not isinstance(cache, Store):
        raise ValueError("explain_corpus needs a result cache to be resumable: pass cache=True or a ResultCache.")
    store = ResultCache() if cache is True else cache
    sentences = check_sentences(load_dataset(dataset, limit))
    names = model.resolve_layers(layers)
    if kwargs.get("sigma_s") is None:
        from .sigma_s import sigma_s

        kwargs["sigma_s"] = sigma_s(model, names, kwargs.pop("corpus", None))
    order = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].split()), i))
    bar = progress_bar(len(sentences), progress)
    parts = []
    try:
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            part = explain(
                model, [sentences[i] for i in batch], names, cache=store, progress=False, settings=settings, **kwargs
            )
            parts.append((batch, part))
            if bar:
                cached = sum(d.get("cached", False) for d in part.diagnostics.values())
                bar.set_postfix_str(f"{cached}/{len(part.diagnostics)} pairs from cache")
                bar.update(len(batch))
    finally:
        if bar:
            bar.close()
    result = Explanation.concat([part for _, part in parts], positions=[i for batch, _ in parts for i in batch])
    if out is not None:
        _write_csv_atomically(result, Path(out))
    return result


def merge(parts: list[tuple[list[int], Explanation]], n: int) -> Explanation:
    """One Explanation from parts that each explain the sentences at the given indices (`Explanation.concat`)."""
    positions = [i for indices, _ in parts for i in indices]
    if len(positions) != n:
        raise ValueError(f"the parts explain {len(positions)} sentences, not {n}.")
    return Explanation.concat([part for _, part in parts], positions=positions)


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


def progress_bar(total: int, enabled: bool, desc: str = "explain-corpus"):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="sentence")
