"""The σ-optimisation: the largest Gaussian noise each word can take without changing s.

For one (sentence, hidden state) pair with tokens t = 1 … T grouped into units i (words, or the
tokens themselves), the loss minimised is the authors' (docs/method.md §2):

    L(σ) = mean_elements E_ε[((Φ(x + σ·ε) − s) / σ_S)²]  −  rate · mean_t log(σ_t / scale)
         =            R(σ)                              −  entropy term

with σ_t the σ of token t's unit, 0 < σ ≤ scale. With means over all elements of s, `rate` is
the paper's λ when s is a whole layer (see `rate_for_lambda`).

Optimiser. Each step draws `samples` fresh noise draws per pair and measures, by back-propagation,
g_i = ∂R/∂log σ_i. The loss is stationary where g_i = r_i = rate · m_i / T (m_i = tokens of unit i).
Near the optimum R is quadratic in σ (R ≈ Σ a_i σ_i², so g_i ∝ σ_i²), which makes

    log σ_i ← log σ_i + ½ · (log r_i − log g_i)

a Newton step in log σ that lands on the optimum in one move for the quadratic part, whatever the
word's weight. That is what the authors' Adam cannot do: its step sizes are set by gradient history,
and strongly used words, whose gradients start thousands of times larger, crawl (docs/method.md §4).
Steps are clipped to ±`max_step`, σ to (0, scale].

Start. start='fixed' (the default) puts every unit at `init` × scale. start='linearised' puts unit i
at the optimum of the loss with Φ linearised at x, σ_i⁰ = sqrt(r_i / (2 â_i)), clipped to (0, scale]:
there R(σ) = Σ_i â_i σ_i² with â_i = Σ_{t∈i} ‖∂(s/σ_S)/∂x_t‖²_F / M (M = elements of s, the loss's
mean), estimated from `probes` Hutchinson vector-Jacobian products (`curvature`), which cost one
forward and backward pass each and are counted in `PairFit.passes`. For a linear Φ the start is the
closed form up to the probes' noise, and one Newton step from any start is exact (with the default
orthogonal draws; up to the draws' noise with Gaussian ones). It is not the default because it does
not pay on real models: on MiniLM (1 SST-2 sentence × 6 layers, token level, against a 100-step run)
the iteration's Monte-Carlo noise, not the distance from the start, sets the steps needed. Two
Newton steps after the start (10-12 passes) leave the objective 0.7-1.1 % above the optimum on the
mean pair; with warmup=1 it needs a median of 26 passes for 0.12 % (mean) and 0.38 % (worst),
against 28 passes, 0.11 % and 0.29 % for the fixed start (`benchmarks/bench_stopping.py --sentences
1 --long-steps 100 --settings ...`).

Warm start. A pair may bring its own start, `Problem.warm_start` ([n_units] σ, NaN for the units without
one, which take the default start): the what-if tool starts the words an edit left alone at their σ
before the edit. A warm-started pair's warm-up is `Problem.warm_warmup` full Newton steps (default
`WARM_WARMUP`) instead of `Settings.warmup`: it starts near its optimum, so its stopping test and
its window average begin sooner. Measured on bert-sst2 (the 7 edits × 6 layers of
`benchmarks/bench_probe.py`, the what-if settings: 4 draws per step, window 2, undamped), against the
estimator's defaults: warm-started pairs stop after a median of 2 steps (8 passes) with the objective
+0.29 % above the defaults' on the median pair; from the default start the same settings take 4 steps.
A warm-up of 1 with a window of 3 and damping 0.5 (20 passes) gives +0.02 % median, +3 % worst.
A pair without a start is optimised exactly as before.

Stopping is a sequential test on u_i = log(g_i / r_i), which is 0 at the optimum. After the
`warmup` full Newton steps, a pair stops as soon as the last `window` values of u are consistent
with noise around 0: the root mean square over units of their window means is within `z` standard
errors (root mean square of the units' standard errors) plus `tol`. Its σ is then the geometric
mean over that window of the damped Newton iterates log σ_i − damping · ½ u_i, which averages away
the noise of the Monte-Carlo gradients. On MiniLM this stops after a median of 7 steps where the
previous rule (no improvement of the windowed objective) took 14, for the same objective within
0.1 % (`benchmarks/bench_estimator.py`). A word Φ ignores (g_i ≤ 0) pinned at σ = scale counts as converged.

Noise. Each step's draws keep the paper's first two moments (every token's ε has mean 0 and covariance I),
but by default they are orthogonal across the tokens of a draw and of length √K (`Settings.noise`). A
linear Φ's R then has no Monte-Carlo noise at all, and one Newton step from any start lands on the closed
form. The objective L(σ) is still the paper's, with Gaussian ε: `objective` measures it so.

Pairs never interact: each has its own σ, its own seeded noise stream and its own stopping time, so
a batch gives the same answer as separate runs with the same seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Callable, Sequence

import torch
from torch import Tensor

from .precision import PRECISIONS

# err(x_tilde [rows, T, K], pair_of_row [rows]) -> [rows] normalised squared error of each row.
ErrorFn = Callable[[Tensor, Tensor], Tensor]
# state(x_tilde [rows, T, K], pair_of_row [rows]) -> [rows, M] each row's hidden state divided by σ_S,
# flattened, its pair's `elements` real numbers first (a layer's real tokens, then padding), zero on
# padded tokens and on dimensions that never vary (σ_S = inf); M ≥ every row's elements.
StateFn = Callable[[Tensor, Tensor], Tensor]
STARTS = ("linearised", "fixed")
NOISES = ("gaussian", "orthogonal")
# Full Newton steps before the stopping test for a warm-started pair (see `Problem.warm_start`).
WARM_WARMUP = 0


class Cancelled(Exception):
    """Raised by an `optimise(..., callback=...)` callback to stop between two steps (e.g. a newer request won)."""


@dataclass(frozen=True)
class Settings:
    """Estimator settings; every one changes the answer, so all are part of a result's key.

    Attributes:
        rate: weight λ of the entropy term (authors' convention, see module doc). Default 0.1.
        scale: upper bound of σ; None = the model's default (10 × word-embedding std).
        samples: noise draws per pair and step; None = enough that samples × elements of s is at
            least `draws_per_step` (between 4 and 64), so small hidden states get more draws.
            Whole layers get 4: on MiniLM, 8 changes the objective by < 0.1 % at twice the cost.
        draws_per_step: see samples.
        max_steps: cap on optimisation steps.
        window: steps after the warmup tested by the stopping rule and averaged into the final σ.
        z: the stopping test's width in standard errors of the window means of log(g/r).
        tol: slack of the stopping test in log(g/r) (0.03: g within 3 % of r on average).
        max_step: largest change of log σ in one step.
        start: 'linearised': each unit starts at its linearised optimum sqrt(r_i / (2 â_i)), â_i from
            `probes` vector-Jacobian products (see `curvature`); 'fixed': every unit starts at
            `init` × scale (the estimator before the linearised start).
        probes: Hutchinson probes for the linearised start, one forward and backward pass each.
        init: starting σ as a fraction of scale, for start='fixed'.
        damping: fraction of the Newton step taken after the first `warmup` steps; < 1 keeps the
            iteration stable where R grows faster than σ² and halves the Monte-Carlo jitter.
        warmup: full Newton steps at the start (from `init` straight to the optimum's neighbourhood).
        random_state: seed of the noise; the same seed gives the same σ.
        noise: how a step's draws are made, both with each token's noise of mean 0 and covariance I.
            'orthogonal' (default): within a draw the tokens' vectors are orthogonal and of length √K
            (`orthogonal_frame`), so a draw has no cross terms between words and no spread in length: for a
            linear Φ one draw gives the exact gradient, and the closed form in one step (docs/method.md §4).
            'gaussian': independent standard normal draws (the estimator before; the authors' sampling).
            On MiniLM (30 token-level pairs, 3 seeds) both reach the same objective under Gaussian noise,
            +0.14 % (orthogonal) and +0.16 % (gaussian) above a 400-step run on the mean pair.
        precision: 'float32', or 'bfloat16': Φ (the model's forward and backward passes, and the clean
            state) runs under bf16 autocast while σ, the loss and its gradient stay float32. Fast where the
            hardware has bf16 arithmetic (`infolib.core.precision.fast_bfloat16`), slow where it is emulated.
            On MiniLM (30 token-level pairs, 2 cores with AVX-512 BF16) 2.4 s instead of 3.6 s, objective
            +0.04 % (mean) and +1.2 % (worst pair) above float32's σ (`benchmarks/bench_estimator.py`).
        memory_budget_mb: rows per forward are limited so activations stay under this.
    """

    rate: float = 0.1
    scale: float | None = None
    samples: int | None = None
    draws_per_step: int = 2048
    max_steps: int = 200
    window: int = 4
    z: float = 0.75
    tol: float = 0.03
    max_step: float = 3.0
    start: str = "fixed"
    probes: int = 2
    init: float = 0.1
    damping: float = 0.5
    warmup: int = 2
    random_state: int = 0
    noise: str = "orthogonal"
    precision: str = "float32"
    memory_budget_mb: float = 2048.0

    def samples_for(self, elements: int) -> int:
        """Noise draws per step for a hidden state of `elements` numbers."""
        if self.samples is not None:
            return int(self.samples)
        return int(min(64, max(4, math.ceil(self.draws_per_step / max(elements, 1)))))

    def check(self) -> None:
        def positive(name, value, kind=float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise TypeError(f"{name} must be a finite number, got {value!r}.")
            if kind is int and int(value) != value:
                raise ValueError(f"{name} must be a whole number, got {value!r}.")
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value!r}.")

        positive("rate", self.rate)
        if self.scale is not None:
            positive("scale", self.scale)
        if self.samples is not None:
            positive("samples", self.samples, int)
        positive("draws_per_step", self.draws_per_step, int)
        for name in ("max_steps", "window"):
            positive(name, getattr(self, name), int)
        positive("tol", self.tol)
        if isinstance(self.z, bool) or not isinstance(self.z, (int, float)) or not math.isfinite(self.z) or self.z < 0:
            raise ValueError(f"z must be a finite number ≥ 0, got {self.z!r}.")
        positive("max_step", self.max_step)
        positive("memory_budget_mb", self.memory_budget_mb)
        if isinstance(self.damping, bool) or not isinstance(self.damping, (int, float)) or not 0 < self.damping <= 1:
            raise ValueError(f"damping is a fraction in (0, 1], got {self.damping!r}.")
        if isinstance(self.warmup, bool) or not isinstance(self.warmup, int) or self.warmup < 0:
            raise ValueError(f"warmup must be a whole number ≥ 0, got {self.warmup!r}.")
        if self.start not in STARTS:
            raise ValueError(f"start must be one of {', '.join(map(repr, STARTS))}, got {self.start!r}.")
        positive("probes", self.probes, int)
        if self.noise not in NOISES:
            raise ValueError(f"noise must be one of {', '.join(map(repr, NOISES))}, got {self.noise!r}.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {self.precision!r}.")
        if isinstance(self.init, bool) or not isinstance(self.init, (int, float)) or not 0 < self.init <= 1:
            raise ValueError(f"init is a fraction of scale in (0, 1], got {self.init!r}.")
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int):
            raise TypeError(f"random_state must be an int, got {self.random_state!r}.")


def resolve_settings(settings: Settings | None = None, **kwargs) -> Settings:
    """The estimator settings from a `Settings`, from keywords, or from both when they agree.

    Raises:
        TypeError: `settings` is not a Settings, or a keyword is not a setting.
        ValueError: a keyword disagrees with the value `settings` holds.
    """
    if settings is None:
        return Settings(**kwargs)
    if not isinstance(settings, Settings):
        raise TypeError(f"settings must be an infolib.Settings(...), got {type(settings).__name__}.")
    unknown = sorted(set(kwargs) - {f.name for f in fields(Settings)})
    if unknown:
        raise TypeError(f"unknown estimator setting(s) {', '.join(unknown)}: see infolib.Settings for the names.")
    conflicts = [
        f"{name}={value!r} (settings has {getattr(settings, name)!r})"
        for name, value in kwargs.items()
        if getattr(settings, name) != value
    ]
    if conflicts:
        raise ValueError(
            f"settings and keyword settings disagree: {'; '.join(conflicts)}. "
            f"Give each setting once, in settings=Settings(...) or as a keyword."
        )
    return settings


@dataclass
class PairFit:
    """The optimisation of one (sentence, hidden state) pair.

    Attributes:
        sigma: [n_units] σ at the optimum.
        loss_curve: objective (noisy estimate) at each step.
        steps: steps taken.
        converged: stopped by the rule, not by the cap.
        passes: forward and backward passes of Φ spent on the pair (the start's probes included).
        warm_start: the pair started from `Problem.warm_start` (at least one unit).
    """

    sigma: Tensor
    loss_curve: list[float] = field(default_factory=list)
    steps: int = 0
    converged: bool = False
    passes: int = 0
    warm_start: bool = False


@dataclass
class Problem:
    """Pairs to optimise together.

    Attributes:
        x: per pair, the clean input [T_p, K].
        unit_of_token: per pair, [T_p] the unit (word) each token belongs to.
        seeds: per pair, the seed of its own noise stream.
        error: normalised squared error of perturbed rows (see ErrorFn).
        state: the normalised hidden state of rows (see StateFn), for the linearised start.
        elements: per pair, how many numbers the hidden state s has (sets the default samples).
        row_bytes: estimated activation memory of one row of T tokens, for chunking.
        warm_start: None, or per pair None or [n_units] starting σ (NaN or ≤ 0 = this unit takes the
            settings' start); a pair with at least one given unit is warm-started.
        warm_warmup: full Newton steps before the stopping test for a warm-started pair.
    """

    x: list[Tensor]
    unit_of_token: list[Tensor]
    seeds: list[int]
    error: ErrorFn
    elements: list[int]
    row_bytes: Callable[[int], float] = lambda tokens: 64.0 * tokens * 1024
    state: StateFn | None = None
    warm_start: list[Tensor | None] | None = None
    warm_warmup: int = WARM_WARMUP

    @property
    def n_pairs(self) -> int:
        return len(self.x)


class _Packed:
    """The problem's pairs padded into tensors: x [P, T, K], unit [P, T], r [P, U]."""

    def __init__(self, problem: Problem, rate: float):
        self.lengths = torch.tensor([len(x) for x in problem.x])
        self.n_units = torch.tensor([int(u.max()) + 1 for u in problem.unit_of_token])
        P, T, U = problem.n_pairs, int(self.lengths.max()), int(self.n_units.max())
        K = problem.x[0].shape[1]
        device, dtype = problem.x[0].device, problem.x[0].dtype
        self.x = torch.zeros(P, T, K, device=device, dtype=dtype)
        self.unit = torch.zeros(P, T, dtype=torch.long, device=device)
        self.token_mask = torch.zeros(P, T, dtype=dtype, device=device)
        self.tokens_per_unit = torch.zeros(P, U, dtype=dtype, device=device)
        for p, (x, unit) in enumerate(zip(problem.x, problem.unit_of_token)):
            n = len(x)
            self.x[p, :n], self.unit[p, :n], self.token_mask[p, :n] = x, unit, 1
            self.tokens_per_unit[p].index_add_(0, unit.to(device), torch.ones(n, dtype=dtype, device=device))
        self.unit_mask = self.tokens_per_unit > 0
        # Stationary point: g_i = r_i, the entropy term's derivative in log σ_i.
        self.r = rate * self.tokens_per_unit / self.lengths.to(device, dtype)[:, None]

    def sigma_of_tokens(self, log_sigma: Tensor, pairs: Tensor) -> Tensor:
        """[rows, T] σ of each token, from the units' log σ [rows, U]."""
        return torch.exp(torch.gather(log_sigma, 1, self.unit[pairs]))

    def entropy_term(self, log_sigma: Tensor, log_scale: float, pairs: Tensor) -> Tensor:
        """[len(pairs)] mean_t log(σ_t / scale) over each pair's real tokens; log_sigma: [len(pairs), U]."""
        per_token = torch.gather(log_sigma, 1, self.unit[pairs]) - log_scale
        mask = self.token_mask[pairs]
        return (per_token * mask).sum(1) / mask.sum(1)


def _noise(
    generators: Sequence[torch.Generator],
    pairs: Sequence[int],
    samples: Sequence[int],
    lengths: Tensor,
    T: int,
    K: int,
    like: Tensor,
    kind: str = "gaussian",
) -> Tensor:
    """[sum(samples), T, K] noise of identity covariance, each pair's rows from its own stream.

    kind 'gaussian': standard normal. 'orthogonal': in each draw, the tokens' noise vectors are
    orthogonal and of length √K (blocks of K tokens where T > K; see `orthogonal_frame`).
    Drawn at each pair's own length, then padded, so a pair's noise does not depend on which
    other pairs share the batch.
    """
    out = torch.zeros(int(sum(samples)), T, K, dtype=like.dtype)
    row = 0
    for p, n_samples in zip(pairs, samples):
        n = int(lengths[p])
        draw = torch.randn(n_samples, n, K, generator=generators[p], dtype=like.dtype)
        out[row : row + n_samples, :n] = orthogonal_frame(draw) if kind == "orthogonal" else draw
        row += n_samples
    return out.to(like.device)


def orthogonal_frame(gaussian: Tensor) -> Tensor:
    """[S, n, K] each draw's n token vectors made orthogonal, each of length √K (blocks of K tokens if n > K).

    The Haar-random orthonormal rows of the QR decomposition (signs fixed by R's diagonal), scaled by √K:
    every vector still has identity covariance and mean 0, so E[R(σ)] is unchanged for a Φ that is linear
    (or quadratic within each token), but a draw has no cross terms between tokens and no spread in length.
    """
    S, n, K = gaussian.shape
    out = torch.empty_like(gaussian)
    for start in range(0, n, K):
        block = gaussian[:, start : start + K].transpose(1, 2).double()  # [S, K, b]
        q, r = torch.linalg.qr(block)  # q [S, K, b]
        q = q * torch.sign(torch.diagonal(r, dim1=1, dim2=2)).unsqueeze(1)
        out[:, start : start + K] = (q.transpose(1, 2) * math.sqrt(K)).to(gaussian.dtype)
    return out


def reconstruction(
    problem: Problem,
    packed: _Packed,
    log_sigma: Tensor,
    pairs: Tensor,
    samples: Tensor,
    noise: Tensor,
    chunk_rows: int,
    grad: bool,
) -> Tensor:
    """[len(pairs)] R(σ), each pair's mean over its `samples` rows of `noise` [sum(samples), T, K].

    With grad=True, back-propagates chunk by chunk into log_sigma.grad (so memory stays bounded).
    """
    pair_of_row = pairs.repeat_interleave(samples)
    local_of_row = torch.arange(len(pairs), device=pairs.device).repeat_interleave(samples)
    weight_of_row = 1.0 / samples.to(log_sigma.dtype).repeat_interleave(samples)
    total = torch.zeros(len(pairs), dtype=log_sigma.dtype, device=log_sigma.device)
    for rows, width in _chunks(packed.lengths.to(pairs.device)[pair_of_row], chunk_rows, packed.x.shape[1]):
        p = pair_of_row[rows]
        sigma = packed.sigma_of_tokens(log_sigma[p], p)[:, :width] * packed.token_mask[p, :width]
        x_tilde = packed.x[p, :width] + sigma[..., None] * noise[rows, :width]
        with torch.set_grad_enabled(grad):
            err = problem.error(x_tilde, p)
            if not torch.isfinite(err).all():
                raise FloatingPointError(
                    "Φ returned non-finite values (NaN or inf) under noise. Check that the model or "
                    "phi is finite for inputs near x, and that σ_S has no zeros."
                )
            err = err * weight_of_row[rows]
            if grad:
                err.sum().backward()
        total.index_add_(0, local_of_row[rows], err.detach())
    return total


# Rows go through Φ in chunks of similar lengths (`_chunks`): a chunk holding CHUNK_TOKENS padded tokens ends
# where the next row is more than CHUNK_GROWTH × its shortest row. On the 30 MiniLM pairs of `make bench`
# (2 threads) a step took 2.9-3.1 s in all instead of 4.5-5.0 s padded to the longest sentence; on bert-sst2's
# 20 first dev sentences × 6 layers (1 thread, lengths 8-44) 24-25 s instead of 50 s. Chunks of up to 2,048
# tokens gave 4.3-4.6 s and 29-32 s.
CHUNK_TOKENS = 64
CHUNK_GROWTH = 1.05


def _chunks(lengths: Tensor, chunk_rows: int, T: int):
    """Yield (rows [n], width): the rows in order of length, cut into chunks padded only to their longest row.

    A chunk holds at most `chunk_rows` × T padded tokens (the memory budget at the full width T); once it holds
    `CHUNK_TOKENS`, a row more than `CHUNK_GROWTH` × its shortest row's length starts the next chunk, so short
    sentences are not padded to the longest one of the batch and the batches stay large enough to be fast.
    """
    order = torch.argsort(lengths.cpu(), stable=True)
    widths = lengths.cpu()[order].tolist()
    budget, start = chunk_rows * T, 0
    while start < len(order):
        end = start + 1
        while end < len(order):
            width = widths[end]
            if (end + 1 - start) * width > budget:
                break
            if (end - start) * widths[end - 1] >= CHUNK_TOKENS and width > CHUNK_GROWTH * widths[start]:
                break
            end += 1
        yield order[start:end].to(lengths.device), int(widths[end - 1])
        start = end


def curvature(
    problem: Problem, packed: _Packed, probes: int, generators: Sequence[torch.Generator], chunk_rows: int
) -> Tensor:
    """[P, U] â_i: the curvature of R in σ_i² at σ → 0, R ≈ Σ_i â_i σ_i², from Hutchinson probes.

    For Φ linearised at x, R(σ) = Σ_t σ_t² ‖J_t‖²_F / M with J_t = ∂(s/σ_S)/∂x_t [M, K] and M the
    elements of s (the loss's mean), so â_i = Σ_{t ∈ i} ‖J_t‖²_F / M. Each probe is one vector-
    Jacobian product (one forward and backward pass of the clean x): for v ~ N(0, I_M),
    E‖(vᵀJ)_t‖² = ‖J_t‖²_F, without the cross terms between words that make a noise draw's gradient
    a poor estimate of a weakly used word's curvature. The directions come from each pair's own stream.
    """
    if problem.state is None:
        raise ValueError("the linearised start needs the problem's `state` function; use start='fixed' without it.")
    P, T, K = packed.x.shape
    device, dtype = packed.x.device, packed.x.dtype
    directions = [torch.randn(probes, problem.elements[p], generator=generators[p], dtype=dtype) for p in range(P)]
    pair_of_row = torch.arange(P, device=device).repeat_interleave(probes)
    per_token = torch.zeros(P, T, dtype=dtype, device=device)
    for start in range(0, len(pair_of_row), chunk_rows):
        rows = pair_of_row[start : start + chunk_rows]
        x = packed.x[rows].detach().clone().requires_grad_(True)
        with torch.enable_grad():
            state = problem.state(x, rows)
        if not state.requires_grad:  # Φ does not depend on x at all: zero curvature
            continue
        v = torch.zeros_like(state)
        for j, p in enumerate(rows.tolist()):
            v[j, : problem.elements[p]] = directions[p][(start + j) % probes].to(device)
        (grad,) = torch.autograd.grad((state * v).sum(), x)
        per_token.index_add_(0, rows, grad.detach().pow(2).sum(-1))
    elements = torch.tensor(problem.elements, dtype=dtype, device=device)
    per_token = per_token * packed.token_mask / (probes * elements[:, None])
    return torch.zeros(packed.unit_mask.shape, dtype=dtype, device=device).scatter_add_(1, packed.unit, per_token)


def linearised_start(packed: _Packed, a: Tensor, log_scale: float) -> Tensor:
    """[P, U] log σ⁰ = ½ log(r_i / (2 â_i)), the optimum of R ≈ Σ â_i σ_i² minus the entropy term,
    clipped to (0, scale]; a unit Φ does not use (â_i = 0) starts at scale."""
    used = packed.unit_mask & (a > 0)
    log_sigma = 0.5 * (torch.log(torch.where(used, packed.r, 1.0)) - torch.log(torch.where(used, 2 * a, 1.0)))
    return torch.where(used, log_sigma, torch.full_like(log_sigma, log_scale)).clamp(log_scale - 40.0, log_scale)


def _rows_per_chunk(problem: Problem, tokens: int, budget_mb: float) -> int:
    return max(int(budget_mb * 2**20 // max(problem.row_bytes(tokens), 1.0)), 1)


def optimise(
    problem: Problem,
    settings: Settings,
    scale: float,
    progress: Callable[[int, int], None] | None = None,
    callback: Callable[[int], None] | None = None,
) -> list[PairFit]:
    """Fit σ for every pair of `problem` at once (see the module doc for the method).

    Args:
        progress: called after each step with (steps done, pairs finished).
        callback: called once per step with the steps done (1, 2, …); it may raise (e.g. `Cancelled`)
            to stop the optimisation there: the exception propagates and nothing is returned.
    """
    settings.check()
    packed = _Packed(problem, settings.rate)
    P, T, K = packed.x.shape
    device = packed.x.device
    log_scale = math.log(scale)
    samples = torch.tensor([settings.samples_for(e) for e in problem.elements], device=device)
    generators = [torch.Generator().manual_seed(int(seed)) for seed in problem.seeds]
    chunk_rows = _rows_per_chunk(problem, T, settings.memory_budget_mb)
    fits = [PairFit(sigma=torch.empty(0)) for _ in range(P)]
    if settings.start == "linearised":
        a = curvature(problem, packed, settings.probes, generators, chunk_rows)
        log_sigma = linearised_start(packed, a, log_scale)
        for fit in fits:
            fit.passes = settings.probes
    else:
        log_sigma = torch.full(
            packed.unit_mask.shape, log_scale + math.log(settings.init), dtype=packed.x.dtype, device=device
        )
    warm = _warm_start(problem, packed, log_sigma, log_scale)
    warmup = [problem.warm_warmup if w else settings.warmup for w in warm]
    for fit, w in zip(fits, warm):
        fit.warm_start = w
    targets: list[list[Tensor]] = [[] for _ in range(P)]  # damped Newton iterates log σ − damping·½u, per step
    drifts: list[list[Tensor]] = [[] for _ in range(P)]  # u = log(g / r), per step
    active = list(range(P))
    for step in range(settings.max_steps):
        pairs = torch.tensor(active, device=device)
        noise = _noise(generators, active, samples[pairs].tolist(), packed.lengths, T, K, packed.x, settings.noise)
        leaf = log_sigma.detach().requires_grad_(True)
        R = reconstruction(problem, packed, leaf, pairs, samples[pairs], noise, chunk_rows, grad=True)
        g, r = leaf.grad[pairs], packed.r[pairs]
        loss = R - settings.rate * packed.entropy_term(log_sigma[pairs], log_scale, pairs)
        # u = log(g/r): 0 at the optimum; g ≤ 0 (word unused) reads as "far too small, grow".
        u = (torch.log(torch.maximum(g, r * 1e-8).clamp_min(1e-30)) - torch.log(r.clamp_min(1e-30))) * packed.unit_mask[
            pairs
        ]
        # Where the damped step would move each unit; the window's mean of these is the answer.
        target = (log_sigma[pairs] - settings.damping * 0.5 * u).clamp(max=log_scale)
        # A unit pinned at scale that still wants to grow is done: treat it as at its optimum.
        u = torch.where((log_sigma[pairs] >= log_scale - 1e-6) & (u < 0), torch.zeros_like(u), u)
        # Newton step in log σ for R ∝ σ²: lands where g = r.
        eta = torch.tensor(
            [1.0 if step < warmup[p] else settings.damping for p in active], dtype=u.dtype, device=device
        )
        newton = eta[:, None] * (-0.5 * u).clamp(-settings.max_step, settings.max_step)
        still = []
        for i, p in enumerate(active):
            fits[p].loss_curve.append(float(loss[i]))
            fits[p].steps = step + 1
            fits[p].passes += int(samples[p])
            targets[p].append(target[i].detach())
            if step >= warmup[p]:
                # Beyond ±2·max_step, u moves the iterate no further: a word the state barely uses,
                # whose noisy g crosses 0 near σ = scale (u = −18), must not read as drift.
                drifts[p].append(u[i].detach().clamp(-2 * settings.max_step, 2 * settings.max_step))
            if _stopped(drifts[p], packed.unit_mask[p], settings):
                fits[p].converged = True
            else:
                still.append(p)
        log_sigma[pairs] = (log_sigma[pairs] + newton).clamp(log_scale - 40.0, log_scale)
        active = still
        if progress:
            progress(step + 1, P - len(active))
        if callback is not None:
            callback(step + 1)
        if not active:
            break
    for p, fit in enumerate(fits):
        # The window's iterates scatter around the optimum: their mean averages the noise away.
        averaged = min(settings.window, len(drifts[p])) or 1  # only the last target if still in warmup
        last = torch.stack(targets[p][-averaged:]).mean(0)
        fit.sigma = torch.exp(last[: int(packed.n_units[p])]).detach().cpu()
    return fits


def _warm_start(problem: Problem, packed: _Packed, log_sigma: Tensor, log_scale: float) -> list[bool]:
    """Put each given unit of `problem.warm_start` into log_sigma [P, U] (in place); which pairs are warm-started."""
    warm = [False] * problem.n_pairs
    if problem.warm_start is None:
        return warm
    if len(problem.warm_start) != problem.n_pairs:
        raise ValueError(
            f"warm_start has {len(problem.warm_start)} entries for {problem.n_pairs} pairs: one (or None) per pair."
        )
    for p, sigma in enumerate(problem.warm_start):
        if sigma is None:
            continue
        n = int(packed.n_units[p])
        sigma = torch.as_tensor(sigma).detach().to(log_sigma.device, log_sigma.dtype).flatten()
        if len(sigma) != n:
            raise ValueError(
                f"warm_start of pair {p} has {len(sigma)} σ for its {n} units: give one per unit (NaN = none)."
            )
        given = torch.isfinite(sigma) & (sigma > 0)
        if given.any():
            warm[p] = True
            log_sigma[p, :n] = torch.where(given, torch.log(sigma.clamp_min(1e-30)), log_sigma[p, :n]).clamp(
                log_scale - 40.0, log_scale
            )
    return warm


def _stopped(drifts: list[Tensor], unit_mask: Tensor, settings: Settings) -> bool:
    """The sequential test: the window's mean log(g/r) is within its standard error (+ tol) of 0."""
    w = settings.window
    if len(drifts) < max(w, 2):
        return False
    u = torch.stack(drifts[-w:])[:, unit_mask]  # [w, units]
    mean_sq = u.mean(0).pow(2).mean()
    if w < 2:  # no spread from one value: a window of 1 never passes the test (runs to max_steps)
        return False
    se_sq = u.var(0).mean() / w
    return bool(mean_sq.sqrt() <= settings.z * se_sq.sqrt() + settings.tol)


def objective(
    problem: Problem,
    sigma: Sequence[Tensor],
    scale: float,
    rate: float,
    samples: int = 256,
    seed: int = 12345,
    memory_budget_mb: float = 2048.0,
) -> Tensor:
    """[pairs] L(σ) estimated with `samples` fresh noise draws per pair (for comparing solutions)."""
    packed = _Packed(problem, rate)
    P, T, K = packed.x.shape
    device = packed.x.device
    log_sigma = torch.zeros(packed.unit_mask.shape, dtype=packed.x.dtype, device=device)
    for p, s in enumerate(sigma):
        log_sigma[p, : len(s)] = torch.log(s.to(log_sigma))
    generators = [torch.Generator().manual_seed(seed + p) for p in range(P)]
    chunk_rows = _rows_per_chunk(problem, T, memory_budget_mb)
    pairs = torch.arange(P, device=device)
    total = torch.zeros(P, dtype=packed.x.dtype, device=device)
    per_pass = max(1, min(samples, chunk_rows // max(P, 1)))
    drawn = 0
    while drawn < samples:
        n = min(per_pass, samples - drawn)
        noise = _noise(generators, list(range(P)), [n] * P, packed.lengths, T, K, packed.x)
        n_rows = torch.full((P,), n, device=device)
        total += reconstruction(problem, packed, log_sigma, pairs, n_rows, noise, chunk_rows, grad=False) * n
        drawn += n
    return total / samples - rate * packed.entropy_term(log_sigma, math.log(scale), pairs)


def rate_for_lambda(lam: float, n_tokens: int, whole_layer: bool) -> float:
    """The `rate` (authors' mean convention) equal to the paper's λ.

    Equal for a whole-layer state (D = n · K); for a single vector s the paper's λ is rate / n.
    """
    return lam if whole_layer else lam * n_tokens
