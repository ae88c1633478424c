"""The package face: model and method names are resolved here, then the method registry does the work.

This is the one module that knows the model registry (`infolib.models`), the method registry
(`infolib.methods`) and the core: core functions take a loaded `HookedModel`; these take a model or
a name, and any method of `list_methods()` ('information', the default, or a baseline).
"""

from __future__ import annotations

from .core.explain import explain_phi
from .core.hooks import HookedModel
from .core.results import WordScores
from .methods import DEFAULT_METHOD, get_method, list_methods, register_method, run_corpus
from .models.registry import available_models, load_model, resolve_model

__all__ = [
    "explain",
    "explain_phi",
    "explain_corpus",
    "attribute_corpus",
    "load_model",
    "available_models",
    "resolve_model",
    "list_methods",
    "register_method",
]


def explain(model: HookedModel | str, sentences, layers="all", *, method: str = DEFAULT_METHOD, **kwargs) -> WordScores:
    """Explain `sentences` at `layers` with `method` (a name of `infolib.list_methods()`, default 'information').

    model: a HookedModel or a registry name ('minilm', 'bert-sst2', a folder). For 'information', the
    keywords are those of `infolib.core.explain.explain` (level, sigma_s, corpus, truncate, progress,
    cache, callback, settings and the estimator settings) and the result an `Explanation`; for a
    baseline, its options (level, sigma_s, n_steps, ...; `settings` may be a dict of them), `cache`,
    and the result an `Attribution`.
    """
    return get_method(method).explain(resolve_model(model), sentences, layers, **kwargs)


def explain_corpus(
    model: HookedModel | str, dataset, layers="all", *, method: str = DEFAULT_METHOD, engine: str = "serial", **kwargs
) -> WordScores:
    """`method` on a whole data set, resumably, in this process (engine='serial') or on Ray workers ('ray').

    engine='ray' (needs `pip install 'infolib[distributed]'`) hands the batches to Ray worker actors, each
    holding the model: address=None starts a local Ray sized to this machine, 'auto' or 'ray://host:port'
    joins a cluster; workers (None: as many as fit), gpus_per_worker (0: CPU). Both engines use the same
    result cache and return the same numbers; see `infolib.methods.runner.run_corpus` for every argument.
    """
    if engine == "serial":
        model = resolve_model(model)
    return run_corpus(method, model, dataset, layers, engine=engine, **kwargs)


def attribute_corpus(model: HookedModel | str, dataset, layers="all", method: str = "gradient_saliency", **kwargs):
    """`explain_corpus` with a baseline (default 'gradient_saliency'): one `Attribution` over the data set."""
    return explain_corpus(model, dataset, layers, method=method, **kwargs)
