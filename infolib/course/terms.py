"""The estimator's own loss terms for a Φ on tensors, for the course's checks and given cells.

Built from `infolib.core.estimator` (its `Problem`, `reconstruction` and entropy term), so what a
student's answer is compared with is what infolib computes, not a second implementation.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from ..core.estimator import Problem, _Packed, reconstruction


def _problem(x: Tensor, phi: Callable[[Tensor], Tensor], sigma_s: float, rate: float):
    """One (sentence, Φ) pair as the estimator sees it: x [n, K], one unit per word."""
    x = x.double()
    s = phi(x)

    def error(x_tilde: Tensor, pairs: Tensor) -> Tensor:
        return ((torch.stack([phi(row) for row in x_tilde]) - s) / sigma_s).pow(2).reshape(len(x_tilde), -1).mean(1)

    problem = Problem([x], [torch.arange(len(x))], [0], error, [s.numel()])
    return problem, _Packed(problem, rate)


def estimator_loss(sigma: Tensor, x: Tensor, phi, sigma_s: float, rate: float, scale: float, noise: Tensor) -> float:
    """L(σ) as the estimator computes it, with the given noise [S, n, K] (σ [n], x [n, K])."""
    problem, packed = _problem(x, phi, sigma_s, rate)
    log_sigma, pairs = torch.log(sigma.double())[None], torch.tensor([0])
    R = reconstruction(problem, packed, log_sigma, pairs, torch.tensor([len(noise)]), noise.double(), 10**6, False)
    return float(R[0] - rate * packed.entropy_term(log_sigma, math.log(scale), pairs)[0])


def reconstruction_gradient(
    log_sigma: Tensor, x: Tensor, phi, sigma_s: float, samples: int = 64, seed: int = 0
) -> Tensor:
    """[n] g_i = ∂R/∂log σ_i, the reconstruction term's gradient in log σ, from `samples` seeded noise draws.

    The Newton step of lesson 2 moves log σ_i until g_i equals r_i = rate / n (the entropy term's slope).
    """
    problem, packed = _problem(x, phi, sigma_s, rate=1.0)
    log_sigma = log_sigma.detach().double()[None].clone().requires_grad_(True)
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(samples, *x.shape, generator=generator, dtype=torch.float64)
    reconstruction(problem, packed, log_sigma, torch.tensor([0]), torch.tensor([samples]), noise, 10**6, True)
    return log_sigma.grad[0].detach()
