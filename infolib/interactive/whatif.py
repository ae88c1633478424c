"""What-if probing: explain one sentence on one or two models, fast enough to follow edits.

The logic behind `infolib.interactive.widgets.Probe`, usable (and tested) without a browser:

- `Prober` loads models by name, measures σ_S once per model, and explains a sentence on a
  layer range with cheap estimator settings (`PROBE_SETTINGS`); results are kept in memory, so
  moving the layer slider back and forth or returning to an earlier sentence costs nothing.
- A computation can be cancelled between two optimisation steps: `Prober.compute(..., check=...)`
  calls `check()` before every forward pass of the model and stops when it raises `Cancelled`.
- `information_diff` aligns the words of two sentences (difflib) and gives, for the words present in
  both, the change of log(σ/scale) per layer; added and removed words are marked.
- Every view is a function returning a matplotlib Figure: `probe_figure`, `diff_figure`.

Reading the numbers: σ is the noise a word tolerates; larger σ = the layer has forgotten more of
the word. log(σ/scale) is 0 for a forgotten word and more negative for a kept one. A negative
difference (new − old) means the edited sentence's layer keeps *more* of that word.
"""
from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from ..core.store import ResultCache
from ..core.hooks import HookedModel

# Cheaper than the estimator's defaults (8-64 samples, window 5, up to 200 steps, damped steps):
# five undamped Newton steps in log σ with 2 noise draws each land close to the optimum. Measured on
# MiniLM, 2 × 15-word sentences × 6 layers: L(σ) +0.4 % (median pair) above the defaults' optimum,
# Spearman 0.95 with the defaults' σ; 6 damped steps gave +0.5 % and 0.89 (benchmarks/bench_probe.py).
PROBE_SETTINGS: dict = {"samples": 2, "max_steps": 5, "window": 2, "damping": 1.0}
MAX_WORDS = 40
INFORMATION = "information"
LABELS = {"sst2": ("negative", "positive"), "cola": ("unacceptable", "acceptable")}


class Cancelled(Exception):
    """A newer request superseded this computation."""


# -- sentence checks ----------------------------------------------------------------------------


def check_sentence(text, max_words: int = MAX_WORDS) -> str:
    """The sentence with whitespace normalised; a clear ValueError if it cannot be probed."""
    if not isinstance(text, str):
        raise TypeError(f"the sentence must be text, got {type(text).__name__}.")
    words = text.split()
    if not words:
        raise ValueError("The sentence is empty: type a few words to explain.")
    if len(words) > max_words:
        raise ValueError(f"The sentence has {len(words)} words; the probe explains at most {max_words}. Shorten it.")
    return " ".join(words)


def layer_names(model: HookedModel, layers: tuple[int, int] | str | Sequence) -> list[str]:
    """Hidden-state names of a block range (lo, hi), inclusive, clipped to the model's depth."""
    if isinstance(layers, tuple) and len(layers) == 2 and all(isinstance(v, int) for v in layers):
        lo, hi = layers
        if lo > hi:
            raise ValueError(f"the layer range ({lo}, {hi}) is empty: the first layer must not exceed the last.")
        top = model.num_layers
        if lo > top:
            raise ValueError(f"{model.name} has only {top} layers; the range starts at {lo}.")
        return [f"layer.{i}" for i in range(max(lo, 0), min(hi, top) + 1)]
    return model.resolve_layers(layers)


# -- prediction ---------------------------------------------------------------------------------


@dataclass
class Prediction:
    """The classifier's answer for a sentence.

    Attributes:
        label: the predicted class name; probability: its softmax probability.
        probabilities: [C] all classes' probabilities; labels: [C] class names.
    """

    label: str
    probability: float
    probabilities: list[float]
    labels: list[str]

    def __str__(self) -> str:
        return f"{self.label} (p = {self.probability:.2f})"


def class_labels(model: HookedModel, n: int) -> list[str]:
    """Class names from the model's task (SST-2, CoLA), else 'class 0' … 'class n-1'."""
    for task, names in LABELS.items():
        if task in model.name and len(names) == n:
            return list(names)
    return [f"class {c}" for c in range(n)]


