"""Loading Hugging Face folders (or hub names) as HookedModels: the class to load, the
sentence-transformers pooling, and transformers' chatter kept quiet.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..core.hooks import HookedModel
from .hf import HFEncoder, HFModel


def _sentence_pooling(folder: Path) -> str | None:
    """A sentence-transformers folder's pooling mode ('mean', 'cls', 'max', ...), or None if it is not one."""
    modules = folder / "modules.json"
    if not modules.is_file():
        return None
    for entry in json.loads(modules.read_text()):
        if entry.get("type", "").endswith("Pooling"):
            config = json.loads((folder / entry["path"] / "config.json").read_text())
            if config.get("pooling_mode"):
                return str(config["pooling_mode"]).removesuffix("_token").removesuffix("_tokens")
            modes = [
                key.removeprefix("pooling_mode_")
                for key, on in config.items()
                if key.startswith("pooling_mode_") and on
            ]
            if len(modes) != 1:
                raise ValueError(f"{folder}: infolib reads one pooling mode, this Pooling module combines {modes}.")
            return {
                "mean_tokens": "mean",
                "cls_token": "cls",
                "max_tokens": "max",
                "mean_sqrt_len_tokens": "mean_sqrt_len",
                "lasttoken": "lasttoken",
            }.get(modes[0], modes[0])
    return None


def _quiet_transformers():
    """Silence transformers' loading chatter (weight bars, 'newly initialised' notes) for a block."""

    from transformers.utils import logging as hf_logging  # lazy: start-up cost (transformers, ~3 s to import)

    @contextlib.contextmanager
    def quiet():
        verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            yield
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()

    return quiet()


def model_class(config):
    """The transformers class to load a folder with: its *ForSequenceClassification head if it has one
    (encoders and decoders; an encoder-decoder's head needs token ids, so it loads as the bare model),
    else the bare model (language-modelling heads are dropped: infolib reads hidden states)."""
    import transformers  # lazy: start-up cost (transformers, ~3 s to import)

    architecture = (getattr(config, "architectures", None) or [""])[0]
    if architecture.endswith("ForSequenceClassification") and not getattr(config, "is_encoder_decoder", False):
        found = getattr(transformers, architecture, None)
        if found is not None:
            return found
    return transformers.AutoModel


def from_pretrained(
    source: str | Path, name: str, *, tokenizer=None, local_only: bool = True, sentence_transformers: bool = True
) -> HookedModel:
    """A folder (or hub name) as a HookedModel: HFEncoder for a plain BERT folder, HFModel for every
    other family and for sentence-transformers folders (transformer + Pooling, `pooled` = its pooling;
    `sentence_transformers=False` reads only the transformer, as `load_model("minilm")` always has).

    A pooler whose weights are not in the checkpoint would be random, so it is not offered as `pooled`.
    """
    from transformers import AutoConfig, AutoTokenizer  # lazy: start-up cost (transformers, ~3 s to import)

    folder = Path(source)
    pooling = _sentence_pooling(folder) if folder.is_dir() and sentence_transformers else None
    transformer = folder
    if pooling is not None:
        modules = json.loads((folder / "modules.json").read_text())
        transformer = folder / next(m.get("path", "") for m in modules if m.get("type", "").endswith("Transformer"))
    where = str(transformer) if folder.is_dir() else str(source)
    with _quiet_transformers():
        config = AutoConfig.from_pretrained(where, local_files_only=local_only)
        cls = model_class(config)
        model, info = cls.from_pretrained(where, config=config, local_files_only=local_only, output_loading_info=True)
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local_only)
    model.eval()
    missing = info.get("missing_keys", [])
    head = [key for key in missing if key.split(".")[0] in ("classifier", "score")]
    if head:
        raise ValueError(
            f"{where}: the classification head's weights ({', '.join(head[:3])}) are not in the "
            f"checkpoint; its logits would be random. Load the bare model with AutoModel and pass "
            f"it to infolib.load_model(model, tokenizer=...)."
        )
    if config.model_type == "bert" and pooling is None:
        return HFEncoder(model, tokenizer, name=name)
    has_pooler = not any(".pooler." in f".{key}" or key.startswith("pooler.") for key in missing)
    return HFModel(model, tokenizer, name=name, pooling=pooling, has_pooler=has_pooler)


__all__ = ["from_pretrained", "model_class"]
