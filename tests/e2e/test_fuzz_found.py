"""Bugs the fuzzing (tests/e2e/test_fuzz.py) found, each pinned by the smallest input that showed it."""

from __future__ import annotations

import math

import pytest
import torch

import infolib
from infolib.core.inputs import NonFiniteError
from infolib.testing import LinearToyModel, ReluToyModel


def test_layers_none_names_layers():
    """resolve_layers(None) raised "'NoneType' object is not iterable" from inside hooks.py."""
    with pytest.raises(TypeError, match="layers must be 'all'"):
        LinearToyModel().resolve_layers(None)
    with pytest.raises(TypeError, match="layers must be 'all'"):
        infolib.baselines.METHODS["gradient_saliency"](ReluToyModel(), "0", None)
    with pytest.raises(TypeError, match="layers must be 'all', a name like 'layer.3', an int or a list of those"):
        infolib.explain(LinearToyModel(), "a b", 1.5, max_steps=1)
    assert LinearToyModel().resolve_layers(iter(["layer.1"])) == ["layer.1"]  # any iterable, as before


def test_explain_phi_sigma_s_of_the_wrong_type_names_it():
    """explain_phi(sigma_s='σ') raised torch's "new(): invalid data type 'str'"."""
    x = torch.randn(3, 2)
    for bad in ("σ", True, [[1.0], [1.0, 2.0]]):
        with pytest.raises(TypeError, match="sigma_s must be a tensor or a number"):
            infolib.explain_phi(x, lambda t: t.sum(0), bad, max_steps=1)


def test_nan_phi_or_model_is_a_value_error_and_still_a_floating_point_error():
    """A Φ (or model) that gives NaN on the clean input is bad input: a ValueError naming it (the fuzzing's
    property), and still the FloatingPointError callers caught before."""
    with pytest.raises(ValueError, match="phi returned NaN") as caught:
        infolib.explain_phi(torch.randn(3, 2), lambda t: t.sum(0) * math.nan, max_steps=1)
    assert isinstance(caught.value, FloatingPointError) and isinstance(caught.value, NonFiniteError)


def test_whatif_compute_models_must_be_a_list():
    """WhatIf.compute(sentence, 3) raised "'int' object is not iterable" from inside the tool."""
    from infolib.interactive.whatif import WhatIf

    tool = WhatIf([LinearToyModel()], settings={"max_steps": 1}, corpus=["a b c"])
    for bad in (3, None, "linear-toy"):
        with pytest.raises(TypeError, match="models must be a list of model names"):
            tool.compute("a b", bad)


@pytest.mark.parametrize("name", ["damping", "init"])
@pytest.mark.parametrize("bad", [None, "0.5", True, math.nan])
def test_fraction_settings_of_the_wrong_type_name_themselves(name, bad):
    """Settings(damping=None).check() raised "'<' not supported between instances of 'int' and 'NoneType'"."""
    with pytest.raises(ValueError, match=f"{name} is a fraction"):
        infolib.Settings(**{name: bad}).check()
    with pytest.raises(ValueError, match=f"{name} is a fraction"):
        infolib.explain_phi(torch.randn(2, 2), lambda t: t.sum(0), **{name: bad})


def test_explain_corpus_of_an_unknown_split_names_the_dataset():
    """explain_corpus(model, 'sst2-0') said "unknown SST-2 split '0'" without naming the dataset argument."""
    with pytest.raises(ValueError, match="unknown dataset 'sst2-0': use 'sst2-dev'"):
        infolib.explain_corpus(LinearToyModel(), "sst2-0", max_steps=1, progress=False)
