"""Every way infolib scores words, by name: the paper's "information" and the baselines (after inseq's
`FeatureAttribution.load` / `list_feature_attribution_methods` and `inseq/utils/registry.py`).

A `Method` states what it computes, which way its value points (`sign`), what goes into its cache
key (`key_settings`) and how it runs on one batch (`run`); the data-set runner (`methods.runner`),
`infolib.explain`, the analysis tables and the widgets only ever call these. Register your own:

    @infolib.register_method("embedding-norm", computes="‖x_i‖ of each word's embedding")
    def embedding_norm(batch, *, power: float = 2.0) -> Scores:   # a body as in `baselines._method`
        ...

It then shows in `list_methods()`, in the widgets' method menu and runs through `explain_corpus`.
"""

from __future__ import annotations

import inspect
import json
from typing import Callable, Mapping, Sequence

import torch

from ..baselines._method import SHARED, Scores, attribution_method
from ..core import runlog
from ..core.hooks import HookedModel
from ..core.inputs import check_model, check_sentences, fit_length
from ..core.results import Attribution, WordScores
from ..core.store import ResultCache, Store, tensor_digest
from ..core.validation import check_cache
from ..core.version import __version__

OPTIONS = ("level", "sigma_s", "truncate")  # what every method takes besides its own options


