"""The what-if tool without a browser: `infolib.interactive.whatif` (compute, diff, figures) and the widget wiring
of `infolib.interactive.widgets.WhatIfWidget` (text → figure, layer range, superseded computations, error messages)."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch

pytest.importorskip("ipywidgets", reason="the probe widget needs ipywidgets (pip install ipywidgets)")

from infolib.core.hooks import Encoding, HookedModel  # noqa: E402
from infolib.core.estimator import Cancelled  # noqa: E402
from infolib.interactive.whatif import (  # noqa: E402
    WhatIf,
    align_words,
    diff_figure,
    figure_png,
    information_diff,
    predict,
    whatif_figure,
    _title,
)
from infolib.core.results import Explanation  # noqa: E402
from infolib.interactive.widgets import WhatIfWidget  # noqa: E402
from infolib.viz.compare import update_diff_figure, update_side_by_side  # noqa: E402

TINY = {"samples": 1, "max_steps": 3, "window": 1}


class TinyClassifier(HookedModel):
    """Two tanh layers over seeded word vectors and a linear classifier on the mean: fast and exact.

    Each word is one token, looked up by a hash of the word; hidden states layer.0 … layer.2, logits.
    """

    def __init__(self, delay: float = 0.0, name: str = "tiny-sst2"):
        g = torch.Generator().manual_seed(0)
        self.table = torch.randn(97, 8, generator=g)
        self.module = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 2))
        self.hidden_states = ("layer.0", "layer.1", "layer.2", "logits")
        self.name, self.max_tokens, self.delay = name, 64, delay

    def encode(self, sentences):
        words = [s.split() for s in sentences]
        T = max(len(w) for w in words)
        ids = torch.zeros(len(words), T, dtype=torch.long)
        mask = torch.zeros(len(words), T, dtype=torch.long)
        for b, ws in enumerate(words):
            ids[b, : len(ws)] = torch.tensor([sum(map(ord, w)) % 97 for w in ws])
            mask[b, : len(ws)] = 1
        return Encoding(ids, mask, words, words, [list(range(len(ws))) for ws in words])

    def embed(self, encoding):
        return self.table[encoding.input_ids]

    def default_scale(self):
        return 10.0

    def _forward(self, embed, attention_mask, want):
        if self.delay:
            time.sleep(self.delay)
        h1 = torch.tanh(self.module[0](embed))
        h2 = torch.tanh(self.module[1](h1))
        m = attention_mask.to(embed.dtype)[..., None]
        logits = self.module[2]((h2 * m).sum(1) / m.sum(1))
        states = {"layer.0": embed, "layer.1": h1, "layer.2": h2, "logits": logits}
        return {name: states[name][rows] for name, rows in want.items()}


@pytest.fixture
def tiny():
    return TinyClassifier()


@pytest.fixture
def tiny_spread(tiny):
    return {"layer.0": torch.ones(8), "layer.1": torch.ones(8), "layer.2": torch.ones(8), "logits": torch.ones(2)}


def make_probe(models, spread, sentence: str = "", **kwargs) -> WhatIfWidget:
    """A synchronous probe whose HookedModels use `spread` as σ_S; explains `sentence` if given."""
    probe = WhatIfWidget(models, settings=TINY, background=False, **kwargs)
    for m in models:
        if isinstance(m, HookedModel):
            probe.whatif.spreads[m.name] = spread
    if sentence:
        probe.text.value = sentence
    return probe


def html_of(output_widget) -> str:
    assert len(output_widget.outputs) == 1, output_widget.outputs
    return output_widget.outputs[0]["data"]["text/html"]


def cell_values(html: str) -> list[float]:
    """The numbers written in an HTML map's cells, row by row."""
    return [float(v) for v in re.findall(r"<td[^>]*>(-?[0-9.]+)</td>", html)]


# -- widget --------------------------------------------------------------------------------------


