"""Gradient saliency: how strongly the whole hidden state moves with each word's embedding.

    score_i = ‖J_i‖_F,   J_i = ∂(s / σ_S) / ∂x_i

the Frobenius norm of the Jacobian of the whole hidden state s (a layer's [tokens, D] states, or a
vector), divided element-wise by σ_S when given, with respect to word i's embedding x_i (all its
word pieces: [pieces, K]). It is ≥ 0 and larger = more important (the opposite of σ).

Two estimators, both from vector-Jacobian products v^T J (one backward pass each):
- exact: v runs over the standard basis of s's M elements, ‖J_i‖²_F = Σ_m ‖(e_m^T J)_i‖².
  Used when M ≤ `exact_max`.
- Hutchinson (random projection): v ~ N(0, I_M), E‖(v^T J)_i‖² = ‖J_i‖²_F, averaged over
  `probes` draws. The squared norm is unbiased; its relative standard error is at most
  sqrt(2 / probes) and is reported per word in `extra`; the score is its square root (biased low
  by at most a few % at 64 probes, by Jensen).

Word level: ‖J_i‖²_F of a word is the sum over its pieces' ‖J_t‖²_F (the L2 norm over all the
pieces' K dimensions), which is exact, not an average of piece scores.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..core.inputs import Batch
from ._method import Scores, attribution_method
from ..core.validation import COUNT, SEED, StrOptions, validate_params

MEANING = (
    "‖∂(s/σ_S)/∂x_i‖_F: Frobenius norm of the Jacobian of the whole hidden state (divided by "
    "σ_S when given) w.r.t. word i's embedding; ≥ 0, larger = more important (unlike σ)."
)
AGGREGATION = "Frobenius norm over all the word's pieces and K dims: sqrt(Σ_pieces ‖J_t‖²_F)"


@attribution_method("gradient_saliency", MEANING, AGGREGATION)
@validate_params(
    {
        "mode": [StrOptions(["auto", "exact", "hutchinson"])],
        "probes": [COUNT],
        "exact_max": [COUNT],
        "max_rows": [COUNT],
        "random_state": [SEED],
    }
)
def gradient_saliency(
    batch: Batch,
    *,
    mode: str = "auto",
    probes: int = 64,
    exact_max: int = 512,
    max_rows: int = 128,
    random_state: int = 0,
) -> Scores:
    """‖∂(s/σ_S)/∂x_i‖_F for every sentence, hidden state s and word i.

    Args:
        model: a HookedModel (`infolib.load_model(...)`).
        sentences: a sentence or a list (words separated by whitespace).
        layers: 'all', a name ('layer.3', 'pooled'), an int, or a list of those.
        level: 'word' (pieces combined exactly) or 'token'.
        sigma_s: name -> [D] spread of each hidden state (as for the estimator); None = raw units.
        mode: 'exact', 'hutchinson', or 'auto' (exact when the state has ≤ `exact_max` elements).
        probes: random directions per (sentence, state) for the Hutchinson estimate.
        max_rows: forward rows per pass (bounds memory).
        random_state: seed of the probes (each sentence and state has its own stream).
        truncate: cut sentences longer than the model's maximum instead of failing.
    Returns:
        Attribution with scores [n_words] per (sentence, layer); `extra[(i, layer)]` holds
        'mode', 'probes' and, for Hutchinson, 'se_squared_norm' [n_words].
    """
    groups: dict[tuple[str, int], list[str]] = {}
    for name in batch.names:
        largest = max(batch.elements(name, b) for b in range(len(batch.sentences)))
        exact = mode == "exact" or (mode == "auto" and largest <= exact_max)
        key = ("exact", largest) if exact else ("hutchinson", probes)
        groups.setdefault(key, []).append(name)
    scores, extra = {}, {}
    for (kind, count), names in groups.items():
        squared = _squared_norms(batch, names, kind, count, max_rows, random_state)
        for name in names:
            for b in range(len(batch.sentences)):
                per_probe = torch.stack([batch.to_units(row, b) for row in squared[name][b]])  # [count, n_units]
                total = per_probe.sum(0) if kind == "exact" else per_probe.mean(0)
                scores[b, name] = total.clamp_min(0).sqrt()
                info = {"mode": kind, "probes": count}
                if kind == "hutchinson":
                    info["se_squared_norm"] = (
                        per_probe.std(0) / count**0.5 if count > 1 else torch.full_like(total, float("nan"))
                    )
                extra[b, name] = info
    used = {
        name: f"{kind} ({count} {'basis vectors' if kind == 'exact' else 'Gaussian probes'})"
        for (kind, count), names in groups.items()
        for name in names
    }
    settings = {
        "mode": mode,
        "probes": probes,
        "exact_max": exact_max,
        "random_state": random_state,
        "estimator_by_layer": used,
    }
    return Scores(scores, settings, extra)


def _probe_block(
    batch: Batch, name: str, b: int, kind: str, start: int, stop: int, shape: tuple[int, ...], random_state: int
) -> Tensor:
    """[stop - start, *shape] directions v for sentence b (zero on padding)."""
    n = batch.lengths[b]
    real = (n, shape[-1]) if batch.model.is_token_level(name) else (shape[-1],)
    M = int(torch.tensor(real).prod())
    out = torch.zeros(stop - start, *shape, dtype=batch.embed.dtype)
    if kind == "exact":
        flat = torch.zeros(stop - start, M, dtype=batch.embed.dtype)
        index = torch.arange(start, stop)
        keep = index < M
        flat[keep.nonzero().squeeze(1), index[keep]] = 1.0
        block = flat.reshape(stop - start, *real)
    else:
        generator = torch.Generator().manual_seed(batch.seed(random_state, batch.sentences[b], name, "saliency"))
        block = torch.randn(stop, *real, generator=generator, dtype=batch.embed.dtype)[start:stop]
    if batch.model.is_token_level(name):
        out[:, :n] = block
    else:
        out[:] = block
    return out.to(batch.embed.device)


def _squared_norms(
    batch: Batch, names: list[str], kind: str, count: int, max_rows: int, random_state: int
) -> dict[str, list[Tensor]]:
    """name -> per sentence [count, n_tokens] ‖(v^T J)_t‖² for each direction v and token t."""
    B = batch.embed.shape[0]
    out: dict[str, list[list[Tensor]]] = {name: [[] for _ in range(B)] for name in names}
    for group in length_groups(batch.lengths, GROUP):
        chunk, width = max(1, max_rows // len(group)), max(batch.lengths[b] for b in group)
        for start in range(0, count, chunk):
            stop = min(count, start + chunk)
            rows = torch.tensor(group).repeat_interleave(stop - start)
            x = batch.embed[rows, :width].detach().clone().requires_grad_(True)
            states = batch.model.states(x, batch.mask[rows, :width], names)
            for j, name in enumerate(names):
                s = batch.scaled(name, states[name], rows)
                shape = tuple(s.shape[1:])
                v = torch.cat([_probe_block(batch, name, b, kind, start, stop, shape, random_state) for b in group])
                (grad,) = torch.autograd.grad((s * v).sum(), x, retain_graph=j < len(names) - 1)
                squared = (grad.detach() ** 2).sum(-1).reshape(len(group), stop - start, width)
                for k, b in enumerate(group):
                    out[name][b].append(squared[k, :, : batch.lengths[b]])
    return {name: [torch.cat(parts) for parts in per_sentence] for name, per_sentence in out.items()}


# Sentences per pass group: sorted by length, so a group is padded only to its own longest sentence.
GROUP = 16


def length_groups(lengths: list[int], size: int) -> list[list[int]]:
    """The sentence indices in order of length, in groups of at most `size` (each padded to its longest)."""
    order = sorted(range(len(lengths)), key=lambda b: (lengths[b], b))
    return [order[start : start + size] for start in range(0, len(order), size)]
