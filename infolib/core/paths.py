"""Where infolib finds its data sets and keeps its cache."""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
DATA_ENV = "INFOLIB_DATA"
CACHE_ENV = "INFOLIB_CACHE"


class DataNotFoundError(FileNotFoundError):
    """A data file is in none of the places infolib looks."""


def data_search_path(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data, in order: argument, $INFOLIB_DATA, data/, ../shared/data."""
    candidates = []
    if data_dir is not None:
        candidates.append(Path(data_dir))
    if os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]))
    candidates += [CHECKOUT / "data", CHECKOUT.parent / "shared" / "data"]
    return candidates


def find_data_file(relative: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The first `<folder>/<relative>` that exists along the data search path.

    Raises:
        DataNotFoundError: naming every folder tried and how to fix it.
    """
    searched = data_search_path(data_dir)
    for folder in searched:
        if (folder / relative).is_file():
            return folder / relative
    tried = "\n  ".join(str(folder / relative) for folder in searched)
    raise DataNotFoundError(
        f"infolib could not find the data file '{relative}'. Tried:\n  {tried}\n"
        f"Put the data folder (holding sst2/ and cola/) in one of those places, set "
        f"{DATA_ENV}=/path/to/data, or pass data_dir=... (--data-dir on the command line)."
    )


def cache_dir(*parts: str) -> Path:
    """A folder inside the cache ($INFOLIB_CACHE, else data/cache in the checkout), created."""
    root = Path(os.environ.get(CACHE_ENV) or CHECKOUT / "data" / "cache")
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
