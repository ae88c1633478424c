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

from ..core.hooks import HookedModel


def export_model(model: HookedModel | str, folder: str | os.PathLike) -> Path:
    """Write a Hugging Face-backed model's weights, config and tokenizer to `folder`.

    Args:
        model: a registry name ('bert-sst2', 'transformer-sst2', a folder) or a loaded HookedModel.
        folder: where to write (created; files of the same name are overwritten).
    Returns:
        The folder.
    Raises:
        ValueError: the model has no Hugging Face form (LSTM, CNN, reversal models), or `folder`
            is a file.
    """
    from ..api import resolve_model

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
