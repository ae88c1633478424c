"""Every public entry point fuzzed (hypothesis): odd sentences, layers, settings, σ_S and corpora.

The property, for each call: either a valid result (finite σ/scores, one value per word, the model's
parameters unchanged), or a ValueError/TypeError whose message names one of the arguments given.
Never another exception, never a silently wrong answer.

Profiles (tests/conftest.py): the default run uses 'infolib-small' (a few examples per entry point,
derandomised, so CI is stable); `pytest -m fuzz` (or INFOLIB_FUZZ=1) uses 'infolib-fuzz', with
INFOLIB_FUZZ_EXAMPLES examples per entry point (default 2,000).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import re
import warnings
from dataclasses import fields
from unittest import mock

import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import infolib  # noqa: E402
from infolib.methods import get_method  # noqa: E402
from infolib import baselines  # noqa: E402
from infolib.core.estimator import Settings  # noqa: E402
from infolib.interactive.memory import MemoryStore  # noqa: E402
from infolib.testing import LinearToyModel, ReluToyModel  # noqa: E402

from conftest import ScaledTokens, fuzz_profile  # noqa: E402

pytestmark = pytest.mark.fuzz
FUZZ = settings.get_profile(fuzz_profile())

# -- models, made once: toys cost microseconds per call --------------------------------------------------
LINEAR = LinearToyModel()
RELU = ReluToyModel()
SCALED = ScaledTokens([4.0, -1.0, 0.5, 8.0, 2.0, 0.0, 1.5, -3.0])
TOYS = (LINEAR, RELU, SCALED)
CHEAP = {"max_steps": 3, "samples": 2, "window": 1, "warmup": 1}  # few estimator steps: an example costs ms


def state_hash(model) -> str:
    """sha256 over the parameters and buffers, read fresh (not the model's cached fingerprint)."""
    digest = hashlib.sha256()
    for name, tensor in model.module.state_dict().items():
        digest.update(name.encode() + tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def sigma_spread(model) -> dict:
    """A valid σ_S: ones of the right width for every hidden state of a toy."""
    encoding = model.encode(["a b"])
    with torch.no_grad():
        states = model.states(model.embed(encoding), encoding.attention_mask, list(model.hidden_states))
    return {name: torch.ones(state.shape[-1]) for name, state in states.items()}


SPREADS = {id(model): sigma_spread(model) for model in TOYS}

# What a message must mention to name each argument (any one of the words, case-insensitive).
ARGUMENT_WORDS = {
    "model": ["model"],
    "sentences": ["sentence", "word", "text"],
    "sentence": ["sentence", "word", "text"],
    "layers": ["layer", "hidden state"],
    "level": ["level"],
    "sigma_s": ["sigma_s", "σ_s", "spread"],
    "corpus": ["corpus", "sentence"],
    "dataset": ["dataset", "sentence"],
    "batch_size": ["batch_size"],
    "limit": ["limit"],
    "cache": ["cache"],
    "truncate": ["truncate"],
    "settings": ["setting"],
    "x": [r"\bx\b", "embedding"],
    "phi": ["phi", "Φ"],
    "name": ["model", "name", "folder"],
    "device": ["device"],
    "models": ["model"],
    "method": ["method"],
    "argv": [],
}
SETTING_NAMES = [f.name for f in fields(Settings)]


def names_an_argument(message: str, arguments) -> bool:
    words = [w for a in arguments for w in ARGUMENT_WORDS.get(a, [a])]
    return any(re.search(word, message, flags=re.IGNORECASE) for word in words)


def outcome(call, model, arguments):
    """Run `call`: its result, or None after a ValueError/TypeError that names one of `arguments`.

    Any other exception propagates (the test fails with it); a changed model fails the test.
    """
    before = None if model is None else state_hash(model)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # truncation and unknown-word warnings are part of a valid answer
            result = call()
    except (ValueError, TypeError) as error:
        assert names_an_argument(str(error), arguments), f"{type(error).__name__} names none of {arguments}: {error}"
        result = None
    if model is not None:
        assert state_hash(model) == before, "explaining changed the model's parameters"
    return result


def check_scores(result, values, model, sentences=None):
    """One finite value per word for every (sentence, hidden state); σ in (0, scale]."""
    assert len(result.words) == len(result.sentences)
    if sentences is not None:
        assert len(result.sentences) == len(sentences)
    for i, words in enumerate(result.words):
        assert words, f"sentence {i} has no word"
        if result.level == "word" and isinstance(model, (LinearToyModel, ScaledTokens)):
            assert words == result.sentences[i].split()  # toys keep every word as a unit
        for layer in result.layers:
            value = values[i, layer]
            assert value.shape == (len(words),), (value.shape, len(words))
            assert torch.isfinite(value).all(), value


def check_explanation(result, model, sentences=None):
    check_scores(result, result.sigma, model, sentences)
    for sigma in result.sigma.values():
        assert (sigma > 0).all() and (sigma <= result.scale * (1 + 1e-5)).all()


# -- strategies ------------------------------------------------------------------------------------------
ODD = ["", " ", "\t\n", "\u200b", "\u202e", "\x00", "\x1b[31m", "a\u0301", "🙂 x", "\ufeff", "\u2028", "é è"]
word = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
sentence = st.one_of(
    st.text(max_size=60),  # any Unicode: control, format, combining characters, emoji
    st.sampled_from(ODD),
    st.lists(word, min_size=1, max_size=80).map(" ".join),  # many words, often longer than a toy's 32 tokens
    st.lists(st.sampled_from(["good", "bad", "the", "movie", "a", "!", "n't"]), min_size=1, max_size=12).map(" ".join),
)
sentences = st.one_of(
    sentence,
    st.lists(sentence, max_size=4),
    st.tuples(sentence, sentence),
    st.sampled_from([None, 3, 2.5, b"bytes", ["ok", 5], [None], {"a": 1}, set()]),
)


def layers_of(model):
    names = list(model.hidden_states)
    odd = ["embed", "layer.99", "layer.-1", "layer.01", "LAYER.1", " layer.1", "step.1", "step.0", "", "all "]
    one = st.one_of(st.sampled_from(names + odd), st.integers(-3, 5), st.sampled_from([None, True, 1.0, b"layer.1"]))
    return st.one_of(st.just("all"), one, st.lists(one, max_size=4), st.tuples(one))


setting_value = st.one_of(
    st.integers(-2, 6),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([None, True, False, "3", [1], 0, 1, 2]),
)
estimator_settings = st.dictionaries(st.sampled_from(SETTING_NAMES + ["bogus"]), setting_value, max_size=3)


def cheap(options: dict) -> dict:
    """The drawn settings, with small defaults for what would make an example slow when valid."""
    out = {**CHEAP, **options}
    for key, largest in (("max_steps", 4), ("samples", 4), ("window", 2), ("warmup", 2)):
        value = out[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > largest:
            out[key] = largest
    if isinstance(out.get("draws_per_step"), (int, float)) and not isinstance(out["draws_per_step"], bool):
        out["draws_per_step"] = min(out["draws_per_step"], 64) if math.isfinite(out["draws_per_step"]) else 64
    return out


def spreads_of(model):
    """σ_S: None (estimated), the right one, or a wrong shape / value / type."""
    good = SPREADS[id(model)]
    name = next(iter(good))
    bad_tensor = st.one_of(
        st.integers(0, 9).map(lambda d: torch.ones(d)),
        st.just(torch.ones(2, 3)),
        st.just(torch.tensor(1.0)),
        st.sampled_from([0.0, -1.0, math.nan, math.inf]).map(lambda v: torch.full_like(good[name], v)),
        st.just([1.0, 2.0]),
        st.just("ones"),
    )
    return st.one_of(
        st.none(),
        st.just(good),
        bad_tensor.map(lambda t: {**good, name: t}),
        st.just({}),
        st.just({"layer.99": torch.ones(3)}),
        st.sampled_from([1.0, "σ", [1.0], torch.ones(3)]),
    )


# -- the entry points -----------------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_fuzz_explain(data):
    model = data.draw(st.sampled_from(TOYS), "model")
    text = data.draw(sentences, "sentences")
    layers = data.draw(layers_of(model), "layers")
    options = cheap(data.draw(estimator_settings, "settings"))
    spread = data.draw(spreads_of(model), "sigma_s")
    level = data.draw(st.sampled_from(["word", "word", "token", "Word", 3]), "level")
    truncate = data.draw(st.booleans(), "truncate")
    as_object = data.draw(st.booleans(), "as Settings")
    if as_object and "bogus" not in options:
        kwargs = {"settings": Settings(**options)}
    else:
        kwargs = options
    arguments = ["sentences", "layers", "sigma_s", "level", "truncate", "settings", *options]
    result = outcome(
        lambda: infolib.explain(
            model, text, layers, sigma_s=spread, level=level, truncate=truncate, progress=False, **kwargs
        ),
        model,
        arguments,
    )
    if result is not None:
        check_explanation(result, model)


@FUZZ
@given(data=st.data())
def test_fuzz_explain_phi(data):
    n = data.draw(st.integers(0, 6), "n_words")
    K = data.draw(st.integers(0, 5), "K")
    x = data.draw(
        st.one_of(
            st.just(torch.randn(n, K)),
            st.just(torch.full((n, K), math.nan)),
            st.just(torch.randn(n)),
            st.just(torch.randn(1, n, K)),
            st.sampled_from([None, [[1.0, 2.0]], "x", 3.0]),
        ),
        "x",
    )
    phi = data.draw(
        st.sampled_from(
            [
                lambda t: t.sum(0),
                lambda t: t * 2.0,
                lambda t: torch.tanh(t).mean(),
                lambda t: t[:1],
                lambda t: "not a tensor",
                lambda t: t.sum(0) * math.nan,
                None,
            ]
        ),
        "phi",
    )
    spread = data.draw(
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.just(torch.ones(K)), st.just("σ")),
        "sigma_s",
    )
    options = cheap(data.draw(estimator_settings, "settings"))
    arguments = ["x", "phi", "sigma_s", "settings", *options]
    result = outcome(lambda: infolib.explain_phi(x, phi, spread, **options), None, arguments)
    if result is not None:
        assert result.sigma.shape == (x.shape[0],) and torch.isfinite(result.sigma).all()
        assert (result.sigma > 0).all()


@FUZZ
@given(data=st.data())
def test_fuzz_explain_corpus(data):
    model = data.draw(st.sampled_from(TOYS), "model")
    dataset = data.draw(
        st.one_of(
            st.lists(sentence, max_size=5),
            sentence,
            st.sampled_from(["sst2", "sst2-nope", "cola-dev", "", None, 7, [3, "a"]]),
        ),
        "dataset",
    )
    layers = data.draw(layers_of(model), "layers")
    batch_size = data.draw(st.one_of(st.integers(-1, 4), st.sampled_from([True, 2.0, "2", None])), "batch_size")
    limit = data.draw(st.one_of(st.none(), st.integers(-1, 3), st.sampled_from([True, 1.5, "1"])), "limit")
    options = cheap(data.draw(estimator_settings, "settings"))
    cache = data.draw(st.sampled_from(["a store", "a store", None, False, "yes", 1]), "cache")
    store = MemoryStore() if cache == "a store" else cache
    arguments = ["dataset", "layers", "batch_size", "limit", "cache", "settings", "sentences", *options]
    result = outcome(
        lambda: infolib.explain_corpus(
            model,
            dataset,
            layers,
            batch_size=batch_size,
            limit=limit,
            cache=store,
            sigma_s=SPREADS[id(model)],
            progress=False,
            **options,
        ),
        model,
        arguments,
    )
    if result is not None:
        check_explanation(result, model)


def baseline_methods() -> dict:
    """Every attribution method there is: the registry's baselines (the information method is fuzzed as `explain`)."""
    methods = dict(baselines.METHODS)
    methods.update({name: None for name in infolib.list_methods() if get_method(name).baseline and name not in methods})
    return methods


@FUZZ
@given(data=st.data())
@pytest.mark.parametrize("method", sorted(baseline_methods()))
def test_fuzz_baselines(method, data):
    model = RELU  # a pure chain of modules: every baseline (LRP included) has a rule for it
    function = baseline_methods()[method]
    if function is None:  # a method known only to the registry: through explain(method=...)
        function = lambda *a, **k: infolib.explain(*a, method=method, **k)  # noqa: E731
    text = data.draw(sentences, "sentences")
    layers = data.draw(layers_of(model), "layers")
    spread = data.draw(spreads_of(model), "sigma_s")
    level = data.draw(st.sampled_from(["word", "token", "tokens"]), "level")
    arguments = ["sentences", "layers", "sigma_s", "level"]
    result = outcome(lambda: function(model, text, layers, sigma_s=spread, level=level), model, arguments)
    if result is not None:
        check_scores(result, result.scores, model)


@FUZZ
@given(
    name=st.one_of(
        st.text(max_size=20),
        st.sampled_from(["", " ", "lstm-sst2-nope", "bert", "../", "/", "minilm ", "MINILM", "sst2"]),
        st.sampled_from([None, 3, 2.5, b"minilm", ["minilm"], torch.nn.Linear(1, 1), object()]),
    ),
    smoke=st.booleans(),
    device=st.sampled_from(["cpu", "auto", "gpu", "cuda:x", "", 3]),
)
def test_fuzz_load_model(name, smoke, device):
    """Names no registry or folder holds: a ValueError/TypeError naming the model, never a traceback."""
    if isinstance(name, str) and (name.strip() in infolib.available_models() or name.startswith("/")):
        name = name.strip() + "-not-a-model"  # a real name would load (or train) a model: not what is fuzzed here
    result = outcome(
        lambda: infolib.load_model(name, smoke=smoke, train=False, device=device), None, ["name", "device"]
    )
    assert result is None or isinstance(result, infolib.HookedModel)


def whatif_tool():
    from infolib.interactive.whatif import WhatIf

    tool = WhatIf([LINEAR, SCALED], settings=dict(CHEAP), corpus=["a b c", "d e f g"])
    for model in (LINEAR, SCALED):
        tool.spreads[model.name] = SPREADS[id(model)]
    return tool


WHATIF = {}


@FUZZ
@given(data=st.data())
def test_fuzz_whatif_compute(data):
    tool = WHATIF.setdefault("tool", whatif_tool())
    text = data.draw(sentence, "sentence")
    models = data.draw(
        st.one_of(
            st.lists(st.sampled_from([LINEAR.name, SCALED.name, "nope", ""]), max_size=3),
            st.sampled_from([None, LINEAR.name, 3]),
        ),
        "models",
    )
    layers = data.draw(
        st.one_of(
            st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
            st.sampled_from(["all", "layer.1", "nope", None, (1,), (1.0, 2.0)]),
        ),
        "layers",
    )
    method = data.draw(st.sampled_from(["information", "gradient_saliency", "occlusion", "nope", ""]), "method")
    state = outcome(
        lambda: tool.compute(text, models, layers, method), None, ["sentence", "models", "layers", "method"]
    )
    if state is not None:
        for view in state.views:
            values = view.result.sigma if method == "information" else view.result.scores
            model = LINEAR if view.model == LINEAR.name else SCALED
            check_scores(view.result, values, model)


def toy_or_load(name, **kwargs):
    """The CLI's model loader, with 'toy' meaning the linear toy (so an example costs milliseconds)."""
    return LINEAR if name == "toy" else infolib.api.load_model(name, **{**kwargs, "train": False})


RESOLVE_MODEL = infolib.api.resolve_model  # the real one, before a test patches it


def toy_or_resolve(model):
    return LINEAR if model == "toy" else RESOLVE_MODEL(model)


argument = st.one_of(
    st.sampled_from(["--layers", "--model", "--format", "--level", "--rate", "--samples", "--max-steps", "--seed"]),
    st.sampled_from(["--truncate", "--limit", "--batch-size", "--dataset", "--engine", "--workers", "--list"]),
    st.sampled_from(["all", "1", "layer.1", "0,2", "x", "-1", "nan", "json", "csv", "table", "token", "toy", "1e9"]),
    sentence,
)


@FUZZ
@given(
    command=st.sampled_from(["explain", "explain-corpus", "train", "reproduce", "nope", ""]),
    rest=st.lists(argument, max_size=6),
)
def test_fuzz_cli(command, rest, tmp_path_factory):
    """`python -m infolib …` with odd arguments: exit status 0, or 2 with one line naming the problem."""
    from infolib import cli

    argv = [command, *rest]
    if command == "explain":
        argv += ["--model", "toy", "--max-steps", "2", "--samples", "2"]
    if command == "explain-corpus":
        argv += ["--model", "toy", "--limit", "2", "--out", str(tmp_path_factory.mktemp("cli") / "out.csv")]
    if command == "train":  # a real name would train a model: only --list, and names no registry holds
        argv = ["train", "--list"] if "--list" in rest else ["train", *[f"{r}-not-a-model" for r in rest[:2]]]
    if command == "reproduce":
        argv = ["reproduce", "--jobs", "x"]  # only the parser's check: a real run takes minutes
    out, err = io.StringIO(), io.StringIO()
    patches = [
        mock.patch.object(cli, "load_model", toy_or_load),
        mock.patch.object(infolib.api, "resolve_model", toy_or_resolve),
    ]
    with contextlib.ExitStack() as stack, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for patch in patches:
            stack.enter_context(patch)
        warnings.simplefilter("ignore")
        try:
            status = cli.main(argv)
        except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
            status = exit_.code
    assert status in (0, 2), (argv, status, err.getvalue()[-500:])
    if status == 2:
        assert err.getvalue().strip(), "a failure must say why"
        assert "Traceback" not in err.getvalue()


@FUZZ
@given(data=st.data())
def test_fuzz_explain_minilm(minilm, minilm_sigma_s, data):
    """A real tokenizer (WordPiece, with its own Unicode normalisation) on odd text, one estimator step."""
    text = data.draw(st.one_of(sentence, st.lists(sentence, min_size=1, max_size=2)), "sentences")
    layers = data.draw(st.sampled_from(["layer.1", 6, ["layer.0", "pooled"], "logits", "embed"]), "layers")
    truncate = data.draw(st.booleans(), "truncate")
    arguments = ["sentences", "layers", "truncate"]
    result = outcome(
        lambda: infolib.explain(
            minilm, text, layers, sigma_s=minilm_sigma_s, truncate=truncate, progress=False, max_steps=1, samples=1
        ),
        minilm,
        arguments,
    )
    if result is not None:
        check_explanation(result, minilm)
        for i, words in enumerate(result.words):  # [CLS], the sentence's words, [SEP]
            assert words[0] == "[CLS]" and words[-1] == "[SEP]"
            assert len(words) - 2 <= len(result.sentences[i].split())