def predict(model: HookedModel, sentence: str) -> Prediction | None:
    """The model's prediction and its probability; None if the model has no `logits` (no classifier)."""
    if "logits" not in model.hidden_states:
        return None
    from ..core.hooks import frozen

    with frozen(model.module), torch.no_grad():
        encoding = model.encode([sentence])
        embed = model.embed(encoding)
        logits = model.states(embed, encoding.attention_mask.to(embed.device), ["logits"])["logits"][0]
    probabilities = torch.softmax(logits.float(), -1).cpu()
    c = int(probabilities.argmax())
    labels = class_labels(model, len(probabilities))
    return Prediction(labels[c], float(probabilities[c]), probabilities.tolist(), labels)


# -- cancellation -------------------------------------------------------------------------------


class Watched(HookedModel):
    """`model` with a check before every forward pass, so a running optimisation can be stopped.

    `check()` is called before each `run`/`states`; it raises `Cancelled` to stop. `passes` counts
    the forward passes (one per optimisation step for a sentence), for progress displays.
    """

    def __init__(self, model: HookedModel, check: Callable[[], None] | None = None, on_pass: Callable[[int], None] | None = None):
        self.inner, self.check, self.on_pass, self.passes = model, check, on_pass, 0
        self.module, self.hidden_states, self.name, self.max_tokens = model.module, model.hidden_states, model.name, model.max_tokens

    def __getattr__(self, name):  # anything else a model offers (tokenizer, blocks, ...)
        return getattr(self.__dict__["inner"], name)

    def _tick(self) -> None:
        if self.check is not None:
            self.check()
        self.passes += 1
        if self.on_pass is not None:
            self.on_pass(self.passes)

    def encode(self, sentences):
        return self.inner.encode(sentences)

    def embed(self, encoding):
        return self.inner.embed(encoding)

    def _forward(self, embed, attention_mask, want):
        self._tick()
        return self.inner._forward(embed, attention_mask, want)

    def default_scale(self) -> float:
        return self.inner.default_scale()

    def is_token_level(self, name: str) -> bool:
        return self.inner.is_token_level(name)

    def depth(self, name: str) -> int:
        return self.inner.depth(name)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


class MemoryCache(ResultCache):
    """Explained (sentence, hidden state) pairs kept in memory (not on disk), with `ResultCache`'s keys."""

    def __init__(self, max_entries: int = 4096):  # no folder: nothing is written
        self.folder, self.corrupted = None, 0
        self.entries: dict[str, dict] = {}
        self.max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            return self.entries.get(key)

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            if len(self.entries) >= self.max_entries:
                self.entries.pop(next(iter(self.entries)))
            self.entries[key] = value

    def __len__(self) -> int:
        return len(self.entries)


# -- compute ------------------------------------------------------------------------------------


@dataclass
class ModelView:
    """One model's answer for the probed sentence.

    Attributes:
        model: the model's name.
        result: an `Explanation` (method 'information') or a baseline `Attribution`.
        prediction: the classifier's answer, or None when the model has no classifier.
    """

    model: str
    result: object
    prediction: Prediction | None


@dataclass
class ProbeState:
    """What the probe shows: one sentence, its layer range and method, one view per model."""

    sentence: str
    layers: tuple[int, int]
    method: str
    views: list[ModelView]
    seconds: float = 0.0


