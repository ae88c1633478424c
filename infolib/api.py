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

__all__ = ["explain", "explain_phi", "explain_corpus", "attribute_corpus", "load_model", "available_models", "resolve_model"]


def explain(model: HookedModel | str, sentences, layers="all", **kwargs) -> Explanation:
    """`infolib.core.explain.explain` for a model or a registry name ('minilm', 'bert-sst2', a folder)."""
    return _explain(resolve_model(model), sentences, layers, **kwargs)


def explain_corpus(model: HookedModel | str, dataset, layers="all", **kwargs) -> Explanation:
    """`infolib.core.corpus.explain_corpus` for a model or a registry name."""
    return _explain_corpus(resolve_model(model), dataset, layers, **kwargs)


def attribute_corpus(model: HookedModel | str, dataset, layers="all", method: str = "gradient_saliency", **kwargs):
    """`infolib.baselines.attribute_corpus` for a model or a registry name."""
    return _attribute_corpus(resolve_model(model), dataset, layers, method, **kwargs)


explain.__doc__ = _explain.__doc__
explain_corpus.__doc__ = _explain_corpus.__doc__
attribute_corpus.__doc__ = _attribute_corpus.__doc__
