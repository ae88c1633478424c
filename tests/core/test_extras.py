"""The core needs no extra; a feature whose extra is missing says, in one line, which to install.

Each missing package is simulated by `sys.modules[name] = None`, which makes `import name` fail as
if it were not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import infolib
from infolib.core.extras import EXTRA_OF, MissingExtra, require
from infolib.testing import LinearToyModel

OPTIONAL = sorted(EXTRA_OF) + ["ipykernel", "jupyterlab", "playwright", "hypothesis"]


def test_import_explain_and_cli_need_only_the_core(tmp_path):
    """In a fresh interpreter with every optional package missing: import, explain, explain_corpus, CLI."""
    script = textwrap.dedent(f"""
        import sys
        for name in {OPTIONAL!r}:
            sys.modules[name] = None
        import infolib
        from infolib.cli import main
        from infolib.testing import LinearToyModel
        settings = dict(corpus=["a b", "b c d"], progress=False, max_steps=3)
        infolib.explain(LinearToyModel(), ["a b c"], "all", **settings)
        infolib.explain_corpus(LinearToyModel(), ["a b c", "c d"], "all", **settings)
        try:
            main(["explain", "--help"])
        except SystemExit as done:
            assert done.code == 0
        loaded = sorted(name for name in {OPTIONAL!r} if sys.modules.get(name) is not None)
        assert not loaded, loaded
        print("core only: ok")
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "INFOLIB_CACHE": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "core only: ok" in done.stdout


@pytest.mark.parametrize("module", sorted(EXTRA_OF))
def test_require_names_the_extra(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtra) as raised:
        require(module, "this feature")
    message = str(raised.value)
    assert message == (
        f"this feature needs {module}, which is not installed: pip install 'infolib[{EXTRA_OF[module]}]'."
    )


def test_require_returns_the_module_when_present():
    assert require("captum.attr", "the 'lrp' baseline").LRP is not None


@pytest.mark.parametrize("method", ["lrp", "input_x_gradient"])
def test_a_baseline_without_captum_names_the_baselines_extra(monkeypatch, method):
    for name in [n for n in sys.modules if n == "captum" or n.startswith("captum.")]:
        monkeypatch.setitem(sys.modules, name, None)
    model = LinearToyModel()
    with pytest.raises(MissingExtra, match=r"pip install 'infolib\[baselines\]'"):
        infolib.baselines.METHODS[method](model, ["a b c"], ["layer.1"])


def test_the_widget_without_ipywidgets_names_the_notebooks_extra(monkeypatch):
    from infolib.interactive.explorers import LinearToyExplorer

    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(MissingExtra, match=r"pip install 'infolib\[notebooks\]'"):
        LinearToyExplorer([1.0, 2.0], 4)


def test_the_cli_prints_one_line_for_a_missing_extra(monkeypatch, capsys):
    from infolib.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["explain-corpus", "--engine", "ray", "--limit", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'infolib[distributed]'" in err
