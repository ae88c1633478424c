"""Word lists (`STOP_WORDS`, `SPECIAL_TOKENS`) and word kinds (figures 5-7): '[CLS]', '[SEP]',
'function' (`STOP_WORDS`), 'punctuation', 'sentiment' (a word whose SST phrase-tree leaf label is
non-neutral in most of its occurrences, see `sentiment_lexicon`), 'neutral' (every other word)."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Mapping

import pandas as pd

# A documented English function-word list (articles, auxiliaries, pronouns, prepositions,
# conjunctions, particles), used for the "meaningful vs function words" comparison (paper §5.5).
STOP_WORDS = frozenset(
    """
a an the and or but nor so yet if then than as because while although though
is am are was were be been being do does did doing have has had having will would shall should can could
may might must
i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
this that these those who whom whose which what there here
of in on at by for with about against between into through during before after above below to from
up down out off over under again further once
not no just too very also only own same such both each few more most other some any all
's 't n't 're 've 'll 'd 'm
""".split()
)

SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]", "[MASK]", "<s>", "</s>", "<pad>"})

KINDS = ("[CLS]", "[SEP]", "function", "punctuation", "sentiment", "neutral")
_PUNCTUATION = re.compile(r"^[^\w]+$")
# The same roles in RoBERTa/MPNet-style vocabularies (`<s> … </s>`), so their [SEP] is counted as one.
_SPECIAL = {"<s>": "[CLS]", "</s>": "[SEP]"}


# -- word kinds ------------------------------------------------------------------------------------
def sentiment_lexicon(trees, min_share: float = 0.5) -> dict[str, bool]:
    """word (lower-case) -> True when most of its SST leaf labels are non-neutral (0, 1, 3, 4).

    Args:
        trees: `infolib.core.data.Tree`s (e.g. `load_sst_trees('dev')`).
        min_share: share of non-neutral occurrences needed.
    """
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for tree in trees:
        for word, label in zip(tree.words, tree.word_labels):
            entry = counts[word.lower()]
            entry[0] += label != 2
            entry[1] += 1
    return {word: polar / total >= min_share for word, (polar, total) in counts.items()}


def with_sentiment_words(sentences, lexicon: Mapping[str, bool], n: int) -> list[str]:
    """The first `n` sentences holding at least one sentiment word (`word_kind` 'sentiment').

    The notebooks' rule for choosing SST-2 dev sentences: claims 3, 5 and 6 compare sentiment words
    with the others, and a sentence without one says nothing about them. The rule reads the words
    only, never a model's results.

    Raises:
        ValueError: fewer than `n` sentences qualify.
    """
    chosen = [s for s in sentences if any(word_kind(w, lexicon) == "sentiment" for w in s.split())][:n]
    if len(chosen) < n:
        raise ValueError(f"only {len(chosen)} of {len(sentences)} sentences hold a sentiment word; {n} were asked for.")
    return chosen


def word_kind(word: str, lexicon: Mapping[str, bool] | None = None) -> str:
    """The kind of a word: '[CLS]', '[SEP]', 'function', 'punctuation', 'sentiment' or 'neutral'."""
    if word in ("[CLS]", "[SEP]"):
        return word
    if word in _SPECIAL:
        return _SPECIAL[word]
    lower = word.lower()
    if lower in STOP_WORDS:
        return "function"
    if _PUNCTUATION.match(word):
        return "punctuation"
    if lexicon is not None and lexicon.get(lower, False):
        return "sentiment"
    return "neutral"


def add_word_kinds(frame: pd.DataFrame, lexicon: Mapping[str, bool] | None) -> pd.DataFrame:
    """The table with a `kind` column (see `word_kind`)."""
    return frame.assign(kind=[word_kind(w, lexicon) for w in frame["word"]])
