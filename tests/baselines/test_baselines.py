"""Baselines against analytic answers on the toy models, plus one small run on MiniLM."""

import os
from pathlib import Path

import pytest
import torch

from infolib.baselines import (
    METHODS,
    Attribution,
    gradient_saliency,
    input_x_gradient,
    integrated_gradients,
    lrp,
    occlusion,
)
from infolib.testing import LinearToyModel, ReluToyModel

torch.set_num_threads(1)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SENTENCES = ["a b c d", "x un+hap+py z"]  # the second has a 3-piece word
# The user's model cache, read at import (conftest's session fixture then points INFOLIB_CACHE at a
# temporary folder so tests never write into data/).
MODEL_CACHE = Path(os.environ.get("INFOLIB_CACHE") or Path(__file__).resolve().parents[2] / "data" / "cache")


@pytest.fixture(scope="module")
def toy():
    return LinearToyModel(K=8, D=6)


@pytest.fixture(scope="module")
def sigma_s():
    generator = torch.Generator().manual_seed(3)
    return {name: 0.5 + torch.rand(6, generator=generator) for name in ("layer.1", "layer.2", "pooled")}


def _tokens_of_words(model, sentence):
    return model.encode([sentence]).word_of_token[0]


def _word_weights(model, sentence):
    """[n_words] sqrt(Σ_{t ∈ word} w_t²)."""
    units = torch.tensor(_tokens_of_words(model, sentence))
    w2 = model.module.position_weights[: len(units)] ** 2
    return torch.zeros(int(units.max()) + 1).index_add_(0, units, w2).sqrt()


# -- gradient saliency ---------------------------------------------------------------------------
def test_saliency_exact_equals_weight_times_jacobian_norm(toy, sigma_s):
    result = gradient_saliency(toy, SENTENCES, ["layer.1", "pooled"], sigma_s=sigma_s)
    for b, sentence in enumerate(SENTENCES):
        for name in ("layer.1", "pooled"):  # pooled = Σ_t layer.1_t has the same Jacobian blocks
            A = toy.module.A.weight.detach() / sigma_s[name][:, None]
            expected = _word_weights(toy, sentence) * torch.linalg.norm(A)  # |w_i| · ‖diag(1/σ_S) A‖_F
            torch.testing.assert_close(result.scores[b, name], expected, rtol=1e-5, atol=1e-6)
            assert result.extra[b, name]["mode"] == "exact"


def test_saliency_token_level_matches_helper(toy):
    result = gradient_saliency(toy, SENTENCES[1], "layer.1", level="token")
    torch.testing.assert_close(result.scores[0, "layer.1"], toy.layer1_jacobian_norm(5), rtol=1e-5, atol=1e-6)
    assert result.words[0] == ["x", "un", "##hap", "##py", "z"]


def test_saliency_hutchinson_is_unbiased_and_batch_independent(toy):
    exact = gradient_saliency(toy, SENTENCES, "layer.2", mode="exact")
    estimate = gradient_saliency(toy, SENTENCES, "layer.2", mode="hutchinson", probes=3000)
    for b in range(2):
        # squared norms are unbiased; 3000 probes: relative error well under 10 %
        ratio = estimate.scores[b, "layer.2"] ** 2 / exact.scores[b, "layer.2"] ** 2
        assert torch.all((ratio - 1).abs() < 0.1), ratio
        se = estimate.extra[b, "layer.2"]["se_squared_norm"]
        assert torch.all(se > 0) and torch.all(se < 0.1 * estimate.scores[b, "layer.2"] ** 2)
    alone = gradient_saliency(toy, SENTENCES[1], "layer.2", mode="hutchinson", probes=3000)
    torch.testing.assert_close(alone.scores[0, "layer.2"], estimate.scores[1, "layer.2"])


