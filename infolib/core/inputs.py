"""One batch preparation for `explain` and every baseline.

Both read the same things: the sentences checked and fitted to the model's length, the hidden
states to explain, the clean `embed` and clean states, σ_S, the map from word pieces to the
explained units (words or tokens), each pair's own seed, and the normalised change of a hidden
state, mean over its real elements of ((s − s_clean) / σ_S)², which is the estimator's
reconstruction error and the quantity occlusion and the 'change' baselines measure.
"""

from __future__ import annotations

import hashlib
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import torch
from torch import Tensor

from .hooks import Encoding, HookedModel
from .validation import LEVEL, check_param


class NonFiniteError(FloatingPointError, ValueError):
    """A model or Φ gives NaN or inf on the clean input: bad input (a ValueError), kept a FloatingPointError
    for the callers that caught that before."""


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
            raise ValueError(
                f"sentence {i} is empty or only whitespace/control characters: there is no word to explain."
            )
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
        warnings.warn(
            f"sentence {i} truncated to its first {len(words)} words ({model.max_tokens} tokens).", stacklevel=3
        )
        sentences[i] = " ".join(words)
    return sentences


def check_level(level) -> str:
    return check_param("level", level, [LEVEL])


def check_sigma_s(sigma_s, dims: Mapping[str, int], like: Tensor) -> dict[str, Tensor]:
    """σ_S of each hidden state in `dims`, checked: a [D] tensor, positive, no NaN (inf allowed).

    Args:
        sigma_s: name -> [D] spread of each hidden state over data (`infolib.core.sigma_s`).
        dims: name -> D, the size of that state's last axis.
        like: σ_S is returned with this tensor's dtype and device.
    Returns:
        name -> [D] σ_S (inf marks a dimension that never varies: it adds no error).
    """
    if not isinstance(sigma_s, Mapping):
        raise TypeError(f"sigma_s must be a mapping name -> [D] tensor, got {type(sigma_s).__name__}.")
    missing = [name for name in dims if name not in sigma_s]
    if missing:
        raise ValueError(f"sigma_s has no entry for {', '.join(missing)}.")
    out = {}
    for name, D in dims.items():
        try:
            spread = torch.as_tensor(sigma_s[name], dtype=like.dtype, device=like.device)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(
                f"sigma_s['{name}'] must be a [{D}] tensor of spreads, got {type(sigma_s[name]).__name__}."
            ) from error
        if spread.shape != (D,):
            raise ValueError(
                f"sigma_s['{name}'] must have shape [{D}] (one spread per dimension of the state), "
                f"got {tuple(spread.shape)}."
            )
        if torch.isnan(spread).any() or (spread <= 0).any():
            raise ValueError(
                f"sigma_s['{name}'] must be positive and free of NaN (inf marks a dimension that never varies)."
            )
        out[name] = spread
    return out


def _width(sigma_s: Mapping[str, Tensor], name: str) -> int:
    """D of a state the clean pass skipped, read from its σ_S (checked in full by `check_sigma_s`)."""
    check_sigma_s(sigma_s, {}, torch.empty(0))  # a mapping
    if name not in sigma_s:
        raise ValueError(f"sigma_s has no entry for {name}.")
    try:
        spread = torch.as_tensor(sigma_s[name])
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"sigma_s['{name}'] must be a [D] tensor of spreads, got {type(sigma_s[name]).__name__}."
        ) from error
    if spread.dim() != 1:
        raise ValueError(
            f"sigma_s['{name}'] must be a [D] tensor (one spread per dimension), got {tuple(spread.shape)}."
        )
    return int(spread.shape[0])


def normalised_change(state: Tensor, clean: Tensor, inv_var: Tensor, mask: Tensor | None = None) -> Tensor:
    """[rows] mean over each row's real elements of (state − clean)² / σ_S².

    Args:
        state, clean: [rows, tokens, D] (a layer) or [rows, D] (a vector) hidden states.
        inv_var: [D] 1 / σ_S² (0 where σ_S = inf).
        mask: [rows, ≥ tokens] 1 for real tokens, for a layer; None for a vector.
    """
    if mask is None:
        return ((state - clean) ** 2 * inv_var).mean(1)
    m = mask[:, : state.shape[1], None].to(state.dtype)
    return ((state - clean) ** 2 * inv_var * m).sum((1, 2)) / (m.sum((1, 2)) * state.shape[-1])


