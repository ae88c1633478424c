"""Export a model as a plain Hugging Face folder, so other tools (ferret, Captum, LIT) can load it.

`export_model('bert-sst2', folder)` writes the transformers model's `save_pretrained` weights and
config plus its tokenizer; `AutoModelForSequenceClassification.from_pretrained(folder)` and
`AutoTokenizer.from_pretrained(folder)` then give the same logits as infolib's model. BERT and the
Transformer (both BertForSequenceClassification) and any Hugging Face model infolib loaded have
that form; the LSTM, the CNN and the reversal models are infolib's own torch modules and do not.
"""

from __future__ import annotations

import os
from pathlib import Path

from .core.hooks import HookedModel
from .api import resolve_model
from .training.checkpoint import CacheError
from .models.registry import RECIPES, load_model

# Architectures built on transformers' *ForSequenceClassification (the others are infolib's own modules).
HF_ARCHS = ("bert", "transformer", "mpnet")


def export_model(model: HookedModel | str, folder: str | os.PathLike) -> Path:
    """Write a Hugging Face-backed model's weights, config and tokenizer to `folder`.

    Args:
        model: a registry name ('bert-sst2', 'transformer-sst2', a folder) or a loaded HookedModel.
        folder: where to write (created; files of the same name are overwritten).
    Returns:
        The folder.
    Raises:
        ValueError: the model has no Hugging Face form (LSTM, CNN, reversal models), a named model
            is not trained yet (export never trains), or `folder` is a file.
    """

    if isinstance(model, (str, os.PathLike)):
        model = _load_trained(str(model))
    model = resolve_model(model)
    module, tokenizer = model.module, getattr(model, "tokenizer", None)
    if not callable(getattr(module, "save_pretrained", None)) or not callable(
        getattr(tokenizer, "save_pretrained", None)
    ):
        raise ValueError(
            f"{model.name} ({type(module).__name__}) has no Hugging Face form: it is infolib's own torch module, "
            "which transformers cannot load. Only Hugging Face-backed models (bert-*, transformer-* classifiers, "
            "models loaded from a Hugging Face folder) can be exported."
        )
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"folder {folder} is a file; give a folder to write the model into.")
    folder.mkdir(parents=True, exist_ok=True)
    module.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _load_trained(name: str) -> HookedModel:
    """A registry model from the cache (export never trains: a missing model is an error), or a folder."""

    recipe = RECIPES.get(name)
    if recipe is None:
        return load_model(name)
    if recipe.arch not in HF_ARCHS:
        raise ValueError(
            f"{name} has no Hugging Face form: the {recipe.arch} is infolib's own torch module, which transformers "
            f"cannot load. Models that export: {', '.join(a + '-*' for a in HF_ARCHS)} classifiers and Hugging Face "
            "folders."
        )
    try:
        return load_model(name, train=False)
    except CacheError as error:
        raise ValueError(
            f"{name} is not trained yet, and export never trains: run `python -m infolib train {name}` first ({error})."
        ) from None