# -- occlusion -----------------------------------------------------------------------------------
def test_occlusion_matches_closed_form(toy, sigma_s):
    result = occlusion(toy, SENTENCES, "layer.1", sigma_s=sigma_s, baseline="zero")
    for b, sentence in enumerate(SENTENCES):
        encoding = toy.encode([sentence])
        x = toy.embed(encoding)[0].detach()
        units = torch.tensor(encoding.word_of_token[0])
        w = toy.module.position_weights[: len(x)]
        contribution = ((w[:, None] * toy.module.A(x).detach() / sigma_s["layer.1"]) ** 2).sum(1)  # [tokens]
        per_word = torch.zeros(int(units.max()) + 1).index_add_(0, units, contribution)
        expected = (per_word / (len(x) * 6)).sqrt()
        torch.testing.assert_close(result.scores[b, "layer.1"], expected, rtol=1e-5, atol=1e-6)


# -- gradient × input, integrated gradients, LRP -------------------------------------------------
def _change(toy, sentence, name, sigma):
    encoding = toy.encode([sentence])
    x = toy.embed(encoding).detach()
    s = toy.states(x, encoding.attention_mask, [name])[name] / sigma
    s0 = toy.states(torch.zeros_like(x), encoding.attention_mask, [name])[name] / sigma
    return float(((s - s0) ** 2).mean().detach())


def test_integrated_gradients_completeness(toy, sigma_s):
    result = integrated_gradients(toy, SENTENCES, ["layer.1", "layer.2"], sigma_s=sigma_s, target="change", n_steps=32)
    for b, sentence in enumerate(SENTENCES):
        for name in ("layer.1", "layer.2"):
            total = float(result.scores[b, name].sum())
            assert total == pytest.approx(_change(toy, sentence, name, sigma_s[name]), rel=1e-3)
            assert abs(result.extra[b, name]["delta"]) < 1e-4


def test_projection_ig_equals_input_x_gradient_on_linear_state(toy):
    ig = integrated_gradients(toy, SENTENCES, "layer.1", target="projection", n_steps=8)
    ixg = input_x_gradient(toy, SENTENCES, "layer.1")
    for b in range(2):
        torch.testing.assert_close(ig.scores[b, "layer.1"], ixg.scores[b, "layer.1"], rtol=1e-4, atol=1e-6)
        assert abs(ig.extra[b, "layer.1"]["delta"]) < 1e-5


@pytest.fixture(scope="module")
def curved_toy():
    """The toy with 5× position weights: tanh in layer.2 saturates, so 4 trapezoid intervals
    break completeness by ~7 % for the first sentence (~4 % for the second)."""
    weights = 5 * torch.randn(32, generator=torch.Generator().manual_seed(0))
    return LinearToyModel(K=8, D=6, position_weights=weights)


def _ig_module():
    import importlib

    return importlib.import_module("infolib.baselines.integrated_gradients")


def test_integrated_gradients_adaptive_steps_reach_tolerance(curved_toy, monkeypatch):
    layers = ["layer.1", "layer.2"]
    with pytest.warns(UserWarning, match=r"1 of 4 .*pairs.*tolerance=0.05.*max_steps=4"):
        fixed = integrated_gradients(curved_toy, SENTENCES, layers, n_steps=4, max_steps=4)
    assert fixed.extra[0, "layer.2"]["relative_delta"] > 0.05 and not fixed.extra[0, "layer.2"]["converged"]

    rows = _count_gradient_rows(monkeypatch)
    result = integrated_gradients(curved_toy, SENTENCES, layers, n_steps=4)
    # both sentences at 4 intervals per state, then only the failing sentence of the failing state
    assert rows[:2] == [2 * 5, 2 * 5] and 1 <= sum(rows[2:]) < 4 * 4
    assert result.settings["n_steps"] == 4 and result.settings["tolerance"] == 0.05
    assert result.settings["max_steps"] == 512 and result.settings["rule"] == "adaptive"
    for b, sentence in enumerate(SENTENCES):
        for name in layers:
            record = result.extra[b, name]
            assert set(record) == {"delta", "relative_delta", "n_steps", "converged"}
            assert record["converged"] and record["relative_delta"] <= 0.05
            total = float(result.scores[b, name].double().sum()) - record["delta"]  # f(x) − f(b), f(b) = 0
            assert total == pytest.approx(_change(curved_toy, sentence, name, torch.ones(6)), rel=1e-4)
            assert record["relative_delta"] == pytest.approx(abs(record["delta"]) / abs(total), rel=1e-4, abs=1e-12)
    assert result.extra[0, "layer.2"]["n_steps"] == 4 + sum(rows[2:])  # one interval more per new point
    assert [result.extra[key]["n_steps"] for key in ((0, "layer.1"), (1, "layer.1"), (1, "layer.2"))] == [4, 4, 4]
    torch.testing.assert_close(result.scores[1, "layer.2"], fixed.scores[1, "layer.2"])  # kept, not recomputed
    again = integrated_gradients(curved_toy, SENTENCES, layers, n_steps=4)
    assert all(
        torch.equal(again.scores[k], result.scores[k]) and again.extra[k] == result.extra[k] for k in result.scores
    )


