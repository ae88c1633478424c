"""The what-if tool: explain one sentence on one or two models, fast enough to follow edits.

The logic behind `infolib.interactive.widgets.WhatIfWidget`, usable (and tested) without a browser:

- `WhatIf` loads models by name, measures σ_S once per model, and explains a sentence on a layer
  range with cheap estimator settings (`WHATIF_SETTINGS`). Results stay in memory
  (`memory.MemoryStore`), so moving the layer slider back or returning to an earlier sentence
  costs nothing.
- After an edit, the information method starts each word the edit left alone at its σ before the
  edit, at the same layer (`warm_start_from`, matched through `align_words`); new words take the default
  start. Warm-started pairs are cached under keys that hold their start (never as cold answers); the
  views already computed are remembered by request, so going back to a sentence costs nothing.
- A computation can be cancelled between two optimisation steps: `WhatIf.compute(..., check=...)`
  hands `check` to the optimiser, which calls it after every step; raising `Cancelled` stops it.
- The change after an edit is `infolib.analysis.edits.information_diff`; the figures are
  `infolib.viz.compare` (`whatif_figure`, `diff_figure`). All are re-exported here.

Reading the numbers: σ is the noise a word tolerates; larger σ = the layer has forgotten more of
the word. The map shows the information kept, −log(σ/scale) in nats per dimension (the result's
`display_matrix`): 0 for a forgotten word, larger for a kept one. A positive difference (new − old)
means the edited sentence's layer keeps *more* of that word.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import torch
from torch import Tensor

from ..analysis.edits import WordDiff, align_words, information_diff, value_matrix
from ..api import load_model
from ..core.deprecation import renamed
from ..core.estimator import Cancelled, Settings
from ..core.hooks import HookedModel
from ..core.inputs import check_sentences, fit_length
from ..core.names import layer_name
from ..core.validation import settings_keywords
from ..methods import DEFAULT_METHOD, get_method
from ..core.sigma_s import sigma_s
from ..training.checkpoint import CacheError
from ..viz.compare import diff_figure, side_by_side
from ..viz.export import to_png
from .memory import MemoryStore
from .prediction import LABELS, Prediction, class_labels, predict

# Cheaper than the estimator's defaults: at most four undamped Newton steps in log σ with 4 noise draws
# each. After an edit the words it left alone start from their σ before it and most pairs stop after
# 2 steps (8 passes, what 5 steps of 2 draws took from the default start), with the objective 0.3 %
# above the defaults' optimum on the median pair instead of 0.8 % (bert-sst2, the 7 edits × 6 layers
# of benchmarks/bench_probe.py, which measures this and the latency of an edit).
WHATIF_SETTINGS: dict = {"samples": 4, "max_steps": 4, "window": 2, "damping": 1.0}
# float32 even where the CPU has bf16 arithmetic: an edit's batches are small (24 rows per step), and bf16
# did not make them faster; spent on two more steps and a window of 3 it gave the median pair +0.02 %
# instead of +0.2 %, at 0.36 s instead of 0.33 s (bench_probe.py --precision bfloat16 --max-steps 6 --window 3).
MAX_WORDS = 40


# -- sentence checks ----------------------------------------------------------------------------


def check_sentence(text, max_words: int = MAX_WORDS) -> str:
    """The sentence as `infolib.core.inputs.check_sentences` cleans it (whitespace normalised, control
    characters removed); a clear error if it is not text, has no word, or has more than `max_words`."""
    if not isinstance(text, str):
        raise TypeError(f"the sentence must be text, got {type(text).__name__}.")
    try:
        (sentence,) = check_sentences(text)
    except ValueError:
        raise ValueError(
            "The sentence is empty (or only spaces and control characters): type a few words to explain."
        ) from None
    words = len(sentence.split())
    if words > max_words:
        raise ValueError(f"The sentence has {words} words; the what-if tool explains at most {max_words}. Shorten it.")
    return sentence


def layer_names(model: HookedModel, layers: tuple[int, int] | str | Sequence) -> list[str]:
    """Hidden-state names of a block range (lo, hi), inclusive, clipped to the model's depth."""
    if isinstance(layers, tuple) and len(layers) == 2 and all(isinstance(v, int) for v in layers):
        lo, hi = layers
        if lo > hi:
            raise ValueError(f"the layer range ({lo}, {hi}) is empty: the first layer must not exceed the last.")
        top = model.num_layers
        if lo > top:
            raise ValueError(f"{model.name} has only {top} layers; the range starts at {lo}.")
        return [layer_name(i) for i in range(max(lo, 0), min(hi, top) + 1)]
    return model.resolve_layers(layers)