def test_text_change_shows_new_figure_and_difference(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread)
    probe.text.value = "a dull and boring film"
    first = html_of(probe.figure)
    assert probe.state.sentence == "a dull and boring film" and probe.error is None
    expected = predict(tiny, "a dull and boring film")
    assert probe.prediction.value == (
        f"<b>tiny-sst2</b>: predicts <b>{expected.label}</b> with probability {expected.probability:.2f}"
    )

    probe.text.value = "a bright and boring film"
    assert probe.state.sentence == "a bright and boring film"
    assert html_of(probe.figure) != first
    assert probe.previous.sentence == "a dull and boring film"
    diff = probe.diffs[0]
    assert diff.added == ["bright"] and diff.removed == ["dull"]
    # the maps shown hold what the state holds: the information kept per cell (2 decimals), words, layers
    result = probe.state.views[0].result
    shown = html_of(probe.figure)
    np.testing.assert_allclose(cell_values(shown), result.information(0).ravel(), atol=0.005 + 1e-9)
    assert all(f">{w}</th>" in shown for w in "a bright and boring film".split()) and ">layer.2</th>" in shown
    difference = html_of(probe.difference)
    np.testing.assert_allclose(cell_values(difference), diff.change[np.isfinite(diff.change)], atol=0.005 + 1e-9)
    assert ">+bright</th>" in difference and ">−dull</th>" in difference
    # so do the exported figures
    ax = probe.figure_now().axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), result.information(0))
    assert [t.get_text() for t in ax.get_xticklabels()] == "a bright and boring film".split()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["layer.1", "layer.2"]
    assert ax.get_title() == f"tiny-sst2: predicts {probe.state.views[0].prediction}"
    ax = probe.difference_figure().axes[0]
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.mask, np.isnan(diff.change))
    np.testing.assert_allclose(shown.filled(np.nan), diff.change)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "−dull", "+bright", "and", "boring", "film"]


