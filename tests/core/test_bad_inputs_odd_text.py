"""Odd text and odd user models: a clear error or a documented behaviour, and never a changed
model or a poisoned cache (issue 7's bad-input suite; settings and layers are in
test_bad_inputs_estimator.py, the command line in test_cli.py, widgets in test_widgets.py)."""

import warnings

import pytest
import torch

import infolib
from infolib.core.store import ResultCache
from infolib.core.hooks import HookedModel
from infolib.testing import LinearToyModel

FAST = dict(progress=False, max_steps=4)


@pytest.fixture
def guarded(minilm, tmp_path):
    """Yields a cache; afterwards checks the model is bit-identical and every cache entry is valid."""
    before = {k: v.clone() for k, v in minilm.module.state_dict().items()}
    store = ResultCache(tmp_path)
    yield store
    after = minilm.module.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in minilm.module.parameters())
    assert all(store.get(p.stem) is not None for p in tmp_path.glob("*/*.json"))


@pytest.mark.parametrize(
    "text, words",
    [
        ("!!! ... ?", ["!!!", "...", "?"]),  # punctuation only: explained like words
        ("café naïve", ["café", "naïve"]),  # accents: the uncased vocab strips them
        ("good \x00 film", ["good", "film"]),  # control characters are removed
        ("bad\x1b[31m film", ["bad[31m", "film"]),  # terminal escape codes too
        ("zero\u200bwidth", ["zerowidth"]),  # format characters too
        ("  tabs\tand\nnewlines  ", ["tabs", "and", "newlines"]),
    ],
)
def test_odd_but_valid_text_is_explained(minilm, minilm_sigma_s, guarded, text, words):
    result = infolib.explain(minilm, text, "layer.1", sigma_s=minilm_sigma_s, cache=guarded, **FAST)
    assert result.words[0] == ["[CLS]", *words, "[SEP]"]
    assert torch.isfinite(result.sigma[0, "layer.1"]).all()


@pytest.mark.parametrize("text", ["great 😀 film", "这部电影很好", "фильм хороший"])
def test_unknown_characters_warn_and_are_explained_as_unk(minilm, minilm_sigma_s, guarded, text):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = infolib.explain(minilm, text, "layer.1", sigma_s=minilm_sigma_s, cache=guarded, **FAST)
    if "[UNK]" in result.tokens[0]:
        assert any("[UNK]" in str(w.message) for w in caught)
    assert torch.isfinite(result.sigma[0, "layer.1"]).all()


@pytest.mark.parametrize("text", ["\x00\x01", "\u200b", "\x1b\x07 \x7f"])
def test_only_control_characters_is_an_error(minilm, minilm_sigma_s, guarded, text):
    with pytest.raises(ValueError, match="only whitespace/control characters"):
        infolib.explain(minilm, text, "layer.1", sigma_s=minilm_sigma_s, cache=guarded, **FAST)


def test_very_long_text_is_an_error_or_truncated(minilm, minilm_sigma_s, guarded):
    text = "the film is long " * 200
    with pytest.raises(ValueError, match="truncate=True"):
        infolib.explain(minilm, text, "layer.1", sigma_s=minilm_sigma_s, cache=guarded, **FAST)


class WrongShape(LinearToyModel):
    """A user model whose layer.1 forgets the token axis."""

    def _forward(self, embed, attention_mask, want):
        out = super()._forward(embed, attention_mask, want)
        if "layer.1" in out:
            out["layer.1"] = out["layer.1"].sum(1)
        return out


class Missing(LinearToyModel):
    def _forward(self, embed, attention_mask, want):
        return {}


class NaNModel(LinearToyModel):
    def _forward(self, embed, attention_mask, want):
        return {k: v * float("nan") for k, v in super()._forward(embed, attention_mask, want).items()}


@pytest.mark.parametrize(
    "model_class, error, message",
    [
        (WrongShape, ValueError, r"returned \(1, 6\) for hidden state 'layer.1'; expected \[1, 3, D\]"),
        (Missing, ValueError, "returned NoneType for hidden state 'layer.1'"),
        (NaNModel, FloatingPointError, "NaN or inf for 'layer.1' on the clean input"),
    ],
)
def test_user_model_that_misbehaves(model_class, error, message, tmp_path):
    model = model_class()
    with pytest.raises(error, match=message):
        infolib.explain(
            model, "a b c", "layer.1", sigma_s={"layer.1": torch.ones(6)}, cache=ResultCache(tmp_path), **FAST
        )
    assert not list(tmp_path.glob("*/*.json"))


def test_not_a_hooked_model_names_the_fix():
    with pytest.raises(TypeError, match="HFEncoder"):
        infolib.explain(object(), "a b c")


def test_hooked_model_subclass_must_implement_protocol():
    class Half(HookedModel):
        pass

    with pytest.raises(TypeError, match="abstract"):
        Half()