def warm_start_from(previous, words: Sequence[str], names: Sequence[str]) -> dict[tuple[int, str], Tensor]:
    """The start of each (0, layer) pair of a sentence with `words` from `previous`, an Explanation of the
    sentence before an edit: the σ of every word the edit left alone (`align_words`) at the same layer,
    NaN for new words (they take the default start). Layers `previous` lacks, or with no word in
    common, are left out (a cold start)."""
    alignment = align_words(previous.words[0], list(words))
    out = {}
    for name in names:
        if name not in previous.layers:
            continue
        before = previous.sigma[(0, name)]
        sigma = torch.full((len(words),), float("nan"), dtype=torch.float64)
        for kind, i, j in alignment:
            if kind == "same":
                sigma[j] = float(before[i])
        if torch.isfinite(sigma).any():
            out[(0, name)] = sigma
    return out


def _from_memory(view: ModelView) -> ModelView:
    """A remembered view whose result's diagnostics say every pair was served from memory (cached)."""
    result = view.result
    diagnostics = getattr(result, "diagnostics", None)
    if isinstance(diagnostics, dict):
        marked = {pair: {**d, "cached": True} if isinstance(d, dict) else d for pair, d in diagnostics.items()}
        result = dataclasses.replace(result, diagnostics=marked)
    return ModelView(view.model, result, view.prediction)


# -- compute ------------------------------------------------------------------------------------


@dataclass
class ModelView:
    """One model's answer for the sentence.

    Attributes:
        model: the model's name.
        result: an `Explanation` (method 'information') or a baseline `Attribution`.
        prediction: the classifier's answer, or None when the model has no classifier.
    """

    model: str
    result: object
    prediction: Prediction | None


@dataclass
class WhatIfState:
    """What the tool shows: one sentence, its layer range and method, one view per model."""

    sentence: str
    layers: tuple[int, int]
    method: str
    views: list[ModelView]
    seconds: float = 0.0


