"""Analytic oracles of METHOD.md §4 for the estimator on plain tensors (`explain_phi`)."""

import math

import pytest
import torch

import infolib

TOY_W = torch.tensor([10.0, 20.0, 5.0, -20.0, -10.0])  # the authors' toy weights


def linear_phi(w):
    return lambda x: (w[:, None] * x).sum(0)


def closed_form(w, rate, sigma_s):
    c = float((1.0 / torch.as_tensor(sigma_s) ** 2).mean())
    return math.sqrt(rate / (2 * len(w) * c)) / w.abs()


def test_authors_toy_matches_closed_form_within_5_percent():
    x = 0.01 * torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
    sigma_s = 0.01 * TOY_W.norm()  # the spread of Φ over data like x
    result = infolib.explain_phi(x, linear_phi(TOY_W), sigma_s, rate=0.1, scale=1.0)
    expected = closed_form(TOY_W, 0.1, sigma_s)
    assert torch.allclose(expected, torch.tensor([0.0032, 0.0016, 0.0064, 0.0016, 0.0032]), atol=1e-4)
    assert (result.sigma / expected - 1).abs().max() < 0.05
    assert result.converged


def test_authors_toy_ranking_exact():
    x = 0.01 * torch.randn(5, 16, generator=torch.Generator().manual_seed(1))
    result = infolib.explain_phi(x, linear_phi(TOY_W), 0.01 * TOY_W.norm(), rate=0.1, scale=1.0)
    order = torch.argsort(result.sigma)
    expected = torch.argsort(closed_form(TOY_W, 0.1, 1.0))
    # ties (|w| = 20, 20 and 10, 10) may come in either order; compare the sorted |w|
    assert torch.equal(TOY_W.abs()[order], TOY_W.abs()[expected])


