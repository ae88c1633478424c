"""The trained-model cache: round trip, damaged entries detected, recipe changes detected."""

import json
import warnings

import pytest
import torch

import infolib
from infolib.models import registry as zoo
from infolib.training.checkpoint import METRICS, WEIGHTS, CacheError
from infolib.training.loops import class_logits

NAME = "cnn-sst2-smoke"
PROBE = ["a gorgeous , witty film .", "the plot is a mess"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path))
    return tmp_path / "models" / NAME


def _logits(model):
    with torch.no_grad():
        return class_logits(model, PROBE)


def test_round_trip(cache):
    trained = infolib.load_model("cnn-sst2", smoke=True, progress=False)
    metrics = json.loads((cache / METRICS).read_text())
    assert metrics["name"] == NAME and metrics["recipe"] == zoo.RECIPES[NAME].as_dict()
    for key in ("dev", "train_seconds", "seed", "data_sha256", "versions", "weights_sha256", "steps"):
        assert key in metrics
    assert set(metrics["data_sha256"]) == {"train.tsv", "dev.tsv"}
    loaded = infolib.load_model(NAME, train=False)
    assert torch.equal(_logits(trained), _logits(loaded))
    assert loaded.fingerprint() == trained.fingerprint()


def test_damaged_entries_are_detected(cache):
    infolib.load_model(NAME, progress=False)
    weights = cache / WEIGHTS
    good = weights.read_bytes()

    weights.write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(CacheError, match="truncated"):
        infolib.load_model(NAME, train=False)

    weights.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # same size, one bit flipped
    with pytest.raises(CacheError, match="sha256"):
        infolib.load_model(NAME, train=False)

    (cache / METRICS).write_text("{ not json")
    with pytest.raises(CacheError, match="unreadable"):
        infolib.load_model(NAME, train=False)

    with pytest.warns(UserWarning, match="Retraining"):  # the default: retrain, never use it
        model = infolib.load_model(NAME, progress=False)
    assert weights.read_bytes() == good  # seeded training gives the same weights
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert infolib.load_model(NAME, train=False).fingerprint() == model.fingerprint()


def test_recipe_change_is_detected(cache, monkeypatch):
    infolib.load_model(NAME, progress=False)
    changed = zoo.Recipe(**{**zoo.RECIPES[NAME].__dict__, "data": {"max_eval": 64}})
    monkeypatch.setitem(zoo.RECIPES, NAME, changed)
    with pytest.raises(CacheError, match="another recipe"):
        infolib.load_model(NAME, train=False)


def test_missing_entry(cache):
    with pytest.raises(CacheError, match="infolib.training.loops"):
        infolib.load_model(NAME, train=False)


def test_registry_names():
    names = zoo.available_models()
    for arch in ("bert", "transformer", "lstm", "cnn"):
        for task in ("sst2", "cola"):
            assert f"{arch}-{task}" in names and f"{arch}-{task}-smoke" in names
    assert {"lstm-reverse", "transformer-reverse", "minilm"} <= set(names)
    with pytest.raises(ValueError, match="no SMOKE variant"):
        infolib.load_model("minilm", smoke=True)


def test_train_command(capsys, cache):
    from infolib.cli import main

    assert main(["train", "--list"]) == 0
    assert "lstm-sst2-smoke" in capsys.readouterr().out.split()
    assert main(["train"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["train", "transformer-reverse-smoke"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["name"] == "transformer-reverse-smoke" and "token_accuracy" in line["dev"]
