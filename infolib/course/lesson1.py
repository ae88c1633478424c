"""Lesson 1, noise that changes nothing: the linear toy's loss, its closed form, entropy in nats and bits.

Each exercise's checker compares the student's answer with infolib's own parts: the estimator's
reconstruction and entropy terms (`infolib.core.estimator`), `infolib.analysis.linear_closed_form`
and `infolib.core.results.entropy_nats`.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..analysis.toy import LinearPhi
from .exercise import Exercise, Mistake, call, close, number, tensor
from .terms import estimator_loss

# -- reference solutions (the notebook's solution cells hold exactly this code) --------------------


def loss(sigma, x, weights, sigma_s, rate, scale, noise):
    """L(σ) for Φ(x) = Σᵢ wᵢ xᵢ, estimated with the given noise draws.

    Args: sigma [n]; x [n, K]; weights [n]; sigma_s a number; rate, scale numbers; noise [S, n, K] ~ N(0, 1).
    Returns: a 0-d tensor, mean over draws and K of ((Φ(x̃) − Φ(x)) / σ_S)² − rate · mean_i log(σᵢ / scale).
    """
    x_tilde = x + sigma[:, None] * noise  # [S, n, K]: word i gets noise of std σᵢ
    phi_clean = (weights[:, None] * x).sum(0)  # [K]
    phi_noisy = (weights[:, None] * x_tilde).sum(1)  # [S, K]
    reconstruction = ((phi_noisy - phi_clean) / sigma_s).pow(2).mean()
    return reconstruction - rate * torch.log(sigma / scale).mean()


def closed_form(weights, sigma_s, rate, scale):
    """σᵢ = sqrt(rate / (2 n c)) / |wᵢ| with c = 1 / σ_S², capped at scale. Returns [n]."""
    n = len(weights)
    c = 1.0 / sigma_s**2
    sigma = math.sqrt(rate / (2 * n * c)) / weights.abs()
    return sigma.clamp(max=scale)


def entropy(sigma, K):
    """H(X̃ᵢ) of a K-dimensional Gaussian of std σᵢ: (nats [n], bits [n])."""
    nats = K * (0.5 * math.log(2 * math.pi * math.e) + torch.log(sigma))
    bits = nats / math.log(2)
    return nats, bits


RATE_FACTOR = 2.0  # σ ∝ √rate: four times the rate, twice the σ


# -- the project's answers the checks compare with ----------------------------------------------


def _loss_cases():
    """(arguments, what they show) for the loss check: scale ≠ 1 and σ_S ≠ 1, so each mistake shows."""
    generator = torch.Generator().manual_seed(7)
    cases = []
    for weights, sigma_s, rate, scale, K in (
        ([10.0, 20.0, 5.0, -20.0, -10.0], 0.3, 0.1, 2.0, 6),
        ([1.0, -3.0, 0.5], 0.05, 0.4, 0.5, 4),
    ):
        n = len(weights)
        x = 0.1 * torch.randn(n, K, generator=generator, dtype=torch.float64)
        sigma = 0.01 + 0.05 * torch.rand(n, generator=generator, dtype=torch.float64)
        noise = torch.randn(16, n, K, generator=generator, dtype=torch.float64)
        w = torch.tensor(weights, dtype=torch.float64)
        cases.append((sigma, x, w, sigma_s, rate, scale, noise))
    return cases


def _loss_mistakes(sigma, x, weights, sigma_s, rate, scale, noise) -> dict[str, float]:
    """What a typical wrong loss returns, by what it gets wrong."""
    clean = (weights[:, None] * x).sum(0)
    delta = (weights[:, None] * (x + sigma[:, None] * noise)).sum(1) - clean
    R = float((delta / sigma_s).pow(2).mean())
    H = float(torch.log(sigma / scale).mean())
    delta_sq = (weights[:, None] * (x + sigma[:, None] ** 2 * noise)).sum(1) - clean
    return {
        "the entropy term has the wrong sign: L = reconstruction − rate · mean log(σ/scale) "
        "(more noise must lower the loss)": R + rate * H,
        "the reconstruction error is not divided by σ_S: divide Φ(x̃) − Φ(x) by sigma_s before squaring": R * sigma_s**2
        - rate * H,
        "σ_S divides the error but is not squared with it: ((Φ(x̃) − Φ(x)) / σ_S)², not (Φ(x̃) − Φ(x))² / σ_S": R
        * sigma_s
        - rate * H,
        "the entropy term uses log σ, not log(σ / scale): the prior's upper bound sets where σ is 'forgotten'": R
        - rate * H
        - rate * math.log(scale),
        "the noise is scaled by σ²: word i's noise is σᵢ · ε (σ is a standard deviation)": float(
            (delta_sq / sigma_s).pow(2).mean()
        )
        - rate * H,
        "the reconstruction error is summed over the K dimensions: take the mean over draws and elements": R
        * x.shape[1]
        - rate * H,
        "the entropy term is summed over words: take the mean over words (the authors' convention)": R
        - rate * H * len(sigma),
    }


def _check_loss(answer, **context) -> str:
    for args in _loss_cases():
        got = number(call(answer, "loss", *args), "loss")
        sigma, x, weights, sigma_s, rate, scale, noise = args
        expected = estimator_loss(sigma, x, LinearPhi(weights), sigma_s, rate, scale, noise)
        if close(got, expected, rtol=1e-6, atol=1e-9):
            continue
        for message, wrong in _loss_mistakes(*args).items():
            if close(got, wrong, rtol=1e-6, atol=1e-9):
                raise Mistake(message + ".")
        raise Mistake(
            f"loss returned {got:.6g} where the estimator's L(σ) is {expected:.6g} (rate={args[4]}, scale={args[5]}, "
            f"σ_S={args[3]}): check each term, and that you use the noise you are given."
        )
    return "your L(σ) equals the estimator's on two toys (to 1e-6)."


def _check_closed_form(answer, **context) -> str:
    from ..analysis.toy import linear_closed_form

    for weights, sigma_s, rate, scale in (
        ([10.0, 20.0, 5.0, -20.0, -10.0], 0.3, 0.1, 1.0),
        ([3.0, -7.0, 0.5, 12.0, 1.5, -2.0], 0.05, 0.4, 0.01),  # word 2's σ reaches scale
    ):
        w = torch.tensor(weights, dtype=torch.float64)
        got = tensor(
            call(answer, "closed_form", w, sigma_s, rate, scale), "closed_form", (len(w),), " (one σ per word)"
        )
        expected = linear_closed_form(weights, sigma_s, rate, scale)
        if close(got, expected, rtol=1e-6):
            continue
        if (got < 0).any():
            i = int((got < 0).nonzero()[0])
            raise Mistake(f"σ of word {i} is negative ({got[i]:.3g}): σ ∝ 1/|wᵢ|, use the absolute weight.")
        uncapped = np.sqrt(rate * sigma_s**2 / (2 * len(w))) / np.abs(weights)
        n, k = len(w), rate * sigma_s**2 / (2 * len(w))
        candidates = {
            "you forgot the square root": k / np.abs(weights),
            f"σ is √{n} too large: the mean over the n = {n} words puts n beside c (sqrt(rate / (2 n c)))": uncapped
            * math.sqrt(n),
            "σ is √2 too large: the 2 comes from differentiating σ² (sqrt(rate / (2 n c)))": uncapped * math.sqrt(2),
            "σ grows with |wᵢ|; it should shrink: the word Φ weighs most is the one it keeps (σ ∝ 1/|wᵢ|)": np.sqrt(k)
            * np.abs(weights),
            "c is 1/σ_S², not 1/σ_S": np.sqrt(rate * sigma_s / (2 * n)) / np.abs(weights),
        }
        for message, wrong in candidates.items():
            for capped in (np.minimum(wrong, scale), wrong):
                if close(got, capped, rtol=1e-6):
                    i = int(np.argmax(np.abs(got.numpy() / expected - 1)))
                    ratio = float(got[i]) / expected[i]
                    raise Mistake(f"σ of word {i} is {ratio:.3g}× the closed form: {message}.")
        if close(got, uncapped, rtol=1e-6):
            i = int(np.argmax(uncapped > scale))
            raise Mistake(f"σ of word {i} is {uncapped[i]:.3g}, above scale = {scale}: cap σ at scale (σ ≤ scale).")
        i = int(np.argmax(np.abs(got.numpy() / expected - 1)))
        raise Mistake(f"σ of word {i} is {float(got[i]):.4g} where the closed form gives {expected[i]:.4g}.")
    return "σᵢ = sqrt(rate / (2 n c)) / |wᵢ|, capped at scale, for both toys."


def _check_entropy(answer, **context) -> str:
    from ..core.results import NATS_PER_BIT, entropy_nats

    sigma, K = torch.tensor([0.003, 0.05, 0.8, 1.0], dtype=torch.float64), 16
    out = call(answer, "entropy", sigma, K)
    if not isinstance(out, tuple) or len(out) != 2:
        raise Mistake(f"entropy returned a {type(out).__name__}; it must return a pair (nats, bits).")
    nats = tensor(out[0], "entropy's nats", (4,), " (one entropy per word)")
    bits = tensor(out[1], "entropy's bits", (4,), " (one entropy per word)")
    expected = entropy_nats(sigma, K).numpy()
    c, log_s = 0.5 * math.log(2 * math.pi * math.e), torch.log(sigma).numpy()
    if not close(nats, expected, rtol=1e-6):
        candidates = {
            "log σ is not multiplied by K: H = K · (½ log 2πe + log σ)": K * c + log_s,
            "the constant ½·log(2πe) per dimension is missing": K * log_s,
            "log σ² is not halved: ½·log(2πe σ²) = ½·log 2πe + log σ per dimension": K * (c + 2 * log_s),
            "these are bits, not nats: nats use the natural logarithm": expected / NATS_PER_BIT,
            "the constant is ½·log(2π), without e: a Gaussian's entropy is ½·log(2πe σ²) per dimension": K
            * (0.5 * math.log(2 * math.pi) + log_s),
        }
        for message, wrong in candidates.items():
            if close(nats, wrong, rtol=1e-6):
                raise Mistake(f"nats: {message}.")
        raise Mistake(f"nats are {nats.numpy().round(3)} where H(X̃ᵢ) = {expected.round(3)}.")
    if not close(bits, expected / NATS_PER_BIT, rtol=1e-6):
        if close(bits, expected * NATS_PER_BIT, rtol=1e-6):
            raise Mistake("bits = nats / ln 2 (a bit is ln 2 ≈ 0.693 nats); you multiplied.")
        if close(bits, expected / math.log(10), rtol=1e-6):
            raise Mistake("bits use log base 2, not base 10: divide nats by ln 2.")
        raise Mistake(f"bits are {bits.numpy().round(3)} where nats / ln 2 = {(expected / NATS_PER_BIT).round(3)}.")
    return "H in nats and bits match infolib.core.results.entropy_nats (1 bit = ln 2 nats)."


def _check_rate_factor(answer, **context) -> str:
    if answer is Ellipsis or answer is None:
        raise NotImplementedError
    got = number(answer, "RATE_FACTOR")
    if close(got, 2.0, rtol=1e-3):
        return "σ ∝ √rate: four times the rate doubles σ (until σ reaches scale)."
    messages = {
        4.0: "σ is not proportional to rate: at the optimum σ² ∝ rate, so σ ∝ √rate.",
        16.0: "σ² grows with the rate, not σ grows with rate²: σ ∝ √rate.",
        0.5: "a larger rate pays more for entropy, so σ grows, not shrinks: σ ∝ √rate.",
        0.25: "a larger rate pays more for entropy, so σ grows: σ ∝ √rate.",
        1.0: "rate weighs the entropy term, so σ does change: σ ∝ √rate.",
    }
    for value, message in messages.items():
        if close(got, value, rtol=1e-3):
            raise Mistake(message)
    raise Mistake(f"{got:g} is not it: look at the closed form's dependence on rate.")


EXERCISES = {
    "loss": Exercise(
        "1.1",
        "the loss L(σ) of the linear toy",
        difficulty=2,
        importance=5,
        minutes=10,
        checker=_check_loss,
        reference=loss,
        hints=(
            "x̃ = x + σ[:, None] * noise has shape [S, n, K]; Φ sums over the word axis (axis 1 of x̃, axis 0 of x).",
            "Divide Φ(x̃) − Φ(x) by σ_S, square, and take the mean over everything; then subtract "
            "rate · mean_i log(σᵢ / scale).",
        ),
    ),
    "closed_form": Exercise(
        "1.2",
        "the closed form σᵢ ∝ 1/|wᵢ|",
        difficulty=2,
        importance=4,
        minutes=10,
        checker=_check_closed_form,
        reference=closed_form,
        hints=(
            "For the linear Φ, Φ(x̃) − Φ(x) = Σᵢ wᵢ σᵢ εᵢ, so the reconstruction term's expectation is "
            "c · Σᵢ wᵢ² σᵢ² (c = 1/σ_S²): set the derivative of L in σᵢ to 0.",
            "∂/∂σᵢ [c wᵢ² σᵢ² − (rate / n) log σᵢ] = 2 c wᵢ² σᵢ − rate / (n σᵢ) = 0, so σᵢ² = rate / (2 n c wᵢ²).",
            "Then cap it: σ = min(σ, scale) (tensor.clamp(max=scale)).",
        ),
    ),
    "entropy": Exercise(
        "1.3",
        "entropy in nats and bits",
        difficulty=1,
        importance=3,
        minutes=5,
        checker=_check_entropy,
        reference=entropy,
        hints=(
            "A 1-d Gaussian of std σ has entropy ½·log(2πe σ²) nats; a word has K independent dimensions.",
            "1 bit = ln 2 nats, so bits = nats / math.log(2).",
        ),
    ),
    "rate_factor": Exercise(
        "1.4",
        "predict: σ when the rate is four times larger",
        difficulty=1,
        importance=3,
        minutes=3,
        checker=_check_rate_factor,
        reference=RATE_FACTOR,
        value_name="RATE_FACTOR",
        hints=("Read the closed form: how does σ depend on rate?",),
    ),
}
