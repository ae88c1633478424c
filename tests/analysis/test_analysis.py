"""infolib.analysis and infolib.viz.figures on synthetic tables with known answers, and on a toy model."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from infolib import analysis
from infolib.viz import figures
from infolib.core.data import Tree
from infolib.testing import LinearToyModel
from infolib.methods import method_label


def _frame(method, model, matrices, words, layers, kind="score"):
    """A tidy table from {sentence_id: [layers, n_words]} importance (score, or σ via log ratio)."""
    rows = []
    for sid, matrix in matrices.items():
        for li, layer in enumerate(layers):
            for w, word in enumerate(words):
                row = {"method": method, "model": model, "sentence_id": sid, "layer": layer, "word_id": w, "word": word}
                if kind == "score":
                    row["score"] = matrix[li][w]
                else:
                    row["log_sigma_ratio"] = -matrix[li][w]
                rows.append(row)
    return pd.DataFrame(rows)


def test_closed_form_matches_the_authors_toy():
    _, _, spread = analysis.linear_toy([10, 20, 5, -20, -10], K=16)
    sigma = analysis.linear_closed_form([10, 20, 5, -20, -10], spread)
    np.testing.assert_allclose(sigma, [0.0032, 0.0016, 0.0064, 0.0016, 0.0032], rtol=0.01)
    assert analysis.inverse_order_holds([10, 20, 5, -20, -10], sigma)
    assert not analysis.inverse_order_holds([10, 20], [0.001, 0.002])


def test_linear_sweep_rate_grows_sigma_like_sqrt_rate():
    table = analysis.linear_sweep([10.0, 20.0, 5.0], "rate", [0.01, 0.1], K=8)
    ratio = table[table["rate"] == 0.1]["sigma"].to_numpy() / table[table["rate"] == 0.01]["sigma"].to_numpy()
    np.testing.assert_allclose(ratio, math.sqrt(10), rtol=0.15)
    with pytest.raises(ValueError):
        analysis.linear_sweep([1.0], "samples", [1])


def test_word_kinds_and_lexicon():
    trees = [Tree(["a", "great", "film", "."], [2, 4, 2, 2], 4), Tree(["great", "fun"], [3, 2], 3)]
    lexicon = analysis.sentiment_lexicon(trees)
    assert lexicon["great"] and not lexicon["film"]
    assert [analysis.word_kind(w, lexicon) for w in ["[CLS]", "the", ".", "great", "film", "[SEP]"]] == [
        "[CLS]",
        "function",
        "punctuation",
        "sentiment",
        "neutral",
        "[SEP]",
    ]


def test_coherence_constant_information_vs_changing_gradient():
    words, layers = ["a", "b", "c"], ["layer.1", "layer.2", "layer.3"]
    info = _frame("information", "m", {0: [[1, 2, 3]] * 3}, words, layers, kind="sigma")
    grad = _frame("gradient_saliency", "m", {0: [[1, 2, 3], [30, 20, 10], [300, 100, 200]]}, words, layers)
    table = analysis.coherence_table(pd.concat([info, grad])).set_index("method")
    assert table.loc["information", "log_magnitude_spread"] == pytest.approx(0)
    assert table.loc["information", "adjacent_spearman"] == pytest.approx(1)
    assert table.loc["gradient_saliency", "log_magnitude_spread"] > 1
    assert table.loc["gradient_saliency", "adjacent_spearman"] < 0
    magnitudes = analysis.layer_magnitudes(
        pd.concat([info, grad]).assign(
            importance=lambda f: np.nan_to_num(f["score"].abs()) + np.nan_to_num(-f["log_sigma_ratio"])
        )
    )
    assert list(magnitudes.columns) == [
        "method",
        "model",
        "layer",
        "depth",
        "total",
        "relative",
        "relative_low",
        "relative_high",
        "n_sentences",
        "relative_depth",
    ]
    assert {"log_magnitude_spread_low", "log_magnitude_spread_high", "adjacent_spearman_low", "n_sentences"} <= set(
        table.columns
    )
    per = analysis.coherence_per_sentence(pd.concat([info, grad]))
    assert list(per.columns) == ["method", "model", "sentence_id", "log_magnitude_spread", "adjacent_spearman"]
    claims = analysis.claims_table({"coherence": per})
    assert list(claims["claim"]) == [1, 1] and (claims["verdict"] == "reproduced").all()  # scale row, ranking row


def test_reversal_alignment_of_a_perfect_anti_diagonal():
    n = 4
    perfect = np.eye(n)[::-1] + 0.01
    frame = pd.concat(
        [
            _frame(
                "information",
                "rev",
                {0: perfect, 1: perfect},
                list("abcd"),
                [f"step.{t}" for t in range(1, n + 1)],
                "sigma",
            ),
            _frame(
                "occlusion",
                "rev",
                {0: np.ones((n, n)), 1: np.ones((n, n))},
                list("abcd"),
                [f"step.{t}" for t in range(1, n + 1)],
            ),
        ]
    )
    table = analysis.reversal_alignment_table(frame).set_index("method")
    assert table.loc["information", "accuracy"] == 1 and table.loc["information", "chance"] == pytest.approx(0.25)
    assert table.loc["information", "mass"] > table.loc["occlusion", "mass"]
    assert table.loc["information", "accuracy_low"] == 1 and table.loc["information", "n_sentences"] == 2
    per = analysis.reversal_per_sentence(frame)
    assert list(per.columns) == ["method", "model", "sentence_id", "length", "accuracy", "mass", "chance"]
    assert len(per) == 4 and per["length"].eq(n).all()
    claims = analysis.claims_table({"reversal": per})
    assert (claims["claim"] == 2).all() and (claims["verdict"] == "reproduced").all()
    with pytest.raises(ValueError):
        analysis.reversal_alignment_table(frame.assign(layer="layer.1"))


def test_profile_metrics_and_summary():
    words = ["[CLS]", "a", "great", "film", "[SEP]"]
    lexicon = {"great": True}
    concentrated = _frame(
        "information", "bert", {0: [[5, 0.01, 3, 0.01, 5]], 1: [[5, 0.01, 2, 0.01, 5]]}, words, ["pooled"], "sigma"
    )
    spread = _frame("information", "cnn", {0: [[0, 1, 1, 1, 0]], 1: [[0, 1, 1.2, 1, 0]]}, words, ["pooled"], "sigma")
    per = analysis.sentence_profile_metrics(pd.concat([concentrated, spread]), lexicon)
    assert len(per) == 4 and per["n_words"].eq(3).all()  # special tokens left out
    by = per.groupby("model").mean(numeric_only=True)
    assert by.loc["bert", "sentiment_share"] > 0.9 and by.loc["bert", "function_share"] < 0.1
    assert by.loc["bert", "entropy_normalised"] < by.loc["cnn", "entropy_normalised"]
    summary = analysis.summarise(per, ["sentiment_share", "neighbour_share"])
    assert set(summary.columns) == {"method", "model", "metric", "mean", "low", "high", "n_sentences"}
    assert summary["low"].ge(0).all() and summary["high"].le(1).all()
    last = analysis.sentence_profile_metrics(
        pd.concat(
            [
                _frame(
                    "information", "m", {0: [[1, 1, 1, 1, 1], [0, 1, 3, 1, 0]]}, words, ["layer.1", "layer.2"], "sigma"
                )
            ]
        ),
        lexicon,
        layer="last",
    )
    assert last.loc[0, "sentiment_share"] == pytest.approx(0.6)


def test_word_trajectories_find_the_halving_layer():
    words = ["[CLS]", "good", "[SEP]"]
    info = [[2, 2, 2], [2, 2, 0.5], [2, 0.9, 0.01]]  # [SEP] halves at layer 2, "good" at 3
    frame = _frame("information", "bert-x", {0: info}, words, ["layer.1", "layer.2", "layer.3"], "sigma")
    traj = analysis.word_trajectories(frame, {"good": True}).set_index("word")
    assert traj.loc["[SEP]", "half_layer"] == 2 and traj.loc["good", "half_layer"] == 3
    assert traj.loc["[CLS]", "retention"] == pytest.approx(1) and math.isnan(traj.loc["[CLS]", "forgotten_layer"])
    assert traj.loc["[SEP]", "forgotten_layer"] == 3  # σ = e^-0.01 scale ≥ 0.9 scale
    by_kind = analysis.forgetting_by_kind(traj.reset_index())
    assert set(by_kind["kind"]) == {"[CLS]", "[SEP]", "sentiment"}
    claims = analysis.claims_table({"forgetting": traj.reset_index()})
    assert set(claims["claim"]) == {6}  # one model: no claim-7 comparison
    assert claims.loc[0, "verdict"] == "not reproduced"  # [SEP] halves at depth 2/3 > 0.5
    assert claims.loc[1, "verdict"] == "n/a"  # no function words
    by_layer = analysis.information_by_kind(frame, {"good": True})
    assert by_layer["relative_depth"].max() == 1


def test_claims_for_model_comparison_and_accuracy():
    rng = np.random.default_rng(0)
    rows = []
    for model, share, neighbour in (
        ("bert-sst2", 0.6, 0.1),
        ("transformer-sst2", 0.5, 0.15),
        ("lstm-sst2", 0.3, 0.4),
        ("cnn-sst2", 0.2, 0.5),
    ):
        for sid in range(100):
            noise = rng.normal(0, 0.02, 2)
            rows.append(
                {
                    "method": "information",
                    "model": model,
                    "sentence_id": sid,
                    "sentiment_share": share + noise[0],
                    "function_share": 1 - share - noise[0],
                    "neighbour_share": neighbour + noise[1],
                    "entropy_normalised": neighbour + noise[1],
                }
            )
    accuracy = pd.DataFrame(
        {
            "model": ["bert-sst2", "transformer-sst2", "lstm-sst2", "cnn-sst2"],
            "accuracy": [0.87, 0.81, 0.88, 0.81],
            "n": 872,
        }
    )
    claims = analysis.claims_table({"comparison": pd.DataFrame(rows), "accuracy": accuracy}).set_index("claim")
    assert (claims.loc[4, "verdict"] == "reproduced").all()
    assert (claims.loc[5, "verdict"] == "reproduced").all()
    assert (claims.loc[[4, 5], "n_sentences"] == 100).all()
    # the transformer's accuracy interval lies below the LSTM's: the order the paper claims is contradicted
    assert claims.loc[8, "verdict"] == "not reproduced" and "lstm > bert" in claims.loc[8, "note"]
    assert claims.loc[8, "n_sentences"] == 872
    assert (
        analysis.claims_table({"accuracy": accuracy.drop(columns="n")}).loc[0, "verdict"] == "n/a"
    )  # no n, no interval


def test_explain_methods_on_a_toy_model():
    model = LinearToyModel()
    corpus = [" ".join(f"w{i + j}" for j in range(5)) for i in range(20)]
    frame = analysis.explain_methods(
        model,
        ["w1 w2 w3", "w4 w5"],
        ["layer.1", "layer.2"],
        ["information", "gradient_saliency"],
        corpus=corpus,
        settings={"max_steps": 20},
    )
    assert set(frame["method"]) == {"information", "gradient_saliency"}
    assert len(frame) == 2 * 2 * 5 and (frame["importance"] >= 0).all()
    matrix, layers, words = analysis.importance_map(frame, "gradient_saliency", model.name, 0)
    assert matrix.shape == (2, 3) and matrix.max() == pytest.approx(1) and words == ["w1", "w2", "w3"]
    fig = figures.method_maps(frame, ["information", "gradient_saliency"], [model.name], 0)
    maps, colorbar = fig.axes[:2], fig.axes[2:]
    assert len(colorbar) == 1 and "important word (dark)" in colorbar[0].get_ylabel()  # one shared colour bar
    for column, (ax, method) in enumerate(zip(maps, ["information", "gradient_saliency"])):
        expected, layers, words = analysis.importance_map(frame, method, model.name, 0)
        np.testing.assert_allclose(ax.images[0].get_array(), expected)  # the map is the table's matrix
        assert ax.images[0].get_clim() == (0.0, 1.0) and ax.images[0].get_cmap().name == "magma_r"
        assert [t.get_text() for t in ax.get_xticklabels()] == words == ["w1", "w2", "w3"]
        assert layers == ["layer.1", "layer.2"]
        # a row's hidden states are named once, in its first panel
        named = [t.get_text() for t in ax.get_yticklabels() if t.get_visible()]
        assert named == (layers if column == 0 else []), (column, named)
        assert ax.get_title() == method_label(method)
    magnitudes = analysis.layer_magnitudes(frame)
    coherence = analysis.coherence_table(frame)
    fig = figures.coherence_figure(magnitudes, coherence)
    scale, stability, spread = fig.axes  # one panel per model (one model here), then the two metrics
    lines = [line for line in scale.lines if not line.get_label().startswith("_")]  # not the line at 1
    assert len(lines) == 2  # one line per method
    for line, method in zip(lines, coherence["method"]):
        group = magnitudes[magnitudes["method"] == method]
        np.testing.assert_allclose(line.get_xdata(), group["relative_depth"])
        np.testing.assert_allclose(line.get_ydata(), group["relative"])  # per sentence ÷ its first layer, mean
        assert (group["relative_low"] <= group["relative"] + 1e-12).all() and group["relative"].iloc[0] == 1
    points = sorted(float(c.lines[0].get_ydata()[0]) for c in stability.containers)
    np.testing.assert_allclose(points, sorted(coherence["adjacent_spearman"]))  # the table's means
    with pytest.raises(ValueError):
        analysis.explain_methods(model, ["w1"], ["layer.1"], ["bogus"], corpus=corpus)


def test_figure_functions_return_figures():
    from matplotlib.figure import Figure

    conv = analysis.linear_convergence([1.0, 2.0], K=4, reference_steps=20, max_steps=20)
    assert isinstance(figures.convergence_figure(conv["curves"]), Figure)
    assert set(conv["table"].columns) >= {"closed_form", "infolib", "reference"}
    assert isinstance(figures.toy_figure(np.array([1, 2]), np.array([1, 2]), [2, 1]), Figure)
    summary = pd.DataFrame(
        {"model": ["a", "b"], "metric": ["x", "x"], "mean": [0.2, 0.3], "low": [0.1, 0.2], "high": [0.3, 0.4]}
    )
    assert isinstance(
        figures.metric_bars(summary, ["x"], accuracy=pd.DataFrame({"model": ["a", "b"], "accuracy": [0.8, 0.9]})),
        Figure,
    )
    info = pd.DataFrame(
        {
            "model": ["m"] * 2,
            "kind": ["function"] * 2,
            "depth": [1, 2],
            "relative_depth": [0.5, 1.0],
            "information": [1.0, 0.5],
            "information_low": [0.9, 0.4],
            "information_high": [1.1, 0.6],
        }
    )
    half = pd.DataFrame(
        {"model": ["m"], "kind": ["function"], "half_depth": [0.6], "half_depth_low": [0.5], "half_depth_high": [0.7]}
    )
    assert isinstance(figures.forgetting_figure(info, half), Figure)
    assert isinstance(figures.kind_trajectories(info), Figure)


def test_with_sentiment_words_keeps_the_first_n_sentences_holding_one():
    lexicon = {"great": True, "dull": True, "film": False}
    sentences = ["a film .", "a great film .", "the film", "so dull", "great !"]
    assert analysis.with_sentiment_words(sentences, lexicon, 2) == ["a great film .", "so dull"]
    with pytest.raises(ValueError, match="only 3 of 5 sentences hold a sentiment word; 4 were asked"):
        analysis.with_sentiment_words(sentences, lexicon, 4)


def test_roberta_style_specials_are_cls_and_sep():
    """MPNet (DEEP=1) writes <s> … </s>: without this its [SEP] row in claim 6 had no sentences."""
    assert [analysis.word_kind(w) for w in ("<s>", "</s>", "[CLS]", "[SEP]")] == ["[CLS]", "[SEP]", "[CLS]", "[SEP]"]
