"""Corpus runs on Ray: `explain_corpus(model, dataset, layers, engine="ray")`, on one machine or a cluster.

The driver (the process you run) plans the batches exactly as the serial path does (sentences sorted
by length, `batch_size` at a time), so each batch is the same `explain` call it would be serially and
the merged result equals a serial run bit for bit (same device, same per-pair seeds). Each Ray worker
is an actor that loads the model once, by registry name, folder or 'package.module:factory', and
explains whole batches (all layers of a batch together).

The driver alone reads and writes the result cache; workers never touch disk. Before a batch is sent,
the driver looks its pairs up (with the keys `explain` uses, `core.explain.pair_keys`): a batch that
is fully stored is read back locally, a partly stored one travels with its stored entries, and the
entries a worker computes come back with its result and are written by the driver at once. So a
cluster needs no shared folder, there is one writer, nothing crosses the network twice (results
come to the driver anyway, to be merged), and a killed driver loses only the batches in flight.

Faults: a worker killed mid-batch is restarted by Ray, which re-runs its batch (`max_restarts`,
`max_task_retries`); a worker that keeps dying is dropped and its batch given to another.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from .core.corpus import _write_csv_atomically, load_dataset, merge
from .core.data import Split
from .core.estimator import Settings
from .core.extras import MissingExtra, require
from .core.explain import explain, pair_keys
from .core.hooks import HookedModel
from .core.inputs import check_sentences, fit_length
from .core.results import Explanation
from .core.store import ResultCache

MAX_RESTARTS = 3  # per worker: Ray restarts a killed actor this often, re-running its batch each time
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_EXPLAIN_OPTIONS = ("level", "sigma_s", "corpus", "truncate")  # explain's own keywords; the rest are Settings


class RayNotInstalled(MissingExtra):
    """engine='ray' without Ray: the message names the extra to install."""


class WorkerError(RuntimeError):
    """A worker could not load the model, or workers kept dying on a batch."""


WORKER_PRIORITY = {"worker_niceness": 0}


def import_ray():
    """The `ray` module, or an error naming the extra to install."""
    return require("ray", "engine='ray'", RayNotInstalled)  # optional: the [distributed] extra


def load_spec(spec: str | os.PathLike, *, device: str = "auto", train: bool = True) -> HookedModel:
    """A model from what a worker can load by itself: a registry name, a folder, or 'package.module:factory'.

    'package.module:factory' calls `factory()` (no arguments), e.g. 'infolib.testing:LinearToyModel'.
    """
    from .models.registry import _device, load_model

    text = str(spec)
    if _FACTORY.match(text) and not Path(text).exists():
        import importlib

        module_name, _, attr = text.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ValueError(
                f"cannot load model '{text}': {error}. Give 'package.module:factory' of an importable module."
            ) from error
        model = factory()
        if not isinstance(model, HookedModel):
            raise TypeError(f"'{text}' returned a {type(model).__name__}, not an infolib HookedModel.")
        model.module.to(_device(device))
        return model
    return load_model(text, device=device, train=train, progress=False)


def model_spec(model: HookedModel | str | os.PathLike) -> str:
    """What workers load: `model` itself if it is a name/folder/factory, else the registry name of a loaded model."""
    from .models.registry import available_models

    if isinstance(model, (str, os.PathLike)):
        return str(model)
    if isinstance(model, HookedModel) and model.name in available_models():
        return model.name  # the workers check that their copy has the same weight fingerprint
    raise TypeError(
        f"engine='ray' loads the model in every worker, so it needs to know where from: pass a registry name "
        f"('minilm', 'bert-sst2'), a Hugging Face folder or 'package.module:factory' instead of the loaded "
        f"{type(model).__name__} {getattr(model, 'name', '')!r}. A model changed in memory: save it to a folder first."
    )


class _Ledger(ResultCache):
    """The result cache as a worker sees it: entries sent by the driver; what `explain` stores goes back to it."""

    def __init__(self, entries: dict[str, dict]):
        self.entries, self.new, self.corrupted = entries, {}, 0

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, payload: dict) -> None:
        self.new[key] = payload

    def __len__(self) -> int:
        return len(self.entries) + len(self.new)


class ExplainWorker:
    """A Ray actor's body: holds one model, explains batches of sentences (all layers each).

    Loading errors are kept and raised by the first `explain` call, so the driver shows them plainly
    (an actor whose constructor raises is reported by Ray as a crash, not as the error).
    """

    def __init__(self, spec: str, device: str, threads: int, fingerprint: str | None):
        torch.set_num_threads(threads)
        self.error, self.model = None, None
        try:
            self.model = load_spec(spec, device=device, train=False)
        except Exception as error:  # reported by explain(), see the class docstring
            self.error = f"worker on {os.uname().nodename} could not load '{spec}': {type(error).__name__}: {error}"
            return
        if fingerprint is not None and self.model.fingerprint() != fingerprint:
            self.error = (
                f"the model '{spec}' loaded on {os.uname().nodename} has other weights than the driver's "
                f"(fingerprint {self.model.fingerprint()[:12]} ≠ {fingerprint[:12]}): give every machine the "
                f"same model files, or pass a folder holding the weights you explain."
            )

    def pid(self) -> int:
        return os.getpid()

    def explain(self, sentences: list[str], names: list[str], entries: dict[str, dict], options: dict):
        """(Explanation of `sentences`, the cache entries computed, seconds spent)."""
        if self.error:
            raise WorkerError(self.error)
        started = time.perf_counter()
        ledger = _Ledger(entries)
        part = explain(self.model, sentences, names, cache=ledger, progress=False, **options)
        return part, ledger.new, time.perf_counter() - started


@dataclass
class Batch:
    indices: list[int]  # positions in the dataset
    sentences: list[str]  # fitted to the model's length, as explain explains them
    entries: dict[str, dict]  # the stored cache entries of its pairs
    pairs: int
    failures: int = 0


@dataclass
class WorkerPool:
    """`workers` Ray actors holding the model `spec` (the driver's `fingerprint` is checked on load).

    Reuse one pool for several runs of the same model (`explain_corpus(..., pool=pool)`); `close()` ends it.
    `timings` holds (driver round trip, worker compute) seconds of every batch, for the overhead.
    """

    spec: str
    fingerprint: str | None
    workers: int
    threads_per_worker: int = 1
    gpus_per_worker: float = 0
    actors: list = field(default_factory=list, init=False)
    timings: list[tuple[float, float]] = field(default_factory=list, init=False)

    def __post_init__(self):
        ray = import_ray()
        _check_count("workers", self.workers)
        _check_count("threads_per_worker", self.threads_per_worker)
        if (
            isinstance(self.gpus_per_worker, bool)
            or not isinstance(self.gpus_per_worker, (int, float))
            or not 0 <= self.gpus_per_worker
        ):
            raise ValueError(
                f"gpus_per_worker must be a number ≥ 0 (a fraction shares a GPU), got {self.gpus_per_worker!r}."
            )
        _check_resources(ray, self.workers, self.threads_per_worker, self.gpus_per_worker)
        actor = ray.remote(ExplainWorker).options(
            num_cpus=self.threads_per_worker,
            num_gpus=self.gpus_per_worker,
            max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_RESTARTS,
        )
        device = "cuda" if self.gpus_per_worker > 0 else "cpu"  # Ray shows each GPU worker only its own GPU(s)
        self.actors = [
            actor.remote(self.spec, device, self.threads_per_worker, self.fingerprint) for _ in range(self.workers)
        ]

    def pids(self) -> list[int]:
        """The worker processes' ids (waits until every worker runs)."""
        ray = import_ray()
        return ray.get([a.pid.remote() for a in self.actors])

    def close(self) -> None:
        if not self.actors:
            return
        ray = import_ray()
        for a in self.actors:
            ray.kill(a, no_restart=True)
        self.actors = []

    def run(self, batches: Sequence[Batch], names: list[str], options: dict, done, between=None) -> None:
        """Explain `batches` on the workers, one in flight per worker; `done(batch, part, new_entries)` as each ends.

        `between()` is called once, after the first batches are sent (the driver's own work while workers compute).
        """
        ray = import_ray()
        from ray.exceptions import RayActorError, RayTaskError

        if not self.actors:
            raise RuntimeError("this WorkerPool is closed.")
        shared = ray.put(options)
        todo, idle, running = deque(batches), list(self.actors), {}

        def fill():
            while todo and idle:
                actor, batch = idle.pop(), todo.popleft()
                ref = actor.explain.remote(batch.sentences, names, batch.entries, shared)
                running[ref] = (actor, batch, time.perf_counter())

        fill()
        if between is not None:
            between()
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, batch, sent = running.pop(ref)
            try:
                part, new, seconds = ray.get(ref)
            except RayTaskError as error:  # explain raised: show that error, not Ray's wrapping
                cause = getattr(error, "cause", None)
                if isinstance(cause, Exception):
                    raise cause from None
                raise
            except RayActorError as error:  # restarts used up: drop the worker, give its batch to another
                self.actors.remove(actor)
                batch.failures += 1
                if not self.actors or batch.failures > 1:
                    raise WorkerError(
                        f"Ray workers died {batch.failures} time(s) on the batch of sentences "
                        f"{batch.indices[:5]}…, each after {MAX_RESTARTS} restarts (out of memory?); "
                        f"{len(self.actors)} worker(s) left. Last error: {error}"
                    ) from None
                todo.appendleft(batch)
                fill()
                continue
            self.timings.append((time.perf_counter() - sent, seconds))
            idle.append(actor)
            fill()
            done(batch, part, new)


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}.")


