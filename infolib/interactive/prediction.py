"""What a classifier predicts for one sentence, for the what-if tool's titles."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..core.hooks import HookedModel, frozen

LABELS = {"sst2": ("negative", "positive"), "cola": ("unacceptable", "acceptable")}


@dataclass
class Prediction:
    """The classifier's answer for a sentence.

    Attributes:
        label: the predicted class name; probability: its softmax probability.
        probabilities: [C] all classes' probabilities; labels: [C] class names.
    """

    label: str
    probability: float
    probabilities: list[float]
    labels: list[str]

    def __str__(self) -> str:
        return f"{self.label} (p = {self.probability:.2f})"


def class_labels(model: HookedModel, n: int) -> list[str]:
    """Class names from the model's task (SST-2, CoLA), else 'class 0' … 'class n-1'."""
    for task, names in LABELS.items():
        if task in model.name and len(names) == n:
            return list(names)
    return [f"class {c}" for c in range(n)]


def predict(model: HookedModel, sentence: str) -> Prediction | None:
    """The model's prediction and its probability; None if the model has no `logits` (no classifier)."""
    if "logits" not in model.hidden_states:
        return None
    with frozen(model.module), torch.no_grad():
        encoding = model.encode([sentence])
        embed = model.embed(encoding)
        logits = model.states(embed, encoding.attention_mask.to(embed.device), ["logits"])["logits"][0]
    probabilities = torch.softmax(logits.float(), -1).cpu()
    c = int(probabilities.argmax())
    labels = class_labels(model, len(probabilities))
    return Prediction(labels[c], float(probabilities[c]), probabilities.tolist(), labels)


__all__ = ["LABELS", "Prediction", "class_labels", "predict"]
