"""One atomic file write for every file infolib keeps (results, σ_S, cache entries, tables).

The content goes to a temporary file in the target's folder, is flushed to disk, and is moved
into place with `os.replace` (atomic on POSIX and Windows): a reader sees the old file, the new
one or none, never a torn file. If anything fails (a crash, a full disk, Ctrl-C), the temporary
file is removed and the target is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once, at import, before any thread writes files
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() gives a new file (0o644 with the usual umask 022)


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Write `path` by calling `write(temporary_path)`, then renaming it into place. Returns the path.

    `write` gets the temporary file's name (e.g. `lambda tmp: torch.save(data, tmp)`). The folder
    must exist. Any exception propagates after the temporary file is removed.
    """
    path = Path(path)
    # A unique temporary name that draws nothing from torch's global generator; the leading dot
    # hides it from globs of finished entries.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _MODE)  # mkstemp makes the file owner-only; give it the mode open() would
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """`atomic_write` of a UTF-8 text."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