class WhatIf:
    """Models, their σ_S and a memory of results: explains a sentence the way the widget needs.

    Args:
        models: model names (`infolib.load_model`) or HookedModels, offered for explaining.
        settings: estimator settings for the information method (default `WHATIF_SETTINGS`).
        corpus: sentences for σ_S (default: the sentences shipped with infolib; cached on disk).
        train: let `load_model` train a registry model that is not in the cache yet.
        max_words: longest sentence accepted.
        warm: after an edit, start the unchanged words from their σ before it (`warm_start_from`);
            False explains every sentence from the default start.
    """

    def __init__(
        self,
        models: Sequence[str | HookedModel],
        settings: Settings | Mapping | None = None,
        corpus: Sequence[str] | None = None,
        train: bool = False,
        max_words: int = MAX_WORDS,
        warm: bool = True,
    ):
        if isinstance(models, (str, HookedModel)):
            models = [models]
        if not models:
            raise ValueError("give at least one model to explain, e.g. WhatIf(models=['bert-sst2']).")
        self.loaded: dict[str, HookedModel] = {}
        self.names: list[str] = []
        for m in models:
            name = m.name if isinstance(m, HookedModel) else str(m)
            if isinstance(m, HookedModel):
                self.loaded[name] = m
            self.names.append(name)
        self.settings = dict(WHATIF_SETTINGS) if settings is None else settings_keywords(settings)
        Settings(**self.settings).check()
        self.corpus, self.train, self.max_words = corpus, train, max_words
        self.spreads: dict[str, dict[str, Tensor]] = {}
        self.cache = MemoryStore()
        self.warm = warm
        self.views: dict[tuple, ModelView] = {}  # request (model, sentence, layers, method) -> its view
        self.last: dict[tuple[str, str], ModelView] = {}  # (model, method) -> the view computed last
        self.max_views = 256
        self._lock = threading.RLock()

    def add(self, model: str | HookedModel) -> str:
        """Offer one more model (a registry name, a Hugging Face folder or a HookedModel), loading it now.

        Returns its name (an already offered name is returned as it is). Raises a ValueError that says
        why when it cannot be loaded, and then offers nothing new.
        """
        name = model.name if isinstance(model, HookedModel) else str(model).strip()
        if not name:
            raise ValueError("type a model name (e.g. 'bert-sst2') or a folder holding a Hugging Face model.")
        with self._lock:
            if name in self.names:
                return name
            if isinstance(model, HookedModel):
                self.loaded[name] = model
            self.names.append(name)
            try:
                self.model(name)
            except Exception as error:
                self.names.remove(name)
                self.loaded.pop(name, None)
                reason = str(error).strip() or type(error).__name__
                raise ValueError(f"cannot add model '{name}': {reason}") from error
            return name

    @property
    def max_steps(self) -> int:
        """The most optimisation steps one explanation takes (for progress displays)."""
        return Settings(**self.settings).max_steps

    def model(self, name: str) -> HookedModel:
        """The model called `name`, loaded on first use; a clear ValueError if it cannot be."""
        with self._lock:
            if name not in self.loaded:
                if name not in self.names:
                    raise ValueError(f"unknown model '{name}': this tool offers {', '.join(self.names)}.")

                try:
                    self.loaded[name] = load_model(name, train=self.train, progress=False)
                except CacheError as error:
                    raise ValueError(f"model '{name}' is not trained yet ({error}).") from error
            return self.loaded[name]

    def spread(self, name: str) -> dict[str, Tensor]:
        """σ_S of every hidden state of model `name` (measured once, then from memory/disk)."""
        with self._lock:
            if name not in self.spreads:
                model = self.model(name)
                self.spreads[name] = sigma_s(model, list(model.hidden_states), self.corpus)
            return self.spreads[name]

    def depth(self, names: Sequence[str] | None = None) -> int:
        """The deepest block index over the models `names` (default: all offered) that load; 0 if none does."""
        depths = []
        for name in names if names is not None else self.names:
            try:
                depths.append(self.model(name).num_layers)
            except Exception:  # any failure is reported as a message when the model is used
                continue
        return max(depths, default=0)

    def explain_one(
        self,
        name: str,
        sentence: str,
        layers: tuple[int, int] | str,
        method: str = DEFAULT_METHOD,
        check: Callable[[], None] | None = None,
        on_step: Callable[[int], None] | None = None,
    ) -> ModelView:
        """One model's view of `sentence` on `layers` by `method` (a name of `infolib.list_methods()`).

        `check()` runs before the work and after every step (it may raise `Cancelled`); `on_step(n)`
        reports step n. A one-pass method (a baseline) is checked before and after.
        """
        chosen = get_method(method)
        model = self.model(name)
        sentence = check_sentence(sentence, self.max_words)
        fit_length(model, [sentence], truncate=False)
        names = layer_names(model, layers)
        request = (name, sentence, tuple(names), chosen.name)
        remembered = self.views.get(request)
        if remembered is not None:  # answered from memory, marked as such
            self.last[(name, chosen.name)] = remembered
            return _from_memory(remembered)
        spread = self.spread(name)
        if check is not None:
            check()
        options = {}
        previous = self.last.get((name, chosen.name))
        if self.warm and chosen.name == DEFAULT_METHOD and previous is not None:
            start = warm_start_from(previous.result, model.encode([sentence]).words[0], names)
            if start:
                options["warm_start"] = start

        def step(n: int) -> None:
            if check is not None:
                check()
            if on_step is not None:
                on_step(n)

        result = chosen.explain(
            model,
            sentence,
            names,
            sigma_s=spread,
            progress=False,
            cache=self.cache,
            callback=step,
            settings=self.settings_for(chosen),
            **options,
        )
        view = ModelView(name, result, predict(model, sentence))
        with self._lock:
            if len(self.views) >= self.max_views:
                self.views.pop(next(iter(self.views)))
            self.views[request] = view
            self.last[(name, chosen.name)] = view
        return view

    def settings_for(self, method) -> Settings | None:
        """The tool's estimator settings for a method that takes them (`Method.takes_estimator_settings`)."""
        return Settings(**self.settings) if get_method(method).takes_estimator_settings else None

    def steps(self, method: str) -> int:
        """At most how many steps one explanation by `method` takes (for progress displays)."""
        chosen = get_method(method)
        return chosen.max_steps(self.settings_for(chosen))

    def compute(
        self,
        sentence: str,
        models: Sequence[str],
        layers: tuple[int, int] | str = "all",
        method: str = DEFAULT_METHOD,
        check: Callable[[], None] | None = None,
        on_step: Callable[[str, int], None] | None = None,
    ) -> WhatIfState:
        """Every model's view of `sentence` (one or two models); `check()` may raise `Cancelled`.

        `on_step(model, n)` reports step n of `model`.
        """
        if isinstance(models, str) or not isinstance(models, Sequence):
            raise TypeError(f"models must be a list of model names, got {type(models).__name__}.")
        if not models:
            raise ValueError("choose at least one model.")
        sentence = check_sentence(sentence, self.max_words)
        start = time.perf_counter()
        views = []
        for name in models:
            report = (lambda n, name=name: on_step(name, n)) if on_step else None
            views.append(self.explain_one(name, sentence, layers, method, check, report))
        return WhatIfState(
            sentence, layers if isinstance(layers, tuple) else (0, 0), method, views, time.perf_counter() - start
        )