def _count_gradient_rows(monkeypatch) -> list[int]:
    """Patch f (`HiddenStateScalar.__call__`) to record how many path points each call evaluates."""
    from infolib.baselines.scalar import HiddenStateScalar

    rows, call = [], HiddenStateScalar.__call__
    monkeypatch.setattr(
        HiddenStateScalar, "__call__", lambda self, embed, *a: rows.append(len(embed)) or call(self, embed, *a)
    )
    return rows


def test_refinement_reuses_every_earlier_point(curved_toy, monkeypatch):
    """Refining to the finest grid of 8 intervals evaluates ∇f once per point: 9 points, not 3 + 5 + 9."""
    rows = _count_gradient_rows(monkeypatch)
    with pytest.warns(UserWarning, match="1 of 1 "):
        result = integrated_gradients(curved_toy, SENTENCES[0], "layer.2", n_steps=2, max_steps=8, tolerance=1e-9)
    assert result.extra[0, "layer.2"]["n_steps"] == 8 and sum(rows) == 8 + 1 and rows[0] == 3
    assert len(rows) > 2  # several rounds, each evaluating only new midpoints
    rows.clear()
    with pytest.warns(UserWarning, match="1 of 1 "):
        integrated_gradients(curved_toy, SENTENCES[0], "layer.2", n_steps=2, max_steps=8, tolerance=1e-9, max_rows=2)
    assert max(rows) <= 2 and sum(rows) == 9  # max_rows bounds every pass; the same points


def test_refinement_halves_the_intervals_that_break_completeness_most():
    """f(z) = relu(z − ½)³ along α x: ∇f is 0 up to α = ½ and convex after, so only intervals past ½ break
    completeness (each by 1/128), and the rule halves the first of them (share ½ of Σ|δ_k|)."""
    module = _ig_module()
    x = torch.ones(1, 1, 1, dtype=torch.float64)

    def f(embed, mask, direction, reference):
        return (torch.relu(embed - 0.5) ** 3).flatten(1).sum(1)

    empty = torch.zeros(1, 1)
    path = module.AdaptivePath(f, x, torch.zeros_like(x), empty, empty, empty, grid=16)
    path.add({0: [0, 4, 8, 12, 16]}, 8)
    deltas = [d for d, _, _ in path.local_deltas(0)]
    assert deltas[:2] == [0.0, 0.0] and deltas[2:] == pytest.approx([1 / 128, 1 / 128])  # convex: overestimated
    assert path.midpoints(0) == [10] and path.midpoints(0, share=1.0) == [10, 14]
    assert path.total(0) == pytest.approx(1 / 8)


def test_refinement_is_per_pair(curved_toy, monkeypatch):
    """A pair that converged is not evaluated again: only the failing sentence's new midpoints are."""
    rows = _count_gradient_rows(monkeypatch)
    result = integrated_gradients(curved_toy, SENTENCES, "layer.2", n_steps=4)
    assert result.extra[1, "layer.2"]["n_steps"] == 4 and result.extra[0, "layer.2"]["n_steps"] > 4
    assert rows[0] == 2 * 5 and sum(rows[1:]) == result.extra[0, "layer.2"]["n_steps"] - 4  # sentence 0's new points
    alone = integrated_gradients(curved_toy, SENTENCES[1], "layer.2", n_steps=4)
    torch.testing.assert_close(result.scores[1, "layer.2"], alone.scores[0, "layer.2"])


