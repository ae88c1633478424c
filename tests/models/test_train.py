"""Tiny configurations of every architecture learn a small separable task in a few seconds."""

import random

import pytest
import torch

from infolib.models import registry as zoo
from infolib.core.data import Split, make_reverse
from infolib.models import BUILDERS
from infolib.training.loops import (
    TrainSettings,
    evaluate_classifier,
    evaluate_reverser,
    fit_classifier,
    fit_reverser,
    length_batches,
    matthews,
)

FILLER = "the a film movie story it is was and of plot cast with this".split()
POSITIVE, NEGATIVE = ["great", "wonderful", "good"], ["awful", "boring", "bad"]


def separable(n: int, seed: int) -> Split:
    """Sentences of filler words with one sentiment cue; label 1 iff the cue is positive."""
    rng = random.Random(seed)
    sentences, labels = [], []
    for _ in range(n):
        label = rng.randint(0, 1)
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 8))]
        words.insert(rng.randint(0, len(words)), rng.choice(POSITIVE if label else NEGATIVE))
        sentences.append(" ".join(words))
        labels.append(label)
    return Split(f"separable-{seed}", sentences, labels)


TINY = {  # arch -> (config, settings); the smoke sizes with enough steps to learn the cue
    "bert": (zoo.SMOKE_MODEL["bert"], TrainSettings(batch_size=8, lr=1e-4, max_steps=12)),
    "transformer": (zoo.SMOKE_MODEL["transformer"], TrainSettings(epochs=3, batch_size=16, lr=3e-3)),
    "lstm": (zoo.SMOKE_MODEL["lstm"], TrainSettings(epochs=3, batch_size=16, lr=1e-2)),
    "cnn": (zoo.SMOKE_MODEL["cnn"], TrainSettings(epochs=3, batch_size=16, lr=1e-2)),
}


@pytest.mark.parametrize("arch", list(TINY))
def test_tiny_classifier_beats_chance(arch):
    config, settings = TINY[arch]
    model = BUILDERS[arch](config, f"{arch}-tiny")
    facts = fit_classifier(model, separable(160, seed=1), settings, progress=False)
    assert facts["steps"] > 0 and not model.module.training
    scores = evaluate_classifier(model, separable(64, seed=2))
    assert scores["accuracy"] >= 0.75, scores


@pytest.mark.parametrize("arch", ["lstm-reverse", "transformer-reverse"])
def test_tiny_reverser_beats_chance(arch):
    config = dict(zoo.SMOKE_MODEL[arch], max_len=5, vocab=["a", "b", "c", "d"])
    model = BUILDERS[arch](config, f"{arch}-tiny")
    options = {"min_len": 2, "max_len": 5, "vocab": ("a", "b", "c", "d")}
    fit_reverser(
        model, make_reverse("train", 2048, **options), TrainSettings(epochs=2, batch_size=32, lr=1e-2), progress=False
    )
    scores = evaluate_reverser(model, make_reverse("dev", 128, **options))
    assert scores["token_accuracy"] >= 0.5, scores  # chance is 0.25


def test_training_is_seeded():
    results = []
    for _ in range(2):
        model = BUILDERS["cnn"](zoo.SMOKE_MODEL["cnn"], "cnn-tiny")
        fit_classifier(model, separable(64, seed=1), TrainSettings(batch_size=16, lr=1e-2, max_steps=3), progress=False)
        results.append(model.module.state_dict())
    assert all(torch.equal(results[0][k], results[1][k]) for k in results[0])


def test_length_batches_cover_everything_once():
    batches = length_batches([5, 1, 3, 8, 2, 2, 9], 3, torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(7))


def test_matthews():
    labels = torch.tensor([1, 1, 0, 0])
    assert matthews(labels, labels) == 1.0
    assert matthews(1 - labels, labels) == -1.0
    assert matthews(torch.ones(4, dtype=torch.long), labels) == 0.0


@pytest.mark.parametrize("arch", ["lstm-reverse", "transformer-reverse"])
def test_reversal_step_t_holds_word_n_minus_t_plus_1(arch):
    """docs/method.md §4: a model that outputs its input reversed keeps word n − t + 1 best at step t."""
    import infolib

    options = {"min_len": 3, "max_len": 5, "vocab": ("a", "b", "c", "d", "e", "f")}
    model = BUILDERS[arch](dict(zoo.SMOKE_MODEL[arch], max_len=5, vocab=options["vocab"]), f"{arch}-tiny")
    fit_reverser(
        model, make_reverse("train", 4096, **options), TrainSettings(epochs=3, batch_size=32, lr=1e-2), progress=False
    )
    assert evaluate_reverser(model, make_reverse("dev", 256, **options))["token_accuracy"] >= 0.95
    corpus = make_reverse("dev", 64, min_len=5, max_len=5, vocab=options["vocab"]).sentences
    result = infolib.explain(
        model, "a b c d e", layers=[f"step.{t}" for t in range(1, 6)], progress=False, corpus=corpus
    )
    assert result.sigma_matrix(0).argmin(1).tolist() == [4, 3, 2, 1, 0]  # smallest σ = best kept
