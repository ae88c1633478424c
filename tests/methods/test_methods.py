"""The method registry (`infolib.methods`): 'information' and every baseline behind one contract, a method of
one's own registered with a decorator, and the one data-set runner for all of them (serially here; on Ray in
test_distributed.py)."""

from __future__ import annotations

import pytest
import torch

import infolib
from infolib.core import runlog
from infolib.core.results import Attribution, Explanation
from infolib.core.store import ResultCache
from infolib.methods import REGISTRY, Method, Scores, get_method, list_methods
from infolib.testing import LinearToyModel

SENTENCES = [f"w{i} x{i % 3} y{i % 5} z" + " q" * (i % 4) for i in range(10)]
NAMES = ["layer.1", "layer.2"]
BASELINES = ["gradient_saliency", "input_x_gradient", "integrated_gradients", "occlusion", "lrp"]
FAST = {"max_steps": 5, "samples": 4}  # estimator settings that keep the information method quick


@pytest.fixture
def toy():
    return LinearToyModel(position_weights=torch.linspace(0.5, 3.0, 32))


@pytest.fixture
def spread():
    return {name: torch.ones(6) for name in NAMES}


@pytest.fixture
def embedding_norm():
    """A method of one's own: ‖x_i‖^power of each word's embedding (the same at every hidden state)."""

    @infolib.register_method("embedding-norm", computes="‖x_i‖^power of each word's embedding; larger = more important")
    def embedding_norm(batch, *, power: float = 2.0) -> Scores:
        scores = {}
        for b in range(len(batch.sentences)):
            per_token = batch.embed[b, : batch.lengths[b]].norm(dim=-1).pow(power)
            for name in batch.names:
                scores[b, name] = batch.to_units(per_token, b)
        return Scores(scores, {"power": power})

    yield embedding_norm
    REGISTRY.pop("embedding-norm")


def test_list_methods_has_information_first_and_every_baseline():
    assert list_methods()[:6] == ["information", *BASELINES]
    table = list_methods(details=True)
    assert list(table.columns) == ["name", "label", "computes", "sign", "result", "baseline"]
    assert table.set_index("name").loc["information", "result"] == "Explanation"
    assert not table.set_index("name").loc["information", "baseline"]
    assert (table["computes"].str.len() > 10).all() and (table["sign"].str.contains("more important")).all()


@pytest.mark.parametrize("name", ["information", *BASELINES])
def test_every_method_explains_through_infolib_explain(toy, spread, name):
    options = FAST if get_method(name).takes_estimator_settings else {}
    result = infolib.explain(toy, SENTENCES[:2], NAMES, method=name, sigma_s=spread, progress=False, **options)
    assert isinstance(result, get_method(name).result_type) and result.method == name
    for i in range(2):
        values = result.display_matrix(i)
        assert values.shape == (2, len(result.words[i])) and torch.isfinite(torch.as_tensor(values)).all()


def test_the_default_method_is_information_with_its_result_type(toy, spread):
    result = infolib.explain(toy, SENTENCES[:1], "layer.1", sigma_s=spread, progress=False, **FAST)
    assert type(result) is Explanation and result.method == "information"


def test_explain_corpus_runs_a_baseline_resumably(toy, spread, tmp_path, monkeypatch):
    log = tmp_path / "run.jsonl"
    monkeypatch.setenv(runlog.RUN_LOG_ENV, str(log))
    store = ResultCache(tmp_path / "store")
    kwargs = dict(method="occlusion", sigma_s=spread, cache=store, progress=False, batch_size=3)
    first = infolib.explain_corpus(toy, SENTENCES, NAMES, **kwargs)
    direct = infolib.explain(toy, SENTENCES, NAMES, method="occlusion", sigma_s=spread)
    assert isinstance(first, Attribution) and first.sentences == SENTENCES and first.words == direct.words
    for pair, score in direct.scores.items():  # batching by length changes nothing (float tolerance 1e-6)
        torch.testing.assert_close(first.scores[pair], score, rtol=1e-6, atol=1e-7)
    again = infolib.explain_corpus(toy, SENTENCES, NAMES, **kwargs)
    assert [(e["computed"], e["cached"]) for e in runlog.read(log)] == [(20, 0), (0, 20)]
    assert again.to_frame().equals(first.to_frame())


