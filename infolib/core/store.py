"""A result cache that cannot lie: explanations on disk, keyed by everything that changes them.

One file per (sentence, hidden state) pair. The key hashes the model's weight fingerprint, the
hidden state, the sentence, the level, every estimator setting (seed included), σ_S of that
hidden state (its exact bytes) and infolib's version, so a cached answer never belongs to another
model or setting. Each file carries a sha256 of its payload: a torn, truncated or flipped file is
detected, deleted and recomputed. Writes go through `atomic_write` (a temporary file in the same
folder, renamed into place), so a crash or a full disk mid-write leaves the old entry or none, and
two processes writing the same entry each write a complete file (identical content: last one wins).
A cache that cannot be written (read-only folder, full disk) warns once, naming the folder and
INFOLIB_CACHE, and computing goes on without storing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from .atomic import atomic_write_text
from .paths import CacheError, cache_root, ensure_folder, warn_no_cache


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def tensor_digest(tensor: Tensor) -> str:
    """sha256 of a tensor's dtype, shape and bytes."""
    t = tensor.detach().cpu().contiguous()
    h = hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode())
    h.update(t.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


@runtime_checkable
class Store(Protocol):
    """Where `explain` keeps finished pairs: anything with get/put of JSON-ready payloads by key
    (`ResultCache` on disk; an in-memory store for interactive use)."""

    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, payload: dict) -> None: ...


class ResultCache:
    """Explanations of (sentence, hidden state) pairs on disk.

    Args:
        folder: where entries live; default `results/` in the cache root (`infolib.core.paths.cache_root`).
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else cache_root() / "results"
        self.corrupted = 0  # entries found damaged and dropped, for diagnostics
        self.writable = True  # False once a write failed: entries are still read, no longer stored
        try:
            ensure_folder(self.folder)
        except CacheError:
            raise
        except OSError as error:
            self._cannot_write(error)

    def _cannot_write(self, error: OSError) -> None:
        self.writable = False
        warn_no_cache(self.folder, error)

    @staticmethod
    def key(
        *, fingerprint: str, hidden_state: str, sentence: str, level: str, settings: dict, sigma_s: str, version: str
    ) -> str:
        """The entry's name: a hash of everything that changes the answer."""
        return _digest(
            {
                "fingerprint": fingerprint,
                "hidden_state": hidden_state,
                "sentence": sentence,
                "level": level,
                "settings": settings,
                "sigma_s": sigma_s,
                "version": version,
            }
        )

    @staticmethod
    def pair_keys(
        *, fingerprint: str, sentences, names, level: str, settings: dict, spread_ids: dict, version: str
    ) -> dict[tuple[int, str], str]:
        """The key of every (sentence index, hidden state) pair: `key` over sentences × names."""
        return {
            (i, name): ResultCache.key(
                fingerprint=fingerprint,
                hidden_state=name,
                sentence=sentence,
                level=level,
                settings=settings,
                sigma_s=spread_ids[name],
                version=version,
            )
            for i, sentence in enumerate(sentences)
            for name in names
        }

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The stored payload, or None if absent or damaged (a damaged entry is removed)."""
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            payload = entry["payload"]
            if entry["checksum"] != _digest(payload) or entry["key"] != key:
                raise ValueError("checksum mismatch")
            return payload
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            self.corrupted += 1
            try:
                path.unlink(missing_ok=True)
            except OSError:  # a read-only cache: the damaged entry stays, and is skipped again
                pass
            return None

    def put(self, key: str, payload: dict) -> None:
        """Store atomically: a reader sees the old entry, the new one, or none, never a torn file.

        A cache that cannot be written (read-only, full disk) warns once and stores nothing more.
        """
        if not self.writable:
            return
        path = self._path(key)
        text = json.dumps({"key": key, "checksum": _digest(payload), "payload": payload})
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        except OSError as error:
            self._cannot_write(error)

    def __len__(self) -> int:
        return sum(1 for p in self.folder.glob("*/*.json") if not p.name.startswith("."))
