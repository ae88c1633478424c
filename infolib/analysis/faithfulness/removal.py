"""Removing words from a sentence and reading the model's probability of its predicted class.

A sentence is prepared once (`prepare`): its token ids, which tokens are special ([CLS], [SEP]),
and its *features*, the units that can be removed: the words (all pieces of a word together) at
word level, the word pieces at token level. Special tokens are never features and never removed.

Two ways to run a sentence with some features removed:

- direct (ERASER mode): the token ids of the removed features are deleted (removal='delete') or
  replaced by one replacement id each (removal='mask': the tokenizer's [MASK], else its pad, else
  its unknown token); the specials stay. The ids go to the model as they are.
- ferret route (ferret mode): the specials are dropped, the remaining ids (or ids with [MASK]
  written in) are decoded to a string with `tokenizer.decode` and that string is tokenised again,
  as ferret does. Decoding merges and re-splits pieces: deleting 'un' of 'un ##happy' leaves
  '##happy', which re-tokenises as '#', '#', 'happy'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ...core.hooks import Encoding, HookedModel, frozen

REMOVALS = ("delete", "mask")
LEVELS = ("word", "token")
BATCH = 64  # rows per forward pass


@dataclass(frozen=True)
class Prepared:
    """One sentence, ready for removal.

    Attributes:
        index: the sentence's position in the caller's list (for error messages).
        ids: [tokens] token ids, specials included.
        special: [tokens] whether each token is a special token.
        units: the model's units ([CLS], the words, [SEP]); unit_of_token maps tokens to them.
        features: per removable feature (a word or a piece), its token positions.
        names: [features] the feature's text.
        target: the predicted class on the whole sentence; p_full: its probability.
    """

    index: int
    ids: tuple[int, ...]
    special: tuple[bool, ...]
    units: tuple[str, ...]
    unit_of_token: tuple[int, ...]
    features: tuple[tuple[int, ...], ...]
    names: tuple[str, ...]
    target: int
    p_full: float

    @property
    def n(self) -> int:
        return len(self.features)


def check_classifier(model: HookedModel) -> None:
    if "logits" not in model.hidden_states:
        raise ValueError(
            f"{model.name} has no classifier ('logits' is not among its hidden states: "
            f"{', '.join(model.hidden_states)}); faithfulness removes words and measures the predicted class's "
            "probability, so it needs a classification model (e.g. bert-sst2)."
        )


def check_choice(value, allowed: Sequence[str], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}.")


def special_ids(model: HookedModel) -> set[int]:
    tokenizer = getattr(model, "tokenizer", None)
    return set(getattr(tokenizer, "all_special_ids", None) or [])


def replacement_id(model: HookedModel) -> int:
    """The id that stands for a removed token with removal='mask': [MASK], else pad, else unknown."""
    own = getattr(model, "mask_token_id", None)
    if own is not None:
        return int(own)
    tokenizer = getattr(model, "tokenizer", None)
    for attribute in ("mask_token_id", "pad_token_id", "unk_token_id"):
        value = getattr(tokenizer, attribute, None)
        if value is not None:
            return int(value)
    raise ValueError(
        f"{model.name} has no mask, pad or unknown token to replace removed words with; use removal='delete'."
    )


def prepare(model: HookedModel, sentences: Sequence[str], level: str) -> list[Prepared]:
    """Tokenise the sentences, find their features and the predicted class (one forward pass)."""
    check_choice(level, LEVELS, "level")
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(f"sentence {i} is a {type(sentence).__name__}, not a string.")
        if not sentence.split():
            raise ValueError(f"sentence {i} is empty: faithfulness needs at least one word to remove.")
    encoding = model.encode(list(sentences))
    specials = special_ids(model)
    rows = []
    for b in range(len(sentences)):
        n_tokens = int(encoding.attention_mask[b].sum())
        ids = tuple(int(t) for t in encoding.input_ids[b, :n_tokens])
        special = tuple(t in specials for t in ids)
        unit_of_token = tuple(encoding.word_of_token[b])
        if level == "token":
            features = tuple((t,) for t in range(n_tokens) if not special[t])
            names = tuple(encoding.tokens[b][t] for (t,) in features)
        else:
            by_unit: dict[int, list[int]] = {}
            for t, unit in enumerate(unit_of_token):
                if not special[t]:
                    by_unit.setdefault(unit, []).append(t)
            features = tuple(tuple(positions) for _, positions in sorted(by_unit.items()))
            names = tuple(encoding.words[b][unit] for unit in sorted(by_unit))
        rows.append((ids, special, tuple(encoding.words[b]), unit_of_token, features, names))
    probs = probabilities(model, [r[0] for r in rows])
    prepared = []
    for b, (ids, special, units, unit_of_token, features, names) in enumerate(rows):
        target = int(np.argmax(probs[b]))
        prepared.append(
            Prepared(b, ids, special, units, unit_of_token, features, names, target, float(probs[b, target]))
        )
    return prepared


def probabilities(model: HookedModel, rows: Sequence[Sequence[int]]) -> np.ndarray:
    """[rows, classes] softmax of the logits for token-id rows (right-padded, batched)."""
    out = []
    for start in range(0, len(rows), BATCH):
        logits = run_rows(model, rows[start : start + BATCH], ["logits"])["logits"]
        out.append(torch.softmax(logits, -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


def run_rows(model: HookedModel, rows: Sequence[Sequence[int]], names: Sequence[str]) -> dict[str, torch.Tensor]:
    """The hidden states `names` (float64, CPU) of token-id rows run as one right-padded batch."""
    rows = [list(r) for r in rows]
    if any(len(r) == 0 for r in rows):
        raise ValueError(
            f"removing every word leaves {model.name} no token to read (it has no special tokens); "
            "use removal='mask', or thresholds below 1."
        )
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[b, : len(r)] = 1
    tokens = [[str(t) for t in r] for r in rows]
    encoding = Encoding(ids, mask, tokens, tokens, [list(range(len(r))) for r in rows])
    with frozen(model.module), torch.no_grad():
        embed = model.embed(encoding)
        states = model.states(embed, mask.to(embed.device), list(dict.fromkeys(names)))
    return {name: state.double().cpu() for name, state in states.items()}


def removed_ids(sentence: Prepared, removed: Sequence[int], removal: str, replacement: int | None) -> list[int]:
    """The sentence's token ids with the features `removed` deleted or replaced (specials stay)."""
    gone = {t for f in removed for t in sentence.features[f]}
    if removal == "delete":
        return [t for i, t in enumerate(sentence.ids) if i not in gone]
    return [replacement if i in gone else t for i, t in enumerate(sentence.ids)]


