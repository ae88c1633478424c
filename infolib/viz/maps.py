"""Figures as matplotlib objects, so every view can be exported for a paper or a slide."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.results import Explanation

VALUES = {
    "log_sigma_ratio": ("log(σ / scale)", "0 = forgotten, lower = kept"),
    "sigma": ("σ", "larger = more forgotten"),
    "entropy_nats": ("H(X̃ᵢ) [nats]", "higher = more forgotten"),
    "entropy_bits": ("H(X̃ᵢ) [bits]", "higher = more forgotten"),
}


def _matrix(explanation: Explanation, sentence: int, value: str) -> np.ndarray:
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, got {value!r}.")
    if value == "sigma":
        return explanation.sigma_matrix(sentence)
    return getattr(explanation, value)(sentence)


def information_heatmap(explanation: Explanation, sentence: int = 0, value: str = "log_sigma_ratio", ax=None, title: str | None = None):
    """Layers × words map of one sentence's information; kept words are dark.

    Args:
        explanation: from `infolib.core.explain`.
        sentence: index of the sentence in the explanation.
        value: 'log_sigma_ratio' (default; comparable across layers and models), 'sigma',
            'entropy_nats' or 'entropy_bits'.
    Returns:
        the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if not 0 <= sentence < len(explanation.sentences):
        raise IndexError(f"sentence {sentence} is out of range: the explanation has {len(explanation.sentences)}.")
    matrix = _matrix(explanation, sentence, value)
    words = explanation.words[sentence]
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(words) + 2), 0.42 * len(explanation.layers) + 1.6))
    else:
        fig = ax.figure
    vmax = 0.0 if value == "log_sigma_ratio" else None
    image = ax.imshow(matrix, aspect="auto", cmap="viridis", vmax=vmax)
    ax.set_xticks(range(len(words)), words, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(len(explanation.layers)), explanation.layers, fontsize=9)
    ax.set_xlabel("word")
    ax.set_ylabel("hidden state")
    label, meaning = VALUES[value]
    fig.colorbar(image, ax=ax, label=f"{label}\n{meaning}")
    ax.set_title(title or f"{explanation.model}: information each layer keeps of each word", fontsize=10)
    fig.tight_layout()
    return fig


def save_figure(fig, path: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write `fig` as path.png, path.svg (and any other matplotlib format); returns the files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=150, bbox_inches="tight")
        written.append(target)
    return written