def test_integrated_gradients_closed_form_for_a_quadratic_scalar(toy, sigma_s):
    """layer.1 is linear in embed, so 'change' f is quadratic along the path: ∇f(b + α(x − b)) = α ∇f(x)
    (zero baseline), IG = ½ (x − b) ⊙ ∇f(x) exactly, and the trapezoid rule is exact from 1 interval on."""
    name = "layer.1"
    for n_steps in (1, 3):
        result = integrated_gradients(toy, SENTENCES, name, sigma_s=sigma_s, n_steps=n_steps, max_steps=n_steps)
        for b, sentence in enumerate(SENTENCES):
            encoding = toy.encode([sentence])
            x = toy.embed(encoding).detach()
            w = toy.module.position_weights[: x.shape[1], None, None]
            A = toy.module.A.weight.detach() / sigma_s[name][:, None]  # ŝ_t = w_t A x_t / σ_S (no bias)
            s = w[:, 0] * (x[0] @ A.T)  # [tokens, D]
            gradient = 2 / s.numel() * w[:, 0] * (s @ A)  # ∇ mean(ŝ²) [tokens, K]
            per_token = 0.5 * (x[0] * gradient).sum(1)
            units = torch.tensor(encoding.word_of_token[0])
            expected = torch.zeros(int(units.max()) + 1).index_add_(0, units, per_token)
            torch.testing.assert_close(result.scores[b, name], expected, rtol=1e-5, atol=1e-7)
            assert result.extra[b, name]["relative_delta"] < 1e-5 and result.extra[b, name]["n_steps"] == n_steps


