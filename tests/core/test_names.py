"""The hidden-state vocabulary (`infolib.core.names`): parsing, depth, token level, order, and bad names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from infolib.core import hooks, names
from infolib.testing import LinearToyModel


@pytest.mark.parametrize(
    "name, kind, index",
    [
        ("embed", "embed", None),
        ("layer.0", "layer", 0),
        ("layer.12", "layer", 12),
        ("step.1", "step", 1),
        ("step.10", "step", 10),
        ("pooled", "pooled", None),
        ("logits", "logits", None),
    ],
)
def test_parse_every_kind(name, kind, index):
    parsed = names.parse(name)
    assert (parsed.kind, parsed.index) == (kind, index)
    assert str(parsed) == name


@pytest.mark.parametrize(
    "bad",
    [
        "layer",
        "layer.",
        "layer.-1",
        "layer.1.2",
        "Layer.1",
        "layer 1",
        " layer.1",
        "layer.1 ",
        "layer.1\n",
        "step.0",
        "step",
        "pool",
        "",
        "blocks.3.hook_resid_post",
        "layer.x",
    ],
)
def test_bad_names_say_what_the_vocabulary_is(bad):
    with pytest.raises(ValueError, match="is not a hidden-state name: use 'embed', 'layer.N'"):
        names.parse(bad)
    assert not names.is_layer(bad) and not names.is_step(bad)
    assert names.sort_key(bad)[0] == 1  # after every known name, never an error


@pytest.mark.parametrize("bad", [3, None, b"layer.1", ["layer.1"]])
def test_names_that_are_not_text(bad):
    with pytest.raises(TypeError, match="a hidden-state name is a string like 'layer.3'"):
        names.parse(bad)
    assert names.is_layer(bad) is False and names.is_step(bad) is False


def test_layer_and_step_index():
    assert names.layer_index("layer.7") == 7 and names.step_index("step.3") == 3
    with pytest.raises(ValueError, match="'pooled' is not a layer name like 'layer.3'"):
        names.layer_index("pooled")
    with pytest.raises(ValueError, match="'layer.2' is not an output step name"):
        names.step_index("layer.2")
    with pytest.raises(ValueError, match="is not a hidden-state name"):
        names.layer_index("layer.two")
    assert names.layer_name(4) == "layer.4"
    for bad in (-1, 1.0, True, "3"):
        with pytest.raises(ValueError, match="a block index is an int ≥ 0"):
            names.layer_name(bad)


def test_filters():
    assert [names.is_layer(n) for n in ("layer.0", "layer.12", "pooled", "step.1", "embed")] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert [names.is_step(n) for n in ("step.1", "step.12", "step.0", "layer.1")] == [True, True, False, False]


def test_token_level():
    assert [names.is_token_level(n) for n in ("embed", "layer.0", "layer.3")] == [True, True, True]
    assert [names.is_token_level(n) for n in ("pooled", "logits", "step.2")] == [False, False, False]
    with pytest.raises(ValueError):
        names.is_token_level("attention")


def test_sort_key_orders_shallow_to_deep():
    shuffled = ["logits", "layer.10", "custom", "step.10", "pooled", "layer.2", "step.2", "embed", "layer.0"]
    assert sorted(shuffled, key=names.sort_key) == [
        "embed",
        "layer.0",
        "layer.2",
        "layer.10",
        "step.2",
        "step.10",
        "pooled",
        "logits",
        "custom",
    ]


def test_a_table_index_sorts_by_depth():
    frame = pd.DataFrame({"layer": ["layer.10", "layer.9", "pooled", "layer.1"], "x": range(4)}).set_index("layer")
    assert list(frame.sort_index(key=lambda index: index.map(names.sort_key)).index) == [
        "layer.1",
        "layer.9",
        "layer.10",
        "pooled",
    ]


def test_hooked_models_use_the_vocabulary():
    assert hooks.vocabulary is names  # core.hooks reads layer names through this module
    model = LinearToyModel()
    assert model.num_layers == max(names.layer_index(n) for n in model.hidden_states if names.is_layer(n))
    for name in model.hidden_states:
        assert model.is_token_level(name) == names.is_token_level(name)


def test_embed_is_token_level_for_every_model():
    """The embedding output is [batch, tokens, K] (`HookedModel.embed`): both readers say token-level."""
    model = LinearToyModel()
    assert model.is_token_level("embed") and names.is_token_level("embed")
    assert not model.is_token_level("a-name-of-its-own")  # outside the vocabulary: one vector per sentence


def test_step_and_layer_name_builders():
    assert names.layer_names(2) == ["layer.0", "layer.1", "layer.2"]
    assert names.layer_names(3, first=1) == ["layer.1", "layer.2", "layer.3"]
    assert names.step_names(2) == ["step.1", "step.2"] and names.step_names(0) == []
    assert names.step_name(3) == "step.3" and names.parse(names.step_name(3)) == names.HiddenStateName("step", 3)
    for bad in (0, -1, True, 1.0, "1"):
        with pytest.raises(ValueError, match="output step"):
            names.step_name(bad)


def _name_literals(path):
    """(line, text) of every string literal or f-string in `path` that starts with 'layer.' or 'step.'."""
    starts = re.compile(r"^(layer|step)\.")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and starts.match(first.value):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and starts.match(node.value):
            yield node.lineno, repr(node.value)


def test_only_names_py_writes_hidden_state_names():
    """No module but core/names.py builds 'layer.N' / 'step.t' (a literal, an f-string, "layer." + …).

    Messages that quote a name mid-sentence ("a name like 'layer.3'") are fine; a string that *is* a
    name, or starts building one, must come from names.layer_name / step_name / layer_names / step_names.
    """
    package = Path(names.__file__).parents[1]
    # The course's lessons are what students write: they spell names out, as a user of the hooks does.
    lessons = set((package / "course").glob("lesson*.py"))
    found = [
        f"{path.relative_to(package.parent)}:{line}: {text}"
        for path in sorted(package.rglob("*.py"))
        if path != Path(names.__file__) and path not in lessons
        for line, text in _name_literals(path)
    ]
    assert not found, "hidden-state names built outside core/names.py:\n" + "\n".join(found)
    parsers = [
        f"{path.relative_to(package.parent)}: {pattern}"
        for path in sorted(package.rglob("*.py"))
        if path != Path(names.__file__)
        for pattern in re.findall(r"re\.compile\(r?[\"']\^?(?:layer|step)", path.read_text(encoding="utf-8"))
    ]
    assert not parsers, "hidden-state names parsed outside core/names.py: " + ", ".join(parsers)
