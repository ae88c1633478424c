"""Word alignment: which of a tokenizer's tokens belong to which whitespace-separated word.

infolib explains words, not word pieces: every token is mapped to the word whose characters it
covers, and a sentence whose tokenizer merges two words into one token, or drops a word, is refused
(`WordAlignmentError`, a ValueError) instead of being explained wrongly.
"""

from __future__ import annotations

from typing import Sequence


class WordAlignmentError(ValueError):
    """A tokenizer did not give back every word of a sentence as a unit of its own."""


def check_every_word(words: Sequence[str], found: set[int], sentence: int, model: str) -> None:
    """A WordAlignmentError naming the words of `words` whose index is not in `found` (no token kept them)."""
    lost = [w for i, w in enumerate(words) if i not in found]
    if lost:
        raise WordAlignmentError(
            f"sentence {sentence}: {model}'s tokenizer gives no token for the word(s) {', '.join(map(repr, lost))} "
            f"(it drops or truncates them), so their information cannot be explained. Remove or rewrite "
            f"those words, or use a tokenizer that keeps them."
        )


def align_words(
    tokenizer, sentence: str, index: int = 0, model: str = "model"
) -> tuple[list[int], list[str], list[str], list[int]]:
    """Tokenise one sentence (words joined by single spaces) and map every token to its word.

    Words are whitespace-separated; a token belongs to the word its character span overlaps. A bare
    prefix marker (byte-level 'Ġ' or SentencePiece '▁' whose span holds no word character) belongs
    to the next word; special tokens (empty span) are units of their own.

    Returns:
        (input_ids [tokens], token strings [tokens], unit names [units], unit of each token [tokens]).
    Raises:
        WordAlignmentError: a token spans two words, or a word comes back as no token.
    """
    words = sentence.split(" ")
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + 1
    word_at = [w for w, word in enumerate(words) for _ in range(len(word) + 1)]  # char -> word (space -> next)

    batch = tokenizer(sentence, return_offsets_mapping=True, return_special_tokens_mask=True)
    ids = list(batch["input_ids"])
    pieces = tokenizer.convert_ids_to_tokens(ids)
    word_of = []
    for (start, end), special in zip(batch["offset_mapping"], batch["special_tokens_mask"]):
        covered = {word_at[c] for c in range(start, min(end, len(sentence))) if sentence[c] != " "}
        if len(covered) > 1:
            span = sentence[start:end]
            raise WordAlignmentError(
                f"sentence {index}: one token of {model}'s tokenizer covers {span!r}, across the words "
                f"{', '.join(repr(words[w]) for w in sorted(covered))}, so they cannot be explained one by one. "
                f"Put the words in separate sentences or use level='token' on a model whose tokens stay within words."
            )
        word_of.append(covered.pop() if covered else "special" if special else None)
    for t, word in enumerate(word_of):  # a marker with no word character joins the next word (else the previous)
        if word is None:
            after = [w for w in word_of[t + 1 :] if isinstance(w, int)]
            before = [w for w in word_of[:t] if isinstance(w, int)]
            word_of[t] = after[0] if after else before[-1] if before else "special"
    check_every_word(words, {w for w in word_of if isinstance(w, int)}, index, model)
    names, unit, mapping = [], {}, []
    for t, (piece, word) in enumerate(zip(pieces, word_of)):
        key = ("word", word) if isinstance(word, int) else ("special", t)
        if key not in unit:
            unit[key] = len(names)
            names.append(words[word] if isinstance(word, int) else piece)
        mapping.append(unit[key])
    return ids, pieces, names, mapping


__all__ = ["WordAlignmentError", "align_words", "check_every_word"]
