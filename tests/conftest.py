"""Shared fixtures: the real pretrained MiniLM (loaded once), a small toy HookedModel, and a
temporary cache so tests never write into the checkout's data/."""

from __future__ import annotations

import os
import re

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

import infolib  # noqa: E402
from infolib.core.hooks import Encoding, HookedModel  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Tests write their cache (σ_S, models) to a temp folder, never to the checkout's data/."""
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("INFOLIB_CACHE")
    os.environ["INFOLIB_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("INFOLIB_CACHE", None)
    else:
        os.environ["INFOLIB_CACHE"] = old


@pytest.fixture(scope="session")
def minilm():
    return infolib.load_model("minilm")


@pytest.fixture(scope="session")
def small_corpus():
    from infolib.core.data import load_sst2

    return load_sst2("train").sentences[:64]


@pytest.fixture(scope="session")
def minilm_sigma_s(minilm, small_corpus):
    from infolib.core.sigma_s import sigma_s

    return sigma_s(minilm, list(minilm.hidden_states), small_corpus)


class ScaledTokens(HookedModel):
    """layer.1 = token t's embedding × weights[t]: a whole-layer linear state with a closed form.

    Each word is one token; embeddings are fixed seeded vectors of size K.
    """

    def __init__(self, weights, K: int = 32, seed: int = 0):
        self.weights = torch.as_tensor(weights, dtype=torch.float32)
        self.module = torch.nn.Linear(1, 1)  # stands for "the model's parameters"
        self.table = torch.randn(100, K, generator=torch.Generator().manual_seed(seed)) * 0.1
        self.hidden_states = ("layer.0", "layer.1")
        self.name = "scaled-tokens"
        self.max_tokens = len(self.weights)

    def encode(self, sentences):
        words = [s.split() for s in sentences]
        T = max(len(w) for w in words)
        ids = torch.zeros(len(words), T, dtype=torch.long)
        mask = torch.zeros(len(words), T, dtype=torch.long)
        for b, ws in enumerate(words):
            ids[b, : len(ws)] = torch.arange(len(ws))
            mask[b, : len(ws)] = 1
        return Encoding(ids, mask, words, words, [list(range(len(ws))) for ws in words])

    def embed(self, encoding):
        return self.table[encoding.input_ids]

    def default_scale(self):
        return 1.0

    def _forward(self, embed, attention_mask, want):
        out = {}
        T = embed.shape[1]
        for name, rows in want.items():
            x = embed[rows]
            out[name] = x if name == "layer.0" else x * self.weights[:T, None]
        return out


@pytest.fixture
def scaled_tokens():
    return ScaledTokens([4.0, -1.0, 0.5, 8.0, 2.0, 0.0])


# -- hypothesis profiles (tests/e2e/test_fuzz.py) ----------------------------------------------------------
FUZZ_EXAMPLES = int(os.environ.get("INFOLIB_FUZZ_EXAMPLES", "2000"))


def fuzz_profile() -> str:
    """'infolib-fuzz' for `pytest -m fuzz` or INFOLIB_FUZZ=1 (≥ 2,000 examples per entry point), else the
    small 'infolib-small' profile that every default run executes."""
    return "infolib-fuzz" if os.environ.get("INFOLIB_FUZZ") == "1" else "infolib-small"


def pytest_configure(config):
    markers = config.getoption("markexpr", default="") or ""
    if re.search(r"(?<!not )\bfuzz\b", markers):
        os.environ["INFOLIB_FUZZ"] = "1"
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # test_fuzz.py skips itself
        return
    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    # Small: a few derandomised examples per entry point, so the default run stays quick and stable.
    settings.register_profile("infolib-small", max_examples=12, derandomize=True, **common)
    settings.register_profile("infolib-fuzz", max_examples=FUZZ_EXAMPLES, **common)
