"""Optional dependencies: imported when a feature needs them, with one line naming the extra to install.

`import infolib`, `explain`, `explain_corpus` and the command line need only the core
dependencies. Features that need more import their package through `require`, which raises
`MissingExtra` ("... needs captum: pip install 'infolib[baselines]'") when it is absent.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# top-level package -> the extra of pyproject.toml that installs it
EXTRA_OF = {
    "captum": "baselines",
    "ray": "distributed",
    "ipywidgets": "notebooks",
    "IPython": "notebooks",
    "nbformat": "notebooks",
    "nbclient": "notebooks",
    "mistune": "notebooks",
}


class MissingExtra(ImportError):
    """An optional package is not installed; the message names the `pip install 'infolib[...]'` to run."""


def require(module: str, feature: str, error: type[MissingExtra] = MissingExtra) -> ModuleType:
    """`importlib.import_module(module)`, or `error` naming the extra that installs it.

    Args:
        module: e.g. 'captum.attr'; its top-level package must be in `EXTRA_OF`.
        feature: what needs it, for the message (e.g. "the 'lrp' baseline").
        error: the exception class to raise (a subclass of MissingExtra).
    """
    top = module.split(".")[0]
    extra = EXTRA_OF[top]
    try:
        return importlib.import_module(module)
    except ImportError as missing:
        raise error(f"{feature} needs {top}, which is not installed: pip install 'infolib[{extra}]'.") from missing
