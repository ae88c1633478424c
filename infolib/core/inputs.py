"""One batch preparation for `explain` and every baseline: sentence checks, length, pair seeds."""
from __future__ import annotations

import hashlib
import unicodedata
import warnings
from typing import Sequence

from .hooks import HookedModel


def check_model(model) -> HookedModel:
    """`model` itself if it is a HookedModel; a clear error otherwise (names are resolved by `infolib.api`)."""
    if isinstance(model, HookedModel):
        return model
    if isinstance(model, str):
        raise TypeError(
            f"this function takes a loaded model, not the name {model!r}: pass infolib.load_model({model!r}), "
            f"or call infolib.core.explain / infolib.explain_corpus, which accept names."
        )
    raise TypeError(f"model must be a HookedModel (infolib.load_model(...)), got {type(model).__name__}.")


def pair_seed(random_state: int, *key: str) -> int:
    """A pair's own noise seed: the same sentence and hidden state get the same noise in any batch."""
    digest = hashlib.sha256("\x1f".join([str(random_state), *key]).encode()).digest()
    return int.from_bytes(digest[:7], "little")


def _strip_control(text: str) -> str:
    """Remove control and format characters (\\x00, escape codes, zero-width marks), keep whitespace."""
    return "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))


def check_sentences(sentences) -> list[str]:
    """Sentences as a list of clean strings: words joined by single spaces, control characters removed.

    Raises:
        TypeError: not a string or a list of strings. ValueError: no sentence, or one with no word.
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    if not isinstance(sentences, Sequence) or isinstance(sentences, (bytes, bytearray)):
        raise TypeError(f"sentences must be a string or a list of strings, got {type(sentences).__name__}.")
    if len(sentences) == 0:
        raise ValueError("no sentences given: pass a string or a non-empty list of strings.")
    out = []
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(f"sentence {i} is a {type(sentence).__name__}, not a string.")
        words = _strip_control(sentence).split()
        if not words:
            raise ValueError(f"sentence {i} is empty or only whitespace/control characters: there is no word to explain.")
        out.append(" ".join(words))
    return out


def fit_length(model: HookedModel, sentences: list[str], truncate: bool) -> list[str]:
    lengths = [len(t) for t in model.encode(sentences).tokens]
    for i, n in enumerate(lengths):
        if n <= model.max_tokens:
            continue
        if not truncate:
            raise ValueError(
                f"sentence {i} has {n} tokens, more than {model.name}'s maximum of {model.max_tokens}. "
                f"Shorten it, or pass truncate=True to explain only its first words."
            )
        words = sentences[i].split()
        while len(model.encode([" ".join(words)]).tokens[0]) > model.max_tokens:
            words = words[: max(1, len(words) - max(1, (n - model.max_tokens) // 2))]
            n = len(model.encode([" ".join(words)]).tokens[0])
        warnings.warn(f"sentence {i} truncated to its first {len(words)} words ({model.max_tokens} tokens).", stacklevel=3)
        sentences[i] = " ".join(words)
    return sentences
