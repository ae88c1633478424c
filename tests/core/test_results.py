"""The one result type: tables, the map to plot, concatenation and save/load of every kind of result."""

import math

import numpy as np
import pytest
import torch

import infolib
from infolib.baselines import Attribution as BaselinesAttribution
from infolib.baselines import gradient_saliency, integrated_gradients, occlusion
from infolib.core.corpus import merge
from infolib.core.results import Attribution, Explanation, PhiExplanation, WordScores
from infolib.testing import LinearToyModel

SENTENCES = ["a b c d", "x un+hap+py z", "q r"]
LAYERS = ["layer.1", "pooled"]
EXPLANATION_COLUMNS = [
    "method",
    "model",
    "sentence_id",
    "sentence",
    "layer",
    "word_id",
    "word",
    "pieces",
    "sigma",
    "log_sigma_ratio",
    "information",
    "entropy_nats",
    "entropy_bits",
    "steps",
    "converged",
]
ATTRIBUTION_COLUMNS = ["method", "model", "sentence_id", "sentence", "layer", "word_id", "word", "pieces", "score"]


@pytest.fixture(scope="module")
def toy():
    return LinearToyModel(K=8, D=6)


@pytest.fixture(scope="module")
def spread():
    return {name: 0.5 + torch.rand(6, generator=torch.Generator().manual_seed(3)) for name in LAYERS}


@pytest.fixture(scope="module")
def explanation(toy, spread):
    return infolib.explain(toy, SENTENCES, LAYERS, sigma_s=spread, progress=False, max_steps=8)


def _same(a, b):
    """Field by field equality of two results (tensors compared exactly)."""
    assert type(a) is type(b)
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, dict) and x and isinstance(next(iter(x.values())), torch.Tensor):
            assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x), name
        elif isinstance(x, dict) and x and isinstance(next(iter(x.values())), dict):
            assert x.keys() == y.keys(), name
            for k in x:
                for field, value in x[k].items():
                    other = y[k][field]
                    same = torch.equal(value, other) if isinstance(value, torch.Tensor) else value == other
                    assert same, (name, k, field)
        elif isinstance(x, torch.Tensor):
            assert torch.equal(x, y), name
        else:
            assert x == y, name


# -- one base, thin kinds ---------------------------------------------------------------------
def test_every_result_is_word_scores_and_baselines_attribution_is_the_core_one(explanation, toy):
    assert BaselinesAttribution is Attribution
    assert isinstance(explanation, WordScores) and issubclass(Attribution, WordScores)
    assert isinstance(occlusion(toy, SENTENCES[:1], "layer.1"), WordScores)
    assert not hasattr(explanation, "extra")  # never written or read


def test_tables_keep_their_columns_and_values(explanation, toy):
    frame = explanation.to_frame()
    assert list(frame.columns) == EXPLANATION_COLUMNS
    assert len(frame) == len(LAYERS) * (4 + 3 + 2)
    row = frame[(frame.sentence_id == 1) & (frame.layer == "pooled") & (frame.word_id == 1)].iloc[0]
    sigma = float(explanation.sigma[1, "pooled"][1])
    assert row.word == "un+hap+py" and row.pieces == 3 and row.sigma == sigma
    assert row.log_sigma_ratio == math.log(sigma / explanation.scale)
    assert row.information == pytest.approx(-row.log_sigma_ratio, abs=1e-12) and row.information >= 0
    assert row.entropy_nats == pytest.approx(3 * 8 * (0.5 * math.log(2 * math.pi * math.e) + math.log(sigma)), rel=1e-6)
    assert row.entropy_bits == row.entropy_nats / math.log(2)
    assert row.steps == explanation.diagnostics[1, "pooled"]["steps"] and row.method == "information"
    scores = occlusion(toy, SENTENCES, LAYERS).to_frame()
    assert list(scores.columns) == ATTRIBUTION_COLUMNS and len(scores) == len(frame)


def test_display_matrix_is_retained_information_or_the_score(explanation, toy):
    shown = explanation.display_matrix(1)
    np.testing.assert_array_equal(shown, -explanation.log_sigma_ratio(1))
    assert shown.shape == (len(LAYERS), 3) and (shown >= 0).all()
    forgotten = Explanation.concat([explanation])
    forgotten.sigma[0, "layer.1"] = torch.full((4,), forgotten.scale)
    assert not np.signbit(forgotten.display_matrix(0)[0]).any()  # 0, not −0
    attribution = occlusion(toy, SENTENCES, LAYERS)
    np.testing.assert_array_equal(attribution.display_matrix(2), attribution.score_matrix(2))
    assert attribution.display_label == "occlusion score" and "larger" in attribution.display_meaning
    assert "kept" in explanation.display_meaning and "−log(σ/scale)" in explanation.display_label
    np.testing.assert_array_equal(explanation.information(1), shown)  # the one public quantity
    assert (explanation.display_kind, attribution.display_kind) == ("information", "importance")


def test_repr_names_the_result(explanation, toy):
    ok = sum(d["converged"] for d in explanation.diagnostics.values())
    assert repr(explanation) == (
        f"<Explanation linear-toy: 3 sentence(s) × 2 hidden state(s), word level, {ok}/6 converged>"
    )
    assert repr(occlusion(toy, SENTENCES[0], "layer.1")) == (
        "<Attribution occlusion on linear-toy: 1 sentence(s) × 1 hidden state(s), word level>"
    )


