"""A cache that survives what users do to it: two processes at once, a read-only folder, a full disk,
and bad corpus files or cache paths, each with one clear line."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import pytest
import torch

import infolib
from infolib.core import paths
from infolib.core.sigma_s import read_corpus_file, sigma_s
from infolib.core.store import ResultCache
from infolib.testing import LinearToyModel

CORPUS = ["a b c", "b c d e", "e f", "a c e g", "d e f g h"]
SENTENCES = ["a b c d", "b c", "c d e f", "a e", "f g h a b", "b d f", "a b c d e f", "g h"]
# Enough steps that each process runs for a few seconds, so the two overlap.
SETTINGS = dict(samples=64, max_steps=60, z=0, tol=1e-9, random_state=0)
RTOL = 1e-5  # runs in other processes / other batches differ by float rounding only (test_pinned_sigma.py)

WORKER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import torch
    import infolib
    from infolib.testing import LinearToyModel
    go, out, first, last = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    corpus, sentences, settings = json.loads(sys.argv[5])
    while not go.exists():  # start together
        time.sleep(0.01)
    result = infolib.explain(LinearToyModel(), sentences[first:last], "all", corpus=corpus, cache=True,
                             progress=False, **settings)
    torch.save({(first + i, name): s for (i, name), s in result.sigma.items()}, out)
""")


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(paths.CACHE_ENV, str(folder))
    return folder


def assert_close(got: dict, want: dict):
    assert got.keys() <= want.keys()
    for pair, sigma in got.items():
        torch.testing.assert_close(sigma, want[pair], rtol=RTOL, atol=0, msg=f"{pair}")


