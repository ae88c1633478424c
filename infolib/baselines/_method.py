"""What every baseline shares: its signature, the preamble and the result (as inseq's thin method classes).

A method is written as its own maths on a prepared `Batch`, with only its own options:

    @attribution_method("occlusion", MEANING, AGGREGATION)
    def occlusion(batch: Batch, *, baseline="zero", max_rows=128) -> Scores:
        ...

and `attribution_method` turns it into the public function

    occlusion(model, sentences, layers="all", *, level="word", sigma_s=None, baseline="zero",
              max_rows=128, truncate=False) -> Attribution

which checks the arguments (unknown options, and values outside the constraints a body states with
`core.validation.validate_params`, fail before any work), runs the method inside
`frozen(model.module)` on `core.inputs.prepare`'s batch, and builds the `Attribution`. Its
signature (`inspect.signature`) lists every option with its default, which is what
`infolib.methods` puts in its cache keys.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Callable

from torch import Tensor

from ..core.hooks import frozen
from ..core.inputs import Batch, check_model, prepare
from ..core.results import Attribution
from ..core.validation import check_params

SHARED = ("model", "sentences", "layers", "level", "sigma_s", "truncate")
_P = inspect.Parameter
_LEADING = [
    _P("model", _P.POSITIONAL_OR_KEYWORD, annotation="HookedModel"),
    _P("sentences", _P.POSITIONAL_OR_KEYWORD, annotation="str | Sequence[str]"),
    _P("layers", _P.POSITIONAL_OR_KEYWORD, default="all", annotation="str | int | Sequence[str | int]"),
    _P("level", _P.KEYWORD_ONLY, default="word", annotation="str"),
    _P("sigma_s", _P.KEYWORD_ONLY, default=None, annotation="Mapping[str, Tensor] | None"),
]
_TRAILING = [_P("truncate", _P.KEYWORD_ONLY, default=False, annotation="bool")]


@dataclass
class Scores:
    """What a method's body returns.

    Attributes:
        scores: (sentence index, layer) -> [n_units] score.
        settings: the method's settings as used (all of them change the answer).
        extra: (sentence index, layer) -> diagnostics.
        meaning: the score's meaning when it depends on the options (else the decorator's).
    """

    scores: dict[tuple[int, str], Tensor]
    settings: dict
    extra: dict = field(default_factory=dict)
    meaning: str | None = None


def attribution_method(
    name: str, meaning: str | None, aggregation: str
) -> Callable[[Callable[..., Scores]], Callable[..., Attribution]]:
    """Make a method body `f(batch, *, options…) -> Scores` into a baseline with the shared signature."""

    def wrap(body: Callable[..., Scores]) -> Callable[..., Attribution]:
        options = list(inspect.signature(body).parameters.values())[1:]
        for option in options:
            if option.kind is not _P.KEYWORD_ONLY or option.default is _P.empty or option.name in SHARED:
                raise TypeError(
                    f"{body.__name__}: option '{option.name}' must be keyword-only with a default, "
                    f"and not one of {', '.join(SHARED)}."
                )
        signature = inspect.Signature(_LEADING + options + _TRAILING, return_annotation="Attribution")

        @functools.wraps(body)
        def method(*args, **kwargs) -> Attribution:
            arguments = signature.bind(*args, **kwargs)  # a wrong or unknown argument fails here, before any work
            arguments.apply_defaults()
            given = dict(arguments.arguments)
            check_params(given, getattr(body, "parameter_constraints", {}))  # bad option values fail before any work
            model = check_model(given.pop("model"))
            shared = {key: given.pop(key) for key in SHARED[1:]}
            with frozen(model.module):
                batch = prepare(
                    model, shared["sentences"], shared["layers"], shared["level"], shared["sigma_s"], shared["truncate"]
                )
                out = body(batch, **given)
            return _attribution(batch, name, out, out.meaning or meaning, aggregation)

        method.__signature__ = signature
        method.method_name = name
        method.score_meaning, method.aggregation = meaning, aggregation  # what `infolib.methods` lists
        return method

    return wrap


def _attribution(batch: Batch, method: str, out: Scores, meaning: str, aggregation: str) -> Attribution:
    return Attribution(
        method=method,
        sentences=batch.sentences,
        layers=batch.names,
        words=batch.words(),
        tokens=batch.encoding.tokens,
        word_of_token=batch.word_of_token(),
        scores=out.scores,
        score_meaning=meaning,
        aggregation=aggregation if batch.level == "word" else "none (token level)",
        model=batch.model.name,
        fingerprint=batch.model.fingerprint(),
        level=batch.level,
        settings={**out.settings, "sigma_s_normalised": batch.normalised},
        extra=out.extra,
    )


__all__ = ["Scores", "attribution_method", "SHARED"]
