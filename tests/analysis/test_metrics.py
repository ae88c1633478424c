"""Metrics on hand-built inputs with known answers, and their errors on bad input."""

import math

import numpy as np
import pandas as pd
import pytest

from infolib import metrics


# -- retained information and tidy tables ---------------------------------------------------------
def test_retained_information_is_zero_when_forgotten():
    info = metrics.retained_information([1.0, math.exp(-2), 0.5], scale=1.0)
    np.testing.assert_allclose(info, [0.0, 2.0, math.log(2)])
    with pytest.raises(ValueError, match="> 0"):
        metrics.retained_information([0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="scale"):
        metrics.retained_information([0.5], 0)


def _frame(method, scores, column="score"):
    rows = []
    for s, per_layer in enumerate(scores):
        for layer, values in per_layer.items():
            for w, v in enumerate(values):
                rows.append(
                    {
                        "method": method,
                        "model": "m",
                        "sentence_id": s,
                        "sentence": "",
                        "layer": layer,
                        "word_id": w,
                        "word": f"w{w}",
                        "pieces": 1,
                        column: v,
                    }
                )
    return pd.DataFrame(rows)


def test_importance_matrix_orders_layers_by_depth_and_reads_sigma_tables():
    frame = _frame("information", [{"layer.10": [-0.0, -1.0], "layer.2": [-2.0, -0.5]}], column="log_sigma_ratio")
    matrix, layers, words = metrics.importance_matrix(frame, 0)
    assert layers == ["layer.2", "layer.10"] and words == ["w0", "w1"]
    np.testing.assert_allclose(matrix, [[2.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match="no rows"):
        metrics.importance_matrix(frame, 5)


# -- cross-layer coherence -------------------------------------------------------------------------
def test_coherence_of_scaled_identical_layers():
    base = np.array([3.0, 1.0, 2.0, 0.5])
    same = np.stack([base, base, base])
    assert metrics.log_magnitude_spread(same) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(metrics.adjacent_layer_spearman(same), [1.0, 1.0])
    scaled = np.stack([base, 10 * base, 100 * base])  # magnitude grows ×10 per layer
    assert metrics.log_magnitude_spread(scaled) == pytest.approx(np.std(np.log([1, 10, 100])))
    reversed_ = np.stack([base, base.max() - base + 0.1])
    np.testing.assert_allclose(metrics.adjacent_layer_spearman(reversed_), [-1.0])


def test_coherence_bad_input():
    with pytest.raises(ValueError, match=r"\[layers, n_words\]"):
        metrics.log_magnitude_spread([1.0, 2.0])
    with pytest.raises(ValueError, match="two layers"):
        metrics.adjacent_layer_spearman([[1.0, 2.0]])
    with pytest.raises(ValueError, match="NaN"):
        metrics.log_magnitude_spread([[1.0, np.nan], [1.0, 2.0]])
    with pytest.raises(ValueError, match="zero total"):
        metrics.log_magnitude_spread([[0.0, 0.0], [1.0, 2.0]])


# -- agreement -------------------------------------------------------------------------------------
def test_identical_rankings_agree_perfectly():
    a = [0.1, 0.9, 0.4, 0.3]
    agreement = metrics.rank_agreement(a, [10 * x for x in a], k=2)
    assert agreement == {"spearman": 1.0, "kendall": 1.0, "top_k": 1.0}
    # signed scores are ranked by magnitude
    assert metrics.rank_agreement(a, [-x for x in a])["spearman"] == 1.0
    assert metrics.top_k_overlap([4, 3, 2, 1], [1, 2, 3, 4], k=2) == 0.0
    assert metrics.rank_agreement([4, 3, 2, 1], [1, 2, 3, 4])["kendall"] == -1.0


def test_agreement_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        metrics.rank_agreement([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="k must be"):
        metrics.top_k_overlap([1, 2, 3], [1, 2, 3], k=4)


def test_mean_interval_t_and_bootstrap():
    values = [0.2, 0.4, 0.6, 0.8]
    mean, low, high = metrics.mean_interval(values, method="t")
    half = 3.182446305 * np.std(values, ddof=1) / 2  # t_{0.975, 3}
    assert (mean, low, high) == pytest.approx((0.5, 0.5 - half, 0.5 + half))
    mean_b, low_b, high_b = metrics.mean_interval(values, method="bootstrap", random_state=1)
    assert mean_b == 0.5 and 0.2 <= low_b < 0.5 < high_b <= 0.8
    assert metrics.mean_interval([0.3]) == (0.3, 0.3, 0.3)
    with pytest.raises(ValueError, match="method"):
        metrics.mean_interval(values, method="normal")


def test_method_agreement_table():
    a = _frame("saliency", [{"layer.1": [1, 2, 3], "layer.2": [3, 2, 1]}, {"layer.1": [5, 1, 2], "layer.2": [1, 1, 3]}])
    b = _frame(
        "occlusion", [{"layer.1": [2, 4, 6], "layer.2": [1, 2, 3]}, {"layer.1": [9, 1, 3], "layer.2": [2, 3, 1]}]
    )
    table = metrics.method_agreement(pd.concat([a, b]), "saliency", "occlusion", k=1)
    layer1 = table[(table.layer == "layer.1")].set_index("statistic")
    assert layer1.loc["spearman", "mean"] == 1.0 and layer1.loc["top_k", "mean"] == 1.0
    assert layer1.loc["spearman", "n_sentences"] == 2
    layer2 = table[(table.layer == "layer.2")].set_index("statistic")
    assert layer2.loc["spearman", "mean"] < 0
    with pytest.raises(ValueError, match="not in the table"):
        metrics.method_agreement(a, "saliency", "lrp")


# -- concentration and neighbourhood ----------------------------------------------------------------
def test_one_hot_profile_is_fully_concentrated():
    one_hot = [0.0, 0.0, 2.5, 0.0]
    assert metrics.words_for_share(one_hot, 0.5) == 1
    assert metrics.words_for_share(one_hot, 0.8) == 1
    assert metrics.information_entropy(one_hot) == 0.0
    assert metrics.neighbour_share(one_hot, radius=1) == 0.0


def test_uniform_profile_is_spread():
    uniform = np.ones(10)
    assert metrics.words_for_share(uniform, 0.5) == 5
    assert metrics.words_for_share(uniform, 0.8) == 8
    assert metrics.information_entropy(uniform) == pytest.approx(math.log(10))
    assert metrics.concentration(uniform)["entropy_normalised"] == pytest.approx(1.0)
    assert metrics.concentration(uniform)["words_80"] == 8


def test_neighbour_share_counts_positions_within_radius():
    info = np.array([1.0, 2.0, 10.0, 3.0, 4.0])  # top word at position 2
    assert metrics.neighbour_share(info, radius=1) == pytest.approx(5 / 20)
    assert metrics.neighbour_share(info, radius=2) == pytest.approx(10 / 20)
    assert metrics.neighbour_share(info, radius=1, top=2) == pytest.approx((2 + 3) / 20)  # centres 2 and 4


def test_concentration_bad_input():
    with pytest.raises(ValueError, match="≥ 0"):
        metrics.words_for_share([1.0, -1.0])
    with pytest.raises(ValueError, match="share"):
        metrics.words_for_share([1.0, 1.0], 1.5)
    with pytest.raises(ValueError, match="zero"):
        metrics.information_entropy([0.0, 0.0])
    with pytest.raises(ValueError, match="radius"):
        metrics.neighbour_share([1.0, 2.0], radius=0)
    with pytest.raises(ValueError, match="empty"):
        metrics.words_for_share([])


# -- word classes -----------------------------------------------------------------------------------
def test_class_shares():
    words = ["[CLS]", "The", "movie", "is", "wonderful", "[SEP]"]
    info = [5.0, 1.0, 2.0, 1.0, 6.0, 5.0]  # special tokens are excluded
    assert metrics.function_word_share(words, info) == pytest.approx(2 / 10)
    assert metrics.class_share(words, info, {"wonderful"}) == pytest.approx(6 / 10)
    assert metrics.class_share(words, info, {"wonderful": True, "movie": False}) == pytest.approx(6 / 10)
    labels = {"wonderful": 0.95, "movie": 0.5}

    def sentiment(w):
        return abs(labels.get(w, 0.5) - 0.5) >= 0.2

    assert metrics.class_share(words, info, sentiment) == pytest.approx(6 / 10)
    assert {"and", "the", "is"} <= metrics.STOP_WORDS


def test_class_share_bad_input():
    with pytest.raises(TypeError, match="callable"):
        metrics.class_share(["good"], [1.0], {"good": 0.9})
    with pytest.raises(ValueError, match="differ in length"):
        metrics.class_share(["a", "b"], [1.0], {"a"})
    with pytest.raises(TypeError, match="set of words"):
        metrics.class_share(["a"], [1.0], "a")


# -- layer forgetting --------------------------------------------------------------------------------
def test_forgetting_layer():
    scale = 2.0
    sigma = np.array(
        [
            [0.1, 1.9, 0.1],
            [0.2, 1.9, 1.0],
            [0.5, 2.0, 1.85],
        ]
    )
    out = metrics.forgetting_layer(sigma, scale, layers=[2, 4, 6], num_layers=6, fraction=0.9)
    np.testing.assert_array_equal(out["layer"], [np.nan, 2, 6])
    np.testing.assert_allclose(out["relative_depth"], [np.nan, 2 / 6, 1.0])
    np.testing.assert_allclose(out["information"][0], -np.log(sigma[0] / scale))
    with pytest.raises(ValueError, match="increasing"):
        metrics.forgetting_layer(sigma, scale, layers=[4, 2, 6], num_layers=6)
    with pytest.raises(ValueError, match="one block index"):
        metrics.forgetting_layer(sigma, scale, layers=[1, 2], num_layers=6)


# -- reverse task -------------------------------------------------------------------------------------
def test_perfect_anti_diagonal_has_alignment_one():
    n = 5
    out = metrics.reverse_alignment(np.fliplr(np.eye(n)))
    assert out == {"accuracy": 1.0, "mass": 1.0}
    diagonal = metrics.reverse_alignment(np.eye(n) + 0.01)
    assert diagonal["accuracy"] == pytest.approx(1 / 5)  # only the middle word coincides
    with pytest.raises(ValueError, match="more output steps"):
        metrics.reverse_alignment(np.ones((4, 3)))
    with pytest.raises(ValueError, match="zero total"):
        metrics.reverse_alignment(np.zeros((2, 2)))


# -- one table for σ and the baselines ----------------------------------------------------------------
def test_agreement_between_information_and_saliency_on_the_linear_toy():
    import torch

    import infolib
    from infolib.baselines import gradient_saliency
    from infolib.testing import LinearToyModel

    torch.set_num_threads(1)
    toy = LinearToyModel()  # layer.1_t = w_t·A x_t: σ_t ∝ 1/|w_t| and saliency ∝ |w_t|
    sentences = ["a b c d e", "p q r s", "v w x y z"]
    sigma_s = {"layer.1": torch.ones(6)}
    information = infolib.explain(toy, sentences, "layer.1", sigma_s=sigma_s, progress=False)
    saliency = gradient_saliency(toy, sentences, "layer.1", sigma_s=sigma_s)
    frame = pd.concat([information.to_frame(), saliency.to_frame()])
    table = metrics.method_agreement(frame, "information", "gradient_saliency", k=2).set_index("statistic")
    assert table.loc["top_k", "mean"] == 1.0
    assert table.loc["spearman", "mean"] >= 0.8  # words with |w| within 2 % may swap (σ noise)
    matrix, layers, words = metrics.importance_matrix(frame, 0, method="information")
    assert layers == ["layer.1"] and words == ["a", "b", "c", "d", "e"] and (matrix >= 0).all()


def test_split_modules_keep_the_old_import_paths():
    """metrics.py was split into metrics, kinds (word lists) and statistics; the old names still resolve."""
    from infolib.analysis import kinds, statistics

    assert metrics.bootstrap_interval is statistics.bootstrap_interval
    assert metrics.mean_interval is statistics.mean_interval
    assert metrics.STOP_WORDS is kinds.STOP_WORDS and metrics.SPECIAL_TOKENS is kinds.SPECIAL_TOKENS
