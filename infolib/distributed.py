"""Ray as an executor for data-set runs: `explain_corpus(model, dataset, layers, engine="ray")`, on one machine
or a cluster. The runner (`infolib.methods.runner`) plans, looks up the store and assembles; this module
only runs batches.

Each Ray worker is an actor that loads the model once, by registry name, folder or
'package.module:factory', and runs whole batches (all layers of a batch together) with any registered
method. The driver alone reads and writes the result cache; workers never touch disk. A partly
stored batch travels with its stored entries (a `Ledger`), and the entries a worker computes come
back with its result and are written by the driver at once. So a cluster needs no shared folder,
there is one writer, nothing crosses the network twice (results come to the driver anyway, to be
merged), and a killed driver loses only the batches in flight. Each batch is the same call it would
be serially, so the merged result equals a serial run within float32 rounding (same device, same
per-pair seeds).

Faults: a worker killed mid-batch is restarted by Ray, which re-runs its batch (`max_restarts`,
`max_task_retries`); a worker that keeps dying is dropped and its batch given to another.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Sequence

import torch

from .core.extras import MissingExtra, require
from .core.hooks import HookedModel
from .core.validation import COUNT, Interval, check_param
from .models.registry import _device, load_model
import importlib
from .models.registry import available_models

MAX_RESTARTS = 3  # per worker: Ray restarts a killed actor this often, re-running its batch each time
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


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

    text = str(spec)
    if _FACTORY.match(text) and not Path(text).exists():
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

    if isinstance(model, (str, os.PathLike)):
        return str(model)
    if isinstance(model, HookedModel) and model.name in available_models():
        return model.name  # the workers check that their copy has the same weight fingerprint
    raise TypeError(
        f"engine='ray' loads the model in every worker, so it needs to know where from: pass a registry name "
        f"('minilm', 'bert-sst2'), a Hugging Face folder or 'package.module:factory' instead of the loaded "
        f"{type(model).__name__} {getattr(model, 'name', '')!r}. A model changed in memory: save it to a folder first."
    )


class Ledger:
    """A `Store` as a batch sees it: the entries the driver found; what the method stores is kept in `new`,
    for the driver to write (so workers never touch disk, and there is one writer)."""

    def __init__(self, entries: dict[str, dict]):
        self.entries, self.new = entries, {}

    def get(self, key: str) -> dict | None:
        return self.entries.get(key)

    def put(self, key: str, payload: dict) -> None:
        self.new[key] = payload

    def __len__(self) -> int:
        return len(self.entries) + len(self.new)


class ExplainWorker:
    """A Ray actor's body: holds one model, runs batches of sentences (all layers each) with any method.

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

    def run(self, task, sentences: list[str], names: list[str], entries: dict[str, dict]):
        """(the result of `task(model, sentences, names, store)`, the store entries it computed, seconds spent)."""
        if self.error:
            raise WorkerError(self.error)
        started = time.perf_counter()
        ledger = Ledger(entries)
        part = task(self.model, sentences, names, ledger)
        return part, ledger.new, time.perf_counter() - started


@dataclass
class CorpusBatch:
    """One batch of a data-set run (`infolib.methods.runner`)."""

    indices: list[int]  # positions in the dataset
    sentences: list[str]  # fitted to the model's length, as the method explains them
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
        check_param("workers", self.workers, [COUNT])
        check_param("threads_per_worker", self.threads_per_worker, [COUNT])
        check_param("gpus_per_worker", self.gpus_per_worker, [Interval(Real, 0, None)], "(a fraction shares a GPU)")
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

    def run(self, batches: Sequence[CorpusBatch], names: list[str], task, done, between=None) -> None:
        """Run `task` on `batches` on the workers, one in flight per worker; `done(batch, part, new_entries)` as each
        ends. `task(model, sentences, names, store)` must pickle (the runner's `_Task` of a registered method does).

        `between()` is called once, after the first batches are sent (the driver's own work while workers compute).
        """
        ray = import_ray()
        # lazy: optional dependency (ray, the [distributed] extra)
        from ray.exceptions import RayActorError, RayTaskError

        if not self.actors:
            raise RuntimeError("this WorkerPool is closed.")
        shared = ray.put(task)
        todo, idle, running = deque(batches), list(self.actors), {}

        def fill():
            while todo and idle:
                actor, batch = idle.pop(), todo.popleft()
                ref = actor.run.remote(shared, batch.sentences, names, batch.entries)
                running[ref] = (actor, batch, time.perf_counter())

        fill()
        if between is not None:
            between()
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, batch, sent = running.pop(ref)
            try:
                part, new, seconds = ray.get(ref)
            except RayTaskError as error:  # the method raised: show that error, not Ray's wrapping
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