# -- concat (was core.corpus.merge) -----------------------------------------------------------
def test_concat_puts_each_sentence_where_it_belongs(toy, spread):
    a = infolib.explain(toy, [SENTENCES[0], SENTENCES[2]], LAYERS, sigma_s=spread, progress=False, max_steps=8)
    b = infolib.explain(toy, [SENTENCES[1]], LAYERS, sigma_s=spread, progress=False, max_steps=8)
    joined = Explanation.concat([a, b], positions=[0, 2, 1])
    assert joined.sentences == SENTENCES and joined.layers == LAYERS
    assert joined.words[1] == b.words[0] and joined.word_of_token[2] == a.word_of_token[1]
    for layer in LAYERS:
        assert joined.sigma[0, layer] is a.sigma[0, layer] and joined.sigma[2, layer] is a.sigma[1, layer]
        assert joined.sigma[1, layer] is b.sigma[0, layer]
        assert joined.diagnostics[1, layer] == b.diagnostics[0, layer]
    _same(merge([([0, 2], a), ([1], b)], 3), joined)
    in_order = WordScores.concat([a, b])
    assert in_order.sentences == [SENTENCES[0], SENTENCES[2], SENTENCES[1]]


def test_concat_of_attributions_keeps_scores_and_extra(toy):
    a = gradient_saliency(toy, SENTENCES[:2], "layer.1", mode="hutchinson", probes=4)
    b = gradient_saliency(toy, SENTENCES[2:], "layer.1", mode="hutchinson", probes=4)
    joined = Attribution.concat([a, b])
    assert torch.equal(joined.scores[2, "layer.1"], b.scores[0, "layer.1"])
    assert torch.equal(joined.extra[1, "layer.1"]["se_squared_norm"], a.extra[1, "layer.1"]["se_squared_norm"])


def test_concat_refuses_parts_that_do_not_belong_together(explanation, toy, spread):
    other_layers = infolib.explain(toy, SENTENCES[0], "layer.1", sigma_s=spread, progress=False, max_steps=2)
    with pytest.raises(ValueError, match="different layers"):
        Explanation.concat([explanation, other_layers])
    with pytest.raises(TypeError, match="one kind"):
        WordScores.concat([explanation, occlusion(toy, SENTENCES[0], LAYERS)])
    with pytest.raises(TypeError, match="one kind"):
        Attribution.concat([explanation])
    with pytest.raises(ValueError, match="permutation"):
        Explanation.concat([explanation], positions=[0, 0, 1])
    with pytest.raises(ValueError, match="at least one"):
        Explanation.concat([])
    with pytest.raises(ValueError, match="different method"):
        Attribution.concat([occlusion(toy, SENTENCES[0], "layer.1"), gradient_saliency(toy, SENTENCES[1], "layer.1")])


# -- save / load -------------------------------------------------------------------------------
def test_explanation_round_trip(explanation, tmp_path):
    path = explanation.save(tmp_path / "run" / "explanation.pt")
    back = Explanation.load(path)
    _same(back, explanation)
    assert back.to_frame().equals(explanation.to_frame()) and repr(back) == repr(explanation)
    _same(WordScores.load(path), explanation)


@pytest.mark.parametrize("method", ["saliency", "integrated_gradients"])
def test_attribution_round_trip(toy, spread, tmp_path, method):
    if method == "saliency":  # tensors in extra
        result = gradient_saliency(toy, SENTENCES, LAYERS, sigma_s=spread, mode="hutchinson", probes=4)
    else:  # floats and bools in extra, a signed score
        result = integrated_gradients(toy, SENTENCES, LAYERS, sigma_s=spread, n_steps=4, max_steps=4, tolerance=10.0)
    back = Attribution.load(result.save(tmp_path / "a.pt"))
    _same(back, result)
    assert back.to_frame().equals(result.to_frame())


def test_phi_explanation_round_trip(tmp_path):
    w = torch.tensor([3.0, -7.0, 0.0])
    result = infolib.explain_phi(
        torch.randn(3, 4, generator=torch.Generator().manual_seed(0)),
        lambda x: (w[:, None] * x).sum(0),
        torch.ones(4),
        max_steps=20,
    )
    back = PhiExplanation.load(result.save(tmp_path / "phi.pt"))
    _same(back, result)
    np.testing.assert_array_equal(back.display_matrix(), -np.log(result.sigma.numpy() / result.scale)[None] + 0.0)


def test_load_names_what_is_wrong(explanation, toy, tmp_path):
    path = occlusion(toy, SENTENCES[0], "layer.1").save(tmp_path / "attribution.pt")
    with pytest.raises(TypeError, match="holds an infolib Attribution, not Explanation"):
        Explanation.load(path)
    torch.save({"sigma": torch.ones(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a result saved by infolib"):
        WordScores.load(tmp_path / "other.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(ValueError, match="not a result saved by infolib"):
        WordScores.load(tmp_path / "text.pt")
    with pytest.raises(FileNotFoundError):
        WordScores.load(tmp_path / "missing.pt")
