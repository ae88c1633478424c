"""The authors' algorithm, re-implemented as a labelled reference mode (docs/method.md §2).

One sentence × one hidden state per run; σ = scale · sigmoid(θ) with θ ~ N(0, 1); Adam (lr 0.01);
5000 steps; ONE noise sample per step; the clean pass Φ(x) recomputed at every step; token level
(one σ per word piece); the parameters with the lowest (noisy) loss are kept. The loss is the
authors': mean((Φ(x̃) − s)² / σ_S²) − rate · mean(log sigmoid θ).

This exists for benchmarks and for comparison with published numbers. It is slow (about 94 s per
(sentence, layer) for MiniLM on 2 cores: 2,816 s for 30 pairs in `benchmarks/bench_estimator.py`)
and does not always converge in its 5000 steps (docs/method.md §4); use `infolib.core.explain` for real work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor

from .hooks import HookedModel, frozen

STEPS = 5000
LEARNING_RATE = 0.01


@dataclass
class ReferenceFit:
    """One run of the authors' algorithm.

    Attributes:
        sigma: [n_tokens] σ of the lowest-loss iterate.
        loss_curve: the noisy loss at every step; best_loss: the lowest of them.
        seconds: wall time; steps: steps run.
    """

    sigma: Tensor
    loss_curve: list[float] = field(default_factory=list)
    best_loss: float = float("inf")
    seconds: float = 0.0
    steps: int = 0


def optimise_reference(
    x: Tensor,
    phi: Callable[[Tensor], Tensor],
    sigma_s: Tensor,
    *,
    rate: float = 0.1,
    scale: float = 1.0,
    steps: int = STEPS,
    seed: int | None = None,
) -> ReferenceFit:
    """The authors' optimisation of σ for x [n_tokens, K] under phi (x -> s, any shape).

    `seed=None` draws θ and the noise from torch's global generator, as the authors' code did
    (no seed anywhere); an int makes a run repeatable.
    """
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    theta = torch.randn(x.shape[0], generator=generator).to(x).requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=LEARNING_RATE)
    inv_var = 1.0 / sigma_s**2
    fit = ReferenceFit(sigma=torch.empty(0))
    best_theta = theta.detach().clone()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        with torch.no_grad():
            s = phi(x)  # recomputed every step, as in the authors' code
        sigma = scale * torch.sigmoid(theta)
        noise = torch.randn(x.shape, generator=generator).to(x) if generator else torch.randn_like(x)
        x_tilde = x + sigma[:, None] * noise
        loss = ((phi(x_tilde) - s) ** 2 * inv_var).mean() - rate * torch.log(torch.sigmoid(theta)).mean()
        loss.backward()
        value = float(loss.detach())
        fit.loss_curve.append(value)
        if value < fit.best_loss:
            fit.best_loss, best_theta = value, theta.detach().clone()
        optimizer.step()
    fit.seconds = time.perf_counter() - start
    fit.steps = steps
    fit.sigma = (scale * torch.sigmoid(best_theta)).detach()
    return fit


def explain_reference(
    model: HookedModel,
    sentence: str,
    layer: str,
    sigma_s: Tensor,
    *,
    rate: float = 0.1,
    scale: float | None = None,
    steps: int = STEPS,
    seed: int | None = None,
) -> ReferenceFit:
    """The authors' algorithm on one sentence and one hidden state of a model (token level).

    Noise goes on the output of the embedding module; [CLS] and [SEP] are perturbed like any token.
    """
    model.check_name(layer)
    encoding = model.encode([sentence])
    scale = float(scale if scale is not None else model.default_scale())
    mask = encoding.attention_mask.to(model.device)

    def phi(x: Tensor) -> Tensor:
        return model.run(x[None], mask, [layer])[layer][0]

    with frozen(model.module), torch.no_grad():
        x = model.embed(encoding)[0]
    with frozen(model.module):
        return optimise_reference(x, phi, sigma_s, rate=rate, scale=scale, steps=steps, seed=seed)
