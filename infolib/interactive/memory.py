"""Explained pairs kept in memory for the what-if tool, so going back to a sentence or a layer costs nothing.

`MemoryStore` is a result store like `infolib.core.store.ResultCache` without the disk: the same
keys (`key`, everything that changes an answer), `get`, `put` and `len`, which is all `explain(...,
cache=store)` uses. It forgets its oldest entry when full.
"""

from __future__ import annotations

import threading

from ..core.deprecation import renamed
from ..core.store import ResultCache
from ..core.validation import COUNT, check_param


class MemoryStore:
    """Explained (sentence, hidden state) pairs in a dict, keyed like `ResultCache`.

    Args:
        max_entries: how many pairs to keep; the oldest is dropped first. Thread-safe.
    """

    key = staticmethod(ResultCache.key)  # one key for memory and disk: a hash of everything that changes the answer

    def __init__(self, max_entries: int = 4096):
        check_param("max_entries", max_entries, [COUNT])
        self.entries: dict[str, dict] = {}
        self.max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        """The stored payload, or None."""
        with self._lock:
            return self.entries.get(key)

    def put(self, key: str, value: dict) -> None:
        """Store `value` under `key`, dropping the oldest entry when full."""
        with self._lock:
            if key not in self.entries and len(self.entries) >= self.max_entries:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        return f"<MemoryStore: {len(self)} of at most {self.max_entries} pairs>"


__getattr__ = renamed(__name__, {"MemoryCache": "MemoryStore"}, globals())  # its name before the what-if split

__all__ = ["MemoryStore"]
