"""`SentenceExplorer`: pick a model, a sentence (from a list or typed) and a hidden state; see its figure.

    from infolib.interactive.explorers import SentenceExplorer
    SentenceExplorer(["bert-sst2", "lstm-sst2"], dev_sentences, layers=["layer.1", ..., "layer.6"])

Plain ipywidgets (Dropdowns, a Text box) and a matplotlib figure shown as a PNG in an
`ipywidgets.Image`, so it works in any Jupyter front end without extensions. Every change
recomputes synchronously (the figure notebooks use small settings); `figure` holds the last
matplotlib Figure, so the same view can be saved with `viz.export.save_figure`. Methods: any of
`infolib.list_methods()`, each drawn in its result's own colours ('information': dark = kept;
a baseline: bright = important).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ..core.estimator import Settings
from ..core.extras import require
from ..core.validation import settings_keywords
from ..methods import DEFAULT_METHOD, get_method
from ..viz.export import escape, to_png
from ..viz.compare import side_by_side
from ..analysis.toy import linear_closed_form, linear_toy
from ..api import load_model
from ..core.explain import explain_phi
from ..core.sigma_s import sigma_s
from ..viz.figures import toy_figure

ALL = "all"


class SentenceExplorer:
    """Interactive layers × words map of one sentence, one model, one method.

    Args:
        models: registry names (or HookedModels) offered in the model menu.
        sentences: sentences offered in the sentence menu (e.g. SST-2 dev); typing in the text box
            and pressing Enter explains the typed sentence instead (clear it to go back).
        layers: hidden-state names offered; 'all' shows every one of them as rows.
        methods: names of `infolib.list_methods()` (default: 'information').
        settings: estimator settings (max_steps, ...), passed to `infolib.core.explain`.
        corpus: sentences for σ_S (None = the sentences shipped with infolib; reversal models need their own).
        smoke: load the SMOKE variants of registry models.
        sentence_limit: how many of `sentences` the menu lists.

    Attributes:
        model, sentence, text, layer, method: the widgets; image: the figure; status: messages.
        figure: the last matplotlib Figure; renders: how many figures were drawn; error: last error.
    """

    def __init__(
        self,
        models: Sequence,
        sentences: Sequence[str],
        layers: Sequence[str] | str = ALL,
        methods: Sequence[str] = (DEFAULT_METHOD,),
        settings: Settings | Mapping | None = None,
        corpus: Sequence[str] | None = None,
        smoke: bool = False,
        sentence_limit: int = 50,
    ):
        w = require("ipywidgets", "SentenceExplorer")  # optional: the [notebooks] extra

        if not sentences:
            raise ValueError("give at least one sentence to choose from.")
        self.settings = settings_keywords(settings)
        self.corpus = list(corpus) if corpus is not None else None
        self.smoke = smoke
        self._models: dict[str, object] = {}
        names = []
        for model in models:
            name = model if isinstance(model, str) else model.name
            if not isinstance(model, str):
                self._models[name] = model
            names.append(name)
        self.layer_names = None if isinstance(layers, str) else list(layers)
        self.model = w.Dropdown(options=names, value=names[0], description="model")
        self.sentence = w.Dropdown(
            options=list(sentences)[:sentence_limit], description="sentence", layout=w.Layout(width="95%")
        )
        self.text = w.Text(
            value="",
            placeholder="or type a sentence and press Enter",
            description="typed",
            continuous_update=False,
            layout=w.Layout(width="95%"),
        )
        self.layer = w.Dropdown(options=[ALL] + (self.layer_names or []), value=ALL, description="hidden state")
        self.method = w.Dropdown(options=list(methods), value=methods[0], description="method")
        self.image = w.Image(format="png")
        self.status = w.HTML("")
        self.figure = None
        self.renders = 0
        self.error: str | None = None
        self.box = w.VBox(
            [w.HBox([self.model, self.method, self.layer]), self.sentence, self.text, self.status, self.image]
        )
        for widget in (self.model, self.sentence, self.text, self.layer, self.method):
            widget.observe(self._on_change, names="value")
        self.update()

    def _ipython_display_(self):
        from IPython.display import display  # lazy: optional dependency (IPython)

        display(self.box)

    def _on_change(self, change) -> None:
        self.update()

    def load(self, name: str):
        """The HookedModel of a menu entry (loaded once)."""
        if name not in self._models:
            self._models[name] = load_model(name, smoke=self.smoke)
        return self._models[name]

    @property
    def current_sentence(self) -> str:
        return self.text.value.strip() or self.sentence.value

    def make_figure(self):
        """The matplotlib Figure of the current selection."""

        model = self.load(self.model.value)
        names = model.resolve_layers(self.layer_names or ALL)
        if self.layer.value != ALL:
            names = [self.layer.value]
        sentence = self.current_sentence
        spread = sigma_s(model, names, self.corpus)
        method = get_method(self.method.value)
        settings = Settings(**self.settings) if method.takes_estimator_settings else None
        result = method.explain(model, [sentence], names, sigma_s=spread, progress=False, cache=True, settings=settings)
        meaning = f"{result.display_label}: {result.display_meaning}"
        return side_by_side([result], [f"{model.name}: {sentence[:60]}\n{meaning}"])

    def update(self) -> None:
        """Recompute the figure for the current selection (errors are shown, not raised)."""
        self.status.value = "<i>computing…</i>"
        try:
            figure = self.make_figure()
        except (ValueError, TypeError, IndexError, KeyError) as error:
            self.error = str(error)
            self.status.value = f"<b>error:</b> {escape(error)}"
            return
        self.figure = figure
        self.image.value = to_png(figure)
        self.renders += 1
        self.error = None
        self.status.value = f"{self.model.value} · {self.method.value} · {self.layer.value}"


class LinearToyExplorer:
    """Sliders for rate and scale on the linear toy Φ = Σ w_i x_i: estimate beside the closed form.

    Attributes:
        rate, scale: FloatLogSliders; image: the figure; figure, renders: as `SentenceExplorer`.
    """

    def __init__(self, weights: Sequence[float], K: int = 16, settings: Settings | Mapping | None = None):
        w = require("ipywidgets", "LinearToyExplorer")  # optional: the [notebooks] extra

        self.weights = list(weights)
        self.K = K
        self.settings = settings_keywords(settings)
        self.rate = w.FloatLogSlider(
            value=0.1, base=10, min=-3, max=1, step=0.25, description="rate", continuous_update=False
        )
        self.scale = w.FloatLogSlider(
            value=1.0, base=10, min=-3, max=1, step=0.25, description="scale", continuous_update=False
        )
        self.image = w.Image(format="png")
        self.figure = None
        self.renders = 0
        self.box = w.VBox([w.HBox([self.rate, self.scale]), self.image])
        for widget in (self.rate, self.scale):
            widget.observe(lambda change: self.update(), names="value")
        self.update()

    def _ipython_display_(self):
        from IPython.display import display  # lazy: optional dependency (IPython)

        display(self.box)

    def update(self) -> None:
        x, phi, spread = linear_toy(self.weights, self.K)
        fit = explain_phi(x, phi, spread, rate=self.rate.value, scale=self.scale.value, **self.settings)
        closed = linear_closed_form(self.weights, spread, self.rate.value, self.scale.value)
        figure = toy_figure(closed, fit.sigma.numpy(), self.weights)
        figure.axes[0].set_title(f"Linear Φ, rate {self.rate.value:.3g}, scale {self.scale.value:.3g}", fontsize=10)
        self.figure = figure
        self.image.value = to_png(figure)
        self.renders += 1