class Prober:
    """Models, their σ_S and a memory of results: explains a sentence the way the widget needs.

    Args:
        models: model names (`infolib.load_model`) or HookedModels, offered for probing.
        settings: estimator settings for the information method (default `PROBE_SETTINGS`).
        corpus: sentences for σ_S (default: 512 SST-2 train sentences, cached on disk).
        train: let `load_model` train a registry model that is not in the cache yet.
        max_words: longest sentence accepted.
    """

    def __init__(self, models: Sequence[str | HookedModel], settings: Mapping | None = None, corpus: Sequence[str] | None = None,
                 train: bool = False, max_words: int = MAX_WORDS):
        if isinstance(models, (str, HookedModel)):
            models = [models]
        if not models:
            raise ValueError("give at least one model to probe, e.g. Probe(models=['bert-sst2']).")
        self.loaded: dict[str, HookedModel] = {}
        self.names: list[str] = []
        for m in models:
            name = m.name if isinstance(m, HookedModel) else str(m)
            if isinstance(m, HookedModel):
                self.loaded[name] = m
            self.names.append(name)
        self.settings = dict(PROBE_SETTINGS if settings is None else settings)
        from ..core.estimator import Settings

        Settings(**self.settings).check()
        self.corpus, self.train, self.max_words = corpus, train, max_words
        self.spreads: dict[str, dict[str, Tensor]] = {}
        self.cache = MemoryCache()
        self._lock = threading.RLock()

    def model(self, name: str) -> HookedModel:
        """The model called `name`, loaded on first use; a clear ValueError if it cannot be."""
        with self._lock:
            if name not in self.loaded:
                if name not in self.names:
                    raise ValueError(f"unknown model '{name}': this probe offers {', '.join(self.names)}.")
                from ..training.checkpoint import CacheError
                from ..api import load_model

                try:
                    self.loaded[name] = load_model(name, train=self.train, progress=False)
                except CacheError as error:
                    raise ValueError(f"model '{name}' is not trained yet ({error}).") from error
            return self.loaded[name]

    def spread(self, name: str) -> dict[str, Tensor]:
        """σ_S of every hidden state of model `name` (measured once, then from memory/disk)."""
        with self._lock:
            if name not in self.spreads:
                from ..core.sigma_s import sigma_s

                model = self.model(name)
                self.spreads[name] = sigma_s(model, list(model.hidden_states), self.corpus)
            return self.spreads[name]

    def depth(self) -> int:
        """The deepest block index over the loaded models (for the layer slider)."""
        return max((m.num_layers for m in self.loaded.values()), default=6)

    def explain_one(self, name: str, sentence: str, layers: tuple[int, int] | str, method: str = INFORMATION,
                    check: Callable[[], None] | None = None, on_pass: Callable[[int], None] | None = None) -> ModelView:
        """One model's view of `sentence` on `layers` by `method` ('information' or a baseline name)."""
        from ..baselines import METHODS
        from ..core.explain import explain
        from ..core.inputs import fit_length

        model = self.model(name)
        sentence = check_sentence(sentence, self.max_words)
        fit_length(model, [sentence], truncate=False)
        names = layer_names(model, layers)
        spread = self.spread(name)
        watched = Watched(model, check, on_pass)
        if method == INFORMATION:
            result = explain(watched, sentence, names, sigma_s=spread, progress=False, cache=self.cache, **self.settings)
        elif method in METHODS:
            result = METHODS[method](watched, sentence, names, sigma_s=spread)
        else:
            raise ValueError(f"unknown method '{method}': choose '{INFORMATION}' or one of {', '.join(METHODS)}.")
        if check is not None:
            check()
        return ModelView(name, result, predict(model, sentence))

    def compute(self, sentence: str, models: Sequence[str], layers: tuple[int, int] | str = "all", method: str = INFORMATION,
                check: Callable[[], None] | None = None, on_pass: Callable[[str, int], None] | None = None) -> ProbeState:
        """Every model's view of `sentence` (one or two models); `check()` may raise `Cancelled`."""
        import time

        if not models:
            raise ValueError("choose at least one model.")
        sentence = check_sentence(sentence, self.max_words)
        start = time.perf_counter()
        views = []
        for name in models:
            report = (lambda n, name=name: on_pass(name, n)) if on_pass else None
            views.append(self.explain_one(name, sentence, layers, method, check, report))
        return ProbeState(sentence, layers if isinstance(layers, tuple) else (0, 0), method, views, time.perf_counter() - start)


# -- values and differences ---------------------------------------------------------------------


def value_matrix(result) -> tuple[np.ndarray, str, str]:
    """[layers, words] values to plot, their label and what they mean.

    For σ: log(σ/scale) (0 = forgotten, lower = kept). For a baseline: its score (larger |score| =
    more important).
    """
    if hasattr(result, "log_sigma_ratio"):
        return result.log_sigma_ratio(0), "log(σ / scale)", "0 = forgotten, lower = kept"
    return result.score_matrix(0), f"{result.method} score", "larger |score| = more important"