def test_trapezoid_weights_on_a_cubic():
    """f(z) = Σ z³ on the path α x (b = 0): the trapezoid rule of ∫ 3α² dα with m equal intervals is
    1 + 1/(2m²) (not 1: the error of the rule, so the weights are the trapezoid's), scores = Σ_K x³ · that."""
    module = _ig_module()
    x = torch.tensor([[[0.5, -1.0], [2.0, 0.25]], [[1.5, 0.0], [-0.5, 1.0]]], dtype=torch.float64)

    def f(embed, mask, direction, reference):
        return (embed**3).flatten(1).sum(1)

    empty = torch.zeros(2, 1)
    path = module.AdaptivePath(f, x, torch.zeros_like(x), empty, empty, empty, grid=8)
    for m in (2, 4, 8):
        path.add({row: list(range(0, 9, 8 // m)) for row in (0, 1)}, 3)
        for row in (0, 1):
            torch.testing.assert_close(path.attributions(row), (x[row] ** 3).sum(-1) * (1 + 1 / (2 * m**2)))
            assert path.total(row) == pytest.approx(float((x[row] ** 3).sum()))
            assert sum(d for d, _, _ in path.local_deltas(row)) == pytest.approx(
                float((x[row] ** 3).sum()) / (2 * m**2)
            )  # the intervals' errors add up to δ
    assert path.points == 2 * 9  # each row: the 9 points of the finest grid, every one evaluated once


def test_integrated_gradients_steps_capped_at_max_steps(curved_toy):
    with pytest.warns(UserWarning, match=r"1 of 1 .*max_steps=13 \(intervals down to 1/12"):
        result = integrated_gradients(curved_toy, SENTENCES[0], "layer.2", n_steps=3, max_steps=13, tolerance=1e-9)
    record = result.extra[0, "layer.2"]
    assert record["n_steps"] == 12 and not record["converged"]  # no interval shorter than 1/12 (3 · 2²)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"tolerance": 0}, "tolerance must be a finite number > 0"),
        ({"tolerance": -0.05}, "tolerance must be a finite number > 0"),
        ({"tolerance": float("nan")}, "tolerance must be a finite number > 0"),
        ({"tolerance": float("inf")}, "tolerance must be a finite number > 0"),
        ({"tolerance": "5%"}, "tolerance must be a finite number > 0"),
        ({"tolerance": True}, "tolerance must be a finite number > 0"),
        ({"max_steps": 0}, "max_steps must be a whole number ≥ 1, got 0"),
        ({"max_steps": 2.5}, "max_steps must be a whole number ≥ 1, got 2.5"),
        ({"n_steps": 64, "max_steps": 32}, "max_steps must be ≥ n_steps"),
        ({"rule": "gauss-legendre"}, "rule must be 'adaptive', got 'gauss-legendre'"),
    ],
)
def test_integrated_gradients_bad_tolerance_or_max_steps(toy, kwargs, match):
    with pytest.raises(ValueError, match=match):
        integrated_gradients(toy, SENTENCES, "layer.1", **kwargs)


def test_lrp_equals_input_x_gradient_on_bias_free_relu_net():
    relu = ReluToyModel()
    relevance = lrp(relu, SENTENCES, ["layer.1", "layer.2"])
    ixg = input_x_gradient(relu, SENTENCES, ["layer.1", "layer.2"])
    for key, score in relevance.scores.items():
        torch.testing.assert_close(score, ixg.scores[key], rtol=1e-4, atol=1e-6)
        assert abs(relevance.extra[key]["delta"]) < 1e-4


def test_lrp_warns_when_relevance_is_not_conserved(toy):
    with pytest.warns(UserWarning, match="not conserved"):
        lrp(toy, SENTENCES, "layer.1")


# -- the result, the model, and bad input ---------------------------------------------------------
def test_frame_has_estimator_columns_and_score(toy):
    frame = occlusion(toy, SENTENCES, ["layer.1", "layer.2"]).to_frame()
    assert list(frame.columns) == [
        "method",
        "model",
        "sentence_id",
        "sentence",
        "layer",
        "word_id",
        "word",
        "pieces",
        "score",
    ]
    assert len(frame) == 2 * (4 + 3)
    assert frame.loc[(frame.sentence_id == 1) & (frame.word_id == 1), "pieces"].tolist() == [3, 3]


def _changes(model, run) -> list[str]:
    """What running `run(model)` changed about the model: weights, buffers, modes, gradients (none is allowed).

    Methods no longer snapshot the weights at run time (a copy of the whole state_dict per call): this is the check.
    """
    model.module.train()
    before = {k: v.clone() for k, v in model.module.state_dict().items()}
    fingerprint = model.fingerprint()
    run(model)
    changes = [f"'{k}' changed" for k, v in model.module.state_dict().items() if not torch.equal(v, before[k])]
    changes += [f"{type(m).__name__} left in eval mode" for m in model.module.modules() if not m.training]
    changes += [f"'{n}' lost requires_grad" for n, p in model.module.named_parameters() if not p.requires_grad]
    changes += [f"'{n}' got a gradient" for n, p in model.module.named_parameters() if p.grad is not None]
    changes += ["fingerprint changed"] * (model.fingerprint() != fingerprint)
    return changes


@pytest.mark.parametrize("method", sorted(METHODS))
def test_model_is_unchanged_and_flags_restored(method):
    model = ReluToyModel() if method == "lrp" else LinearToyModel()

    def run(model):
        result = METHODS[method](model, SENTENCES, ["layer.1", "layer.2"])
        assert isinstance(result, Attribution) and result.method == method
        assert all(torch.isfinite(s).all() for s in result.scores.values())

    assert _changes(model, run) == []


def test_the_unchanged_check_catches_a_method_that_changes_the_model():
    """The check above can fail: a method made with the same decorator that scales a weight, or that
    back-propagates into the weights, is caught."""
    from infolib.baselines._method import Scores, attribution_method

    def zeros(batch):
        return {(b, n): torch.zeros(batch.n_units(b)) for b in range(len(batch.sentences)) for n in batch.names}

    @attribution_method("scaling", "test", "test")
    def scaling(batch, *, factor: float = 2.0):
        with torch.no_grad():
            batch.model.module.A.weight.mul_(factor)
        return Scores(zeros(batch), {})

    @attribution_method("leaking", "test", "test")
    def leaking(batch):
        batch.model.module.A.weight.requires_grad_(True)
        batch.model.states(batch.embed, batch.mask, ["layer.1"])["layer.1"].sum().backward()
        return Scores(zeros(batch), {})

    scaled = _changes(LinearToyModel(), lambda m: scaling(m, SENTENCES, "layer.1"))
    assert scaled == ["'A.weight' changed", "fingerprint changed"]
    assert _changes(LinearToyModel(), lambda m: leaking(m, SENTENCES, "layer.1")) == ["'A.weight' got a gradient"]


def test_a_baseline_has_the_shared_signature_and_rejects_unknown_options_before_any_work(toy, monkeypatch):
    import inspect

    import infolib.baselines._method as method_module

    for name, method in METHODS.items():
        parameters = list(inspect.signature(method).parameters)
        assert parameters[:5] == ["model", "sentences", "layers", "level", "sigma_s"], name
        assert parameters[-1] == "truncate", name
        assert method.__name__ == name and "Args:" in method.__doc__
    monkeypatch.setattr(method_module, "prepare", lambda *a: pytest.fail("prepared a batch for a bad call"))
    with pytest.raises(TypeError, match="n_step"):
        integrated_gradients(toy, SENTENCES, "layer.1", n_step=8)
    with pytest.raises(TypeError, match="positional"):
        occlusion(toy, SENTENCES, "layer.1", "word")


def test_seeded_results_repeat(toy):
    a = gradient_saliency(toy, SENTENCES, "layer.2", mode="hutchinson", probes=16, random_state=7)
    b = gradient_saliency(toy, SENTENCES, "layer.2", mode="hutchinson", probes=16, random_state=7)
    assert all(torch.equal(a.scores[k], b.scores[k]) for k in a.scores)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"level": "piece"}, ValueError, "level"),
        ({"layers": "layer.9"}, ValueError, "not a hidden state"),
        ({"layers": 7}, ValueError, "out of range"),
        ({"sentences": []}, ValueError, "no sentences"),
        ({"sentences": ["ok", "  "]}, ValueError, "empty"),
        ({"sigma_s": {"layer.1": torch.ones(3)}}, ValueError, "shape"),
        ({"sigma_s": {"layer.1": -torch.ones(6)}}, ValueError, "positive"),
        ({"sigma_s": {"layer.2": torch.ones(6)}}, ValueError, "no entry"),
    ],
)
def test_bad_input_gives_clear_errors(toy, kwargs, error, match):
    arguments = {"sentences": SENTENCES, "layers": "layer.1", **kwargs}
    sentences, layers = arguments.pop("sentences"), arguments.pop("layers")
    for method in sorted(METHODS):
        model = ReluToyModel() if method == "lrp" else toy
        with pytest.raises(error, match=match):
            METHODS[method](model, sentences, layers, **arguments)


