"""σ_S: the per-dimension spread of a hidden state over a corpus, which makes the estimator's
loss invariant to the scale of Φ and comparable across layers (docs/method.md §1)."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from importlib import resources
from pathlib import Path
from typing import Sequence, Union

import torch
from torch import Tensor

from .hooks import HookedModel, frozen
from .inputs import fit_length
from .atomic import atomic_write, atomic_write_text
from .data import load_sst2
from .paths import warn_no_cache, writable_cache_dir

SST2_CORPUS_SIZE = 512
PACKAGED_CORPUS = "sigma_s_corpus.txt"  # in infolib/data/, with its PROVENANCE.md
Corpus = Union[Sequence[str], str, os.PathLike, None]


def packaged_corpus() -> list[str]:
    """The default σ_S corpus: the 297 sentences shipped in infolib/data/sigma_s_corpus.txt.

    Varied English written for infolib (provenance and licence in infolib/data/PROVENANCE.md), so
    explaining needs no data set and the default is the same whatever is on disk. The paper's
    setting is `sst2_corpus()`, which the notebooks and `reproduce` pass explicitly (docs/sigma_s.md).
    """
    text = resources.files("infolib").joinpath("data", PACKAGED_CORPUS).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def sst2_corpus(n: int = SST2_CORPUS_SIZE, data_dir=None) -> list[str]:
    """The paper's σ_S corpus: a fixed sample of `n` SST-2 train sentences (seeded, so the same every time)."""
    train = load_sst2("train", data_dir=data_dir)
    generator = torch.Generator().manual_seed(0)
    picks = torch.randperm(len(train), generator=generator)[:n].tolist()
    return [train.sentences[i] for i in picks]


def read_corpus_file(path: str | os.PathLike) -> list[str]:
    """The non-blank lines of a UTF-8 text file, one sentence per line.

    Raises:
        FileNotFoundError / ValueError: one line naming the file and what to do (missing, a folder,
            not UTF-8 text, or no sentences).
    """
    path = Path(path).expanduser()
    what = "pass a UTF-8 text file with one sentence per line"
    if not path.exists():
        raise FileNotFoundError(f"corpus file {path} does not exist: {what}.")
    if not path.is_file():
        raise ValueError(f"corpus {path} is not a file: {what}.")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"corpus file {path} is not UTF-8 text (byte {error.start}): {what}.") from None
    if "\x00" in text:
        raise ValueError(f"corpus file {path} holds NUL bytes, so it is not text: {what}.")
    sentences = [line.strip() for line in text.splitlines() if line.strip()]
    if not sentences:
        raise ValueError(f"corpus file {path} holds no sentences (it is empty or blank): {what}.")
    return sentences


def resolve_corpus(corpus: Corpus) -> list[str]:
    """The sentences of `corpus`: None → `packaged_corpus()`; a path (str or PathLike) → `read_corpus_file`;
    else the sequence itself."""
    if corpus is None:
        return packaged_corpus()
    if isinstance(corpus, (str, os.PathLike)):
        return read_corpus_file(corpus)
    return list(corpus)


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
    """The corpus's identity in σ_S cache keys: its size and a hash of its text."""
    digest = hashlib.sha256("\n".join(corpus).encode()).hexdigest()
    return f"{len(corpus)}-{digest[:12]}"


def sigma_s(
    model: HookedModel, names: Sequence[str], corpus: Corpus = None, *, use_cache: bool = True
) -> dict[str, Tensor]:
    """σ_S for each hidden state, from the disk cache when the same model and corpus made it.

    Args:
        corpus: sentences; or a text file (str / PathLike), one sentence per line; None = the
            packaged corpus (`packaged_corpus`). Pass your own domain's sentences when its text
            differs much from everyday English (see docs/sigma_s.md).

    The cache key is the model's weight fingerprint, the hidden-state name and the corpus identity
    (size and text hash), so a changed model (or corpus) is measured again. A cache that cannot be
    written warns once and σ_S is still returned.
    """
    corpus = resolve_corpus(corpus)
    if not corpus:
        raise ValueError("the σ_S corpus is empty: pass at least a few sentences of your data.")
    key = corpus_id(corpus)
    folder = writable_cache_dir("sigma_s", model.fingerprint()[:16]) if use_cache else None
    found, missing = {}, []
    for name in names:
        path = folder / f"{name}--{key}.pt" if folder else None
        if path is not None and path.is_file():
            try:
                found[name] = torch.load(path, weights_only=True)
                continue
            except Exception:  # a torn or corrupted file: measure again (and replace it, if the cache is writable)
                pass
        missing.append(name)
    if missing:
        fresh = spread(model, missing, corpus)
        for name, std in fresh.items():
            found[name] = std
        if folder:
            try:
                for name, std in fresh.items():
                    atomic_write(folder / f"{name}--{key}.pt", lambda tmp, std=std: torch.save(std, tmp))
                info = {"model": model.name, "fingerprint": model.fingerprint()}
                atomic_write_text(folder / "model.json", json.dumps(info))
            except OSError as error:  # read-only or full: σ_S is still returned
                warn_no_cache(folder, error)
    return {name: found[name].to(model.device) for name in names}