def test_two_processes_share_one_cache_at_once(own_cache, tmp_path):
    go = tmp_path / "go"
    payload = json.dumps([CORPUS, SENTENCES, SETTINGS])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, go, tmp_path / f"{k}.pt", str(first), str(last), payload],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, (first, last) in enumerate([(0, 6), (2, 8)])  # sentences 2-5 explained by both
    ]
    time.sleep(1.0)  # both imported and waiting
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    serial = infolib.explain(LinearToyModel(), SENTENCES, "all", corpus=CORPUS, progress=False, **SETTINGS)
    for k in range(2):
        assert_close(torch.load(tmp_path / f"{k}.pt"), serial.sigma)

    store = ResultCache(own_cache / "results")
    entries = list(store.folder.glob("*/*.json"))
    assert len(entries) == len(SENTENCES) * 2  # every pair once, overlapping ones written by both
    assert all(store.get(p.stem) is not None for p in entries) and store.corrupted == 0
    assert not [p for p in own_cache.rglob("*") if p.name.endswith(".tmp")]
    (spreads,) = list((own_cache / "sigma_s").iterdir())
    assert len(list(spreads.glob("layer.*.pt"))) == 2 and (spreads / "model.json").is_file()
    # A third run reads everything back: nothing is computed again.
    again = infolib.explain(LinearToyModel(), SENTENCES, "all", corpus=CORPUS, cache=True, progress=False, **SETTINGS)
    assert all(d["cached"] for d in again.diagnostics.values())


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A cache folder nobody can write: chmod for ordinary users; as root (who ignores modes) every
    write under it is refused the way the kernel refuses it."""
    folder = tmp_path / "read-only-cache"
    folder.mkdir()
    folder.chmod(0o555)
    monkeypatch.setenv(paths.CACHE_ENV, str(folder))
    if os.geteuid() == 0:
        real_mkstemp, real_mkdir = tempfile.mkstemp, Path.mkdir

        def refuse(path):
            if Path(path).resolve().is_relative_to(folder):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))

        def mkstemp(*args, dir=None, **kwargs):
            refuse(dir)
            return real_mkstemp(*args, dir=dir, **kwargs)

        def mkdir(self, *args, **kwargs):
            if not self.exists():
                refuse(self)
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(Path, "mkdir", mkdir)
    yield folder
    folder.chmod(0o755)


def test_a_read_only_cache_warns_once_and_computing_goes_on(read_only):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = infolib.explain(
            LinearToyModel(), SENTENCES[:3], "all", corpus=CORPUS, cache=True, progress=False, **SETTINGS
        )
    ours = [w for w in caught if "cache" in str(w.message)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    message = str(ours[0].message)
    assert str(read_only) in message and "INFOLIB_CACHE" in message and "\n" not in message
    assert list(read_only.iterdir()) == []
    plain = infolib.explain(LinearToyModel(), SENTENCES[:3], "all", corpus=CORPUS, progress=False, **SETTINGS)
    assert all(torch.equal(result.sigma[p], plain.sigma[p]) for p in plain.sigma)  # same process, same bits


def full_disk(real_write):
    """A write that puts half its bytes on disk, then fails as a full disk does."""

    def write(self, data, *args, **kwargs):
        real_write(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    return write


def test_a_full_disk_leaves_no_partial_entry(own_cache, monkeypatch):
    monkeypatch.setattr(Path, "write_text", full_disk(Path.write_text))  # result entries are JSON text
    real_save = torch.save

    def save(obj, f, *args, **kwargs):  # σ_S files: torch.save
        real_save(obj, f, *args, **kwargs)
        Path(f).write_bytes(Path(f).read_bytes()[:20])
        raise OSError(errno.ENOSPC, "No space left on device", str(f))

    monkeypatch.setattr(torch, "save", save)
    with pytest.warns(RuntimeWarning, match="No space left on device"):
        result = infolib.explain(
            LinearToyModel(), SENTENCES[:3], "all", corpus=CORPUS, cache=True, progress=False, **SETTINGS
        )
    assert len(result.sigma) == 6  # computing went on
    monkeypatch.undo()
    files = [p for p in own_cache.rglob("*") if p.is_file()]
    assert files == [], files  # no torn σ_S, no half entry, no temporary file
    monkeypatch.setenv(paths.CACHE_ENV, str(own_cache))
    again = infolib.explain(
        LinearToyModel(), SENTENCES[:3], "all", corpus=CORPUS, cache=True, progress=False, **SETTINGS
    )
    assert not any(d["cached"] for d in again.diagnostics.values())  # nothing half-written was read back
    assert all(torch.equal(again.sigma[p], result.sigma[p]) for p in result.sigma)


# -- bad input: one line naming the path and what to do ------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "holds no sentences"),
        (b"\n  \n\t\n", "holds no sentences"),
        (b"\xff\xfe\x00\x89PNG\x00\x00binary", "not UTF-8 text"),
        (b"good film\x00\x00\n", "NUL bytes"),
    ],
    ids=["empty", "blank", "binary", "nul"],
)
def test_a_bad_corpus_file_says_what_is_wrong(tmp_path, content, expected):
    path = tmp_path / "corpus.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=expected) as raised:
        read_corpus_file(path)
    message = str(raised.value)
    assert str(path) in message and "one sentence per line" in message and "\n" not in message


def test_a_missing_corpus_file_or_a_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist: pass a UTF-8 text file"):
        read_corpus_file(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="is not a file"):
        read_corpus_file(tmp_path)


def test_a_corpus_file_is_read_one_sentence_per_line(tmp_path, own_cache):
    path = tmp_path / "mine.txt"
    path.write_text("\ufeffa b c\n\nb c d e\r\ne f\n", encoding="utf-8")  # BOM, blank line, CRLF
    assert read_corpus_file(path) == ["a b c", "b c d e", "e f"]
    by_file = sigma_s(LinearToyModel(), ["layer.1"], path)["layer.1"]
    by_list = sigma_s(LinearToyModel(), ["layer.1"], ["a b c", "b c d e", "e f"])["layer.1"]
    assert torch.equal(by_file, by_list)


def test_the_cli_gives_one_line_for_a_bad_corpus_and_a_cache_that_is_a_file(tmp_path, monkeypatch, capsys, minilm):
    from infolib.cli import main

    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["explain", "a film", "--layers", "1", "--max-steps", "2", "--corpus", str(empty)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(empty) in err and "holds no sentences" in err and "\n" not in err

    mine = tmp_path / "mine.txt"
    mine.write_text("a quiet film\nthe plot is thin\nwarm and funny\n")
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    assert main(["explain", "a film", "--layers", "1", "--max-steps", "2", "--corpus", str(mine)]) == 0
    assert "a film" in capsys.readouterr().out
    assert len(list((tmp_path / "cache").glob("sigma_s/*/layer.1--3-*.pt"))) == 1  # σ_S of the 3 given sentences

    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "a-file"))
    assert main(["explain", "a film", "--layers", "1", "--max-steps", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert str(tmp_path / "a-file") in err and "is a file, not a folder" in err and "INFOLIB_CACHE" in err
    assert "\n" not in err


def test_the_default_corpus_is_packaged_and_does_not_depend_on_the_data_on_disk(monkeypatch, tmp_path):
    from infolib.core import sigma_s as module

    packaged = module.packaged_corpus()
    assert len(packaged) == 297 and len(set(packaged)) == 297
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "nothing-here"))
    monkeypatch.setattr(paths, "PACKAGE_PARENT", tmp_path)  # no checkout: no data set anywhere
    assert module.resolve_corpus(None) == packaged
    with pytest.raises(paths.DataNotFoundError):
        module.sst2_corpus()  # the paper's corpus needs the data set, and says where it looked


def test_atomic_write_replaces_whole_files_with_normal_permissions(tmp_path):
    from infolib.core.atomic import _MODE, atomic_write, atomic_write_text

    target = atomic_write_text(tmp_path / "entry.json", "old")
    assert target.stat().st_mode & 0o777 == _MODE  # not mkstemp's owner-only 0o600: caches may be shared

    def fail_half_way(tmp):
        Path(tmp).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, fail_half_way)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["entry.json"]