def _check_resources(ray, workers: int, threads: int, gpus: float) -> None:
    total = ray.cluster_resources()
    cpus, gpu_count = total.get("CPU", 0), total.get("GPU", 0)
    if workers * threads > cpus:
        raise ValueError(
            f"{workers} workers × {threads} thread(s) need {workers * threads} CPUs, but the Ray cluster "
            f"has {cpus:g}: ask for fewer workers (workers=None fits them to the cluster)."
        )
    if workers * gpus > gpu_count:
        raise ValueError(
            f"{workers} workers × {gpus:g} GPU need {workers * gpus:g} GPUs, but the Ray cluster has "
            f"{gpu_count:g}: ask for fewer workers or gpus_per_worker=0."
        )


def default_workers(ray, threads: int, gpus: float) -> int:
    """As many workers as the cluster has room for (by GPUs for GPU workers, else by CPUs)."""
    total = ray.cluster_resources()
    if gpus > 0:
        return max(1, int(total.get("GPU", 0) // gpus))
    return max(1, int(total.get("CPU", 1) // threads))


def connect(address: str | None):
    """Ray, connected: already initialised (kept), a new local instance (address=None), or a cluster.

    Returns (ray, started): `started` is True when this call started Ray, so the caller shuts it down.
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    address = address or os.environ.get("RAY_ADDRESS")  # Ray's own convention for "join this cluster"
    if address is None:
        # "local": a new instance, even when `ray start` runs a cluster on this machine (ray.init() would join it)
        # Ray starts workers at niceness 15; ours do all the compute, so they run at the driver's priority
        # (at 15 they starved behind any other job on a shared machine).
        ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False, _system_config=WORKER_PRIORITY)
    else:
        if not isinstance(address, str) or not address:
            raise ValueError(
                f"address must be None (a local Ray), 'auto', 'ray://host:port' or 'host:port', got {address!r}."
            )
        try:
            ray.init(address=address)
        except (ConnectionError, RuntimeError) as error:  # Ray Client reports a failed handshake as RuntimeError
            raise ConnectionError(
                f"could not join the Ray cluster at {address!r} ({error}). Is one running? Start it "
                f"with `ray start --head` (docs/distributed.md), or pass address=None for a local "
                f"Ray."
            ) from None
    return ray, True


def explain_corpus(
    model: HookedModel | str,
    dataset: str | Split | Sequence[str],
    layers="all",
    *,
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0,
    threads_per_worker: int = 1,
    batch_size: int = 8,
    limit: int | None = None,
    out: str | os.PathLike | None = None,
    cache: bool | ResultCache = True,
    progress: bool = True,
    pool: WorkerPool | None = None,
    **kwargs,
) -> Explanation:
    """`infolib.core.corpus.explain_corpus` with the batches explained by Ray workers; the same result.

    Args:
        model: a registry name, a Hugging Face folder, 'package.module:factory', or a loaded registry
            model (its name is used; workers check they load the same weights).
        address: None starts a local Ray sized to the machine (unless $RAY_ADDRESS names a cluster); 'auto',
            'host:port' or 'ray://host:port' joins a cluster. An already initialised Ray is used as it is.
        workers: number of worker actors (None: as many as the cluster's CPUs, or GPUs, allow).
        gpus_per_worker: GPUs per worker (0: CPU workers; 0.5: two workers share a GPU).
        threads_per_worker: torch threads (and Ray CPUs) of each worker.
        pool: a running `WorkerPool` for this model (then address/workers/... are not used).
        batch_size, limit, out, cache, progress, **kwargs: as in the serial `explain_corpus`.
    Returns:
        one Explanation over all sentences, in dataset order.
    """
    from .models.registry import load_model

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number ≥ 1, got {batch_size!r}.")
    if cache is not True and not isinstance(cache, ResultCache):
        raise ValueError("explain_corpus needs a result cache to be resumable: pass cache=True or a ResultCache.")
    if workers is not None:
        _check_count("workers", workers)
    import_ray()  # before any model is loaded: a missing extra is the first thing to say
    spec = model_spec(model)
    if not isinstance(model, HookedModel):
        model = load_spec(spec) if _FACTORY.match(spec) and not Path(spec).exists() else load_model(spec)
    store = ResultCache() if cache is True else cache
    sentences = check_sentences(load_dataset(dataset, limit))
    names = model.resolve_layers(layers)
    options = {k: kwargs.pop(k) for k in _EXPLAIN_OPTIONS if k in kwargs}
    level, truncate = options.get("level", "word"), options.get("truncate", False)
    if level not in ("word", "token"):
        raise ValueError(f"level must be 'word' or 'token', got {level!r}.")
    config = Settings(**kwargs)
    config.check()
    if options.get("sigma_s") is None:  # once, on the driver; workers get it (estimating it is not their job)
        from .core.sigma_s import sigma_s

        options["sigma_s"] = sigma_s(model, names, options.pop("corpus", None))
    options.pop("corpus", None)
    options = {**options, **kwargs}

    order = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].split()), i))
    stored, todo = [], []
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        fitted = fit_length(model, [sentences[i] for i in indices], truncate)
        keys = pair_keys(model, fitted, names, level, config, options["sigma_s"])
        entries = {key: entry for key in keys.values() if (entry := store.get(key)) is not None}
        (stored if len(entries) == len(keys) else todo).append(Batch(indices, fitted, entries, len(keys)))

    parts = []
    bar = _bar(len(sentences) * len(names), progress)

    def done(batch: Batch, part: Explanation, new: dict[str, dict]) -> None:
        for key, entry in new.items():
            store.put(key, entry)
        parts.append((batch.indices, part))
        if bar:
            bar.update(batch.pairs)

    def read_stored() -> None:  # the driver's share while the workers compute: batches already in the cache
        for batch in stored:
            done(batch, explain(model, batch.sentences, names, cache=store, progress=False, **options), {})

    started = None
    try:
        if todo:
            if pool is None:
                ray, started = connect(address)
                count = workers or default_workers(ray, threads_per_worker, gpus_per_worker)
                pool = own = WorkerPool(spec, model.fingerprint(), count, threads_per_worker, gpus_per_worker)
            elif pool.fingerprint not in (None, model.fingerprint()):
                raise ValueError(
                    f"the pool's workers hold another model ({pool.spec}) than the one explained ({spec})."
                )
            else:
                own = None
            if bar:
                bar.set_description(f"explain-corpus ({len(pool.actors)} Ray workers)")
            try:
                pool.run(todo, names, options, done, between=read_stored)
            finally:
                if own is not None:
                    own.close()
        else:
            read_stored()
    finally:
        if bar:
            bar.close()
        if started:
            import_ray().shutdown()
    result = merge(parts, len(sentences))
    if out is not None:
        _write_csv_atomically(result, Path(out))
    return result


def _bar(total_pairs: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total_pairs, desc="explain-corpus (Ray)", unit="pair")