def test_a_registered_method_is_listed_explained_run_on_a_corpus_and_cached(toy, tmp_path, embedding_norm):
    assert "embedding-norm" in list_methods() and isinstance(get_method("embedding-norm"), Method)
    assert get_method("embedding-norm").computes.startswith("‖x_i‖^power")
    one = infolib.explain(toy, SENTENCES[:3], NAMES, method="embedding-norm", power=1.0)
    assert isinstance(one, Attribution) and one.settings["power"] == 1.0
    encoding = toy.encode(SENTENCES[:1])
    expected = toy.embed(encoding)[0].norm(dim=-1)  # one token per word piece
    word_scores = torch.zeros(len(encoding.words[0])).index_add_(
        0, torch.tensor(encoding.word_of_token[0]), expected.detach()[: len(encoding.word_of_token[0])]
    )
    torch.testing.assert_close(one.scores[0, "layer.2"], word_scores, rtol=1e-5, atol=1e-6)
    store = ResultCache(tmp_path / "own")
    corpus = infolib.explain_corpus(
        toy, SENTENCES, NAMES, method="embedding-norm", power=1.0, cache=store, progress=False, batch_size=4
    )
    assert len(store) == len(SENTENCES) * len(NAMES) and corpus.sentences == SENTENCES
    torch.testing.assert_close(corpus.scores[0, "layer.1"], one.scores[0, "layer.1"], rtol=1e-6, atol=1e-7)
    other = infolib.explain_corpus(toy, SENTENCES[:2], NAMES, method="embedding-norm", cache=store, progress=False)
    assert len(store) == (len(SENTENCES) + 2) * len(NAMES)  # another option value, another key
    assert not torch.equal(other.scores[0, "layer.1"], corpus.scores[0, "layer.1"])


def test_a_registered_method_is_in_the_widget_menu(embedding_norm):
    pytest.importorskip("ipywidgets")
    from infolib.interactive.widgets import WhatIfWidget

    widget = WhatIfWidget([LinearToyModel()], background=False)
    assert "embedding-norm" in widget.method.options and widget.method.options[0] == "information"


def test_registering_a_taken_name_or_an_unknown_method_is_a_clear_error(embedding_norm, toy):
    with pytest.raises(ValueError, match="already registered: pass replace=True"):
        infolib.register_method("embedding-norm")(lambda batch: Scores({}, {}))
    with pytest.raises(ValueError, match=r"unknown method 'shap': choose one of 'information', "):
        infolib.explain(toy, "a b", "layer.1", method="shap")
    with pytest.raises(TypeError, match="method 'occlusion' has no option\\(s\\) n_steps: its options are"):
        infolib.explain(toy, "a b", "layer.1", method="occlusion", n_steps=3)


def test_settings_object_and_keywords_give_the_same_corpus_run(toy, spread):
    common = dict(sigma_s=spread, cache=False, progress=False, batch_size=2)
    by_object = infolib.explain_corpus(toy, SENTENCES[:4], NAMES, settings=infolib.Settings(**FAST), **common)
    by_keywords = infolib.explain_corpus(toy, SENTENCES[:4], NAMES, **FAST, **common)
    assert all(torch.equal(by_object.sigma[p], s) for p, s in by_keywords.sigma.items())
    as_dict = infolib.explain_corpus(toy, SENTENCES[:2], NAMES, method="occlusion", settings={"max_rows": 3}, **common)
    assert as_dict.settings["baseline"] == "zero"


@pytest.mark.parametrize("cache", ["yes", 1, ["store"]])
@pytest.mark.parametrize("entry", ["explain", "explain_corpus", "baseline"])
def test_one_rule_for_cache_everywhere(toy, spread, cache, entry):
    call = {
        "explain": lambda: infolib.explain(toy, "a b", "layer.1", sigma_s=spread, cache=cache, **FAST),
        "explain_corpus": lambda: infolib.explain_corpus(toy, ["a b"], "layer.1", sigma_s=spread, cache=cache),
        "baseline": lambda: infolib.explain(toy, "a b", "layer.1", method="occlusion", cache=cache),
    }[entry]
    with pytest.raises(TypeError, match=r"cache must be True \(the default result cache\), False \(none\) or a store"):
        call()


def test_tools_take_settings_as_an_object_or_a_dict():
    from infolib import analysis
    from infolib.core.validation import settings_keywords

    assert settings_keywords(infolib.Settings(max_steps=7))["max_steps"] == 7
    assert settings_keywords({"max_steps": 7}) == {"max_steps": 7} and settings_keywords(None) == {}
    with pytest.raises(TypeError, match=r"settings must be an infolib.Settings\(...\), a dict of its fields or None"):
        settings_keywords(7)
    model, corpus = LinearToyModel(), SENTENCES
    by_object = analysis.explain_methods(model, ["w1 w2"], NAMES, corpus=corpus, settings=infolib.Settings(**FAST))
    by_dict = analysis.explain_methods(model, ["w1 w2"], NAMES, corpus=corpus, settings=FAST)
    assert by_object.equals(by_dict)
