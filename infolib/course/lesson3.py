"""Lesson 3, inside a real BERT: hidden states through hooks, σ_S, and information against gradient saliency.

The checks compare with the model's own hooks (`HookedModel.states`), with infolib's σ_S statistic
(`infolib.core.sigma_s.spread` pools real tokens the same way) and with `infolib.analysis.metrics.rank_agreement`.
"""

from __future__ import annotations

import numpy as np
import torch

from ..core.hooks import frozen
from .exercise import Exercise, Mistake, call, close, tensor

# -- reference solutions (the notebook's solution cells hold exactly this code) --------------------


def hidden_states(model, sentence):
    """[L + 1, tokens, D]: layer.0 (the embedding output) to layer.L of one sentence, read through the hooks."""
    encoding = model.encode([sentence])
    names = [f"layer.{layer}" for layer in range(model.num_layers + 1)]
    with frozen(model.module), torch.no_grad():  # eval mode, no gradients: the model stays as it is
        states = model.states(model.embed(encoding), encoding.attention_mask, names)
    return torch.stack([states[name][0] for name in names])  # row 0: our one sentence


def spread(states, mask):
    """σ_S: [D] per-dimension std of token states [batch, tokens, D] over the real tokens (mask [batch, tokens])."""
    rows = states[mask.bool()]  # [real tokens, D]: padding is not data
    return rows.std(0)


def agreement(sigma, scale, saliency):
    """[layers] Spearman ρ between retained information −log(σ/scale) and gradient saliency, layer by layer.

    Args: sigma, saliency: [layers, words] numpy arrays; scale: σ's upper bound.
    """
    from scipy.stats import spearmanr

    information = -np.log(sigma / scale)  # larger = kept, like saliency's larger = important
    return np.array([spearmanr(kept, salient).statistic for kept, salient in zip(information, saliency)])


# -- checks ---------------------------------------------------------------------------------------

SENTENCE = "a charming and often affecting journey"


def _model(context):
    from ..core.hooks import HookedModel

    model = context.get("model")
    if not isinstance(model, HookedModel):
        raise TypeError("this check needs the model: call check(your_function, model=model).")
    return model


def _check_hidden_states(answer, **context) -> str:

    model = _model(context)
    fingerprint, training = model.fingerprint(), model.module.training
    grads = [p.requires_grad for p in model.module.parameters()]
    got = call(answer, "hidden_states", model, SENTENCE)
    changed = (
        model.module.training != training or [p.requires_grad for p in model.module.parameters()] != grads,
        model.fingerprint() != fingerprint,
    )
    model.module.train(training)
    if changed[1]:
        raise Mistake("your function changed the model's weights: explaining a model must never change it.")
    if changed[0]:
        raise Mistake(
            "your function left the model in another mode (train mode or parameter gradients): "
            "read states inside `with infolib.frozen(model.module):`, which restores it."
        )
    encoding = model.encode([SENTENCE])
    names = [f"layer.{layer}" for layer in range(model.num_layers + 1)]
    with frozen(model.module), torch.no_grad():
        states = model.states(model.embed(encoding), encoding.attention_mask, names)
    expected = torch.stack([states[name][0] for name in names])
    L1, T, D = expected.shape
    if isinstance(got, torch.Tensor):
        shape = tuple(got.shape)
        if shape == (L1 - 1, T, D):
            raise Mistake(f"you returned {L1 - 1} layers: include layer.0, the embedding output, as the first row.")
        if shape == (L1, 1, T, D):
            raise Mistake("you kept the batch axis: return states[name][0] for the one sentence ([L + 1, tokens, D]).")
        if shape == (L1, D):
            raise Mistake(
                "you indexed one token: a layer's hidden state is every token's vector ([tokens, D]), not one row."
            )
        if shape == (T, D):
            raise Mistake("you returned one layer: stack layer.0 … layer.L into [L + 1, tokens, D].")
    got = tensor(got, "hidden_states", (L1, T, D), " ([L + 1, tokens, D])")
    if close(got, expected, rtol=1e-4, atol=1e-5):
        return f"{L1} hidden states ([{L1}, {T}, {D}]) equal the model's hooks, and the model is unchanged."
    if close(got, expected.flip(0), rtol=1e-4, atol=1e-5):
        raise Mistake("the layers are in reverse order: row l must be layer.l (layer.0 first).")
    raise Mistake("the shape is right but the values differ from the model's hooks: read model.states(...) of layer.l.")


