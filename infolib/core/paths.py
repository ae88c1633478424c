"""Where infolib finds its data sets and keeps its cache.

Cache root: $INFOLIB_CACHE, else `data/cache` of the checkout when infolib runs from one (so
`make reproduce` keeps its models beside the code), else the platform's user cache folder
(`platformdirs.user_cache_dir("infolib")`, e.g. ~/.cache/infolib). Nothing is ever written
inside the installed package.

Data search path: an explicit `data_dir`, $INFOLIB_DATA, the checkout's `data/` and the
`shared/data` folder beside the checkout (only from a checkout), then the user data folder
(`platformdirs.user_data_dir("infolib")`).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import platformdirs

PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the checkout, or site-packages once installed
DATA_ENV = "INFOLIB_DATA"
CACHE_ENV = "INFOLIB_CACHE"
_NAME = re.compile(r'^\s*name\s*=\s*"infolib"\s*$', re.MULTILINE)


class DataNotFoundError(FileNotFoundError):
    """A data file is in none of the places infolib looks."""


class CacheError(ValueError):
    """The cache location cannot be a folder (it is a file, or lies under one)."""


def checkout(parent: Path | None = None) -> Path | None:
    """The source checkout infolib runs from, or None when it runs from an installed wheel.

    A checkout is the folder above the package holding a pyproject.toml that names infolib,
    and not a site-packages / dist-packages folder.
    """
    folder = PACKAGE_PARENT if parent is None else Path(parent)
    if folder.name in ("site-packages", "dist-packages"):
        return None
    try:
        return folder if _NAME.search((folder / "pyproject.toml").read_text(encoding="utf-8")) else None
    except (OSError, UnicodeDecodeError):
        return None


def cache_root() -> Path:
    """$INFOLIB_CACHE, else the checkout's data/cache, else the user cache folder (not created here)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    root = checkout()
    return root / "data" / "cache" if root is not None else Path(platformdirs.user_cache_dir("infolib"))


def ensure_folder(folder: str | os.PathLike) -> Path:
    """`folder`, created with its parents.

    Raises:
        CacheError: `folder` or a folder on the way is a file (one line naming it and what to do).
        PermissionError / OSError: it cannot be created (read-only place, full disk).
    """
    folder = Path(folder)
    for above in (folder, *folder.parents):
        if above.exists():
            if not above.is_dir():
                raise CacheError(
                    f"the infolib cache folder {folder} cannot be created: {above} is a file, not a folder. "
                    f"Remove that file, or set {CACHE_ENV} to a folder."
                )
            break
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_dir(*parts: str) -> Path:
    """A folder inside the cache root, created (errors as `ensure_folder`)."""
    return ensure_folder(cache_root().joinpath(*parts))


_warned: set[str] = set()


def warn_no_cache(folder: str | os.PathLike, error: BaseException) -> None:
    """Warn that the cache cannot be written and computing goes on without it: once per cache root
    (σ_S and results share one warning), naming the cache root or, outside it, the folder."""
    folder, root = Path(folder), cache_root()
    where = root if folder.is_relative_to(root) else folder
    if str(where) in _warned:
        return
    _warned.add(str(where))
    reason = getattr(error, "strerror", None) or type(error).__name__
    warnings.warn(
        f"infolib cannot write its cache in {where} ({reason}): computing without a cache. "
        f"Set {CACHE_ENV} to a writable folder to keep results.",
        RuntimeWarning,
        stacklevel=3,
    )


def writable_cache_dir(*parts: str) -> Path | None:
    """`cache_dir(*parts)`, or None after one warning naming it when it cannot be created."""
    folder = cache_root().joinpath(*parts)
    try:
        return ensure_folder(folder)
    except CacheError:
        raise
    except OSError as error:
        warn_no_cache(folder, error)
        return None


def data_search_path(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data, in order: argument, $INFOLIB_DATA, checkout, user data folder."""
    candidates = []
    if data_dir is not None:
        candidates.append(Path(data_dir))
    if os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]).expanduser())
    root = checkout()
    if root is not None:
        candidates += [root / "data", root.parent / "shared" / "data"]
    candidates.append(Path(platformdirs.user_data_dir("infolib")))
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
