"""The paper's figures: their old import path. They live in `infolib.viz.figures` (one theme, one colour per
model and method, intervals on every mean); this module re-exports them."""

from .figures import (  # noqa: F401
    KIND_ORDER,
    coherence_figure,
    convergence_figure,
    forgetting_figure,
    kind_trajectories,
    method_maps,
    metric_bars,
    retention_figure,
    sweep_figure,
    toy_figure,
    word_lines,
)

__all__ = [
    "KIND_ORDER",
    "coherence_figure",
    "convergence_figure",
    "forgetting_figure",
    "kind_trajectories",
    "method_maps",
    "metric_bars",
    "retention_figure",
    "sweep_figure",
    "toy_figure",
    "word_lines",
]
