"""The two entry points: `explain_phi` for any differentiable Φ on tensors, `explain` for models."""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import asdict
from typing import Callable, Mapping, Sequence

import torch
from torch import Tensor
from tqdm.auto import tqdm

from . import runlog
from .store import ResultCache, Store, tensor_digest
from .validation import check_cache
from .estimator import Problem, Settings, optimise, resolve_settings
from .hooks import HookedModel, frozen
from .precision import precision_context
from .inputs import Batch, NonFiniteError, check_inputs, encode_batch, normalised_change, pair_seed
from .results import Explanation, PhiExplanation, entropy_nats
from .sigma_s import sigma_s as estimate_sigma_s
from .version import __version__


def _check_tensor_input(x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape [n_words, K], got {type(x).__name__}.")
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must have shape [n_words, K] with both ≥ 1, got {tuple(x.shape)}.")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}.")
    if not torch.isfinite(x).all():
        raise ValueError("x contains NaN or inf.")
    return x.detach()


def explain_phi(
    x: Tensor,
    phi: Callable[[Tensor], Tensor],
    sigma_s: Tensor | float | None = None,
    *,
    settings: Settings | None = None,
    **kwargs,
) -> PhiExplanation:
    """σ of each word (row of x) for a differentiable Φ.

    Args:
        x: [n_words, K] the words' embeddings.
        phi: maps [n_words, K] to a tensor of any shape (the hidden state s = phi(x)).
        sigma_s: per-element spread of Φ over data (broadcastable to phi(x)'s shape). None uses
            the spread of Φ when every word is fully perturbed (σ = scale), measured from 64 draws.
        settings: a `Settings`; and/or its fields as keywords (rate, scale, samples, max_steps,
            random_state, ...). Here scale defaults to 1.0 (there is no model to take it from).
    Returns:
        PhiExplanation with sigma [n_words] (larger = more forgotten) and entropy in nats.
    """
    x = _check_tensor_input(x)
    if not callable(phi):
        raise TypeError(f"phi must be callable, got {type(phi).__name__}.")
    config = resolve_settings(settings, **kwargs)
    config.check()
    scale = float(config.scale) if config.scale is not None else 1.0
    random_state = config.random_state
    autocast = precision_context(config.precision, x.device)
    with torch.no_grad(), autocast:  # s in Φ's precision, so that σ → 0 gives no error
        s = _call_phi(phi, x).to(x.dtype)
    sigma_s = _phi_spread(phi, x, s, scale, random_state) if sigma_s is None else _check_phi_spread(sigma_s, s)
    try:
        inv_var = torch.broadcast_to(1.0 / sigma_s**2, s.shape)
    except RuntimeError as error:
        raise ValueError(
            f"sigma_s of shape {tuple(sigma_s.shape)} does not broadcast to phi(x)'s shape {tuple(s.shape)}."
        ) from error
    if (sigma_s <= 0).any() or not torch.isfinite(inv_var).all():
        raise ValueError("sigma_s must be positive and finite (it divides the reconstruction error).")

    def error(x_tilde: Tensor, pairs: Tensor) -> Tensor:
        out = torch.stack([_call_phi(phi, row) for row in x_tilde]).to(s.dtype)
        return ((out - s) ** 2 * inv_var).reshape(len(out), -1).mean(1)

    inv_sigma_s = inv_var.sqrt()

    def state(x_tilde: Tensor, pairs: Tensor) -> Tensor:
        return torch.stack([(_call_phi(phi, row).to(s.dtype) * inv_sigma_s).flatten() for row in x_tilde])

    seeds = [pair_seed(random_state, "phi")]
    problem = Problem([x], [torch.arange(len(x))], seeds, error, [s.numel()], state=state)
    with autocast:
        fit = optimise(problem, config, scale)[0]
    return PhiExplanation(
        fit.sigma, entropy_nats(fit.sigma, x.shape[1]), scale, fit.loss_curve, fit.steps, fit.converged, fit.passes
    )


def _check_phi_spread(sigma_s, s: Tensor) -> Tensor:
    """`sigma_s` of explain_phi as a tensor of Φ's dtype; a TypeError naming it for a string, a bool, ..."""
    if isinstance(sigma_s, (bool, str, bytes)):
        raise TypeError(f"sigma_s must be a tensor or a number broadcastable to phi(x), got {type(sigma_s).__name__}.")
    try:
        return torch.as_tensor(sigma_s, dtype=s.dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"sigma_s must be a tensor or a number broadcastable to phi(x), got {type(sigma_s).__name__}."
        ) from error


