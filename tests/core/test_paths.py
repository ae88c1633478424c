"""Where infolib looks for data and keeps its cache, inside a checkout and from an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from infolib.core import paths
from infolib.core.data import load_sst2


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """infolib as if installed: the package's parent is a site-packages folder; HOME and XDG dirs are fresh."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    (site / "pyproject.toml").write_text('[project]\nname = "infolib"\n')  # even this does not make it a checkout
    monkeypatch.setattr(paths, "PACKAGE_PARENT", site)
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", paths.CACHE_ENV, paths.DATA_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return site


def fake_checkout(folder: Path, name: str = "infolib") -> Path:
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
    return folder


def test_this_checkout_is_a_checkout():
    assert paths.checkout() == Path(__file__).resolve().parents[2]


def test_a_checkout_is_a_folder_whose_pyproject_names_infolib(tmp_path):
    assert paths.checkout(fake_checkout(tmp_path / "a")) == tmp_path / "a"
    assert paths.checkout(fake_checkout(tmp_path / "b", name="other")) is None
    assert paths.checkout(tmp_path / "missing") is None
    site = fake_checkout(tmp_path / "lib" / "site-packages")
    assert paths.checkout(site) is None


def test_installed_cache_goes_to_the_user_cache_folder(installed, tmp_path):
    root = paths.cache_root()
    assert root == Path(platformdirs.user_cache_dir("infolib"))
    assert root.is_relative_to(tmp_path / "home") and not root.is_relative_to(installed)
    assert paths.cache_dir("sigma_s").is_dir()
    assert list(installed.iterdir()) == [installed / "pyproject.toml"]  # nothing written beside the package


def test_cache_env_wins_everywhere(installed, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "mine"))
    assert paths.cache_root() == tmp_path / "mine"
    monkeypatch.setattr(paths, "PACKAGE_PARENT", fake_checkout(tmp_path / "checkout"))
    assert paths.cache_root() == tmp_path / "mine"


def test_a_checkout_keeps_its_data_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.setattr(paths, "PACKAGE_PARENT", fake_checkout(tmp_path / "checkout"))
    assert paths.cache_root() == tmp_path / "checkout" / "data" / "cache"


def test_data_search_path_installed_lists_exactly_what_it_tried(installed, tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "env"))
    expected = [tmp_path / "given", tmp_path / "env", Path(platformdirs.user_data_dir("infolib"))]
    assert paths.data_search_path(tmp_path / "given") == expected
    with pytest.raises(paths.DataNotFoundError) as raised:
        load_sst2("dev", data_dir=tmp_path / "given")
    tried = [line.strip() for line in str(raised.value).splitlines() if line.startswith("  ")]
    assert tried == [str(folder / "sst2" / "dev.tsv") for folder in expected]


def test_data_search_path_in_a_checkout_adds_data_and_shared(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    root = fake_checkout(tmp_path / "checkout")
    monkeypatch.setattr(paths, "PACKAGE_PARENT", root)
    searched = paths.data_search_path()
    assert searched[:2] == [root / "data", tmp_path / "shared" / "data"]
    assert searched[2] == Path(platformdirs.user_data_dir("infolib"))
    (tmp_path / "shared" / "data" / "sst2").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "sst2" / "dev.tsv").write_text("sentence\tlabel\ngood film\t1\n")
    assert load_sst2("dev").sentences == ["good film"]


def test_a_cache_path_that_is_a_file_says_so(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "file"))
    with pytest.raises(paths.CacheError, match=r"file.* is a file, not a folder.*INFOLIB_CACHE") as raised:
        paths.cache_dir("sigma_s")
    assert "\n" not in str(raised.value)
    with pytest.raises(paths.CacheError, match="is a file"):
        paths.writable_cache_dir("sigma_s")  # a misconfiguration, not a read-only cache: an error


def test_a_cache_env_pointing_nowhere_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "not" / "yet" / "there"))
    assert paths.cache_dir("results") == tmp_path / "not" / "yet" / "there" / "results"
    assert (tmp_path / "not" / "yet" / "there" / "results").is_dir()


def test_a_cache_that_cannot_be_created_warns_once_and_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "locked" / "cache"))

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)  # as root, chmod would not stop the write
    with pytest.warns(RuntimeWarning) as caught:
        assert paths.writable_cache_dir("deny-once") is None
        assert paths.writable_cache_dir("deny-once") is None
    assert len(caught) == 1
    message = str(caught[0].message)
    assert str(tmp_path / "locked" / "cache") in message and "INFOLIB_CACHE" in message
    assert "\n" not in message


def test_nothing_is_written_inside_the_package():
    """The cache root, wherever it is, never lies inside the infolib package folder."""
    package = Path(paths.__file__).resolve().parents[1]
    assert not paths.cache_root().resolve().is_relative_to(package)
    assert not any(p.is_relative_to(package) for p in paths.data_search_path())
    assert os.environ[paths.CACHE_ENV]  # tests run with their own cache (conftest)
