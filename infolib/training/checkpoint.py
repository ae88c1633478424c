"""Trained-model cache entries: weights (safetensors) plus a metrics JSON that vouches for them.

An entry is a folder holding `model.safetensors` and `metrics.json`. The JSON is written last and
records the recipe the model was trained with and the sha256 and size of the weights file, so a
missing, truncated, corrupted or out-of-date entry is detected (`CacheError`) instead of used.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import nn

from ..core.atomic import atomic_write, atomic_write_text
from ..core.data import file_sha256

FORMAT = 1
WEIGHTS = "model.safetensors"
METRICS = "metrics.json"


class CacheError(RuntimeError):
    """A cached model is missing, damaged or was trained with another recipe."""


def save_entry(folder: Path, module: nn.Module, metrics: dict) -> dict:
    """Write the weights, then the metrics JSON with their checksum; returns the JSON written."""

    folder.mkdir(parents=True, exist_ok=True)
    (folder / METRICS).unlink(missing_ok=True)  # the entry is invalid until the JSON is back
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}

    atomic_write(folder / WEIGHTS, lambda tmp: save_file(tensors, tmp, metadata={"format": str(FORMAT)}))
    record = {
        **metrics,
        "format": FORMAT,
        "weights_sha256": file_sha256(folder / WEIGHTS),
        "weights_bytes": (folder / WEIGHTS).stat().st_size,
    }
    atomic_write_text(folder / METRICS, json.dumps(record, indent=2, sort_keys=True))
    return record


def read_metrics(folder: Path) -> dict:
    """The entry's metrics JSON. Raises CacheError if it is missing or unreadable."""
    path = folder / METRICS
    if not path.is_file():
        raise CacheError(f"no trained model in {folder} (no {METRICS}).")
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CacheError(f"{path} is unreadable ({error}).") from error
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise CacheError(
            f"{path} has cache format {record.get('format') if isinstance(record, dict) else '?'}, this infolib "
            f"reads {FORMAT}."
        )
    return record


def load_entry(folder: Path, module: nn.Module, recipe: dict) -> dict:
    """Load a verified entry into `module` (in place) and return its metrics.

    Raises:
        CacheError: the entry is missing, its weights do not match the recorded size/sha256, it was
            trained with a different recipe, or its tensors do not fit `module`.
    """

    record = read_metrics(folder)
    if record.get("recipe") != recipe:
        changed = _differences(record.get("recipe"), recipe)
        raise CacheError(f"the model in {folder} was trained with another recipe ({'; '.join(changed)}).")
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise CacheError(f"{weights} is missing.")
    size = weights.stat().st_size
    if size != record.get("weights_bytes"):
        raise CacheError(
            f"{weights} has {size} bytes, {record.get('weights_bytes')} were written: truncated or replaced."
        )
    if file_sha256(weights) != record.get("weights_sha256"):
        raise CacheError(f"{weights} does not match its sha256 in {METRICS}: the file is corrupted or was replaced.")
    try:
        state = load_file(str(weights))
        module.load_state_dict(state, strict=True)
    except Exception as error:
        raise CacheError(f"{weights} does not fit the model ({error}).") from error
    return record


def _differences(cached, current, prefix: str = "") -> list[str]:
    """Where two recipes differ, as 'train.lr: cached 8e-05, now 0.0001'."""
    if isinstance(cached, dict) and isinstance(current, dict):
        return [
            d
            for key in sorted(set(cached) | set(current), key=str)
            for d in _differences(cached.get(key), current.get(key), f"{prefix}{key}.")
        ]
    return [] if cached == current else [f"{prefix.rstrip('.')}: cached {cached!r}, now {current!r}"]
