"""Every word-importance method by name ('information' and the baselines), and one runner for a data set.

`list_methods()` names them; `get_method(name)` gives the `Method` (what it computes, its sign, its
cache key, how it runs a batch); `register_method` adds your own; `run_corpus` explains a data set
with any of them, serially or on Ray.
"""

from ..baselines import METHODS as _BASELINES
from .information import Information
from .registry import (
    REGISTRY,
    AttributionMethod,
    Method,
    Scores,
    add_method,
    find_method,
    get_method,
    list_methods,
    method_label,
    register_method,
)
from .runner import run_corpus

_LABELS = {
    "gradient_saliency": "gradient ‖∂s/∂x‖",
    "input_x_gradient": "gradient × input",
    "integrated_gradients": "integrated gradients",
    "occlusion": "occlusion",
    "lrp": "LRP",
}
for _function in _BASELINES.values():
    add_method(AttributionMethod(_function, label=_LABELS.get(_function.method_name)))

DEFAULT_METHOD = Information.name  # what `explain`, the tables and the widgets use unless told otherwise

__all__ = [
    "DEFAULT_METHOD",
    "Information",
    "Method",
    "AttributionMethod",
    "Scores",
    "REGISTRY",
    "add_method",
    "register_method",
    "get_method",
    "find_method",
    "list_methods",
    "method_label",
    "run_corpus",
]
