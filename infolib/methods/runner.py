"""One runner for a whole data set, for every method, in this process or on Ray (after Captum's
`DataLoaderAttribution`, which wraps any attribution method).

Planning, data loading, the batch-size check, cache lookup, ordering by length, batching, keys,
progress, resume and assembly happen here, once; an executor only runs batches:

- engine='serial' runs them in this process;
- engine='ray' hands them to `distributed.WorkerPool` actors that hold the model.

Sentences are sorted by length (little padding) and cut into batches of `batch_size`. Before a
batch runs, its pairs are looked up in the store with the method's keys: a fully stored batch is
read back here, a partly stored one travels with its stored entries (workers never touch disk),
and the entries a batch computes are written by this process as soon as it ends. Interrupt a run
anywhere and run it again: only the missing pairs are computed. Each pair's answer depends only on
(method settings, sentence, hidden state, level, σ_S), never on its batch, so a resumed or a Ray
run equals an uninterrupted serial one.
"""

from __future__ import annotations

import os
import time
from numbers import Real
from pathlib import Path
from typing import Sequence

from ..core.corpus import _write_csv_atomically, load_dataset, merge
from ..core.data import Split
from ..core.hooks import HookedModel
from ..core.inputs import check_model, check_sentences, fit_length
from ..core.results import WordScores
from ..core.store import Store
from ..core.validation import COUNT, ENGINE, Interval, check_cache, check_param
from ..distributed import CorpusBatch, Ledger, WorkerPool, connect, default_workers, import_ray, load_spec, model_spec
from .registry import Method, get_method


class _Task:
    """One batch's work, sent to an executor: `task(model, sentences, names, store)` runs the method."""

    def __init__(self, method: Method, options: dict):
        self.method, self.options = method, options

    def __call__(self, model: HookedModel, sentences: list[str], names: list[str], store: Store) -> WordScores:
        return self.method.run(model, sentences, names, store=store, progress=False, **self.options)


def run_corpus(
    method: str | Method,
    model: HookedModel | str,
    dataset: str | Split | Sequence[str],
    layers="all",
    *,
    engine: str = "serial",
    batch_size: int = 8,
    limit: int | None = None,
    out: str | os.PathLike | None = None,
    cache: bool | Store = True,
    progress: bool = True,
    settings=None,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0,
    threads_per_worker: int = 1,
    pool: WorkerPool | None = None,
    **options,
) -> WordScores:
    """`method` on every sentence of `dataset` at `layers`, batch by batch, resuming from the store.

    Args:
        method: a name of `infolib.list_methods()` ('information', 'integrated_gradients', ...) or a `Method`.
        model: a HookedModel (serial); for Ray also a registry name, a folder or 'package.module:factory',
            which every worker loads (a loaded registry model is loaded again by its name).
        dataset: 'sst2-dev' / 'sst2-train' / 'sst2-test', a `Split`, or a list of sentences.
        engine: 'serial' (this process) or 'ray' (Ray workers; `pip install 'infolib[distributed]'`).
        batch_size: sentences per batch (all their hidden states at once).
        limit: only the first `limit` sentences.
        out: also write the tidy table (`to_frame()`) to this CSV, atomically.
        cache: True (the default `ResultCache`), False (no store: nothing is resumable) or any `Store`.
        progress: show a progress bar (in pairs).
        settings: the method's settings: an `infolib.Settings` for 'information' (and/or its fields as
            keywords), a dict of options for a baseline (and/or keywords).
        address, workers, gpus_per_worker, threads_per_worker, pool: Ray only (see `infolib.distributed`).
        **options: level, sigma_s, corpus (σ_S's sentences), truncate, and the method's own options.
    Returns:
        the method's result (`Explanation` for 'information', `Attribution` for a baseline) over all
        sentences, in dataset order.
    """
    started = time.perf_counter()
    method = get_method(method)
    check_param("engine", engine, [ENGINE])
    check_param("batch_size", batch_size, [COUNT])
    check_param("progress", progress, [bool])
    ray_options = {"address": address, "workers": workers, "gpus_per_worker": gpus_per_worker, "pool": pool}
    if engine == "serial":
        given = [name for name, value in ray_options.items() if value not in (None, 0)]
        given += ["threads_per_worker"] if threads_per_worker != 1 else []
        if given:
            raise ValueError(f"{', '.join(given)} only apply to engine='ray'; pass engine='ray' or leave them out.")
        model = check_model(model)
    else:
        check_param("workers", workers, [COUNT, None])
        check_param("gpus_per_worker", gpus_per_worker, [Interval(Real, 0, None)], "(a fraction shares a GPU)")
        import_ray()  # before any model is loaded: a missing extra is the first thing to say
        spec = model_spec(model)
        if not isinstance(model, HookedModel):
            model = load_spec(spec)
    store = check_cache(cache)
    options = method.options(settings, dict(options))
    sentences = check_sentences(load_dataset(dataset, limit))
    names = model.resolve_layers(layers)
    options = method.prepare(model, names, options)  # once, here: e.g. σ_S (estimating it is not a worker's job)

    batches = _plan(method, model, sentences, names, options, store, batch_size)
    stored = [b for b in batches if len(b.entries) == b.pairs]
    todo = [b for b in batches if len(b.entries) < b.pairs]
    task = _Task(method, {k: v for k, v in options.items() if k != "truncate"})
    parts, computed = [], [0]
    bar = _bar(len(sentences) * len(names), progress, f"{method.name} ({engine})")

    def done(batch: CorpusBatch, part: WordScores, new: dict[str, dict]) -> None:
        if store is not None:
            for key, entry in new.items():
                store.put(key, entry)
        computed[0] += len(new)
        parts.append((batch.indices, part))
        if bar:
            bar.update(batch.pairs)

    def read_stored() -> None:  # this process's share while workers compute: batches already in the store
        for batch in stored:
            ledger = Ledger(batch.entries)
            done(batch, task(model, batch.sentences, names, ledger), ledger.new)

    try:
        if engine == "serial" or not todo:
            read_stored()
            for batch in todo:
                ledger = Ledger(batch.entries)
                done(batch, task(model, batch.sentences, names, ledger), ledger.new)
        else:
            _run_on_ray(
                model, spec, todo, names, task, done, read_stored, address, workers, gpus_per_worker,
                threads_per_worker, pool, bar,
            )  # fmt: skip
    finally:
        if bar:
            bar.close()
    result = merge(parts, len(sentences))
    method.log_run(model, result, time.perf_counter() - started, len(sentences) * len(names), computed[0])
    if out is not None:
        _write_csv_atomically(result, Path(out))
    return result