def test_layer_range_change_recomputes_only_those_layers(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    assert probe.state.views[0].result.layers == ["layer.1", "layer.2"]
    before = html_of(probe.figure)
    probe.layers.value = (2, 2)
    assert probe.state.views[0].result.layers == ["layer.2"]
    assert html_of(probe.figure) != before
    probe.layers.value = (1, 2)  # back again: answered from memory, identical σ
    assert probe.state.views[0].result.diagnostics[0, "layer.1"]["cached"]


def test_two_models_side_by_side(tiny, tiny_spread):
    other = TinyClassifier(name="tiny-other")
    probe = make_probe([tiny, other], tiny_spread, sentence="a dull film")
    probe.model_b.value = "tiny-other"
    assert [v.model for v in probe.state.views] == ["tiny-sst2", "tiny-other"]
    assert probe.prediction.value.count("probability") == 2


class DeepClassifier(TinyClassifier):
    """TinyClassifier with a third block (layer.3)."""

    def __init__(self):
        super().__init__(name="deep-sst2")
        self.hidden_states = ("layer.0", "layer.1", "layer.2", "layer.3", "logits")

    def _forward(self, embed, attention_mask, want):
        states = super()._forward(embed, attention_mask, {"layer.2": torch.arange(len(embed))})
        layer3 = torch.tanh(self.module[1](states["layer.2"]))
        out = super()._forward(embed, attention_mask, {n: r for n, r in want.items() if n != "layer.3"})
        if "layer.3" in want:
            out["layer.3"] = layer3[want["layer.3"]]
        return out


def test_layer_slider_follows_the_models_depth(tiny, tiny_spread):
    deep = DeepClassifier()
    probe = make_probe([tiny, deep], {**tiny_spread, "layer.3": torch.ones(8)}, sentence="a dull film")
    assert (probe.layers.max, probe.layers.value) == (2, (1, 2))  # tiny's blocks, not a fixed default
    probe.model_a.value = "deep-sst2"
    assert (probe.layers.max, probe.layers.value) == (3, (1, 3))  # the range's end moved with the slider's
    assert probe.state.views[0].result.layers == ["layer.1", "layer.2", "layer.3"]
    probe.model_b.value = "tiny-sst2"  # side by side: the deeper of the two
    assert probe.layers.max == 3 and [v.result.layers for v in probe.state.views] == [
        ["layer.1", "layer.2", "layer.3"],
        ["layer.1", "layer.2"],
    ]
    probe.model_b.value = "(none)"
    probe.layers.value = (2, 2)
    probe.model_a.value = "tiny-sst2"
    assert (probe.layers.max, probe.layers.value) == (2, (2, 2))
    assert probe.state.views[0].result.layers == ["layer.2"]


def test_stale_computation_is_superseded(tiny_spread):
    slow = TinyClassifier(delay=0.05)
    probe = WhatIfWidget([slow], settings={"samples": 1, "max_steps": 40, "window": 20}, background=True)
    probe.whatif.spreads[slow.name] = tiny_spread
    shown = []
    publish = probe._publish
    probe._publish = lambda state, generation: (shown.append(state.sentence), publish(state, generation))
    probe.text.value = "the first sentence takes long"
    time.sleep(0.3)  # well inside the first computation (40 steps × 50 ms)
    start = time.perf_counter()
    probe.text.value = "the second one wins"
    probe.wait(60)
    assert probe.state.sentence == "the second one wins"
    assert shown == ["the second one wins"]  # the stale result was never shown
    assert probe.cancelled >= 1
    assert time.perf_counter() - start < 4.5  # the stale one stopped early instead of finishing its 2 s
    assert probe.status.value.startswith("done")


class CountingClassifier(TinyClassifier):
    """TinyClassifier that counts its forward passes."""

    def __init__(self):
        super().__init__()
        self.passes = 0

    def _forward(self, embed, attention_mask, want):
        self.passes += 1
        return super()._forward(embed, attention_mask, want)


def test_cancel_stops_between_optimisation_steps(tiny_spread):
    model = CountingClassifier()
    whatif = WhatIf([model], settings={"samples": 1, "max_steps": 50, "window": 40})  # would run all 50 steps
    whatif.spreads[model.name] = tiny_spread
    steps = []

    def check():
        if len(steps) == 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        whatif.compute("a dull film", [model.name], (1, 2), check=check, on_step=lambda name, n: steps.append(n))
    assert steps == [1, 2, 3]  # the optimiser called back after each step and stopped after the third
    passes = model.passes
    assert 3 <= passes <= 6  # the clean pass and one per step (the checks run nothing of their own)
    assert len(whatif.cache) == 0  # nothing half-done was stored
    whatif.compute("a dull film", [model.name], (1, 2), check=lambda: None)  # and the tool still works
    assert len(whatif.cache) == 2


def test_a_control_character_is_stripped_as_explain_does(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull\x00 film\u200b \x1b[31mtoday")
    assert probe.error is None, probe.error
    assert probe.state.sentence == "a dull film [31mtoday"  # the same cleaning as infolib.core.inputs.check_sentences
    assert probe.state.views[0].result.words[0] == ["a", "dull", "film", "[31mtoday"]
    probe.text.value = "\x00\x07 \u200b"
    assert "empty" in probe.error


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        (" ".join(["word"] * 41), "at most 40"),
    ],
)
def test_bad_text_is_a_message_not_a_traceback(tiny, tiny_spread, text, message):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    shown = html_of(probe.figure)
    probe.text.value = text
    assert message in probe.error and message in probe.status.value
    assert html_of(probe.figure) == shown  # the last good figure stays


def test_unknown_model_is_a_message(tiny, tiny_spread):
    probe = make_probe([tiny, "no-such-model"], tiny_spread, sentence="a dull film")
    probe.model_a.value = "no-such-model"
    assert "unknown model 'no-such-model'" in probe.error
    assert "unknown model" in probe.status.value
    probe.model_a.value = tiny.name  # and it recovers
    assert probe.error is None and probe.state.views[0].model == tiny.name


def test_a_model_typed_into_the_probe_is_offered_and_explained(tiny, tiny_spread):
    other = TinyClassifier(name="tiny-other")
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    # a HookedModel is added in code (offered once); the dropdowns show it when its name is typed
    assert probe.whatif.add(other) == "tiny-other" and probe.whatif.add(other) == "tiny-other"
    assert probe.whatif.names == ["tiny-sst2", "tiny-other"]
    probe.whatif.spreads["tiny-other"] = tiny_spread
    probe.add_model.value = " tiny-other "
    assert probe.add_model.value == ""  # cleared for the next one
    assert list(probe.model_a.options) == ["tiny-sst2", "tiny-other"]
    assert list(probe.model_b.options) == ["(none)", "tiny-sst2", "tiny-other"]
    assert probe.model_a.value == "tiny-other" and probe.error is None
    assert probe.state.views[0].model == "tiny-other"


def test_a_model_that_cannot_be_loaded_is_a_message_and_offers_nothing(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    shown = html_of(probe.figure)
    probe.add_model.value = "/no/such/folder"
    assert "cannot add model '/no/such/folder'" in probe.error and "unknown model" in probe.status.value
    assert list(probe.model_a.options) == ["tiny-sst2"] and probe.whatif.names == ["tiny-sst2"]
    assert probe.add_model.value == "/no/such/folder"  # left to be corrected
    assert html_of(probe.figure) == shown
    probe.add_model.value = "   "  # nothing typed: nothing happens
    assert probe.whatif.names == ["tiny-sst2"]
    with pytest.raises(ValueError, match="type a model name"):
        probe.whatif.add(" ")


def test_too_many_tokens_for_the_model_is_a_message(tiny_spread):
    short = TinyClassifier()
    short.max_tokens = 3
    probe = make_probe([short], tiny_spread)
    probe.text.value = "one two three four"
    assert "maximum of 3" in probe.error


def test_method_dropdown_runs_a_gradient_baseline(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    probe.method.value = "gradient_saliency"
    assert probe.error is None, probe.error
    result = probe.state.views[0].result
    assert result.method == "gradient_saliency"
    ax, colorbar = probe.figure_now().axes
    np.testing.assert_allclose(ax.images[0].get_array(), np.abs(result.score_matrix(0)))
    assert ax.images[0].get_cmap().name == "magma_r" and ax.images[0].get_clim()[0] == 0  # dark = important
    assert colorbar.get_ylabel() == "|gradient_saliency score|\nlarger = more important"


def test_memory_store_serves_explain_without_being_a_disk_cache(tiny, tiny_spread):
    from infolib.core.explain import explain
    from infolib.core.store import ResultCache
    from infolib.interactive.memory import MemoryStore

    store = MemoryStore()
    assert not isinstance(store, ResultCache) and len(store) == 0
    layers = ["layer.1", "layer.2"]
    first = explain(tiny, "a dull film", layers, sigma_s=tiny_spread, progress=False, cache=store, **TINY)
    assert len(store) == 2 and not any(d["cached"] for d in first.diagnostics.values())
    again = explain(tiny, "a dull film", layers, sigma_s=tiny_spread, progress=False, cache=store, **TINY)
    assert all(d["cached"] for d in again.diagnostics.values())
    for pair in first.sigma:
        assert torch.equal(first.sigma[pair], again.sigma[pair])
    with pytest.raises(ValueError, match="max_entries must be a whole number ≥ 1, got 0"):
        MemoryStore(max_entries=0)


# -- logic ---------------------------------------------------------------------------------------


def test_align_words_marks_added_and_removed():
    old, new = "[CLS] a dull film [SEP]".split(), "[CLS] a very Bright film [SEP]".split()
    kinds = [(k, i, j) for k, i, j in align_words(old, new)]
    assert ("removed", 2, None) in kinds and ("added", None, 2) in kinds and ("added", None, 3) in kinds
    assert ("same", 3, 4) in kinds and ("same", 0, 0) in kinds


def _explanation(sentence: str, sigma_rows: list[list[float]], layers=("layer.1", "layer.2")) -> Explanation:
    words = ["[CLS]", *sentence.split(), "[SEP]"]
    return Explanation(
        sentences=[sentence],
        layers=list(layers),
        words=[words],
        tokens=[words],
        word_of_token=[list(range(len(words)))],
        sigma={(0, name): torch.tensor(row) for name, row in zip(layers, sigma_rows)},
        diagnostics={(0, name): {"steps": 1, "converged": True, "loss_curve": []} for name in layers},
        scale=1.0,
        K=8,
        settings={},
        model="m",
        fingerprint="f",
    )


def test_information_diff_is_change_of_information_kept():
    old = _explanation("a dull film", [[1.0, 0.5, 0.1, 0.5, 1.0], [1.0, 1.0, 0.2, 0.5, 1.0]])
    new = _explanation("a bright film", [[1.0, 0.25, 0.1, 0.5, 1.0], [1.0, 1.0, 0.3, 1.0, 1.0]])
    diff = information_diff(old, new)
    assert diff.columns == ["[CLS]", "a", "dull", "bright", "film", "[SEP]"]
    assert diff.kinds == ["same", "same", "removed", "added", "same", "same"]
    assert np.isnan(diff.change[:, 2:4]).all()
    np.testing.assert_allclose(diff.change[0, 1], -np.log(0.25) + np.log(0.5))  # −log(σ/scale), scale 1
    np.testing.assert_allclose(diff.change[1, 4], -np.log(1.0) + np.log(0.5))
    assert ("layer.1", "a", pytest.approx(-np.log(0.5))) in diff.gained()
    assert [(layer, w) for layer, w, _ in diff.lost()] == [("layer.2", "film")]
    fig = diff_figure(diff)
    ax, colorbar = fig.axes
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array().mask, np.isnan(diff.change))  # added/removed: no colour
    np.testing.assert_allclose(image.get_array().filled(np.nan), diff.change)
    limit = np.nanmax(np.abs(diff.change))
    assert image.get_clim() == (-limit, limit) and image.get_cmap().name == "RdBu"  # centred on 0, blue = kept more
    labels = ax.get_xticklabels()
    assert [t.get_text() for t in labels] == ["[CLS]", "a", "−dull", "+bright", "film", "[SEP]"]
    assert labels[3].get_color() == "tab:green" and labels[2].get_color() == "grey"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["layer.1", "layer.2"]
    assert colorbar.get_ylabel().startswith("Δ information kept −log(σ/scale)")


def test_predict_needs_logits(tiny, minilm):
    prediction = predict(tiny, "a dull film")
    assert prediction.label in ("negative", "positive")
    assert abs(sum(prediction.probabilities) - 1) < 1e-6 and prediction.probability >= 0.5
    assert predict(minilm, "a dull film") is None  # the pretrained encoder has no classifier


def test_minilm_probe_end_to_end(minilm, minilm_sigma_s):
    whatif = WhatIf([minilm], settings={"samples": 1, "max_steps": 2, "window": 1})
    whatif.spreads[minilm.name] = minilm_sigma_s
    steps = []
    state = whatif.compute("a charming and affecting journey", ["minilm"], (5, 6), on_step=lambda m, n: steps.append(n))
    result = state.views[0].result
    assert result.layers == ["layer.5", "layer.6"] and result.words[0][0] == "[CLS]"
    assert state.views[0].prediction is None and steps == [1, 2]
    assert whatif.depth() == 6  # from the model, not a default
    fig = whatif_figure(state)
    assert "no classifier" in fig.axes[0].get_title()
    assert figure_png(fig).startswith(b"\x89PNG")


# -- incremental probe: warm start and figures redrawn in place ------------------------------------


def _drawn(fig):
    """What a figure shows: per axes its image (array, colour limits), tick labels, title, hatched patches."""
    out = []
    for ax in fig.axes:
        images = [(np.ma.filled(im.get_array().astype(float), np.nan), im.get_clim()) for im in ax.images]
        ticks = [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.get_yticklabels()]
        colours = [t.get_color() for t in ax.get_xticklabels()]
        out.append((images, ticks, colours, ax.get_title(), len(ax.patches)))
    return out


def _assert_same_drawing(fig, fresh):
    drawn, expected = _drawn(fig), _drawn(fresh)
    assert len(drawn) == len(expected)
    for (images, ticks, colours, title, patches), (images_e, ticks_e, colours_e, title_e, patches_e) in zip(
        drawn, expected
    ):
        assert ticks == ticks_e and colours == colours_e and title == title_e and patches == patches_e
        assert len(images) == len(images_e)
        for (array, clim), (array_e, clim_e) in zip(images, images_e):
            np.testing.assert_allclose(array, array_e)
            np.testing.assert_allclose(clim, clim_e, rtol=1e-6)


def _redrawn(fig, probe):
    """`fig` (drawn for an earlier state) redrawn in place for the probe's state and difference."""
    return update_side_by_side(fig, [v.result for v in probe.state.views], [_title(v) for v in probe.state.views])


def test_an_edit_of_the_same_length_redraws_the_figures_in_place(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull and boring film")
    figure = whatif_figure(probe.state)
    axes, image = list(figure.axes), figure.axes[0].images[0]
    probe.text.value = "a bright and boring film"
    differences = diff_figure(probe.diffs)
    diff_axes = list(differences.axes)
    assert _redrawn(figure, probe) is figure and figure.axes == axes and list(axes[0].images) == [image]
    _assert_same_drawing(figure, probe.figure_now())  # as a figure drawn from scratch
    probe.text.value = "a bright and lovely film"  # the difference keeps its 6 columns too
    assert _redrawn(figure, probe) is figure and figure.axes == axes and list(axes[0].images) == [image]
    assert update_diff_figure(differences, probe.diffs) is differences and differences.axes == diff_axes
    _assert_same_drawing(figure, probe.figure_now())
    _assert_same_drawing(differences, probe.difference_figure())
    assert [t.get_text() for t in axes[0].get_xticklabels()] == "a bright and lovely film".split()


def test_an_edit_that_changes_the_length_redraws_the_figure_correctly(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull and boring film")
    probe.text.value = "a dull boring film"
    figure, differences = whatif_figure(probe.state), diff_figure(probe.diffs)
    for sentence, words in (("a dull film", ["a", "dull", "film"]), ("a dull film that bores", None)):
        probe.text.value = sentence
        _assert_same_drawing(_redrawn(figure, probe), probe.figure_now())
        _assert_same_drawing(update_diff_figure(differences, probe.diffs), probe.difference_figure())
        if words:
            assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == words


def test_two_models_then_one_redraws_the_panels(tiny, tiny_spread):
    other = TinyClassifier(name="other-sst2")
    probe = make_probe([tiny, other], tiny_spread, sentence="a dull film", compare=True)
    probe.whatif.spreads["other-sst2"] = tiny_spread
    probe.text.value = "a fine film"
    figure = whatif_figure(probe.state)
    assert html_of(probe.figure).count("<table") == 2  # both maps shown
    probe.model_b.value = "(none)"
    _assert_same_drawing(_redrawn(figure, probe), probe.figure_now())
    assert len([ax for ax in figure.axes if ax.images]) == 1
    assert html_of(probe.figure).count("<table") == 1


def test_after_an_edit_unchanged_words_start_from_their_sigma_before_it(tiny, tiny_spread):
    from infolib.interactive.whatif import warm_start_from

    probe = make_probe([tiny], tiny_spread, sentence="a dull and boring film")
    before = probe.state.views[0].result
    assert not any(d["warm_start"] for d in before.diagnostics.values())
    start = warm_start_from(before, "a bright and boring film".split(), ["layer.1", "layer.2"])
    for name in ("layer.1", "layer.2"):
        sigma = start[0, name]
        assert torch.isnan(sigma[1])  # 'bright' is new: the default start
        kept = [0, 2, 3, 4]  # a, and, boring, film: their σ before the edit
        torch.testing.assert_close(sigma[kept], before.sigma[0, name][kept].double())
    probe.text.value = "a bright and boring film"
    assert all(d["warm_start"] for d in probe.state.views[0].result.diagnostics.values())
    probe.text.value = "a dull and boring film"  # back again: from memory, nothing optimised
    assert probe.state.views[0].result.sigma[0, "layer.1"].equal(before.sigma[0, "layer.1"])
    assert all(d["cached"] for d in probe.state.views[0].result.diagnostics.values())


def test_a_cold_whatif_starts_every_edit_from_the_default(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull and boring film")
    probe.whatif.warm = False
    probe.text.value = "a bright and boring film"
    assert not any(d["warm_start"] for d in probe.state.views[0].result.diagnostics.values())