def _call_phi(phi, x: Tensor) -> Tensor:
    out = phi(x)
    if not isinstance(out, Tensor):
        raise TypeError(f"phi must return a torch.Tensor, got {type(out).__name__}.")
    if not out.is_floating_point():
        raise TypeError(f"phi must return a floating-point tensor, got {out.dtype}.")
    if not torch.isfinite(out).all():
        raise NonFiniteError("phi returned NaN or inf; explain a finite Φ.")
    return out


def _phi_spread(phi, x: Tensor, s: Tensor, scale: float, seed: int, draws: int = 64) -> Tensor:
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        outs = torch.stack(
            [_call_phi(phi, x + scale * torch.randn(x.shape, generator=generator, dtype=x.dtype)) for _ in range(draws)]
        )
    std = outs.std(0)
    # Elements Φ never varies add no error; an infinite spread makes that exact.
    return torch.where(std > 1e-12 * std.max().clamp_min(1e-30), std, torch.full_like(std, math.inf))


def explain(
    model: HookedModel,
    sentences: str | Sequence[str],
    layers: str | int | Sequence[str | int] = "all",
    *,
    level: str = "word",
    sigma_s: Mapping[str, Tensor] | None = None,
    corpus: "Sequence[str] | str | os.PathLike | None" = None,
    truncate: bool = False,
    progress: bool = True,
    cache: "bool | Store" = False,
    callback: Callable[[int], None] | None = None,
    warm_start: Mapping[tuple[int, str], Tensor] | None = None,
    settings: Settings | None = None,
    **kwargs,
) -> Explanation:
    """How much of each word's information each hidden state keeps: σ per sentence, layer, word.

    All (sentence, hidden state) pairs are optimised together in one batch; each pair has its
    own σ and noise stream, so the answer equals separate runs with the same `random_state`.

    Args:
        model: a HookedModel (`infolib.load_model(...)`); `infolib.explain` also takes a registry name.
        sentences: a sentence or a list; words are separated by whitespace.
        layers: 'all' (layer.1 … layer.L), a name ('layer.3', 'pooled', 'logits'), an int, or a list.
        level: 'word' (the pieces of a word share one σ) or 'token' (one σ per word piece).
        sigma_s: name -> [D] spread of each hidden state (positive, inf = never varies); None =
            estimated from `corpus` and cached on disk per model fingerprint and corpus.
        corpus: sentences for σ_S, or a text file with one per line; None = the 297 sentences
            shipped with infolib (`infolib.core.sigma_s.packaged_corpus`). The paper used 512
            SST-2 train sentences (`sst2_corpus()`); pass your domain's text when it differs.
        truncate: cut sentences longer than the model's maximum (with a warning) instead of failing.
        progress: show a progress bar.
        cache: reuse and store results: True (the default on-disk `ResultCache`), False (none), or any
            `Store`; anything else is a TypeError. Only pairs not found are optimised. Keyed by everything
            that changes the answer.
        callback: called with the step number (1, 2, …) after each optimisation step; it may raise
            (e.g. `infolib.core.estimator.Cancelled`) to stop: nothing is returned or cached then.
        warm_start: (sentence index, hidden state) -> [units] σ to start that pair from (NaN =
            the settings' start for that unit), e.g. the σ before an edit (the what-if tool). A
            warm-started pair is stored under a key that also holds a digest of its start, so it is
            never served as the cold answer (nor for another start); a warm-started pair whose cold
            answer is stored gets the cold answer. None = every pair cold.
        settings: estimator settings as a `Settings`; and/or
        **kwargs: its fields as keywords (rate, scale, samples, max_steps, window, tol,
            random_state, memory_budget_mb, ...); a keyword that disagrees with `settings` is an error.
    Returns:
        Explanation (see `infolib.core.results`).
    """
    started = time.perf_counter()
    model, sentences, names = check_inputs(model, sentences, layers, level, truncate)
    check_cache(cache)  # before any work: a wrong `cache` fails at once
    config = resolve_settings(settings, **kwargs)
    config.check()
    scale = effective_scale(model, config)

    with frozen(model.module):
        if sigma_s is None:
            sigma_s = estimate_sigma_s(model, names, corpus)
        pairs = [(i, name) for i in range(len(sentences)) for name in names]
        store = check_cache(cache)
        start = _check_start(warm_start, pairs)
        keys = _keys(store, model, sentences, names, level, config, sigma_s)
        # A warm-started pair may be answered by the cold answer (the reference), else by the same
        # start's earlier answer; its own answer is stored only under its start's key (`_warm_key`).
        found = {pair: store.get(key) for pair, key in keys.items()}
        keys = {pair: _warm_key(key, start[pair]) if pair in start else key for pair, key in keys.items()}
        found = {pair: found[pair] or (store.get(key) if pair in start else None) for pair, key in keys.items()}
        todo = [pair for pair in pairs if found.get(pair) is None]
        # The clean pass runs only for the states something is computed for: a warm call runs none.
        autocast = precision_context(config.precision, model.device if config.precision != "float32" else "cpu")
        with autocast:  # the clean state in the precision of the noisy ones, so that σ → 0 gives no error
            batch = encode_batch(model, sentences, names, level, sigma_s, run={name for _, name in todo})
        fitted = {}
        if todo:
            problem = _model_problem(batch, todo, config.random_state)
            if start:
                problem.warm_start = [_start_units(start.get(pair), batch, pair) for pair in todo]
            bar = _progress_bar(len(todo), progress)
            try:
                with autocast:
                    fits = optimise(problem, config, scale, progress=bar.update_to if bar else None, callback=callback)
            finally:
                if bar:
                    bar.close()
            for pair, fit in zip(todo, fits):
                fitted[pair] = {
                    "sigma": fit.sigma.tolist(),
                    "loss_curve": fit.loss_curve,
                    "steps": fit.steps,
                    "converged": fit.converged,
                    "passes": fit.passes,
                    "warm_start": fit.warm_start,
                }
                if pair in keys:
                    store.put(keys[pair], fitted[pair])
        results = {pair: found.get(pair) or fitted[pair] for pair in pairs}
    runlog.record(
        kind="explain",
        model=model.name,
        seconds=time.perf_counter() - started,
        pairs=len(pairs),
        cached=len(pairs) - len(todo),
        max_steps=config.max_steps,
        steps=[fitted[pair]["steps"] for pair in todo],
        at_max_steps=sum(not fitted[pair]["converged"] for pair in todo),
    )
    return Explanation(
        sentences=sentences,
        layers=names,
        words=batch.words(),
        tokens=batch.encoding.tokens,
        word_of_token=batch.word_of_token(),
        sigma={pair: torch.tensor(r["sigma"], dtype=torch.float32) for pair, r in results.items()},
        diagnostics={
            pair: {k: r[k] for k in ("loss_curve", "steps", "converged")}
            | {"passes": r.get("passes"), "cached": pair not in fitted, "warm_start": bool(r.get("warm_start"))}
            for pair, r in results.items()
        },
        scale=scale,
        K=int(batch.embed.shape[-1]),
        settings={**asdict(config), "scale": scale},
        model=model.name,
        fingerprint=model.fingerprint(),
        level=level,
    )