@dataclass
class WordDiff:
    """How an edit changed each word's information, per layer.

    Attributes:
        layers: [L] hidden states present in both results.
        columns: [C] words of the aligned sentences in reading order (removed words included).
        kinds: [C] 'same', 'added' (only in the new sentence) or 'removed' (only in the old one).
        change: [L, C] new − old value for 'same' words, NaN for added and removed words.
        label: what `change` is the difference of; old_sentence, new_sentence: the two sentences.
    """

    layers: list[str]
    columns: list[str]
    kinds: list[str]
    change: np.ndarray
    label: str
    old_sentence: str
    new_sentence: str
    model: str = ""

    @property
    def added(self) -> list[str]:
        return [w for w, k in zip(self.columns, self.kinds) if k == "added"]

    @property
    def removed(self) -> list[str]:
        return [w for w, k in zip(self.columns, self.kinds) if k == "removed"]

    def gained(self, threshold: float = 0.0) -> list[tuple[str, str, float]]:
        """(layer, word, change) where the word is kept more after the edit (change < −threshold)."""
        return [(self.layers[l], self.columns[c], float(self.change[l, c]))
                for l, c in zip(*np.nonzero(self.change < -threshold))]

    def lost(self, threshold: float = 0.0) -> list[tuple[str, str, float]]:
        """(layer, word, change) where the word is forgotten more after the edit (change > threshold)."""
        return [(self.layers[l], self.columns[c], float(self.change[l, c]))
                for l, c in zip(*np.nonzero(self.change > threshold))]


def align_words(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int | None, int | None]]:
    """Align two word lists: ('same', i_old, i_new), ('added', None, i_new), ('removed', i_old, None).

    Words are compared case-insensitively; replaced words count as removed + added.
    """
    matcher = difflib.SequenceMatcher(a=[w.lower() for w in old], b=[w.lower() for w in new], autojunk=False)
    out: list[tuple[str, int | None, int | None]] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out += [("same", a0 + k, b0 + k) for k in range(a1 - a0)]
            continue
        out += [("removed", i, None) for i in range(a0, a1)]
        out += [("added", None, j) for j in range(b0, b1)]
    return out


def information_diff(old, new) -> WordDiff:
    """Change of each word's value per layer from `old` to `new` (Explanations or Attributions).

    Args:
        old, new: results of the same method on one sentence each (sentence 0 is used).
    Returns:
        WordDiff with change [layers in both, aligned words]; for σ the change of log(σ/scale):
        negative = the layer keeps more of the word after the edit.
    """
    if getattr(old, "method", None) != getattr(new, "method", None):
        raise ValueError(f"cannot compare a {old.method} result with a {new.method} result.")
    old_values, label, _ = value_matrix(old)
    new_values, _, _ = value_matrix(new)
    layers = [l for l in new.layers if l in old.layers]
    if not layers:
        raise ValueError("the two results share no hidden state: choose overlapping layer ranges.")
    old_rows = [old.layers.index(l) for l in layers]
    new_rows = [new.layers.index(l) for l in layers]
    old_words, new_words = old.words[0], new.words[0]
    alignment = align_words(old_words, new_words)
    change = np.full((len(layers), len(alignment)), np.nan)
    columns, kinds = [], []
    for c, (kind, i, j) in enumerate(alignment):
        kinds.append(kind)
        columns.append(new_words[j] if j is not None else old_words[i])
        if kind == "same":
            change[:, c] = new_values[new_rows, j] - old_values[old_rows, i]
    return WordDiff(layers, columns, kinds, change, label, old.sentences[0], new.sentences[0], getattr(new, "model", ""))


# -- figures ------------------------------------------------------------------------------------


def _title(view: ModelView) -> str:
    if view.prediction is None:
        return f"{view.model}: no classifier (no prediction)"
    return f"{view.model}: predicts {view.prediction}"


