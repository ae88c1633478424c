"""The linear toy of docs/method.md: Φ(x) = Σ w_i x_i with a closed-form σ, its sweeps and convergence."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import torch

from ..core.explain import explain_phi
from ..core.reference import optimise_reference


# -- notebook 01: the linear toy -------------------------------------------------------------------
class LinearPhi:
    """Φ(x) = Σ_i w_i x_i for x [n_words, K]: the oracle of docs/method.md §4 (callable, picklable)."""

    def __init__(self, weights: Sequence[float]):
        self.weights = torch.as_tensor(weights, dtype=torch.float32)

    def __call__(self, x):
        return (self.weights[:, None] * x).sum(0)


def linear_toy(weights: Sequence[float], K: int = 16, x_std: float = 0.01, random_state: int = 0):
    """Words x [n, K] ~ N(0, x_std²), Φ = LinearPhi(weights), and σ_S = x_std·‖w‖ (Φ's spread over such x).

    Returns:
        (x, phi, sigma_s).
    """
    x = x_std * torch.randn(len(weights), K, generator=torch.Generator().manual_seed(random_state))
    phi = LinearPhi(weights)
    return x, phi, float(x_std * phi.weights.norm())


def linear_closed_form(weights: Sequence[float], sigma_s: float, rate: float = 0.1, scale: float = 1.0) -> np.ndarray:
    """[n] σ_i = sqrt(rate / (2 n c)) / |w_i|, c = 1/σ_S² (docs/method.md §4), capped at scale."""
    w = np.abs(np.asarray(weights, dtype=float))
    c = 1.0 / sigma_s**2
    return np.minimum(np.sqrt(rate / (2 * len(w) * c)) / w, scale)


def inverse_order_holds(weights: Sequence[float], sigma: Sequence[float]) -> bool:
    """True when σ orders the words inversely to |w|: |w_i| > |w_j| ⇒ σ_i < σ_j (ties in |w| ignored)."""
    w, s = np.abs(np.asarray(weights, dtype=float)), np.asarray(sigma, dtype=float)
    if w.shape != s.shape:
        raise ValueError(f"weights and sigma differ in shape: {w.shape} and {s.shape}.")
    bigger = w[:, None] > w[None, :]
    return bool((s[:, None] < s[None, :])[bigger].all())


def linear_sweep(
    weights: Sequence[float], setting: str, values: Sequence[float], K: int = 16, **settings
) -> pd.DataFrame:
    """σ of each word of the linear toy for each value of one estimator setting ('rate' or 'scale').

    Returns:
        DataFrame: word, weight, <setting>, sigma, closed_form.
    """

    if setting not in ("rate", "scale"):
        raise ValueError(f"setting must be 'rate' or 'scale', got {setting!r}.")
    x, phi, spread = linear_toy(weights, K)
    rows = []
    for value in values:
        config = {"rate": 0.1, "scale": 1.0, **settings, setting: value}
        fit = explain_phi(x, phi, spread, **config)
        closed = linear_closed_form(weights, spread, config["rate"], config["scale"])
        for i, w in enumerate(weights):
            rows.append(
                {"word": i, "weight": w, setting: value, "sigma": float(fit.sigma[i]), "closed_form": float(closed[i])}
            )
    return pd.DataFrame(rows)


def linear_convergence(
    weights: Sequence[float], K: int = 16, reference_steps: int = 5000, random_state: int = 0, **settings
) -> dict:
    """Loss curves and final σ of infolib's estimator and the authors' Adam on the linear toy.

    Returns:
        {'curves': {label: [steps] objective}, 'table': DataFrame word, weight, closed_form,
            infolib, reference, infolib_error, reference_error (relative errors)}.
    """

    x, phi, spread = linear_toy(weights, K)
    closed = linear_closed_form(weights, spread)
    fit = explain_phi(x, phi, spread, random_state=random_state, **settings)
    ref = optimise_reference(x, phi, torch.tensor(spread), steps=reference_steps, seed=random_state)
    table = pd.DataFrame(
        {
            "word": range(len(weights)),
            "weight": list(weights),
            "closed_form": closed,
            "infolib": fit.sigma.numpy(),
            "reference": ref.sigma.numpy(),
        }
    )
    table["infolib_error"] = table["infolib"] / table["closed_form"] - 1
    table["reference_error"] = table["reference"] / table["closed_form"] - 1
    return {
        "curves": {
            "infolib (damped Newton in log σ)": fit.loss_curve,
            f"authors' Adam, {reference_steps} steps": ref.loss_curve,
        },
        "table": table,
    }