@dataclass
class Batch:
    """A batch of sentences ready to explain.

    Attributes:
        model: the HookedModel; encoding: its encoding of `sentences`.
        names: hidden-state names to explain.
        embed: [batch, tokens, K] clean `embed` (detached).
        mask: [batch, tokens] attention mask (1 = real token).
        clean: name -> [batch, tokens, D] or [batch, D] clean hidden states.
        units: per sentence, [n_tokens] LongTensor, the unit (word or token) of each real token.
        sigma_s: name -> [D] σ_S (ones when none was given); inv_sigma_s: 1/σ_S; inv_var: 1/σ_S².
        level: 'word' or 'token'.
        normalised: whether σ_S was given (otherwise σ_S = 1: raw units).
    """

    model: HookedModel
    sentences: list[str]
    encoding: Encoding
    names: list[str]
    embed: Tensor
    mask: Tensor
    clean: dict[str, Tensor]
    units: list[Tensor]
    sigma_s: dict[str, Tensor]
    level: str
    normalised: bool = False

    def __post_init__(self):
        self.inv_sigma_s = {name: 1.0 / spread for name, spread in self.sigma_s.items()}
        self.inv_var = {name: 1.0 / spread**2 for name, spread in self.sigma_s.items()}

    @property
    def lengths(self) -> list[int]:
        return [len(u) for u in self.units]

    def n_units(self, b: int) -> int:
        return int(self.units[b].max()) + 1

    def words(self) -> list[list[str]]:
        """Per sentence, the explained units: words ([CLS], words, [SEP]) or tokens."""
        return self.encoding.words if self.level == "word" else self.encoding.tokens

    def word_of_token(self) -> list[list[int]]:
        """Per sentence, the unit of each token (identity at token level)."""
        if self.level == "word":
            return self.encoding.word_of_token
        return [list(range(len(t))) for t in self.encoding.tokens]

    def token_mask(self, name: str, rows: Tensor | None = None) -> Tensor | None:
        """[rows, tokens] mask of each row's sentence (default: row b is sentence b) for a layer; None for a vector."""
        if not self.model.is_token_level(name):
            return None
        return self.mask if rows is None else self.mask[rows]

    def change(self, name: str, state: Tensor, rows: Tensor) -> Tensor:
        """[rows] `normalised_change` of `state` from the clean state of each row's sentence `rows`; a layer's
        state may be cut to fewer tokens than the batch's (rows padded only to their longest sentence)."""
        clean, mask = self.clean[name][rows], self.token_mask(name, rows)
        if mask is not None:
            clean, mask = clean[:, : state.shape[1]], mask[:, : state.shape[1]]
        return normalised_change(state, clean, self.inv_var[name], mask)

    def scaled(self, name: str, state: Tensor, rows: Tensor | None = None) -> Tensor:
        """state / σ_S with padded tokens zeroed: [rows, tokens, D] or [rows, D] (what Jacobians are taken of)."""
        state = state * self.inv_sigma_s[name]
        mask = self.token_mask(name, rows)
        if mask is not None:
            state = state * mask[:, : state.shape[1], None].to(state.dtype)
        return state

    def elements(self, name: str, b: int) -> int:
        """How many numbers sentence b's hidden state `name` has (real tokens × D, or D)."""
        D = self.sigma_s[name].shape[-1]
        return self.lengths[b] * D if self.model.is_token_level(name) else D

    def to_units(self, per_token: Tensor, b: int) -> Tensor:
        """[n_units] sum over each unit's tokens of `per_token` [n_tokens]."""
        out = torch.zeros(self.n_units(b), dtype=per_token.dtype)
        return out.index_add_(0, self.units[b], per_token.detach().cpu()[: self.lengths[b]])

    def seed(self, random_state: int, *key: str) -> int:
        """A seed for one (sentence, hidden state): the same in any batch (`pair_seed`)."""
        return pair_seed(random_state, *key)


