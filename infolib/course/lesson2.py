"""Lesson 2, optimising σ: the authors' Adam loop, a Newton step in log σ, and when to stop.

The checks compare with `infolib.core.reference.optimise_reference` (the authors' algorithm as
infolib keeps it) and with the estimator's own stopping test (`infolib.core.estimator`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .exercise import Exercise, Mistake, call, close, tensor

# -- reference solutions (the notebook's solution cells hold exactly this code) --------------------


def adam_sigma(x, phi, sigma_s, rate=0.1, scale=1.0, steps=2000, lr=0.01, seed=0):
    """The authors' loop: σ = scale · sigmoid(θ), Adam on θ, one noise draw per step, keep the best.

    Returns: (σ [n] of the step with the lowest loss, loss_curve: one float per step).
    """
    generator = torch.Generator().manual_seed(seed)
    theta = torch.randn(len(x), generator=generator, dtype=x.dtype).requires_grad_(True)
    optimizer = torch.optim.Adam([theta], lr=lr)
    s = phi(x)
    best_loss, best_theta, loss_curve = math.inf, theta.detach().clone(), []
    for _ in range(steps):
        optimizer.zero_grad()
        sigma = scale * torch.sigmoid(theta)
        x_tilde = x + sigma[:, None] * torch.randn(x.shape, generator=generator, dtype=x.dtype)
        loss = ((phi(x_tilde) - s) / sigma_s).pow(2).mean() - rate * torch.log(sigma / scale).mean()
        loss.backward()
        loss_curve.append(float(loss.detach()))
        if loss_curve[-1] < best_loss:  # the θ that gave this loss, before Adam moves it
            best_loss, best_theta = loss_curve[-1], theta.detach().clone()
        optimizer.step()
    return scale * torch.sigmoid(best_theta), loss_curve


def newton_step(log_sigma, g, r):
    """One Newton step in log σ for R ∝ σ²: lands where g = r. All [n]; returns the new log σ [n]."""
    return log_sigma + 0.5 * (torch.log(r) - torch.log(g))


def should_stop(u_history, window=4, z=0.75, tol=0.03):
    """The sequential test: are the last `window` values of u = log(g / r) noise around 0?

    Args: u_history: list of [n] tensors, one per step. Returns: a bool.
    """
    if len(u_history) < max(window, 2):
        return False
    u = torch.stack(u_history[-window:])  # [window, n]
    distance = u.mean(0).pow(2).mean().sqrt()  # how far the window means are from 0 (rms over words)
    standard_error = (u.var(0).mean() / window).sqrt()  # their Monte-Carlo noise
    return bool(distance <= z * standard_error + tol)


# -- checks ---------------------------------------------------------------------------------------

# Two toys: on the first the optimum is far from the start (a loop that never steps shows), on the
# second Adam reaches the optimum's neighbourhood in 500 steps (a wrong loss shows in σ).
FAR_TOY = {"weights": (2.0, 4.0, 8.0), "x_std": 0.1, "steps": 1000}
NEAR_TOY = {"weights": (1.0, 2.0, 3.0), "x_std": 1.0, "steps": 500}


def _run_adam(answer, toy: dict):
    from ..analysis.toy import linear_toy

    n = len(toy["weights"])
    x, phi, sigma_s = linear_toy(toy["weights"], K=8, x_std=toy["x_std"])
    out = call(answer, "adam_sigma", x, phi, sigma_s, rate=0.1, scale=1.0, steps=toy["steps"], lr=0.01, seed=1)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake(f"adam_sigma returned a {type(out).__name__}; it must return a pair (sigma, loss_curve).")
    sigma = tensor(out[0], "adam_sigma's sigma", (n,), " (one σ per word)")
    try:
        curve = np.array([float(v) for v in out[1]], dtype=float)
    except (TypeError, ValueError):
        raise Mistake("adam_sigma's loss_curve must be a list of numbers, one per step (append float(loss)).") from None
    if len(curve) != toy["steps"]:
        raise Mistake(f"loss_curve has {len(curve)} values for {toy['steps']} steps: append the loss once per step.")
    if (sigma <= 0).any() or (sigma > 1.0 + 1e-9).any():
        raise Mistake(
            f"σ = {sigma.numpy().round(4)} leaves (0, scale]: parameterise σ = scale · sigmoid(θ), as the authors did."
        )
    if not np.isfinite(curve).all():
        raise Mistake("loss_curve holds NaN or inf: look for log of a σ ≤ 0.")
    return sigma, curve, sigma_s


def _check_adam(answer, **context) -> str:
    from ..analysis.toy import linear_closed_form

    sigma, curve, _ = _run_adam(answer, FAR_TOY)
    if curve[-50:].mean() >= 0.5 * curve[:50].mean():
        raise Mistake(
            "the loss did not go down over the steps: call optimizer.zero_grad(), loss.backward() and "
            "optimizer.step() at every step."
        )
    sigma, curve, sigma_s = _run_adam(answer, NEAR_TOY)
    if curve[-50:].mean() < 0:
        raise Mistake(
            "your loss went below 0, so the entropy term has the wrong sign: L = reconstruction − rate · mean "
            "log(σ/scale) is ≥ 0 for σ ≤ scale (more noise must lower the loss)."
        )
    ratio = sigma.numpy() / linear_closed_form(NEAR_TOY["weights"], sigma_s)
    if ratio.max() < 0.92:
        raise Mistake(
            f"every σ is below the closed form ({ratio.round(2)}×): the reconstruction term is too strong; "
            f"divide Φ(x̃) − Φ(x) by σ_S before squaring, and take means, not sums."
        )
    if ((ratio < 0.8) | (ratio > 3.5)).any():
        i = int(np.argmax(np.abs(np.log(ratio))))
        raise Mistake(
            f"σ of word {i} is {ratio[i]:.2g}× the closed form after {NEAR_TOY['steps']} steps, further than the "
            f"authors' loop lands: check the loss (means over elements and words) and lr = 0.01."
        )
    return (
        f"the loss goes down and, on a toy Adam can solve, σ lands at {ratio.round(2)}× the closed form: above 1, as "
        f"the authors' loop does (the lowest noisy loss is a lucky draw, and it favours larger σ)."
    )


def _check_newton(answer, **context) -> str:
    log_sigma = torch.tensor([-1.0, -3.0, -5.0, -2.0], dtype=torch.float64)
    g = torch.tensor([0.5, 0.001, 20.0, 0.025], dtype=torch.float64)
    r = torch.full((4,), 0.025, dtype=torch.float64)
    got = tensor(call(answer, "newton_step", log_sigma, g, r), "newton_step", (4,), " (one log σ per word)")
    expected = log_sigma + 0.5 * (torch.log(r) - torch.log(g))
    if close(got, expected, rtol=1e-9, atol=1e-12):
        return "log σ ← log σ + ½ (log r − log g): the step lands where g = r when R ∝ σ²."
    step = expected - log_sigma
    candidates = {
        "the step is twice too long: g ∝ σ², so log g moves twice as fast as log σ (take ½ of log r − log g)": log_sigma
        + 2 * step,
        "the step goes the wrong way: where g > r (too much error) σ must shrink": log_sigma - step,
        "you returned σ, not log σ: the step is in log σ (return the new log σ)": torch.exp(expected),
        "you stepped σ, not log σ: add ½ (log r − log g) to log σ": torch.log(torch.exp(log_sigma) + step),
        "the step needs the logarithms of g and r: ½ (log r − log g)": log_sigma + 0.5 * (r - g),
        "the step is ½ too short, or you used log(r/g)/4": log_sigma + 0.5 * step,
    }
    for message, wrong in candidates.items():
        if close(got, wrong, rtol=1e-9, atol=1e-12):
            raise Mistake(message + ".")
    i = int(torch.argmax((got - expected).abs()))
    raise Mistake(f"word {i}: new log σ {float(got[i]):.4g}, expected {float(expected[i]):.4g}.")


def _stop_cases():
    """(history, window, z, tol, what a wrong answer misses) for the stopping test."""
    generator = torch.Generator().manual_seed(3)
    # mean 0.05 per word (above tol) but the window's spread gives a standard error of 0.17: noise, so stop
    noisy = [torch.full((5,), 0.05 + sign * 0.3, dtype=torch.float64) for sign in (1, -1, 1, -1)]
    drifting = [torch.full((5,), 1.0, dtype=torch.float64)] * 3 + [torch.zeros(5, dtype=torch.float64)]
    settled_late = [torch.full((5,), 2.0, dtype=torch.float64)] * 6 + [
        0.01 * torch.randn(5, generator=generator, dtype=torch.float64) for _ in range(4)
    ]
    steady = [torch.full((5,), 0.2, dtype=torch.float64) + 0.001 * k for k in range(4)]
    return [
        (
            [torch.zeros(5, dtype=torch.float64)] * 3,
            4,
            0.75,
            0.03,
            "with fewer than `window` steps there is nothing to test yet: return False",
        ),
        (
            drifting,
            4,
            0.75,
            0.03,
            "the last value alone is 0 but the window's mean is 0.75: test the mean of the last `window` values",
        ),
        (
            noisy,
            4,
            0.75,
            0.03,
            "the window means are within z standard errors of 0 (Monte-Carlo noise), yet you keep going: "
            "stop when rms(window means) ≤ z · SE + tol, SE² = mean over words of var / window",
        ),
        (settled_late, 4, 0.75, 0.03, "only the last `window` values count, not the whole history"),
        (steady, 4, 0.75, 0.03, "u sits at 0.2 with no noise: a steady drift is not convergence"),
    ]


def _check_stop(answer, **context) -> str:
    from ..core.estimator import Settings, _stopped

    for history, window, z, tol, message in _stop_cases():
        got = call(answer, "should_stop", list(history), window=window, z=z, tol=tol)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, (bool, np.bool_)):
            raise Mistake(f"should_stop returned a {type(got).__name__}; it must return True or False.")
        mask = torch.ones(history[0].shape[0], dtype=torch.bool)
        expected = _stopped(list(history), mask, Settings(window=window, z=z, tol=tol))
        if bool(got) != expected:
            raise Mistake(f"should_stop said {bool(got)} where the estimator says {expected}: {message}.")
    return "your test stops exactly where infolib's estimator does on five histories."


EXERCISES = {
    "adam_sigma": Exercise(
        "2.1",
        "the authors' Adam loop",
        difficulty=3,
        importance=4,
        minutes=15,
        checker=_check_adam,
        reference=adam_sigma,
        hints=(
            "θ is the only tensor with requires_grad; σ = scale · torch.sigmoid(θ) is recomputed from it every step.",
            "Per step: zero_grad, draw noise of x's shape, loss = mean(((Φ(x̃) − s)/σ_S)²) − rate · mean(log(σ/scale)), "
            "backward, record float(loss), remember θ if the loss is the lowest so far, step.",
        ),
    ),
    "newton_step": Exercise(
        "2.2",
        "a Newton step in log σ",
        difficulty=2,
        importance=5,
        minutes=8,
        checker=_check_newton,
        reference=newton_step,
        hints=(
            "Near the optimum R ≈ a σ², so g = ∂R/∂log σ = 2 a σ²: log g = log(2a) + 2 log σ.",
            "You want the log σ' where g' = r: log σ' = log σ + ½ (log r − log g).",
        ),
    ),
    "should_stop": Exercise(
        "2.3",
        "when to stop",
        difficulty=3,
        importance=3,
        minutes=10,
        checker=_check_stop,
        reference=should_stop,
        hints=(
            "Stack the last `window` values into [window, n]; take the mean over steps for each word.",
            "Stop when sqrt(mean over words of (window mean)²) ≤ z · sqrt(mean over words of var / window) + tol.",
        ),
    ),
}
