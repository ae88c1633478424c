"""Baselines to compare the information measure with, on the same sentences, hidden states and
words: gradient saliency, gradient × input, integrated gradients, occlusion and LRP.

Every method explains `embed` (the output of the embedding module, like the estimator), one call
covers all requested layers for a batch of sentences, and the result converts to the same tidy
table as the estimator (`Attribution.to_frame()`, with a `score` column). Unlike σ, a larger
|score| means a more important word. Each method module documents its score and how word pieces
are combined into words. Every one is also registered in `infolib.methods` (with 'information'), which runs
them over a data set (`infolib.explain_corpus(..., method=name)`).
"""

from ..core.results import Attribution
from .input_x_gradient import input_x_gradient
from .integrated_gradients import integrated_gradients
from .lrp import lrp
from .methods import METHODS
from .occlusion import occlusion
from .saliency import gradient_saliency

__all__ = [
    "Attribution",
    "METHODS",
    "gradient_saliency",
    "input_x_gradient",
    "integrated_gradients",
    "occlusion",
    "lrp",
]