def test_method_specific_bad_input(toy):
    with pytest.raises(TypeError, match="HookedModel"):
        occlusion(object(), SENTENCES)
    with pytest.raises(ValueError, match="mode"):
        gradient_saliency(toy, SENTENCES, mode="fast")
    with pytest.raises(ValueError, match="probes"):
        gradient_saliency(toy, SENTENCES, probes=0)
    with pytest.raises(ValueError, match="target"):
        integrated_gradients(toy, SENTENCES, target="logit")
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        occlusion(toy, SENTENCES, baseline="mask")
    with pytest.raises(ValueError, match="broadcast"):
        occlusion(toy, SENTENCES, baseline=torch.zeros(3))


# -- the real model ------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_baseline_on_minilm():
    import infolib

    model = infolib.load_model("minilm")
    sentences = ["a good movie", "the plot is unbelievably dull"]
    fingerprint = model.fingerprint()
    before = {k: v.clone() for k, v in model.module.state_dict().items()}
    options = {
        "gradient_saliency": {"probes": 8},
        "integrated_gradients": {"n_steps": 8},
        "occlusion": {"baseline": "mask"},
    }
    for method in ("gradient_saliency", "input_x_gradient", "integrated_gradients", "occlusion"):
        result = METHODS[method](model, sentences, ["layer.1", "layer.6"], **options.get(method, {}))
        assert result.words[1] == ["[CLS]", "the", "plot", "is", "unbelievably", "dull", "[SEP]"]
        for b, words in enumerate(result.words):
            for layer in ("layer.1", "layer.6"):
                score = result.scores[b, layer]
                assert score.shape == (len(words),) and torch.isfinite(score).all()
        assert len(result.to_frame()) == 2 * (5 + 7)
    with pytest.raises(NotImplementedError, match="LayerNorm.*ReluToyModel"):
        lrp(model, sentences, ["layer.1"])
    assert model.fingerprint() == fingerprint
    assert all(torch.equal(v, before[k]) for k, v in model.module.state_dict().items())
    assert not model.module.training


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradient_saliency", "integrated_gradients", "occlusion"])
def test_a_short_sentence_beside_long_ones_scores_as_alone_on_minilm(method):
    """Passes are cut to their longest row (sentences sorted by length), so a short sentence batched with
    long ones is never padded to their length: its scores are those of a run on its own, to float32 rounding
    (relative 1e-4; integrated gradients' adaptive grid may refine one interval differently: 1e-3)."""
    import infolib

    model = infolib.load_model("minilm")
    short = "a good movie"
    long = [
        "the plot , which twists for two hours through seven cities and three decades , is unbelievably dull",
        "it is a charming , funny and thoughtful film that never once talks down to its young audience",
    ]
    options = {"gradient_saliency": {"probes": 8}, "integrated_gradients": {"n_steps": 8}}.get(method, {})
    batched = METHODS[method](model, [long[0], short, long[1]], ["layer.2", "layer.6"], **options)
    alone = METHODS[method](model, [short], ["layer.2", "layer.6"], **options)
    rtol = 1e-3 if method == "integrated_gradients" else 1e-4
    for layer in ("layer.2", "layer.6"):
        torch.testing.assert_close(batched.scores[1, layer], alone.scores[0, layer], rtol=rtol, atol=1e-6)