def probe_figure(state: ProbeState | ModelView | Sequence[ModelView], fig=None):
    """Layers × words map for each model side by side, with the prediction in each title.

    Args:
        state: a ProbeState (one or two models), a ModelView, or a list of views.
    Returns:
        the matplotlib Figure (1 × n_models panels).
    """
    from matplotlib.figure import Figure

    views = state.views if isinstance(state, ProbeState) else [state] if isinstance(state, ModelView) else list(state)
    if not views:
        raise ValueError("nothing to draw: the probe state has no model views.")
    widths = [max(4.0, 0.5 * len(v.result.words[0]) + 2.2) for v in views]
    height = max(0.4 * max(len(v.result.layers) for v in views) + 2.0, 2.8)
    fig = fig or Figure(figsize=(sum(widths), height))
    axes = fig.subplots(1, len(views), gridspec_kw={"width_ratios": widths}, squeeze=False)[0]
    for ax, view in zip(axes, views):
        matrix, label, meaning = value_matrix(view.result)
        words = view.result.words[0]
        information = hasattr(view.result, "log_sigma_ratio")
        if information:
            image = ax.imshow(matrix, aspect="auto", cmap="viridis", vmax=0.0)
        else:
            image = ax.imshow(np.abs(matrix), aspect="auto", cmap="magma_r", vmin=0.0)
        ax.set_xticks(range(len(words)), words, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(view.result.layers)), view.result.layers, fontsize=8)
        ax.set_title(_title(view), fontsize=9)
        bar_label = f"{label}\n{meaning}" if information else f"|{label}|\n{meaning}"
        fig.colorbar(image, ax=ax, label=bar_label, fraction=0.05)
    fig.tight_layout()
    return fig


def diff_figure(diffs: WordDiff | Sequence[WordDiff], fig=None):
    """Change of each word's information per layer after an edit; added/removed words marked.

    Blue (negative) = the layer keeps more of the word after the edit; red = forgets more. Added
    words ('+word', green) and removed words ('−word', grey, struck through) have no difference.
    Returns:
        the matplotlib Figure (one panel per model).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    diffs = [diffs] if isinstance(diffs, WordDiff) else list(diffs)
    if not diffs:
        raise ValueError("nothing to draw: no differences given.")
    widths = [max(4.0, 0.5 * len(d.columns) + 2.2) for d in diffs]
    fig = fig or Figure(figsize=(sum(widths), max(0.4 * max(len(d.layers) for d in diffs) + 2.4, 3.0)))
    axes = fig.subplots(1, len(diffs), gridspec_kw={"width_ratios": widths}, squeeze=False)[0]
    for ax, d in zip(axes, diffs):
        finite = d.change[np.isfinite(d.change)]
        limit = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        image = ax.imshow(np.ma.masked_invalid(d.change), aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
        labels = [{"same": w, "added": f"+{w}", "removed": f"−{w}"}[k] for w, k in zip(d.columns, d.kinds)]
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        for tick, kind in zip(ax.get_xticklabels(), d.kinds):
            if kind == "added":
                tick.set_color("tab:green")
            elif kind == "removed":
                tick.set_color("grey")
        for c, kind in enumerate(d.kinds):
            if kind != "same":
                ax.add_patch(Rectangle((c - 0.5, -0.5), 1, len(d.layers), fill=False, hatch="//" if kind == "added" else "xx",
                                       edgecolor="tab:green" if kind == "added" else "grey", linewidth=0))
        ax.set_yticks(range(len(d.layers)), d.layers, fontsize=8)
        ax.set_title(f"{d.model}: change after the edit (+ added, − removed)", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.05, label=f"Δ {d.label} (new − old)\n< 0: kept more, > 0: forgot more")
    fig.tight_layout()
    return fig


def figure_png(fig) -> bytes:
    """The figure as PNG bytes (for the widget's output and for tests)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def diffs_between(old: ProbeState, new: ProbeState) -> list[WordDiff]:
    """One WordDiff per model shown in both states (same method); [] if none can be compared."""
    out = []
    previous = {v.model: v for v in old.views}
    for view in new.views:
        before = previous.get(view.model)
        if before is None or getattr(before.result, "method", None) != getattr(view.result, "method", None):
            continue
        try:
            out.append(information_diff(before.result, view.result))
        except ValueError:
            continue
    return out


__all__ = [
    "PROBE_SETTINGS", "Cancelled", "Prober", "ProbeState", "ModelView", "Prediction", "WordDiff", "Watched", "MemoryCache",
    "check_sentence", "layer_names", "predict", "value_matrix", "align_words", "information_diff", "diffs_between",
    "probe_figure", "diff_figure", "figure_png",
]
