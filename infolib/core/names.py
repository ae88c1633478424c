"""The hidden-state vocabulary: the one place that knows what a name like 'layer.3' or 'step.2' means.

Every model infolib explains names its input and hidden states from this small vocabulary, so one
estimator, one table and one figure serve BERT, a Transformer, an LSTM, a CNN and the reversal
models alike (the shapes are those of `HookedModel._forward`):

    embed      the perturbable input: the embedding module's output            [batch, tokens, K]
    layer.N    block N's output, N ≥ 0 (layer.0 = embed read as a state)        [batch, tokens, D]
    step.t     a reversal decoder's state at output step t ≥ 1                  [batch, D_dec]
    pooled     the sentence vector the classifier reads                         [batch, D]
    logits     the class scores                                                 [batch, C]

`sort_key` orders names shallow to deep in that order (layers and steps by their index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAYER_NAME = re.compile(r"^layer\.(\d+)$")
STEP_NAME = re.compile(r"^step\.(\d+)$")
KINDS = ("embed", "layer", "step", "pooled", "logits")  # shallow to deep: the order of `sort_key`
VOCABULARY = "'embed', 'layer.N' (N ≥ 0), 'step.t' (t ≥ 1), 'pooled' or 'logits'"


@dataclass(frozen=True)
class HiddenStateName:
    """A parsed name. Attributes: kind: one of `KINDS`; index: N of layer.N, t of step.t, else None."""

    kind: str
    index: int | None = None

    def __str__(self) -> str:
        return self.kind if self.index is None else f"{self.kind}.{self.index}"


def parse(name) -> HiddenStateName:
    """The kind and index of a hidden-state name; a ValueError naming the vocabulary if it is not one."""
    if not isinstance(name, str):
        raise TypeError(f"a hidden-state name is a string like 'layer.3', not {type(name).__name__}.")
    if name in ("embed", "pooled", "logits"):
        return HiddenStateName(name)
    if match := LAYER_NAME.fullmatch(name):
        return HiddenStateName("layer", int(match.group(1)))
    if (match := STEP_NAME.fullmatch(name)) and int(match.group(1)) >= 1:
        return HiddenStateName("step", int(match.group(1)))
    raise ValueError(f"'{name}' is not a hidden-state name: use {VOCABULARY}.")


def is_layer(name) -> bool:
    """Whether `name` is a block output 'layer.N' (False for anything else, never an error: for filters)."""
    return isinstance(name, str) and LAYER_NAME.fullmatch(name) is not None


def is_step(name) -> bool:
    """Whether `name` is a reversal decoder's output step 'step.t', t ≥ 1 (False for anything else)."""
    return isinstance(name, str) and (match := STEP_NAME.fullmatch(name)) is not None and int(match.group(1)) >= 1


def layer_index(name) -> int:
    """N of 'layer.N' (the block's depth): 'layer.3' -> 3; a ValueError for any other name."""
    parsed = parse(name)
    if parsed.kind != "layer":
        raise ValueError(f"'{name}' is not a layer name like 'layer.3'.")
    return parsed.index


def step_index(name) -> int:
    """t of 'step.t' (1-based output step): 'step.2' -> 2; a ValueError for any other name."""
    parsed = parse(name)
    if parsed.kind != "step":
        raise ValueError(f"'{name}' is not an output step name like 'step.2'.")
    return parsed.index


def layer_name(index: int) -> str:
    """'layer.N' for block N ≥ 0."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"a block index is an int ≥ 0, got {index!r}.")
    return f"layer.{index}"


def step_name(step: int) -> str:
    """'step.t' for output step t ≥ 1."""
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"an output step is an int ≥ 1, got {step!r}.")
    return f"step.{step}"


def layer_names(last: int, first: int = 0) -> list[str]:
    """['layer.first', …, 'layer.last'] (both ends included; empty when last < first)."""
    return [layer_name(index) for index in range(first, last + 1)]


def step_names(last: int) -> list[str]:
    """['step.1', …, 'step.last'] (empty when last < 1)."""
    return [step_name(step) for step in range(1, last + 1)]


def is_token_level(name) -> bool:
    """Whether the state has a token axis ([batch, tokens, D]: embed, layer.N) or is one vector per sentence."""
    return parse(name).kind in ("embed", "layer")


def sort_key(name) -> tuple:
    """Orders names shallow to deep: embed, layer.0 … layer.L, step.1 … step.T, pooled, logits; then any
    other value (a model's own names) by its text. Never raises, so it can sort a table's index."""
    try:
        parsed = parse(name)
    except (TypeError, ValueError):
        return (1, 0, str(name))
    return (0, KINDS.index(parsed.kind), -1 if parsed.index is None else parsed.index)


def parse_layers(text: str):
    """A layer specification typed on the command line: 'all', or comma-separated names and indices ('1,3,pooled')."""
    if text == "all":
        return "all"
    items = [item.strip() for item in text.split(",") if item.strip()]
    return [int(item) if item.lstrip("-").isdigit() else item for item in items]


__all__ = [
    "parse_layers",
    "HiddenStateName",
    "KINDS",
    "LAYER_NAME",
    "STEP_NAME",
    "is_layer",
    "is_step",
    "is_token_level",
    "layer_index",
    "layer_name",
    "layer_names",
    "parse",
    "sort_key",
    "step_index",
    "step_name",
    "step_names",
]
