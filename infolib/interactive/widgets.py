"""`WhatIfWidget`: a what-if widget from plain ipywidgets (no custom JavaScript, no front-end extension).

    from infolib.interactive.widgets import WhatIfWidget
    WhatIfWidget(models=["bert-sst2", "minilm"])   # displays itself in a notebook

Type a sentence and press Enter: the widget shows the layers × words information map of each chosen
model (one, or two side by side) with its prediction, and, after an edit, which words each layer
keeps more (blue) or forgets more (red) than in the previous sentence. Dark cells in the map =
the layer keeps the word; light (information kept −log(σ/scale) near 0) = forgotten. Type a registry name or a
Hugging Face folder into *Add model* to offer one more model. The maps are HTML tables in the colours
of the static figures (hover a cell for its value); `figure_now()` and `difference_figure()` give them
as matplotlib figures to save.

The work is done by `infolib.interactive.whatif` (testable without a browser); this module only wires widgets
to it. Computations run in a background thread, one at a time; a new edit supersedes the running
one, which stops at its next optimisation step (a generation counter the optimiser checks after
every step) and whose result is never shown. Errors appear as a message in the widget.
"""

from __future__ import annotations

import queue
import threading
import time
import warnings
from typing import Mapping, Sequence

from ..core.estimator import Settings
from ..core.extras import require
from ..core.deprecation import REMOVED_IN, renamed
from ..core.hooks import HookedModel
from ..methods import get_method, list_methods
from ..viz.export import escape
from ..viz.html import diff_html, side_by_side_html
from .whatif import Cancelled, WhatIf, WhatIfState, _title, diff_figure, diffs_between, whatif_figure

NONE = "(none)"


def _html_output(html: str, text: str) -> dict:
    """A notebook display_data output holding HTML (what an ipywidgets.Output shows)."""
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": html, "text/plain": text}}