def test_hard_case_where_adam_lags_is_solved():
    """METHOD.md §4: six words, K=64; the authors' Adam is 4.4× off for the strongest word."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=1.0)
    assert (result.sigma / closed_form(w, 0.1, torch.ones(64)) - 1).abs().max() < 0.05
    assert result.steps < 60


def test_ignored_word_reaches_scale():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, 0.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(64), rate=0.1, scale=2.0)
    assert result.sigma[-1] >= 0.95 * 2.0
    assert (result.sigma[:-1] < 0.5).all()


def test_scaling_phi_leaves_sigma_unchanged():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    base = infolib.explain_phi(x, linear_phi(w), torch.ones(32), scale=1.0)
    scaled = infolib.explain_phi(x, lambda x: 100 * linear_phi(w)(x), 100 * torch.ones(32), scale=1.0)
    assert torch.allclose(base.sigma, scaled.sigma, rtol=1e-4)


def test_default_sigma_s_is_scale_invariant():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    base = infolib.explain_phi(x, linear_phi(w), scale=1.0)
    scaled = infolib.explain_phi(x, lambda x: 100 * linear_phi(w)(x), scale=1.0)
    assert torch.allclose(base.sigma, scaled.sigma, rtol=1e-4)


def test_same_random_state_same_sigma_and_different_seed_close():
    w = torch.tensor([3.0, -7.0, 0.5, 12.0])
    x = torch.randn(4, 32, generator=torch.Generator().manual_seed(0))
    a = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=7)
    b = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=7)
    c = infolib.explain_phi(x, linear_phi(w), torch.ones(32), random_state=8)
    assert torch.equal(a.sigma, b.sigma)
    assert not torch.equal(a.sigma, c.sigma)
    assert torch.allclose(a.sigma, c.sigma, rtol=0.05)


def test_entropy_in_nats_follows_sigma():
    w = torch.tensor([3.0, -7.0])
    x = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    result = infolib.explain_phi(x, linear_phi(w), torch.ones(8))
    expected = 8 * (0.5 * math.log(2 * math.pi * math.e) + torch.log(result.sigma))
    assert torch.allclose(result.entropy_nats, expected)
    assert torch.allclose(result.entropy_bits, expected / math.log(2))


def test_whole_layer_is_explained_not_one_token(scaled_tokens):
    """Regression for METHOD.md §3: every token of the layer counts, so each gets its own closed form."""
    explanation = infolib.explain(
        scaled_tokens, "a b c d e f", "layer.1", sigma_s={"layer.1": torch.ones(32)}, progress=False, scale=1.0
    )
    sigma = explanation.sigma[0, "layer.1"]
    w = scaled_tokens.weights
    # Whole layer: R = mean_t w_t² σ_t² c over T tokens, entropy mean_t log σ_t → σ_t = sqrt(rate/2c)/|w_t|.
    expected = math.sqrt(0.1 / 2) / w[:5].abs()
    assert (sigma[:5] / expected - 1).abs().max() < 0.05
    assert sigma[5] >= 0.95  # weight 0: forgotten


def test_rate_for_lambda_conventions():
    assert infolib.rate_for_lambda(0.1, n_tokens=12, whole_layer=True) == 0.1
    assert infolib.rate_for_lambda(0.1, n_tokens=12, whole_layer=False) == pytest.approx(1.2)


# -- cancellation through the optimiser ---------------------------------------------------------
def test_callback_runs_once_per_step_and_can_cancel(tmp_path):
    from infolib.core.estimator import Cancelled
    from infolib.core.store import ResultCache
    from infolib.testing import LinearToyModel

    toy, spread = LinearToyModel(), {"layer.1": torch.ones(6)}
    steps = []
    result = infolib.explain(
        toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=12, callback=steps.append
    )
    assert steps == list(range(1, result.diagnostics[0, "layer.1"]["steps"] + 1))

    def cancel_at_3(step):
        if step == 3:
            raise Cancelled()
        steps.append(step)

    steps.clear()
    store = ResultCache(tmp_path)
    with pytest.raises(Cancelled):
        infolib.explain(
            toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=12, cache=store, callback=cancel_at_3
        )
    assert steps == [1, 2] and len(store) == 0  # stopped at step 3; nothing half-done was stored


# -- a Settings object as well as keywords --------------------------------------------------------
def test_settings_object_equals_keywords_and_conflicts_are_named(tmp_path):
    from infolib.core.corpus import explain_corpus
    from infolib.core.store import ResultCache
    from infolib.testing import LinearToyModel

    toy, spread = LinearToyModel(), {"layer.1": torch.ones(6)}
    settings = infolib.Settings(max_steps=6, random_state=4, rate=0.2)
    by_keywords = infolib.explain(
        toy, "a b c", "layer.1", sigma_s=spread, progress=False, max_steps=6, random_state=4, rate=0.2
    )
    by_object = infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, progress=False, settings=settings)
    both = infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, progress=False, settings=settings, max_steps=6)
    assert torch.equal(by_object.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    assert torch.equal(both.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    assert by_object.settings == by_keywords.settings
    with pytest.raises(ValueError, match=r"disagree: max_steps=9 \(settings has 6\)"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings=settings, max_steps=9)
    with pytest.raises(TypeError, match="max_stesp"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings=settings, max_stesp=9)
    with pytest.raises(TypeError, match="infolib.Settings"):
        infolib.explain(toy, "a b c", "layer.1", sigma_s=spread, settings={"max_steps": 6})
    corpus = explain_corpus(
        toy, ["a b c", "d e"], "layer.1", sigma_s=spread, progress=False, settings=settings, cache=ResultCache(tmp_path)
    )
    assert torch.equal(corpus.sigma[0, "layer.1"], by_keywords.sigma[0, "layer.1"])
    with pytest.raises(ValueError, match="disagree"):
        explain_corpus(
            toy,
            ["a b c"],
            "layer.1",
            sigma_s=spread,
            progress=False,
            settings=settings,
            rate=0.1,
            cache=ResultCache(tmp_path),
        )


def test_explain_phi_takes_a_settings_object():
    w = torch.tensor([3.0, -7.0])
    x = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    a = infolib.explain_phi(x, linear_phi(w), torch.ones(8), rate=0.2, random_state=5)
    b = infolib.explain_phi(x, linear_phi(w), torch.ones(8), settings=infolib.Settings(rate=0.2, random_state=5))
    assert torch.equal(a.sigma, b.sigma) and a.scale == b.scale == 1.0
    with pytest.raises(ValueError, match="rate=0.1"):
        infolib.explain_phi(x, linear_phi(w), settings=infolib.Settings(rate=0.2), rate=0.1)


# -- the normalised change, shared by the estimator and the baselines ------------------------------
def test_normalised_change_is_the_mean_over_real_elements():
    from infolib.core.inputs import normalised_change

    clean = torch.zeros(2, 3, 2)
    state = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])  # sentence 0 has 2 real tokens: its third is padding
    inv_var = torch.tensor([1.0, 0.25])  # σ_S = (1, 2)
    expected = torch.tensor([(1 + 1 + 9 + 4) / 4, (1 + 0.25) / 2])
    torch.testing.assert_close(normalised_change(state, clean, inv_var, mask), expected)
    vector = normalised_change(state[:, 0], clean[:, 0], inv_var)
    torch.testing.assert_close(vector, torch.tensor([(1 + 1) / 2, 1.25 / 2]))
    # σ_S = inf (a dimension that never varies) adds nothing
    never_varies = normalised_change(state[:, 0], clean[:, 0], torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(never_varies, torch.tensor([0.5, 0.5]))
