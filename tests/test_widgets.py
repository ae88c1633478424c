"""The what-if probe without a browser: `infolib.interactive.whatif` (compute, diff, figures) and the widget wiring
of `infolib.interactive.widgets.Probe` (text → figure, layer range, superseded computations, error messages)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

pytest.importorskip("ipywidgets", reason="the probe widget needs ipywidgets (pip install ipywidgets)")

from infolib.core.hooks import Encoding, HookedModel  # noqa: E402
from infolib.interactive.whatif import (  # noqa: E402
    Cancelled, Prober, align_words, diff_figure, figure_png, information_diff, predict, probe_figure,
)
from infolib.core.results import Explanation  # noqa: E402
from infolib.interactive.widgets import Probe  # noqa: E402

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


def make_probe(models, spread, sentence: str = "", **kwargs) -> Probe:
    """A synchronous probe whose HookedModels use `spread` as σ_S; explains `sentence` if given."""
    probe = Probe(models, settings=TINY, background=False, **kwargs)
    for m in models:
        if isinstance(m, HookedModel):
            probe.prober.spreads[m.name] = spread
    if sentence:
        probe.text.value = sentence
    return probe


def png_of(output_widget) -> str:
    assert len(output_widget.outputs) == 1, output_widget.outputs
    return output_widget.outputs[0]["data"]["image/png"]


# -- widget --------------------------------------------------------------------------------------


def test_text_change_shows_new_figure_and_difference(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread)
    probe.text.value = "a dull and boring film"
    first = png_of(probe.figure)
    assert probe.state.sentence == "a dull and boring film" and probe.error is None
    assert "negative" in probe.prediction.value or "positive" in probe.prediction.value
    assert "probability" in probe.prediction.value

    probe.text.value = "a bright and boring film"
    assert probe.state.sentence == "a bright and boring film"
    assert png_of(probe.figure) != first
    assert probe.previous.sentence == "a dull and boring film"
    diff = probe.diffs[0]
    assert diff.added == ["bright"] and diff.removed == ["dull"]
    assert png_of(probe.difference)  # the difference figure is shown
    assert probe.difference_figure() is not None and probe.figure_now() is not None


def test_layer_range_change_recomputes_only_those_layers(tiny, tiny_spread):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    assert probe.state.views[0].result.layers == ["layer.1", "layer.2"]
    before = png_of(probe.figure)
    probe.layers.value = (2, 2)
    assert probe.state.views[0].result.layers == ["layer.2"]
    assert png_of(probe.figure) != before
    probe.layers.value = (1, 2)  # back again: answered from memory, identical σ
    assert probe.state.views[0].result.diagnostics[0, "layer.1"]["cached"]


def test_two_models_side_by_side(tiny, tiny_spread):
    other = TinyClassifier(name="tiny-other")
    probe = make_probe([tiny, other], tiny_spread, sentence="a dull film")
    probe.model_b.value = "tiny-other"
    assert [v.model for v in probe.state.views] == ["tiny-sst2", "tiny-other"]
    assert probe.prediction.value.count("probability") == 2


def test_stale_computation_is_superseded(tiny_spread):
    slow = TinyClassifier(delay=0.05)
    probe = Probe([slow], settings={"samples": 1, "max_steps": 40, "window": 20}, background=True)
    probe.prober.spreads[slow.name] = tiny_spread
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


def test_cancel_stops_between_steps(tiny, tiny_spread):
    prober = Prober([tiny], settings=TINY)
    prober.spreads[tiny.name] = tiny_spread
    calls = []

    def check():
        calls.append(1)
        if len(calls) > 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        prober.compute("a dull film", [tiny.name], (1, 2), check=check)
    assert len(calls) == 3


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    (" ".join(["word"] * 41), "at most 40"),
])
def test_bad_text_is_a_message_not_a_traceback(tiny, tiny_spread, text, message):
    probe = make_probe([tiny], tiny_spread, sentence="a dull film")
    shown = png_of(probe.figure)
    probe.text.value = text
    assert message in probe.error and message in probe.status.value
    assert png_of(probe.figure) == shown  # the last good figure stays


def test_unknown_model_is_a_message(tiny, tiny_spread):
    probe = make_probe([tiny, "no-such-model"], tiny_spread, sentence="a dull film")
    probe.model_a.value = "no-such-model"
    assert "unknown model 'no-such-model'" in probe.error
    assert "unknown model" in probe.status.value
    probe.model_a.value = tiny.name  # and it recovers
    assert probe.error is None and probe.state.views[0].model == tiny.name


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
    assert probe.state.views[0].result.method == "gradient_saliency"


# -- logic ---------------------------------------------------------------------------------------


def test_align_words_marks_added_and_removed():
    old, new = "[CLS] a dull film [SEP]".split(), "[CLS] a very Bright film [SEP]".split()
    kinds = [(k, i, j) for k, i, j in align_words(old, new)]
    assert ("removed", 2, None) in kinds and ("added", None, 2) in kinds and ("added", None, 3) in kinds
    assert ("same", 3, 4) in kinds and ("same", 0, 0) in kinds


def _explanation(sentence: str, sigma_rows: list[list[float]], layers=("layer.1", "layer.2")) -> Explanation:
    words = ["[CLS]", *sentence.split(), "[SEP]"]
    return Explanation(
        sentences=[sentence], layers=list(layers), words=[words], tokens=[words], word_of_token=[list(range(len(words)))],
        sigma={(0, l): torch.tensor(row) for l, row in zip(layers, sigma_rows)},
        diagnostics={(0, l): {"steps": 1, "converged": True, "loss_curve": []} for l in layers},
        scale=1.0, K=8, settings={}, model="m", fingerprint="f",
    )


def test_information_diff_is_change_of_log_sigma_ratio():
    old = _explanation("a dull film", [[1.0, 0.5, 0.1, 0.5, 1.0], [1.0, 1.0, 0.2, 0.5, 1.0]])
    new = _explanation("a bright film", [[1.0, 0.25, 0.1, 0.5, 1.0], [1.0, 1.0, 0.3, 1.0, 1.0]])
    diff = information_diff(old, new)
    assert diff.columns == ["[CLS]", "a", "dull", "bright", "film", "[SEP]"]
    assert diff.kinds == ["same", "same", "removed", "added", "same", "same"]
    assert np.isnan(diff.change[:, 2:4]).all()
    np.testing.assert_allclose(diff.change[0, 1], np.log(0.25) - np.log(0.5))
    np.testing.assert_allclose(diff.change[1, 4], np.log(1.0) - np.log(0.5))
    assert ("layer.1", "a", pytest.approx(np.log(0.5))) in diff.gained()
    assert [(l, w) for l, w, _ in diff.lost()] == [("layer.2", "film")]
    assert diff_figure(diff).axes  # a matplotlib Figure


def test_predict_needs_logits(tiny, minilm):
    prediction = predict(tiny, "a dull film")
    assert prediction.label in ("negative", "positive")
    assert abs(sum(prediction.probabilities) - 1) < 1e-6 and prediction.probability >= 0.5
    assert predict(minilm, "a dull film") is None  # the pretrained encoder has no classifier


def test_minilm_probe_end_to_end(minilm, minilm_sigma_s):
    prober = Prober([minilm], settings={"samples": 1, "max_steps": 2, "window": 1})
    prober.spreads[minilm.name] = minilm_sigma_s
    passes = []
    state = prober.compute("a charming and affecting journey", ["minilm"], (5, 6), on_pass=lambda m, n: passes.append(n))
    result = state.views[0].result
    assert result.layers == ["layer.5", "layer.6"] and result.words[0][0] == "[CLS]"
    assert state.views[0].prediction is None and passes
    fig = probe_figure(state)
    assert "no classifier" in fig.axes[0].get_title()
    assert figure_png(fig).startswith(b"\x89PNG")