def _check_start(start, pairs) -> dict[tuple[int, str], Tensor]:
    """`explain`'s `warm_start` as {pair: 1-D float tensor}, only for pairs being explained; a clear error otherwise."""
    if start is None:
        return {}
    if not isinstance(start, Mapping):
        raise TypeError(
            f"warm_start must map (sentence index, hidden state) to a tensor of σ, got {type(start).__name__}."
        )
    unknown = [pair for pair in start if pair not in set(pairs)]
    if unknown:
        raise ValueError(
            f"warm_start names pairs that are not explained: {unknown[:3]}; use (sentence index, layer name)."
        )
    out = {}
    for pair, sigma in start.items():
        if not isinstance(sigma, Tensor) or not sigma.is_floating_point() or sigma.ndim != 1:
            raise TypeError(f"warm_start[{pair!r}] must be a 1-D float tensor of σ per unit (NaN = none).")
        out[pair] = sigma.detach().cpu()
    return out


def _start_units(sigma: Tensor | None, batch: Batch, pair: tuple[int, str]) -> Tensor | None:
    """The start of `pair` checked against its sentence's units (words or tokens, per `level`)."""
    if sigma is None:
        return None
    units = batch.n_units(pair[0])
    if len(sigma) != units:
        raise ValueError(
            f"warm_start[{pair!r}] has {len(sigma)} σ but the sentence has {units} units at level '{batch.level}'."
        )
    return sigma


def _warm_key(key: str, sigma: Tensor) -> str:
    """The cache key of a warm-started pair: its cold key and its start, so neither is served for the other."""
    return hashlib.sha256(f"{key}|start={tensor_digest(sigma.to(torch.float64))}".encode()).hexdigest()


def _keys(store, model, sentences, names, level, config, sigma_s) -> dict[tuple[int, str], str]:
    """`pair_keys` when there is a store, else none; none too for a malformed σ_S, which matches no
    entry anyway: every pair is then computed, and `encode_batch` says what is wrong with σ_S."""
    if store is None:
        return {}
    try:
        return pair_keys(model, sentences, names, level, config, sigma_s)
    except (TypeError, ValueError, KeyError, RuntimeError):
        return {}