def check_inputs(model, sentences, layers, level: str, truncate: bool) -> tuple[HookedModel, list[str], list[str]]:
    """The model, the sentences checked and fitted to its length, and the hidden-state names.

    Raises:
        TypeError, ValueError: naming what is wrong (model, sentences, layers, level, length).
    """
    model = check_model(model)
    check_level(level)
    sentences = fit_length(model, check_sentences(sentences), truncate)
    return model, sentences, model.resolve_layers(layers)


def encode_batch(
    model: HookedModel,
    sentences: list[str],
    names: list[str],
    level: str,
    sigma_s: Mapping[str, Tensor] | None,
    run: Sequence[str] | None = None,
) -> Batch:
    """Encode checked sentences and run the clean pass (call inside `frozen(model.module)`).

    Args:
        sigma_s: name -> [D] spread of each hidden state, or None for no normalisation (σ_S = 1).
        run: the states the clean pass computes (default: all `names`). A state left out has no
            `clean` entry and takes its width from σ_S, which must then be given: `explain` leaves
            out the states whose every pair comes from the cache, so a warm call runs no forward pass.
    Raises:
        NonFiniteError (a FloatingPointError and a ValueError): the model returns NaN or inf on the clean input.
    """
    encoding = model.encode(sentences)
    _warn_unknown(encoding, getattr(getattr(model, "tokenizer", None), "unk_token", None) or "[UNK]")
    run = list(names) if run is None else [name for name in names if name in run]
    if sigma_s is None and len(run) < len(names):
        raise ValueError("encode_batch: states left out of the clean pass need sigma_s for their width.")
    with torch.no_grad():
        embed = model.embed(encoding).detach()
        mask = encoding.attention_mask.to(embed.device)
        clean = model.states(embed, mask, run) if run else {}
    for name, state in clean.items():
        if not torch.isfinite(state).all():
            raise NonFiniteError(
                f"{model.name} returned NaN or inf for '{name}' on the clean input; nothing to explain."
            )
    dims = {name: clean[name].shape[-1] if name in clean else _width(sigma_s, name) for name in names}
    if sigma_s is None:
        spreads = {name: torch.ones(D, dtype=embed.dtype, device=embed.device) for name, D in dims.items()}
    else:
        spreads = check_sigma_s(sigma_s, dims, embed)
    lengths = encoding.attention_mask.sum(1).tolist()
    if level == "word":
        units = [torch.tensor(encoding.word_of_token[b][:n]) for b, n in enumerate(lengths)]
    else:
        units = [torch.arange(n) for n in lengths]
    return Batch(model, sentences, encoding, names, embed, mask, clean, units, spreads, level, sigma_s is not None)


def prepare(model, sentences, layers, level: str, sigma_s: Mapping[str, Tensor] | None, truncate: bool) -> Batch:
    """`check_inputs` then `encode_batch` (call inside `frozen(model.module)`).

    Args:
        model: a HookedModel (`infolib.load_model(...)`).
        sentences: a sentence or a list of them (words separated by whitespace).
        layers: 'all', a name ('layer.3', 'pooled'), an int, or a list of those.
        level: 'word' or 'token'.
        sigma_s: name -> [D] spread of each hidden state, or None for no normalisation (σ_S = 1).
        truncate: cut sentences longer than the model's maximum instead of failing.
    """
    model, sentences, names = check_inputs(model, sentences, layers, level, truncate)
    return encode_batch(model, sentences, names, level, sigma_s)


def _warn_unknown(encoding: Encoding, unk: str = "[UNK]") -> None:
    """Warn about words the tokenizer maps to its unknown token `unk` ('[UNK]' for WordPiece, '<unk>' for
    RoBERTa/T5/Llama-style tokenizers)."""
    unknown = sorted(
        {
            encoding.words[b][u]
            for b, (tokens, units) in enumerate(zip(encoding.tokens, encoding.word_of_token))
            for t, u in zip(tokens, units)
            if t == unk
        }
    )
    if unknown:
        warnings.warn(
            f"the tokenizer does not know {', '.join(unknown)} ({unk}): those words are explained "
            f"through the {unk} embedding, not their own.",
            stacklevel=4,
        )
