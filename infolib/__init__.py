"""infolib: how much of each input word's information does each layer of an NLP model still hold?

Per-word H(X_i|s) in any hidden state s, by the σ-optimisation of Guan et al. (ICML 2019).
Larger σ / higher entropy = the hidden state has forgotten more of that word.
"""
from . import baselines, metrics
from .cache import ResultCache
from .corpus import explain_corpus
from .estimator import Settings, rate_for_lambda
from .explain import explain, explain_phi
from .hooks import Encoding, HFEncoder, HookedModel, frozen
from .paths import DataNotFoundError
from .result import Explanation, PhiExplanation
from .version import __version__
from .zoo import available_models, load_model

__all__ = [
    "explain", "explain_phi", "explain_corpus", "load_model", "available_models",
    "Explanation", "PhiExplanation", "ResultCache", "HookedModel", "HFEncoder", "Encoding", "frozen",
    "Settings", "rate_for_lambda", "DataNotFoundError", "baselines", "metrics", "__version__",
]