def ferret_text(
    model: HookedModel, sentence: Prepared, removed: Sequence[int], removal: str, keep: bool = False
) -> str:
    """ferret's route: drop the specials, delete (or [MASK]) the features, decode the ids to a string.

    keep=True keeps only `removed` (ferret's sufficiency with deletion), in sentence order.
    """
    tokenizer = getattr(model, "tokenizer", None)
    positions = {t for f in removed for t in sentence.features[f]}
    body = [i for i in range(len(sentence.ids)) if not sentence.special[i]]
    if removal == "delete":
        kept = [i for i in body if (i in positions) == keep]
        ids = [sentence.ids[i] for i in kept]
    else:
        ids = [tokenizer.mask_token_id if i in positions else sentence.ids[i] for i in body]
    return tokenizer.decode(ids)


def check_ferret_tokenizer(model: HookedModel, removal: str) -> None:
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None or not callable(getattr(tokenizer, "decode", None)):
        raise ValueError(
            f"mode='ferret' decodes ids to text and tokenises it again, which needs a Hugging Face tokenizer; "
            f"{model.name} has none. Use mode='eraser'."
        )
    if removal == "mask" and tokenizer.mask_token_id is None:
        raise ValueError(f"{model.name}'s tokenizer has no [MASK] token, which ferret's removal='mask' writes in.")


def text_probabilities(model: HookedModel, texts: Sequence[str]) -> np.ndarray:
    """[texts, classes] the model's probabilities on texts tokenised by its tokenizer (ferret's forward)."""
    tokenizer = model.tokenizer
    rows = [tokenizer(text)["input_ids"] for text in texts]
    return probabilities(model, rows)
