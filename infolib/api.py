"""The package face: model names are resolved here, then core does the work.

This is the one module that knows both the model registry (`infolib.models`) and the core
(`infolib.core`): core functions take a loaded `HookedModel`; these take a model or a name.
"""

from __future__ import annotations

from .baselines.corpus import attribute_corpus as _attribute_corpus
from .core.corpus import explain_corpus as _explain_corpus
from .core.explain import explain as _explain
from .core.explain import explain_phi
from .core.hooks import HookedModel
from .core.results import Explanation
from .models.registry import available_models, load_model, resolve_model

__all__ = [
    "explain",
    "explain_phi",
    "explain_corpus",
    "attribute_corpus",
    "load_model",
    "available_models",
    "resolve_model",
]


def explain(model: HookedModel | str, sentences, layers="all", **kwargs) -> Explanation:
    """`infolib.core.explain.explain` for a model or a registry name ('minilm', 'bert-sst2', a folder)."""
    return _explain(resolve_model(model), sentences, layers, **kwargs)


def explain_corpus(
    model: HookedModel | str,
    dataset,
    layers="all",
    *,
    engine: str = "serial",
    address: str | None = None,
    workers: int | None = None,
    gpus_per_worker: float = 0,
    **kwargs,
) -> Explanation:
    """`infolib.core.corpus.explain_corpus` for a model or a registry name, in this process or on Ray workers.

    engine='serial' (default) explains the batches here. engine='ray' (needs `pip install 'infolib[distributed]'`)
    hands them to Ray worker actors, each holding the model: address=None starts a local Ray sized to this
    machine, 'auto' or 'ray://host:port' joins a cluster; workers (None: as many as fit), gpus_per_worker (0: CPU).
    Both engines use the same result cache and return the same numbers; see `infolib.distributed`.
    """
    if engine == "ray":
        from .distributed import explain_corpus as explain_corpus_on_ray

        return explain_corpus_on_ray(
            model, dataset, layers, address=address, workers=workers, gpus_per_worker=gpus_per_worker, **kwargs
        )
    if engine != "serial":
        raise ValueError(f"engine must be 'serial' or 'ray', got {engine!r}.")
    given = [
        name
        for name, value in (("address", address), ("workers", workers), ("gpus_per_worker", gpus_per_worker))
        if value not in (None, 0)
    ]
    if given:
        raise ValueError(f"{', '.join(given)} only apply to engine='ray'; pass engine='ray' or leave them out.")
    return _explain_corpus(resolve_model(model), dataset, layers, **kwargs)


def attribute_corpus(model: HookedModel | str, dataset, layers="all", method: str = "gradient_saliency", **kwargs):
    """`infolib.baselines.attribute_corpus` for a model or a registry name."""
    return _attribute_corpus(resolve_model(model), dataset, layers, method, **kwargs)


explain.__doc__ = _explain.__doc__
explain_corpus.__doc__ = f"{explain_corpus.__doc__}\n{_explain_corpus.__doc__}"
attribute_corpus.__doc__ = _attribute_corpus.__doc__