class Method:
    """One word-importance method, as every caller sees it.

    Attributes:
        name: its registry name; label: how figures title it.
        computes: one line saying what the value is.
        sign: which way the value points; for every method, larger `result.display_matrix` = more important
            (information: more of the word kept).
        result_type: the `WordScores` subclass `run` returns (`Explanation` or `Attribution`).
        baseline: True for a method the paper compares its own with.
        takes_estimator_settings: its settings are the estimator's `Settings` (rate, samples, max_steps, ...),
            so a tool holding estimator settings (the what-if tool, `analysis.explain_methods`) gives them to it.
    """

    name: str = ""
    label: str = ""
    computes: str = ""
    sign: str = "larger = more important"
    result_type: type[WordScores] = WordScores
    baseline: bool = True
    takes_estimator_settings: bool = False

    # -- what a subclass states ---------------------------------------------------------------
    def options(self, settings, options: dict) -> dict:
        """The method's options from `settings` and keywords, checked before any work (unknown ones fail)."""
        raise NotImplementedError

    def prepare(self, model: HookedModel, names: list[str], options: dict) -> dict:
        """Options completed once per run on the driver (e.g. σ_S estimated), before any batch."""
        return options

    def key_settings(self, model: HookedModel, options: dict) -> dict:
        """Everything besides model, sentence, state, level, σ_S and version that changes a pair's answer."""
        raise NotImplementedError

    def run(
        self,
        model: HookedModel,
        sentences: Sequence[str],
        names: list[str],
        *,
        store: Store | None = None,
        progress: bool = False,
        callback: Callable[[int], None] | None = None,
        **options,
    ) -> WordScores:
        """The result of one batch of sentences at hidden states `names`, reading and writing `store` per pair."""
        raise NotImplementedError

    def steps(self, options: dict) -> int:
        """At most how many `callback` steps one run with these (checked) options takes (for a progress bar)."""
        return 1

    def max_steps(self, settings=None) -> int:
        """`steps` for `settings` (what `explain(..., settings=settings)` would run)."""
        return self.steps(self.options(settings, {}))

    def log_run(self, model: HookedModel, result: WordScores, seconds: float, pairs: int, computed: int) -> None:
        """Record a data-set run in the run log (`core.runlog`)."""

    # -- shared --------------------------------------------------------------------------------
    def keys(self, model: HookedModel, sentences: Sequence[str], names: Sequence[str], options: dict) -> dict:
        """(sentence index, state) -> result-cache key; `sentences` checked and fitted to the model's length."""
        sigma_s = options.get("sigma_s")
        spread_ids = {
            name: tensor_digest(torch.as_tensor(sigma_s[name])) if sigma_s is not None else "raw" for name in names
        }
        return ResultCache.pair_keys(
            fingerprint=model.fingerprint(),
            sentences=sentences,
            names=names,
            level=options.get("level", "word"),
            settings=self.key_settings(model, options),
            spread_ids=spread_ids,
            version=__version__,
        )

    def explain(
        self,
        model: HookedModel,
        sentences,
        layers="all",
        *,
        settings=None,
        cache: bool | Store = False,
        progress: bool = True,
        callback: Callable[[int], None] | None = None,
        **options,
    ) -> WordScores:
        """One call on a loaded model (what `infolib.explain(..., method=name)` does)."""
        model = check_model(model)
        store = check_cache(cache)
        options = self.options(settings, dict(options))
        names = model.resolve_layers(layers)
        options = self.prepare(model, names, options)
        return self.run(model, sentences, names, store=store, progress=progress, callback=callback, **options)

    def describe(self) -> dict:
        """name, label, computes, sign and result type: one row of `list_methods(details=True)`."""
        return {
            "name": self.name,
            "label": self.label or self.name,
            "computes": self.computes,
            "sign": self.sign,
            "result": self.result_type.__name__,
            "baseline": self.baseline,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {self.computes}>"


class AttributionMethod(Method):
    """A method written as a body on a prepared batch (`baselines._method.attribution_method`); result `Attribution`.

    Its cache key holds the method's name and every option, defaults included; a batch reads the
    pairs it finds in the store and computes the sentences with any pair missing.
    """

    result_type = Attribution

    def __init__(self, function: Callable[..., Attribution], label: str | None = None, baseline: bool = True):
        self.function = function
        self.name = function.method_name
        self.label = label or self.name
        # Its meaning, or (when the meaning depends on the options) its docstring's first line.
        self.computes = function.score_meaning or (inspect.getdoc(function) or "").split("\n")[0]
        self.sign = "larger |score| = more important"
        self.baseline = baseline
        self.signature = inspect.signature(function)

    def options(self, settings, options: dict) -> dict:
        if settings is not None:
            if not isinstance(settings, Mapping):
                raise TypeError(
                    f"settings of method {self.name!r} must be a dict of its options "
                    f"({', '.join(self.own_options()) or 'it has none'}), got {type(settings).__name__}."
                )
            clash = sorted(k for k in settings if k in options and options[k] != settings[k])
            if clash:
                raise ValueError(f"settings and keyword options disagree: {', '.join(clash)}. Give each once.")
            options = {**settings, **options}
        unknown = sorted(set(options) - set(self.signature.parameters) - {"model", "sentences", "layers"})
        if unknown:
            raise TypeError(
                f"method {self.name!r} has no option(s) {', '.join(unknown)}: its options are "
                f"{', '.join(self.own_options()) or 'none'}, plus {', '.join(OPTIONS)}."
            )
        return options

    def own_options(self) -> list[str]:
        return [name for name in self.signature.parameters if name not in SHARED]

    def key_settings(self, model: HookedModel, options: dict) -> dict:
        defaults = {
            name: p.default
            for name, p in self.signature.parameters.items()
            if name not in SHARED and p.default is not inspect.Parameter.empty
        }
        merged = {**defaults, **{k: v for k, v in options.items() if k not in SHARED}}
        return {
            "method": self.name,
            **{k: tensor_digest(v) if isinstance(v, torch.Tensor) else v for k, v in merged.items()},
        }

    def run(self, model, sentences, names, *, store=None, progress=False, callback=None, **options) -> Attribution:
        if store is None:
            result = self.function(model, sentences, names, **options)
        else:
            result = self._run_stored(check_model(model), sentences, names, store, options)
        if callback is not None:
            callback(1)
        return result

    def _run_stored(self, model: HookedModel, sentences, names, store: Store, options: dict) -> Attribution:
        sentences = fit_length(model, check_sentences(sentences), options.pop("truncate", False))
        names = model.resolve_layers(names)
        keys = self.keys(model, sentences, names, options)
        found = {pair: store.get(key) for pair, key in keys.items()}
        todo = [i for i in range(len(sentences)) if any(found[i, name] is None for name in names)]
        if todo:
            part = self.function(model, [sentences[i] for i in todo], names, **options)
            for local, i in enumerate(todo):
                for name in names:
                    entry = {
                        "score": part.scores[local, name],
                        "extra": part.extra.get((local, name), {}),
                        "score_meaning": part.score_meaning,
                        "aggregation": part.aggregation,
                        "settings": part.settings,
                    }
                    # As stored, so a fresh answer and one read back are the same objects (tensors become lists).
                    found[i, name] = json.loads(json.dumps(entry, default=_plain))
                    store.put(keys[i, name], found[i, name])
        level = options.get("level", "word")
        encoding = model.encode(sentences)
        first = found[0, names[0]]
        return Attribution(
            method=self.name,
            sentences=sentences,
            layers=names,
            words=encoding.words if level == "word" else encoding.tokens,
            tokens=encoding.tokens,
            word_of_token=encoding.word_of_token if level == "word" else [list(range(len(t))) for t in encoding.tokens],
            scores={pair: torch.tensor(entry["score"], dtype=torch.float32) for pair, entry in found.items()},
            score_meaning=first["score_meaning"],
            aggregation=first["aggregation"],
            model=model.name,
            fingerprint=model.fingerprint(),
            level=level,
            settings=first["settings"],
            extra={pair: entry["extra"] for pair, entry in found.items()},
        )

    def log_run(self, model, result, seconds, pairs, computed) -> None:
        deltas = [e["relative_delta"] for e in result.extra.values() if "relative_delta" in e]
        runlog.record(
            kind="attribute",
            model=model.name,
            method=self.name,
            seconds=seconds,
            pairs=pairs,
            computed=computed,
            cached=pairs - computed,
            worst_relative_delta=max(deltas) if deltas else None,
        )


def _plain(value):
    """JSON form of the tensors and numpy numbers in a method's diagnostics."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in the result cache.")


# -- the registry ---------------------------------------------------------------------------------
REGISTRY: dict[str, Method] = {}


def add_method(method: Method, replace: bool = False) -> Method:
    """Register `method` under `method.name` (an error if taken, unless `replace`)."""
    if not isinstance(method, Method):
        raise TypeError(f"register a infolib.methods.Method, got {type(method).__name__}.")
    if not isinstance(method.name, str) or not method.name.strip():
        raise ValueError(f"a method needs a non-empty name, got {method.name!r}.")
    if method.name in REGISTRY and not replace and REGISTRY[method.name] is not method:
        raise ValueError(f"a method named {method.name!r} is already registered: pass replace=True to replace it.")
    REGISTRY[method.name] = method
    return method


def register_method(
    name: str,
    *,
    computes: str | None = None,
    aggregation: str = "sum of the word's pieces",
    label: str | None = None,
    replace: bool = False,
):
    """Decorator: register a method body `f(batch, *, option=default, ...) -> Scores` (or a `Method` subclass).

    Args:
        name: the method's name in `list_methods()`, `explain(..., method=name)` and the widgets.
        computes: what its score is and which sign means what (shown with the results).
        aggregation: how the word pieces' scores become a word's score.
    Returns:
        the decorator; it returns the public function `f(model, sentences, layers, *, level, sigma_s, ...)`
        (or the class), so the method can also be called directly.
    """

    def wrap(obj):
        if isinstance(obj, type) and issubclass(obj, Method):
            method = obj()
            method.name = name
            add_method(method, replace)
            return obj
        if not callable(obj):
            raise TypeError(f"register_method decorates a function or a Method subclass, got {type(obj).__name__}.")
        if getattr(obj, "method_name", None) == name:  # already a public method function
            function = obj
        else:
            function = attribution_method(name, computes, aggregation)(obj)
        add_method(AttributionMethod(function, label=label), replace)
        return function

    return wrap


def get_method(method: str | Method) -> Method:
    """The registered method `method` (a name), or `method` itself; a ValueError naming the choices otherwise."""
    if isinstance(method, Method):
        return method
    if isinstance(method, str) and method in REGISTRY:
        return REGISTRY[method]
    raise ValueError(
        f"unknown method {method!r}: choose one of {', '.join(map(repr, REGISTRY))} (infolib.list_methods())."
    )


def find_method(name) -> Method | None:
    """The registered method of that name, or None (e.g. for a table's method column from elsewhere)."""
    return REGISTRY.get(name) if isinstance(name, str) else None


def list_methods(details: bool = False):
    """The registered methods' names ('information' first); with details, a table of what each computes."""
    if not details:
        return list(REGISTRY)
    import pandas as pd  # lazy: start-up cost (pandas)

    return pd.DataFrame([m.describe() for m in REGISTRY.values()])


def method_label(name: str) -> str:
    """How figures title a method: its label, or the name of an unregistered one."""
    method = find_method(name)
    return method.label if method is not None and method.label else str(name)


__all__ = [
    "Method",
    "AttributionMethod",
    "Scores",
    "REGISTRY",
    "add_method",
    "register_method",
    "get_method",
    "find_method",
    "list_methods",
    "method_label",
]
