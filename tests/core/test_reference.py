"""The authors' algorithm as a reference mode: faithful mechanics, and its known slow convergence."""

import math

import torch

from infolib.core.reference import explain_reference, optimise_reference


def test_reference_keeps_lowest_loss_and_stays_in_bounds():
    w = torch.tensor([3.0, -7.0, 0.5])
    x = 0.01 * torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    fit = optimise_reference(x, lambda x: (w[:, None] * x).sum(0), torch.ones(16), steps=300, seed=0, scale=1.0)
    assert fit.steps == 300 and len(fit.loss_curve) == 300
    assert fit.best_loss == min(fit.loss_curve)
    assert ((fit.sigma > 0) & (fit.sigma < 1.0)).all()


def test_reference_is_repeatable_with_a_seed():
    w = torch.tensor([3.0, -7.0])
    x = 0.01 * torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    phi = lambda x: (w[:, None] * x).sum(0)  # noqa: E731
    a = optimise_reference(x, phi, torch.ones(8), steps=50, seed=3)
    b = optimise_reference(x, phi, torch.ones(8), steps=50, seed=3)
    assert torch.equal(a.sigma, b.sigma)


def test_reference_lags_on_strong_words_after_5000_steps():
    """docs/method.md §4: after 5000 Adam steps the strongest word is still far from its closed form."""
    w = torch.tensor([3.0, -7.0, 0.5, 12.0, 1.5, -2.0])
    x = 0.01 * torch.randn(6, 64, generator=torch.Generator().manual_seed(0))
    fit = optimise_reference(x, lambda x: (w[:, None] * x).sum(0), torch.ones(64), seed=0, scale=1.0)
    closed = math.sqrt(0.1 / 12) / w.abs()
    ratio = fit.sigma / closed
    assert ratio[3] > 2.0  # |w| = 12: far too large σ
    assert abs(ratio[2] - 1) < 0.1  # |w| = 0.5: right


def test_reference_on_minilm_token_level(minilm, minilm_sigma_s):
    fit = explain_reference(minilm, "a charming journey", "layer.2", minilm_sigma_s["layer.2"], steps=20, seed=0)
    assert fit.sigma.shape == (5,)  # [CLS] a charming journey [SEP]
    assert torch.isfinite(fit.sigma).all()
