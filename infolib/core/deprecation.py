"""Old names that still work for one more release, with a DeprecationWarning.

A module lists its old names and lets `renamed` build its `__getattr__` (PEP 562), as TransformerLens's
`hook_points.py` does: the old name is not in the module's namespace, so nothing uses it silently.

    __getattr__ = renamed(__name__, {"Prober": "WhatIf"}, globals())
"""

from __future__ import annotations

import warnings
from typing import Callable, Mapping

REMOVED_IN = "0.2"


def renamed(module: str, old_to_new: Mapping[str, str], namespace: Mapping[str, object]) -> Callable[[str], object]:
    """A module `__getattr__`: `old` returns `namespace[old_to_new[old]]` with a DeprecationWarning.

    Args:
        module: the module's `__name__` (for the messages).
        old_to_new: old name -> the name it has now, in the same module.
        namespace: the module's `globals()`, read when the old name is asked for (so it may be built first).
    """

    def __getattr__(name: str) -> object:
        if name in old_to_new:
            new = old_to_new[name]
            warnings.warn(
                f"{module}.{name} was renamed {new}; the old name goes in infolib {REMOVED_IN}.",
                DeprecationWarning,
                stacklevel=2,
            )
            return namespace[new]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


__all__ = ["REMOVED_IN", "renamed"]
