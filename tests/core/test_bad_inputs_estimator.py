"""Bad input to the estimator gets a clear error naming the problem, never a deep traceback."""

import math
import warnings

import pytest
import torch

import infolib

W = torch.tensor([3.0, -7.0])
X = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))


def phi(x):
    return (W[:, None] * x).sum(0)


@pytest.mark.parametrize(
    "sentences, error, message",
    [
        ("", ValueError, "empty or only whitespace"),
        ("   \t\n", ValueError, "empty or only whitespace"),
        ([], ValueError, "no sentences"),
        ([42], TypeError, "not a string"),
        (None, TypeError, "string or a list"),
        (b"bytes", TypeError, "string or a list"),
    ],
)
def test_bad_sentences(minilm, minilm_sigma_s, sentences, error, message):
    with pytest.raises(error, match=message):
        infolib.explain(minilm, sentences, "layer.1", sigma_s=minilm_sigma_s, progress=False)


@pytest.mark.parametrize(
    "layers, error, message",
    [
        (7, ValueError, "out of range"),
        (-1, ValueError, "out of range"),
        ("layer.9", ValueError, "not a hidden state"),
        ("lyer.3", ValueError, "Choose from"),
        ("logits", ValueError, "not a hidden state"),  # the pretrained MiniLM has no classifier
        ([], ValueError, "layers is empty"),
        ([1.5], TypeError, "a layer is a name"),
    ],
)
def test_bad_layers(minilm, minilm_sigma_s, layers, error, message):
    with pytest.raises(error, match=message):
        infolib.explain(minilm, "a fine film", layers, sigma_s=minilm_sigma_s, progress=False)


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"rate": 0}, ValueError, "rate must be > 0"),
        ({"rate": -0.1}, ValueError, "rate must be > 0"),
        ({"rate": math.nan}, TypeError, "rate must be a finite number"),
        ({"max_steps": 0}, ValueError, "max_steps must be > 0"),
        ({"samples": 0}, ValueError, "samples must be > 0"),
        ({"samples": 2.5}, ValueError, "samples must be a whole number"),
        ({"scale": -1.0}, ValueError, "scale must be > 0"),
        ({"random_state": "seven"}, TypeError, "random_state must be an int"),
        ({"damping": 0}, ValueError, "damping"),
    ],
)
def test_bad_settings(minilm, minilm_sigma_s, settings, error, message):
    with pytest.raises(error, match=message):
        infolib.explain(minilm, "a fine film", "layer.1", sigma_s=minilm_sigma_s, progress=False, **settings)
    with pytest.raises(error, match=message):
        infolib.explain_phi(X, phi, **settings)


def test_unknown_setting_is_named(minilm):
    with pytest.raises(TypeError, match="max_stesp"):
        infolib.explain(minilm, "a fine film", max_stesp=3)


