"""`python -m infolib explain`: formats, help text, and bad input as one clear line."""

import json
import os
import subprocess
import sys

import pytest

from infolib.cli import main

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "infolib", *args], capture_output=True, text=True, env=ENV, timeout=300
    )


def test_help_says_what_sigma_means():
    out = run("explain", "--help")
    assert out.returncode == 0
    assert "Larger σ" in out.stdout and "FORGOTTEN" in out.stdout and "nats" in out.stdout


def test_json_output_has_every_layer_and_word():
    out = run("explain", "a charming journey", "--layers", "2,6", "--format", "json", "--max-steps", "15")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    rows = data["rows"]
    assert {r["layer"] for r in rows} == {"layer.2", "layer.6"}
    assert [r["word"] for r in rows if r["layer"] == "layer.2"] == ["[CLS]", "a", "charming", "journey", "[SEP]"]
    assert all(0 < r["sigma"] <= data["scale"] * (1 + 1e-6) for r in rows)


def test_table_and_csv(capsys):
    assert main(["explain", "a fine film", "--layers", "1", "--max-steps", "10"]) == 0
    table = capsys.readouterr().out
    assert "larger σ = more forgotten" in table and "layer.1" in table and "film" in table
    assert "information kept −log(σ/scale) [nats/dim] (0 = forgotten, larger = kept)" in table  # the one sign
    assert (
        main(["explain", "a fine film", "--layers", "1", "--max-steps", "10", "--format", "csv", "--level", "token"])
        == 0
    )
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("method,model,sentence_id") and len(csv) == 1 + 5


def test_precision_reaches_the_estimator(capsys):
    args = ["explain", "a fine film", "--layers", "1", "--max-steps", "10", "--format", "json"]
    assert main([*args, "--precision", "bfloat16"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["precision"] == "bfloat16"
    with pytest.raises(SystemExit):  # argparse names the choices
        main([*args, "--precision", "float16"])
    assert "invalid choice: 'float16'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["explain", "   "], "empty or only whitespace"),
        (["explain", "a film", "--layers", "9"], "out of range"),
        (["explain", "a film", "--layers", "layr.2"], "not a hidden state"),
        (["explain", "a film", "--model", "nonexistent"], "unknown model"),
        (["explain", "a film", "--rate", "0"], "rate must be > 0"),
        (["explain", "a film", "--max-steps", "0"], "max_steps must be > 0"),
        (["explain", "a film", "--samples", "-2"], "samples must be > 0"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("infolib: error:") and message in err
    assert "Traceback" not in err


def test_explain_corpus_command_resumes(tmp_path, capsys):
    out = tmp_path / "corpus.csv"
    args = ["explain-corpus", "--limit", "2", "--layers", "1", "--out", str(out)]
    assert main(args) == 0
    assert "explained 2 sentences × 1 hidden states" in capsys.readouterr().out
    first = out.read_text()
    assert main(args) == 0  # second run: everything from the cache
    assert out.read_text() == first


def test_explain_corpus_bad_dataset(capsys):
    assert main(["explain-corpus", "--dataset", "imdb"]) == 2
    assert "unknown dataset 'imdb'" in capsys.readouterr().err
