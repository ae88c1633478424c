"""infolib: how much of each input word's information does each layer of an NLP model still hold?

Per-word H(X_i|s) in any hidden state s, by the σ-optimisation of Guan et al. (ICML 2019).
Larger σ / higher entropy = the hidden state has forgotten more of that word.

Layers (imports point one way): core ← baselines, models, training ← api ← analysis ← viz ←
interactive ← cli. See docs/architecture.md.
"""

from . import baselines
from .analysis import metrics
from .analysis.faithfulness import faithfulness
from .api import available_models, explain, explain_corpus, explain_phi, load_model
from .core.estimator import Settings, rate_for_lambda
from .core.hooks import Encoding, HookedModel, frozen
from .core.paths import DataNotFoundError
from .core.results import Explanation, PhiExplanation
from .core.store import ResultCache
from .core.version import __version__
from .models.export import export_model
from .models.hf import HFEncoder, HFModel

__all__ = [
    "explain",
    "explain_phi",
    "explain_corpus",
    "faithfulness",
    "load_model",
    "export_model",
    "available_models",
    "Explanation",
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
