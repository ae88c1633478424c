"""Training glue: build a recipe's model, train and score it, and keep it in the cache.

A trained model lives in `paths.cache_dir("models", name)` as safetensors weights plus a metrics JSON
(dev scores, training seconds, seed, data sha256, library versions, the recipe; `training.checkpoint`).
A damaged or out-of-date entry is detected and retrained, never silently used.
"""

from __future__ import annotations

import hashlib
import platform
import warnings
from pathlib import Path

import torch

from ..core import data
from ..core.hooks import HookedModel
from ..core.paths import cache_dir
from ..core.version import __version__
from ..training import loops as training
from ..training.checkpoint import METRICS, WEIGHTS, CacheError, load_entry, read_metrics, save_entry
from . import BUILDERS
from .recipes import RECIPES, Recipe


def model_folder(name: str) -> Path:
    """The cache folder of a trained model."""
    return cache_dir("models", name)


def model_metrics(name: str) -> dict:
    """The metrics JSON of a cached trained model (dev scores, seconds, seed, data sha256, ...)."""
    return read_metrics(model_folder(name))


def build(name: str, *, pretrained: bool = True) -> HookedModel:
    """An untrained model of a registry recipe (pretrained=False skips copying pretrained weights in)."""
    recipe = RECIPES[name]
    return BUILDERS[recipe.arch](recipe.model, name, pretrained)


def load_trained(name: str, *, retrain: bool, train: bool, progress: bool, data_dir) -> HookedModel:
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
    import transformers  # start-up cost: about 3 s of `import infolib` (python -X importtime), paid only to train

    return {
        "infolib": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


__all__ = ["build", "fit_and_score", "load_trained", "model_folder", "model_metrics"]
