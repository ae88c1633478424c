"""A warm start (`explain(..., warm_start=...)`, `Problem.warm_start`): the what-if tool starts the words an
edit left alone from their σ before it. It must reach the cold answer and never be taken for it in a cache."""

from __future__ import annotations

import math

import pytest
import torch

import infolib
from infolib.interactive.memory import MemoryStore

SPREAD = {"layer.1": torch.ones(32)}
COLD = dict(sigma_s=SPREAD, progress=False, scale=1.0, level="token", samples=64, random_state=0)


def closed_form(model):
    return math.sqrt(0.1 / 2) / model.weights[:5].abs()


def test_warm_start_reaches_the_cold_answer_on_the_linear_toy(scaled_tokens):
    cold = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", **COLD)
    closed = closed_form(scaled_tokens)
    # Start every used word 2× too large or too small, one word without a start (NaN: the default start).
    start = cold.sigma[0, "layer.1"].double() * torch.tensor([2.0, 0.5, 2.0, 0.5, 2.0, 1.0])
    start[2] = float("nan")
    warm = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", warm_start={(0, "layer.1"): start}, **COLD)
    # 64 draws of a χ²_32 own term per step, averaged over the window: both within 3 % of the closed form,
    # and within 3 % of each other
    assert (cold.sigma[0, "layer.1"][:5] / closed - 1).abs().max() < 0.03
    assert (warm.sigma[0, "layer.1"][:5] / closed - 1).abs().max() < 0.03
    assert (warm.sigma[0, "layer.1"][:5] / cold.sigma[0, "layer.1"][:5] - 1).abs().max() < 0.03
    assert warm.diagnostics[0, "layer.1"]["warm_start"] and not cold.diagnostics[0, "layer.1"]["warm_start"]
    unused = infolib.explain(
        scaled_tokens, "a b c d e f", "layer.1", warm_start={(0, "layer.1"): start * math.nan}, **COLD
    )
    assert not unused.diagnostics[0, "layer.1"]["warm_start"]  # no unit given: a cold start
    assert torch.equal(unused.sigma[0, "layer.1"], cold.sigma[0, "layer.1"])


def test_a_close_warm_start_needs_fewer_steps(scaled_tokens):
    cold = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", **COLD)
    warm = infolib.explain(
        scaled_tokens, "a b c d e f", "layer.1", warm_start={(0, "layer.1"): cold.sigma[0, "layer.1"]}, **COLD
    )
    assert warm.diagnostics[0, "layer.1"]["steps"] < cold.diagnostics[0, "layer.1"]["steps"]


def test_a_warm_start_is_never_served_as_the_cold_answer(scaled_tokens):
    store = MemoryStore()
    start = {(0, "layer.1"): torch.tensor([0.2, 0.2, 0.2, 0.2, 0.2, 1.0])}
    warm = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", warm_start=start, cache=store, **COLD)
    assert not warm.diagnostics[0, "layer.1"]["cached"] and len(store) == 1
    cold = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", cache=store, **COLD)
    assert not cold.diagnostics[0, "layer.1"]["cached"]  # the warm entry was not read as the cold answer
    assert len(store) == 2
    reference = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", **COLD)  # no cache at all
    assert torch.equal(cold.sigma[0, "layer.1"], reference.sigma[0, "layer.1"])
    # The same start again: its own entry. Another start: the cold answer, now stored, is the reference.
    again = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", warm_start=start, cache=store, **COLD)
    assert again.diagnostics[0, "layer.1"]["cached"]
    other = {(0, "layer.1"): torch.full((6,), 0.3)}
    served = infolib.explain(scaled_tokens, "a b c d e f", "layer.1", warm_start=other, cache=store, **COLD)
    assert served.diagnostics[0, "layer.1"]["cached"] and not served.diagnostics[0, "layer.1"]["warm_start"]
    assert torch.equal(served.sigma[0, "layer.1"], reference.sigma[0, "layer.1"])


def test_a_warm_started_pair_leaves_the_other_pairs_as_they_were(scaled_tokens):
    both = infolib.explain(scaled_tokens, ["a b c d e f", "a b c"], "layer.1", **COLD)
    mixed = infolib.explain(
        scaled_tokens,
        ["a b c d e f", "a b c"],
        "layer.1",
        warm_start={(1, "layer.1"): torch.tensor([0.3, 0.3, 0.3])},
        **COLD,
    )
    assert torch.equal(both.sigma[0, "layer.1"], mixed.sigma[0, "layer.1"])  # bit for bit: pairs never interact


@pytest.mark.parametrize(
    "start, error, message",
    [
        ({(0, "layer.1"): torch.ones(4)}, ValueError, "warm_start"),
        ({(3, "layer.1"): torch.ones(6)}, ValueError, "warm_start names pairs"),
        ({(0, "layer.1"): [0.1] * 6}, TypeError, "warm_start"),
        ([0.1] * 6, TypeError, "warm_start must map"),
    ],
)
def test_a_wrong_warm_start_is_a_clear_error(scaled_tokens, start, error, message):
    with pytest.raises(error, match=message):
        infolib.explain(scaled_tokens, "a b c d e f", "layer.1", warm_start=start, **COLD)