def effective_scale(model: HookedModel, config: Settings) -> float:
    """The prior's σ upper bound: `config.scale`, else the model's default (10 × embedding std)."""
    return float(config.scale if config.scale is not None else model.default_scale())


def pair_keys(
    model: HookedModel,
    sentences: Sequence[str],
    names: Sequence[str],
    level: str,
    config: Settings,
    sigma_s: Mapping[str, Tensor],
) -> dict[tuple[int, str], str]:
    """The result-cache key of every (sentence index, hidden state) pair, as `explain` reads and writes them.

    `sentences` must already be checked and fitted to the model's length (what `explain` explains).
    """
    key_settings = {**asdict(config), "scale": effective_scale(model, config)}
    spread_ids = {name: tensor_digest(torch.as_tensor(sigma_s[name])) for name in names}
    fingerprint = model.fingerprint()
    return ResultCache.pair_keys(
        fingerprint=fingerprint,
        sentences=sentences,
        names=names,
        level=level,
        settings=key_settings,
        spread_ids=spread_ids,
        version=__version__,
    )


def _model_problem(batch: Batch, pairs: list[tuple[int, str]], random_state: int) -> Problem:
    """The estimator's problem for `pairs` of a prepared batch: inputs, units, seeds, error, memory."""
    model, device = batch.model, batch.embed.device
    lengths = batch.lengths
    x, units, seeds, targets = [], [], [], []
    for i, name in pairs:
        x.append(batch.embed[i, : lengths[i]])
        units.append(batch.units[i])
        seeds.append(pair_seed(random_state, batch.sentences[i], name, batch.level))
        targets.append(name)
    pair_sentence = torch.tensor([i for i, _ in pairs], device=device)
    pair_len = torch.tensor([lengths[i] for i, _ in pairs], device=device)

    def error(x_tilde: Tensor, pair_of_row: Tensor) -> Tensor:
        width = x_tilde.shape[1]
        mask = (torch.arange(width, device=device)[None, :] < pair_len[pair_of_row][:, None]).long()
        row_targets = [targets[p] for p in pair_of_row.tolist()]
        states = model.run(x_tilde, mask, row_targets)
        err = torch.empty(len(row_targets), dtype=x_tilde.dtype, device=device)
        for name, state in states.items():
            rows = torch.tensor([r for r, t in enumerate(row_targets) if t == name], device=device)
            clean = batch.clean[name][pair_sentence[pair_of_row[rows]]]
            if model.is_token_level(name):
                err[rows] = normalised_change(state, clean[:, :width], batch.inv_var[name], mask[rows])
            else:
                err[rows] = normalised_change(state, clean, batch.inv_var[name])
        return err

    def scaled_state(x_tilde: Tensor, pair_of_row: Tensor) -> Tensor:
        width = x_tilde.shape[1]
        mask = (torch.arange(width, device=device)[None, :] < pair_len[pair_of_row][:, None]).long()
        row_targets = [targets[p] for p in pair_of_row.tolist()]
        flat = [None] * len(row_targets)
        for name, state in model.run(x_tilde, mask, row_targets).items():
            rows = [r for r, t in enumerate(row_targets) if t == name]
            scaled = state * batch.inv_sigma_s[name]
            if model.is_token_level(name):  # padded tokens are not part of s
                scaled = scaled * mask[rows][:, : scaled.shape[1], None].to(scaled.dtype)
            for j, r in enumerate(rows):
                flat[r] = scaled[j].flatten()
        return torch.nn.utils.rnn.pad_sequence(flat, batch_first=True)

    read = sorted(set(targets))
    width = max(state.shape[-1] for state in batch.clean.values())

    def row_bytes(tokens: int) -> float:
        return model.row_bytes(tokens, read, width)

    elements = [(lengths[i] if model.is_token_level(name) else 1) * batch.clean[name].shape[-1] for i, name in pairs]
    return Problem(x, units, seeds, error, elements, row_bytes, scaled_state)


class _Bar:
    def __init__(self, total_pairs: int):
        self.tqdm = tqdm(total=total_pairs, desc="σ-optimisation", unit="pair", leave=False)

    def update_to(self, step: int, done: int) -> None:
        self.tqdm.set_postfix_str(f"step {step}")
        self.tqdm.update(done - self.tqdm.n)

    def close(self) -> None:
        self.tqdm.close()


def _progress_bar(pairs: int, enabled: bool):
    return _Bar(pairs) if enabled else None