@pytest.mark.slow
def test_integrated_gradients_completeness_on_bert_sst2(monkeypatch):
    """The issue's case: 'a gorgeously strange movie .', all layers, defaults, σ_S as the notebooks.
    With 32 fixed steps completeness broke by up to ~40 % of the total; now every layer is ≤ 5 %."""
    import infolib
    from infolib.core.sigma_s import sigma_s

    if not (MODEL_CACHE / "models" / "bert-sst2" / "metrics.json").is_file():
        pytest.skip(
            f"bert-sst2 is not trained/cached in {MODEL_CACHE / 'models'} (train it with `python -m "
            "infolib train bert-sst2`)."
        )
    with monkeypatch.context() as patch:  # read the model from the real cache, write nothing there
        patch.setenv("INFOLIB_CACHE", str(MODEL_CACHE))
        model = infolib.load_model("bert-sst2", train=False, progress=False)
    names = model.resolve_layers("all")
    try:
        spread = sigma_s(model, names)  # the default corpus, like analysis.explain_methods
    except infolib.DataNotFoundError as error:
        pytest.skip(f"no SST-2 train data for σ_S: {error}")
    result = integrated_gradients(model, "a gorgeously strange movie .", "all", sigma_s=spread)
    assert result.settings["tolerance"] == 0.05 and result.settings["n_steps"] == 32
    for name in names:
        record = result.extra[0, name]
        assert record["relative_delta"] <= 0.05 and record["converged"], (name, record)
        assert 32 <= record["n_steps"] <= 512
