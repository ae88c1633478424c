"""infolib: how much of each input word's information does each layer of an NLP model still hold?

Per-word H(X_i|s) in any hidden state s, by the σ-optimisation of Guan et al. (ICML 2019).
Larger σ / higher entropy = the hidden state has forgotten more of that word.

Layers (imports point one way): core ← baselines, models, training ← distributed, methods ← api ← analysis ← viz ←
interactive ← cli. See docs/architecture.md.
"""

from . import baselines
from .analysis import metrics
from .analysis.faithfulness import faithfulness
from .api import (
    attribute_corpus,
    available_models,
    explain,
    explain_corpus,
    explain_phi,
    list_methods,
    load_model,
    register_method,
)
from .core.estimator import Settings, rate_for_lambda
from .core.hooks import Encoding, HookedModel, frozen
from .core.paths import DataNotFoundError
from .core.results import Attribution, Explanation, PhiExplanation
from .core.store import ResultCache
from .core.version import __version__
from .export import export_model
from .models.hf import HFEncoder, HFModel

__all__ = [
    "explain",
    "explain_phi",
    "explain_corpus",
    "faithfulness",
    "attribute_corpus",
    "load_model",
    "export_model",
    "available_models",
    "list_methods",
    "register_method",
    "Explanation",
    "Attribution",
    "PhiExplanation",
    "ResultCache",
    "HookedModel",
    "HFEncoder",
    "HFModel",
    "Encoding",
    "frozen",
    "Settings",
    "rate_for_lambda",
    "DataNotFoundError",
    "baselines",
    "metrics",
    "__version__",
]
