"""Deprecated: the paper's figures moved to `infolib.viz.figures` (one theme, one colour per model and method,
intervals on every mean). Importing this module still works, with a DeprecationWarning, until infolib 0.2."""

import warnings

from . import figures
from .figures import *  # noqa: F401, F403 (the old import path re-exports the new module, nothing else)

warnings.warn(
    "infolib.viz.paper was renamed infolib.viz.figures; the old module goes in infolib 0.2.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = figures.__all__
