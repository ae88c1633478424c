"""σ pinned before the package was restructured: the same seeds must keep giving the same σ, bit for bit.

The values were computed at commit 4b0d003 (before `infolib/` was split into layers) by the calls
below, with torch 2.13.0 on a 2-core x86-64 CPU and one torch thread. A refactor that changes any
of them changed the numbers, not only the layout. (On other hardware, float reductions may round
differently; regenerate the values there with the same calls at that commit.)
"""

import pytest
import torch

import infolib
from infolib.core.data import load_sst2
from infolib.testing import LinearToyModel

PINNED = {
    "minilm": {
        "0:layer.1": [
            0.20307263731956482,
            0.1551188975572586,
            0.13755857944488525,
            0.1396457701921463,
            0.1542728990316391,
            0.1212666854262352,
            0.14753393828868866,
            0.14823667705059052,
        ],
        "0:layer.6": [
            0.20057131350040436,
            0.24825026094913483,
            0.15558645129203796,
            0.18302831053733826,
            0.2651210427284241,
            0.08232078701257706,
            0.26244035363197327,
            0.2650544345378876,
        ],
        "1:layer.1": [0.22973684966564178, 0.12435810267925262, 0.13488353788852692],
        "1:layer.6": [0.15677793323993683, 0.08112937211990356, 0.16408492624759674],
    },
    "toy": {
        "0:layer.1": [0.16930195689201355, 0.16701233386993408, 0.7523981332778931, 0.44577667117118835],
        "0:layer.2": [0.18412457406520844, 0.17786720395088196, 0.7303000688552856, 0.4084877073764801],
        "1:layer.1": [0.16651181876659393, 0.16267059743404388],
        "1:layer.2": [0.17698359489440918, 0.16187478601932526],
    },
}


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def check(result, pinned):
    for (i, layer), sigma in result.sigma.items():
        assert sigma.tolist() == pinned[f"{i}:{layer}"], f"σ of sentence {i} at {layer} changed"
    assert len(result.sigma) == len(pinned)


def test_toy_sigma_is_unchanged(one_thread, tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path))
    result = infolib.explain(
        LinearToyModel(),
        ["a b c d", "b c"],
        "all",
        corpus=["a b c", "b c d e", "e f", "a c e g"],
        progress=False,
        random_state=3,
        max_steps=40,
    )
    check(result, PINNED["toy"])


@pytest.mark.slow
def test_minilm_sigma_is_unchanged(one_thread, tmp_path, monkeypatch):
    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path))
    corpus = load_sst2("train").sentences[:32]
    result = infolib.explain(
        infolib.load_model("minilm"),
        ["the movie is a gem .", "dull"],
        ["layer.1", "layer.6"],
        corpus=corpus,
        progress=False,
        random_state=0,
        max_steps=30,
    )
    check(result, PINNED["minilm"])