def test_sentence_longer_than_model_maximum(minilm, minilm_sigma_s):
    long = " ".join(["word"] * 600)
    with pytest.raises(ValueError, match="more than minilm's maximum of 512"):
        infolib.explain(minilm, long, "layer.1", sigma_s=minilm_sigma_s, progress=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explanation = infolib.explain(
            minilm, long, "layer.1", sigma_s=minilm_sigma_s, progress=False, truncate=True, max_steps=2
        )
    assert any("truncated" in str(w.message) for w in caught)
    assert len(explanation.tokens[0]) <= 512


def test_bad_level_and_model(minilm):
    with pytest.raises(ValueError, match="level must be"):
        infolib.explain(minilm, "a fine film", level="piece")
    with pytest.raises(TypeError, match="HookedModel"):
        infolib.explain(torch.nn.Linear(2, 2), "a fine film")
    with pytest.raises(ValueError, match="unknown model 'bert-base-uncased'"):
        infolib.explain("bert-base-uncased", "a fine film")
    for empty in ("", "  "):  # not the current folder, whose missing config.json would be the message
        with pytest.raises(ValueError, match="the model name is empty"):
            infolib.load_model(empty)


def test_sigma_s_missing_a_layer(minilm, minilm_sigma_s):
    with pytest.raises(ValueError, match="sigma_s has no entry for layer.2"):
        infolib.explain(
            minilm, "a fine film", "layer.2", sigma_s={"layer.1": minilm_sigma_s["layer.1"]}, progress=False
        )


def test_phi_non_finite_output():
    with pytest.raises(FloatingPointError, match="NaN or inf"):
        infolib.explain_phi(X, lambda x: phi(x) * math.nan)
    # finite at x, NaN under noise
    with pytest.raises(FloatingPointError, match="NaN or inf"):
        infolib.explain_phi(X, lambda x: torch.sqrt(-(x - X).abs().sum(0, keepdim=True)), torch.ones(1))


@pytest.mark.parametrize(
    "x, error, message",
    [
        ([[1.0, 2.0]], TypeError, "torch.Tensor"),
        (torch.ones(3), ValueError, r"\[n_words, K\]"),
        (torch.ones(0, 4), ValueError, r"\[n_words, K\]"),
        (torch.ones(2, 4, dtype=torch.long), TypeError, "floating-point"),
        (torch.tensor([[1.0, math.inf]]), ValueError, "NaN or inf"),
    ],
)
def test_phi_bad_x(x, error, message):
    with pytest.raises(error, match=message):
        infolib.explain_phi(x, lambda x: x.sum(0))


def test_phi_bad_phi_and_sigma_s():
    with pytest.raises(TypeError, match="callable"):
        infolib.explain_phi(X, "phi")
    with pytest.raises(TypeError, match="return a torch.Tensor"):
        infolib.explain_phi(X, lambda x: 3.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        infolib.explain_phi(X, phi, torch.ones(5))
    with pytest.raises(ValueError, match="positive"):
        infolib.explain_phi(X, phi, torch.zeros(8))


def test_model_in_train_mode_is_explained_in_eval_and_left_in_train(minilm, minilm_sigma_s):
    minilm.module.train()
    try:
        a = infolib.explain(minilm, "a fine film", "layer.2", sigma_s=minilm_sigma_s, progress=False, max_steps=10)
        minilm.module.eval()
        b = infolib.explain(minilm, "a fine film", "layer.2", sigma_s=minilm_sigma_s, progress=False, max_steps=10)
        assert torch.allclose(a.sigma[0, "layer.2"], b.sigma[0, "layer.2"])  # dropout was off
    finally:
        minilm.module.eval()


@pytest.mark.parametrize(
    "spread, error, message",
    [
        (torch.ones(3), ValueError, r"must have shape \[384\]"),
        (torch.ones(1, 384), ValueError, r"must have shape \[384\]"),
        (-torch.ones(384), ValueError, "must be positive"),
        (torch.zeros(384), ValueError, "must be positive"),
        (torch.full((384,), math.nan), ValueError, "free of NaN"),
        ("wide", TypeError, "tensor of spreads"),
    ],
)
def test_sigma_s_is_checked_like_the_baselines_do(minilm, spread, error, message):
    """explain used to check only that σ_S had an entry; a wrong shape failed deep in torch, zeros gave NaN."""
    with pytest.raises(error, match=message):
        infolib.explain(minilm, "a fine film", "layer.1", sigma_s={"layer.1": spread}, progress=False, max_steps=2)
    with pytest.raises(TypeError, match="mapping"):
        infolib.explain(minilm, "a fine film", "layer.1", sigma_s=torch.ones(384), progress=False, max_steps=2)


def test_sigma_s_may_mark_dimensions_that_never_vary(minilm, minilm_sigma_s):
    spread = minilm_sigma_s["layer.1"].clone()
    spread[:10] = math.inf
    result = infolib.explain(minilm, "a fine film", "layer.1", sigma_s={"layer.1": spread}, progress=False, max_steps=3)
    assert torch.isfinite(result.sigma[0, "layer.1"]).all()
