"""σ_S: the per-dimension spread of a hidden state over a corpus, which makes the estimator's
loss invariant to the scale of Φ and comparable across layers (METHOD.md §1)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from typing import Sequence

import torch
from torch import Tensor

from .hooks import HookedModel, frozen
from .inputs import fit_length
from .data import load_sst2
from .paths import cache_dir

DEFAULT_CORPUS_SIZE = 512


def default_corpus(n: int = DEFAULT_CORPUS_SIZE, data_dir=None) -> list[str]:
    """A fixed sample of `n` SST-2 train sentences (seeded, so the same every time)."""
    train = load_sst2("train", data_dir=data_dir)
    generator = torch.Generator().manual_seed(0)
    picks = torch.randperm(len(train), generator=generator)[:n].tolist()
    return [train.sentences[i] for i in picks]


def spread(model: HookedModel, names: Sequence[str], corpus: Sequence[str], batch_size: int = 64) -> dict[str, Tensor]:
    """Per-dimension std of each hidden state over `corpus`, pooled over real tokens.

    Corpus sentences longer than the model's maximum are cut to their first words that fit
    (silently: σ_S is a statistic over many sentences, not an explanation of these).

    Returns:
        name -> [D] float32 std (dimensions that never vary get +inf: they add no error).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpus = fit_length(model, list(corpus), truncate=True)
    sums: dict[str, list[Tensor]] = {}
    with frozen(model.module), torch.no_grad():
        for start in range(0, len(corpus), batch_size):
            encoding = model.encode(corpus[start : start + batch_size])
            mask = encoding.attention_mask.to(model.device)
            states = model.states(model.embed(encoding), mask, names)
            for name, state in states.items():
                rows = state[mask.bool()] if model.is_token_level(name) else state
                rows = rows.double()
                acc = sums.setdefault(name, [0, 0, 0])
                acc[0] += rows.shape[0]
                acc[1] = acc[1] + rows.sum(0)
                acc[2] = acc[2] + (rows**2).sum(0)
    result = {}
    for name, (count, total, total_sq) in sums.items():
        variance = (total_sq - total**2 / count) / max(count - 1, 1)
        std = variance.clamp_min(0).sqrt().float()
        std[std <= 1e-12 * std.max().clamp_min(1e-30)] = float("inf")
        result[name] = std
    return result


def corpus_id(corpus: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(corpus).encode()).hexdigest()
    return f"{len(corpus)}-{digest[:12]}"


def sigma_s(
    model: HookedModel, names: Sequence[str], corpus: Sequence[str] | None = None, *, use_cache: bool = True
) -> dict[str, Tensor]:
    """σ_S for each hidden state, from the disk cache when the same model and corpus made it.

    The cache key is the model's weight fingerprint, the hidden-state name and the corpus hash,
    so a changed model (or corpus) is measured again.
    """
    corpus = list(corpus) if corpus is not None else default_corpus()
    if not corpus:
        raise ValueError("the σ_S corpus is empty: pass at least a few sentences of your data.")
    key = corpus_id(corpus)
    folder = cache_dir("sigma_s", model.fingerprint()[:16]) if use_cache else None
    found, missing = {}, []
    for name in names:
        path = folder / f"{name}--{key}.pt" if folder else None
        if path is not None and path.is_file():
            try:
                found[name] = torch.load(path, weights_only=True)
                continue
            except Exception:  # a torn or corrupted file: measure again
                path.unlink(missing_ok=True)
        missing.append(name)
    if missing:
        fresh = spread(model, missing, corpus)
        for name, std in fresh.items():
            found[name] = std
            if folder:
                # A unique temporary name that draws nothing from torch's global generator.
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}--{key}.", suffix=".tmp")
                os.close(fd)
                torch.save(std, tmp)
                os.replace(tmp, folder / f"{name}--{key}.pt")
        if folder:
            (folder / "model.json").write_text(json.dumps({"model": model.name, "fingerprint": model.fingerprint()}))
    return {name: found[name].to(model.device) for name in names}
