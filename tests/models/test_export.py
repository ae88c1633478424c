"""export_model (issue 23): an exported folder loads in plain transformers and gives infolib's logits."""

from __future__ import annotations

import pytest
import torch

import infolib
from infolib.models.bert import build_bert
from infolib.models.lstm import build_lstm
from infolib.models.transformer import build_transformer

SENTENCES = ["a gripping , funny film", "dull and overrated"]


def infolib_logits(model) -> torch.Tensor:
    encoding = model.encode(SENTENCES)
    with torch.no_grad():
        return model.states(model.embed(encoding), encoding.attention_mask, ["logits"])["logits"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: build_bert({"num_labels": 2, "seed": 3}),
        lambda: build_transformer({"layers": 1, "heads": 2, "intermediate": 32, "num_labels": 2}),
    ],
    ids=["bert", "transformer"],
)
def test_exported_folder_loads_in_plain_transformers_with_the_same_logits(build, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = build()
    before = model.fingerprint()
    folder = infolib.export_model(model, tmp_path / "exported")
    assert model.fingerprint() == before
    loaded = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        theirs = loaded(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).logits
    torch.testing.assert_close(theirs, infolib_logits(model), rtol=0, atol=1e-5)


def test_a_model_without_a_hugging_face_form(tmp_path):
    lstm = build_lstm({"hidden": 4, "layers": 2, "num_labels": 2}, pretrained=False)
    with pytest.raises(ValueError, match="has no Hugging Face form"):
        infolib.export_model(lstm, tmp_path / "lstm")
    assert not (tmp_path / "lstm").exists()


def test_folder_that_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        infolib.export_model(build_transformer({"layers": 1, "heads": 2, "intermediate": 8, "num_labels": 2}), path)


def test_export_by_name_never_trains(tmp_path):
    with pytest.raises(ValueError, match="lstm is infolib's own torch module"):
        infolib.export_model("lstm-sst2", tmp_path / "lstm")  # refused before anything is loaded or trained
    with pytest.raises(ValueError, match="not trained yet, and export never trains"):
        infolib.export_model("bert-cola", tmp_path / "t")  # tests train only SMOKE models
    assert not (tmp_path / "lstm").exists() and not (tmp_path / "t").exists()
