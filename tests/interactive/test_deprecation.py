"""Old names of renamed things still work, but warn (DeprecationWarning), and are no longer exported."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from infolib.core.deprecation import REMOVED_IN

RENAMED = [
    ("infolib.interactive.whatif", "PROBE_SETTINGS", "WHATIF_SETTINGS"),
    ("infolib.interactive.whatif", "ProbeState", "WhatIfState"),
    ("infolib.interactive.whatif", "Prober", "WhatIf"),
    ("infolib.interactive.whatif", "probe_figure", "whatif_figure"),
    ("infolib.interactive.whatif", "MemoryCache", "MemoryStore"),
    ("infolib.interactive.memory", "MemoryCache", "MemoryStore"),
]


@pytest.mark.parametrize("module_name, old, new", RENAMED)
def test_old_name_warns_and_returns_the_new_object(module_name, old, new):
    module = importlib.import_module(module_name)
    with pytest.warns(DeprecationWarning, match=rf"{old} was renamed {new}; the old name goes in infolib {REMOVED_IN}"):
        value = getattr(module, old)
    assert value is getattr(module, new)
    assert old not in vars(module) and old not in module.__all__  # not used silently, not exported


@pytest.mark.parametrize("module_name, old, new", RENAMED[:2])
def test_from_import_of_an_old_name_warns(module_name, old, new):
    with pytest.warns(DeprecationWarning, match=old):
        exec(f"from {module_name} import {old}", {})


def test_new_names_and_unknown_names_do_not_warn():
    from infolib.interactive import whatif

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert whatif.WhatIf and whatif.WHATIF_SETTINGS["samples"] >= 1
        with pytest.raises(AttributeError, match="no attribute 'Probers'"):
            whatif.Probers  # noqa: B018


def test_widget_old_names_warn():
    pytest.importorskip("ipywidgets")
    from infolib.interactive import widgets
    from infolib.testing import LinearToyModel

    with pytest.warns(DeprecationWarning, match="Probe was renamed WhatIfWidget"):
        assert widgets.Probe is widgets.WhatIfWidget
    widget = widgets.WhatIfWidget([LinearToyModel()], corpus=["a b c", "d e f"], background=False)
    with pytest.warns(DeprecationWarning, match="prober was renamed whatif"):
        assert widget.prober is widget.whatif


def test_the_old_figures_module_warns_and_gives_the_new_functions():
    import infolib.viz.figures as figures

    sys.modules.pop("infolib.viz.paper", None)
    with pytest.warns(DeprecationWarning, match="infolib.viz.figures"):
        paper = importlib.import_module("infolib.viz.paper")
    assert paper.method_maps is figures.method_maps