# -- differences and figures --------------------------------------------------------------------


def diffs_between(old: WhatIfState, new: WhatIfState) -> list[WordDiff]:
    """One WordDiff per model shown in both states (same method); [] if none can be compared."""
    out = []
    previous = {v.model: v for v in old.views}
    for view in new.views:
        before = previous.get(view.model)
        if before is None or getattr(before.result, "method", None) != getattr(view.result, "method", None):
            continue
        try:
            out.append(information_diff(before.result, view.result))
        except ValueError:  # no shared hidden state: nothing to compare
            continue
    return out


def _title(view: ModelView) -> str:
    if view.prediction is None:
        return f"{view.model}: no classifier (no prediction)"
    return f"{view.model}: predicts {view.prediction}"


def whatif_figure(state: WhatIfState | ModelView | Sequence[ModelView], fig=None):
    """Layers × words map for each model side by side, with the prediction in each title.

    Args:
        state: a WhatIfState (one or two models), a ModelView, or a list of views.
    Returns:
        the matplotlib Figure (1 × n_models panels), drawn by `viz.compare.side_by_side`.
    """
    views = state.views if isinstance(state, WhatIfState) else [state] if isinstance(state, ModelView) else list(state)
    if not views:
        raise ValueError("nothing to draw: the state has no model views.")
    return side_by_side([v.result for v in views], [_title(v) for v in views], fig)


figure_png = to_png  # the figure as PNG bytes

# Names before the what-if tool was renamed ("probe" means a classifier on hidden states): they warn.
__getattr__ = renamed(
    __name__,
    {
        "PROBE_SETTINGS": "WHATIF_SETTINGS",
        "ProbeState": "WhatIfState",
        "Prober": "WhatIf",
        "probe_figure": "whatif_figure",
        "MemoryCache": "MemoryStore",
    },
    globals(),
)


__all__ = [
    "LABELS",
    "MAX_WORDS",
    "WHATIF_SETTINGS",
    "Cancelled",
    "MemoryStore",
    "ModelView",
    "Prediction",
    "WhatIf",
    "WhatIfState",
    "WordDiff",
    "align_words",
    "check_sentence",
    "class_labels",
    "diff_figure",
    "diffs_between",
    "figure_png",
    "information_diff",
    "layer_names",
    "predict",
    "value_matrix",
    "warm_start_from",
    "whatif_figure",
]