def _plan(method, model, sentences, names, options, store, batch_size) -> list[CorpusBatch]:
    """Batches of similar length (dataset positions, sentences fitted to the model, their stored entries)."""
    order = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].split()), i))
    truncate = options.get("truncate", False)
    batches = []
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        fitted = fit_length(model, [sentences[i] for i in indices], truncate)
        entries = {}
        if store is not None:
            for key in _keys(method, model, fitted, names, options).values():
                if (entry := store.get(key)) is not None:
                    entries[key] = entry
        batches.append(CorpusBatch(indices, fitted, entries, len(indices) * len(names)))
    return batches


def _keys(method: Method, model, sentences, names, options) -> dict:
    """The method's keys; with a malformed σ_S (which matches no entry) the batch itself says what is wrong."""
    try:
        return method.keys(model, sentences, names, options)
    except (TypeError, ValueError, KeyError, RuntimeError, IndexError):
        method.run(model, sentences, names, store=None, **options)  # raises the method's own clear message
        raise


def _run_on_ray(
    model, spec, todo, names, task, done, read_stored, address, workers, gpus_per_worker, threads, pool, bar
) -> None:
    started = False
    try:
        if pool is None:
            ray, started = connect(address)
            count = workers or default_workers(ray, threads, gpus_per_worker)
            pool = own = WorkerPool(spec, model.fingerprint(), count, threads, gpus_per_worker)
        elif pool.fingerprint not in (None, model.fingerprint()):
            raise ValueError(f"the pool's workers hold another model ({pool.spec}) than the one explained ({spec}).")
        else:
            own = None
        if bar:
            bar.set_description(f"{bar.desc} ({len(pool.actors)} Ray workers)")
        try:
            pool.run(todo, names, task, done, between=read_stored)
        finally:
            if own is not None:
                own.close()
    finally:
        if started:
            import_ray().shutdown()


def _bar(total_pairs: int, enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm  # lazy: optional dependency (tqdm.auto imports ipywidgets when it can)

    return tqdm(total=total_pairs, desc=desc, unit="pair")


__all__ = ["run_corpus"]
