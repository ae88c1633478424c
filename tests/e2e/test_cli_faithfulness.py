"""`python -m infolib faithfulness` and `python -m infolib export` (issue 23)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from infolib.cli import main
from infolib.models.bert import build_bert


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A BERT classifier exported by the CLI's own code path, as a Hugging Face folder."""
    import infolib

    return infolib.export_model(build_bert({"num_labels": 2}), tmp_path_factory.mktemp("bert") / "folder")


def test_export_command(tmp_path, capsys):
    import infolib

    folder = infolib.export_model(build_bert({"num_labels": 2}), tmp_path / "source")
    assert main(["export", str(folder), str(tmp_path / "copy")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "copy" / "config.json").exists() and (tmp_path / "copy" / "tokenizer.json").exists()


def test_export_of_a_model_without_a_hugging_face_form(tmp_path, capsys):
    assert main(["export", "minilm", str(tmp_path / "x")]) == 0  # a pretrained HF model exports too
    assert main(["export", "nonexistent-model", str(tmp_path / "y")]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_faithfulness_csv_and_json(exported, tmp_path):
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps([[0.1, 2.0, 0.3], [1.0, 0.0]]))
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("a good film\n\nbad acting\n")
    out = tmp_path / "faith.csv"
    args = ["faithfulness", "--file", str(sentences), "--model", str(exported), "--scores", str(scores)]
    assert main([*args, "--mode", "eraser", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["sentence_id", "sentence", "method", "layer", "metric", "threshold", "value"]
    assert set(table["sentence_id"]) == {0, 1}
    assert sorted(table[table["metric"] == "comprehensiveness"]["threshold"].unique()) == [0.01, 0.05, 0.1, 0.2, 0.5]
    assert main([*args, "--metrics", "aopc_comprehensiveness,tau_loo", "--out", str(tmp_path / "f.json")]) == 0
    rows = json.loads((tmp_path / "f.json").read_text())
    assert {r["metric"] for r in rows} == {"aopc_comprehensiveness", "tau_loo"} and len(rows) == 4


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--thresholds", "0,0.5"], "thresholds"),
        (["--thresholds", "a"], "numbers separated by commas"),
        (["--metrics", "accuracy"], "metrics must be"),
    ],
)
def test_faithfulness_bad_input_is_one_line(exported, tmp_path, capsys, extra, message):
    scores = tmp_path / "s.json"
    scores.write_text("[[1, 2, 3]]")
    assert main(["faithfulness", "a good film", "--model", str(exported), "--scores", str(scores), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_faithfulness_needs_a_classifier_and_sentences(capsys):
    assert main(["faithfulness", "a film", "--model", "minilm", "--method", "gradient_saliency"]) == 2
    assert "no classifier" in capsys.readouterr().err
    assert main(["faithfulness", "--model", "minilm"]) == 2
    assert "give sentences" in capsys.readouterr().err