class WhatIfWidget:
    """The what-if widget: edit a sentence, see what one or two models keep of each word.

    Args:
        models: model names or HookedModels to choose from; the first one (and the second, if
            `compare=True`) are selected at the start.
        sentence: the sentence explained first ('' = wait for input).
        layers: (first, last) block range selected at the start; None = layer 1 to the deepest
            selected model's last layer (the slider's end follows the selected models).
        methods: methods offered (names of `infolib.list_methods()`; default: every registered method,
            'information' first, your own `register_method` ones included).
        settings: estimator settings for the information method (default `whatif.WHATIF_SETTINGS`).
        corpus: sentences for σ_S (default: the sentences shipped with infolib; cached on disk).
        compare: show the second model side by side from the start.
        background: compute in a thread (the widget stays responsive); False computes in the
            caller's thread (for scripts and tests).
        train: let `load_model` train a registry model that is not cached yet.
        max_words: longest sentence accepted (default `whatif.MAX_WORDS`, 40).

    Attributes:
        whatif: the `WhatIf` doing the work.
        state: the WhatIfState shown (None before the first result); previous: the state of the
            sentence before the last edit; diffs: [WordDiff] between them; error: the last message.
        text, model_a, model_b, add_model, layers, method, status, progress, figure, difference: the
            widgets. Typing a registry name or a Hugging Face folder into `add_model` and pressing
            Enter loads it, offers it in both dropdowns and explains with it (a message if it cannot).
    """

    def __init__(
        self,
        models: Sequence[str | HookedModel],
        sentence: str = "",
        layers: tuple[int, int] | None = None,
        methods: Sequence[str] | None = None,
        settings: Settings | Mapping | None = None,
        corpus: Sequence[str] | None = None,
        compare: bool = False,
        background: bool = True,
        train: bool = False,
        max_words: int | None = None,
    ):
        w = require("ipywidgets", "the probe widget")  # optional: the [notebooks] extra

        kwargs = {} if max_words is None else {"max_words": max_words}
        self.whatif = WhatIf(models, settings=settings, corpus=corpus, train=train, **kwargs)
        self.background = background
        self.state: WhatIfState | None = None
        self.previous: WhatIfState | None = None
        self.diffs = []
        self.error: str | None = None
        self.generation = 0
        self.cancelled = 0  # computations superseded before they finished
        self._lock = threading.Lock()
        self._compute_lock = threading.Lock()
        # One long-lived worker thread serves every edit: torch sets up its intra-op thread pool once per
        # calling thread, and a new thread per edit cost 70 ms of an edit's 0.27 s (bert-sst2, 2 threads).
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._finished = threading.Condition()
        self._done = 0  # the latest generation the worker has finished (or that needed no computation)
        # The maps are HTML tables (`viz.html`: a millisecond to build, where a PNG takes 0.1-0.2 s);
        # `figure_now()` and `difference_figure()` draw the same maps as matplotlib figures for export.
        self.draw_seconds = 0.0  # time the last result took to draw (both maps' HTML)

        names = self.whatif.names
        self._adjusting = False  # True while the slider's end follows the models: no recomputation
        self.text = w.Text(
            value=sentence,
            placeholder="type a sentence and press Enter",
            description="Sentence",
            continuous_update=False,
            layout=w.Layout(width="70%"),
        )
        self.add_model = w.Text(
            value="",
            placeholder="a model name or a Hugging Face folder, then Enter",
            description="Add model",
            continuous_update=False,
            layout=w.Layout(width="50%"),
        )
        self.model_a = w.Dropdown(options=names, value=names[0], description="Model")
        self.model_b = w.Dropdown(
            options=[NONE, *names], value=names[1] if compare and len(names) > 1 else NONE, description="beside it"
        )
        depth = self.whatif.depth(self.selected_models())
        lo, hi = layers if layers is not None else (min(1, depth), depth)
        self.layers = w.IntRangeSlider(
            value=(lo, hi), min=0, max=depth, step=1, description="Layers", continuous_update=False
        )
        methods = list_methods() if methods is None else [get_method(m).name for m in methods]  # unknown: fail now
        self.method = w.Dropdown(options=methods, value=methods[0], description="Method")
        self.status = w.HTML(value="")
        self.progress = w.IntProgress(
            value=0, min=0, max=1, bar_style="info", layout=w.Layout(width="30%", visibility="hidden")
        )
        self.prediction = w.HTML(value="")
        self.figure = w.Output()
        self.difference = w.Output()
        for control in (self.text, self.model_a, self.model_b, self.layers, self.method):
            control.observe(self._on_change, names="value")
        self.add_model.observe(self._on_add, names="value")
        self.widget = w.VBox(
            [
                self.text,
                w.HBox([self.model_a, self.model_b, self.method]),
                self.add_model,
                self.layers,
                w.HBox([self.progress, self.status]),
                self.prediction,
                self.figure,
                w.HTML("<b>Change after the last edit</b> (blue: the layer keeps more of the word, red: forgets more)"),
                self.difference,
            ]
        )
        if sentence.strip():
            self.update()

    @property
    def prober(self) -> WhatIf:
        """The old name of `whatif`; warns."""
        warnings.warn(
            f"WhatIfWidget.prober was renamed whatif; the old name goes in infolib {REMOVED_IN}.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.whatif

    # -- notebook display ---------------------------------------------------------------------
    def _ipython_display_(self):
        from IPython.display import display  # lazy: optional dependency (IPython)

        display(self.widget)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- requests -----------------------------------------------------------------------------
    def selected_models(self) -> list[str]:
        chosen = [self.model_a.value]
        if self.model_b.value not in (NONE, self.model_a.value):
            chosen.append(self.model_b.value)
        return chosen

    def _on_change(self, change) -> None:
        if self._adjusting:
            return
        if change["owner"] in (self.model_a, self.model_b):
            self._follow_depth()
        self.update()

    def _on_add(self, change) -> None:
        """Load the model typed into `add_model`, offer it in both dropdowns and explain with it."""
        typed = change["new"].strip()
        if not typed:
            return
        self.status.value = f"loading {escape(typed)} …"
        try:
            name = self.whatif.add(typed)
        except Exception as error:  # shown in the widget, never as a traceback
            self._show_error(_message(error), self.generation)
            return
        names = self.whatif.names
        a, b = self.model_a.value, self.model_b.value
        self._adjusting = True
        try:
            self.model_a.options = names
            self.model_b.options = [NONE, *names]
            self.model_a.value, self.model_b.value = a, b
        finally:
            self._adjusting = False
        self.add_model.value = ""
        if self.model_a.value == name:
            self.update()
        else:
            self.model_a.value = name  # follows the depth and explains

    def _follow_depth(self) -> None:
        """Let the layer slider end at the deepest selected model's last layer (a range end at the
        old end moves with it)."""
        depth = self.whatif.depth(self.selected_models())
        if depth == 0 or depth == self.layers.max:
            return
        lo, hi = self.layers.value
        hi = depth if hi == self.layers.max else min(hi, depth)
        self._adjusting = True
        try:  # widen before moving the range out, narrow after moving it in: the value always fits
            if depth > self.layers.max:
                self.layers.max = depth
            self.layers.value = (min(lo, hi), hi)
            self.layers.max = depth
        finally:
            self._adjusting = False

    def update(self) -> None:
        """Explain the current sentence with the current choices (supersedes a running computation)."""
        with self._lock:
            self.generation += 1
            generation = self.generation
        request = (self.text.value, self.selected_models(), tuple(self.layers.value), self.method.value)
        if not request[0].strip():
            self._show_error("The sentence is empty: type a few words to explain.", generation)
            self._finish(generation)
            return
        self._set_busy(f"computing {' and '.join(request[1])} …", generation)
        if self.background:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._serve, daemon=True, name="infolib-whatif")
                self._worker.start()
            self._requests.put((generation, request))
        else:
            self._run(generation, request)
            self._finish(generation)

    def wait(self, timeout: float = 120.0) -> None:
        """Block until the latest computation has finished (for scripts and tests)."""
        latest = self.generation
        with self._finished:
            if not self._finished.wait_for(lambda: self._done >= latest, timeout):
                raise TimeoutError(f"the what-if widget did not finish within {timeout} s.")

    def _serve(self) -> None:
        """The worker thread: computes the requests in order; a superseded one gives way at once."""
        while True:
            generation, request = self._requests.get()
            try:
                self._run(generation, request)
            finally:
                self._finish(generation)

    def _finish(self, generation: int) -> None:
        with self._finished:
            self._done = max(self._done, generation)
            self._finished.notify_all()

    def _stale(self, generation: int) -> bool:
        return generation != self.generation

    def _run(self, generation: int, request) -> None:
        sentence, models, layers, method = request

        def check():
            if self._stale(generation):
                raise Cancelled()

        steps = self.whatif.steps(method)

        def on_step(model: str, n: int) -> None:
            if not self._stale(generation):
                self.progress.max = max(steps * len(models), 1)
                self.progress.value = min(models.index(model) * steps + n, self.progress.max)
                self.status.value = f"computing {model}: step {n} of at most {steps} …"

        with self._compute_lock:  # one computation at a time; a stale one gives way at its next step
            if self._stale(generation):
                self._count_cancelled()
                return
            try:
                state = self.whatif.compute(sentence, models, layers, method, check=check, on_step=on_step)
            except Cancelled:
                self._count_cancelled()
                return
            except Exception as error:  # shown in the widget, never as a traceback
                self._show_error(_message(error), generation)
                return
            self._publish(state, generation)

    def _count_cancelled(self) -> None:
        with self._lock:
            self.cancelled += 1

    # -- output -------------------------------------------------------------------------------
    def _set_busy(self, message: str, generation: int) -> None:
        if self._stale(generation):
            return
        self.progress.value = 0
        self.progress.layout.visibility = "visible"
        self.status.value = message

    def _show_error(self, message: str, generation: int) -> None:
        with self._lock:
            if self._stale(generation):
                return
            self.error = message
        self.progress.layout.visibility = "hidden"
        self.status.value = f"<span style='color:#b00020'>⚠ {escape(message)}</span>"

    def _publish(self, state: WhatIfState, generation: int) -> None:
        started = time.perf_counter()
        figure = side_by_side_html([v.result for v in state.views], [_title(v) for v in state.views])
        with self._lock:
            if self._stale(generation):
                self.cancelled += 1
                return
            if self.state is not None and self.state.sentence != state.sentence:
                self.previous = self.state
            self.state, self.error = state, None
            self.diffs = diffs_between(self.previous, state) if self.previous is not None else []
            self.figure.outputs = (_html_output(figure, f"<information map: {state.sentence}>"),)
            if self.diffs:
                self.difference.outputs = (_html_output(diff_html(self.diffs), "<difference map>"),)
            else:
                hint = "Edit the sentence to see which words gained or lost information.\n"
                self.difference.outputs = ({"output_type": "stream", "name": "stdout", "text": hint},)
            self.prediction.value = " · ".join(
                f"<b>{escape(v.model)}</b>: {_prediction_html(v.prediction)}" for v in state.views
            )
            self.progress.layout.visibility = "hidden"
            self.draw_seconds = time.perf_counter() - started
            self.status.value = f"done in {state.seconds + self.draw_seconds:.1f} s"

    # -- static figures -----------------------------------------------------------------------
    def figure_now(self):
        """The current information map as a matplotlib Figure (for export)."""
        if self.state is None:
            raise ValueError("nothing computed yet: type a sentence first.")
        return whatif_figure(self.state)

    def difference_figure(self):
        """The current difference figure (after an edit) as a matplotlib Figure."""
        if not self.diffs:
            raise ValueError("no edit yet: change the sentence to see a difference.")
        return diff_figure(self.diffs)


def _prediction_html(prediction) -> str:
    if prediction is None:
        return "no classifier (no prediction)"
    return f"predicts <b>{escape(prediction.label)}</b> with probability {prediction.probability:.2f}"


def _message(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text if isinstance(error, (ValueError, TypeError)) else f"{type(error).__name__}: {text}"


__getattr__ = renamed(__name__, {"Probe": "WhatIfWidget"}, globals())  # its name before the what-if rename