def _check_spread(answer, **context) -> str:
    generator = torch.Generator().manual_seed(5)
    states = torch.randn(3, 6, 4, generator=generator, dtype=torch.float64) * torch.tensor([1.0, 2.0, 0.5, 3.0])
    states = states + torch.tensor([0.0, 1.0, -2.0, 0.5])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]])
    states[mask == 0] = 50.0  # padding: whatever the model wrote there is not data
    got = call(answer, "spread", states.clone(), mask.clone())
    if isinstance(got, torch.Tensor) and got.ndim == 0:
        raise Mistake("spread returned one number: σ_S is one std per dimension ([D]), pooled over tokens.")
    if isinstance(got, torch.Tensor) and (got.ndim > 1 or got.shape[-1] != 4):
        raise Mistake(
            f"spread returned shape {tuple(got.shape)}: σ_S is [D] = (4,), the std over tokens of each dimension."
        )
    got = tensor(got, "spread", (4,), " (one std per dimension)")
    rows = states[mask.bool()]
    for unbiased in (True, False):
        if close(got, rows.std(0, correction=int(unbiased)), rtol=1e-6):
            return "σ_S is the per-dimension std over real tokens, as infolib.core.sigma_s.spread computes it."
    candidates = {
        "padding tokens were counted: select the real tokens first, states[mask.bool()]": states.reshape(-1, 4).std(0),
        "that is the variance: σ_S is a standard deviation (take the square root)": rows.var(0),
        "you averaged per-sentence stds: pool all real tokens of all sentences, then take one std": torch.stack(
            [states[b][mask[b].bool()].std(0) for b in range(3)]
        ).mean(0),
    }
    for message, wrong in candidates.items():
        if close(got, wrong, rtol=1e-6):
            raise Mistake(message + ".")
    raise Mistake(f"σ_S = {got.numpy().round(3)}, expected {rows.std(0).numpy().round(3)} (std over real tokens).")


def _check_agreement(answer, **context) -> str:
    from ..analysis.metrics import rank_agreement

    generator = np.random.default_rng(11)
    scale = 2.0
    sigma = scale * np.exp(-generator.uniform(0.1, 5, size=(3, 7)))
    saliency = np.exp(-np.log(sigma / scale)) ** 0.5 + generator.uniform(0, 3, size=(3, 7))
    got = call(answer, "agreement", sigma.copy(), scale, saliency.copy())
    if isinstance(got, torch.Tensor):
        raise Mistake("agreement returned a torch.Tensor; return a numpy array (np.array([...])).")
    if isinstance(got, list):
        got = np.asarray(got, dtype=float)
    if not isinstance(got, np.ndarray):
        raise Mistake(f"agreement returned a {type(got).__name__}; it must return a numpy array, one ρ per layer.")
    if got.shape != (3,):
        if got.shape == (7,):
            raise Mistake("you returned one ρ per word: rank the words within each layer, one ρ per layer.")
        raise Mistake(f"agreement returned shape {got.shape}; expected (3,): one ρ per layer (row).")
    if not np.isfinite(got.astype(float)).all():
        raise Mistake("agreement returned NaN: is one of the rows constant? rank −log(σ/scale), not a constant.")
    information = -np.log(sigma / scale)
    expected = np.array([rank_agreement(i, s)["spearman"] for i, s in zip(information, saliency)])
    if close(got, expected, rtol=1e-6, atol=1e-9):
        return f"ρ per layer = {got.round(2)}: ranks of −log(σ/scale) against ranks of saliency."
    if close(got, -expected, rtol=1e-6, atol=1e-9):
        raise Mistake(
            "every ρ has the wrong sign: you ranked σ, but small σ means kept; rank −log(σ/scale) (larger = kept)."
        )
    pearson = np.array([np.corrcoef(i, s)[0, 1] for i, s in zip(information, saliency)])
    if close(got, pearson, rtol=1e-6, atol=1e-9):
        raise Mistake("that is Pearson's r: compare rankings with Spearman's ρ (the two scales differ).")
    raise Mistake(f"ρ per layer = {got.round(3)}, expected {expected.round(3)}.")


EXERCISES = {
    "hidden_states": Exercise(
        "3.1",
        "hidden states through the hooks",
        difficulty=2,
        importance=4,
        minutes=8,
        checker=_check_hidden_states,
        reference=hidden_states,
        hints=(
            "model.encode([sentence]) gives an Encoding; model.embed(encoding) the input [1, tokens, K]; "
            "model.states(embed, encoding.attention_mask, names) a dict name -> [1, tokens, D].",
            "names = ['layer.0', …, f'layer.{model.num_layers}']; wrap the calls in "
            "`with infolib.frozen(model.module):` and torch.no_grad(); stack row 0 of each.",
        ),
    ),
    "spread": Exercise(
        "3.2",
        "σ_S, the spread of a hidden state",
        difficulty=2,
        importance=4,
        minutes=7,
        checker=_check_spread,
        reference=spread,
        hints=(
            "states[mask.bool()] keeps the real tokens as rows [n_real, D].",
            "Then the std over rows (axis 0): one σ_S per dimension.",
        ),
    ),
    "agreement": Exercise(
        "3.3",
        "information against gradient saliency",
        difficulty=2,
        importance=4,
        minutes=8,
        checker=_check_agreement,
        reference=agreement,
        hints=(
            "Turn σ into retained information first: −log(σ/scale) is 0 for a forgotten word and large for a kept one.",
            "scipy.stats.spearmanr(a, b).statistic for each row (layer); collect them in a numpy array.",
        ),
    ),
}
