"""Data sets, read from the data search path (see paths.py): SST-2, CoLA, the SST phrase trees,
and a seeded synthetic sequence-reversal task."""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from .paths import find_data_file

SST2_SPLITS = {"train": "sst2/train.tsv", "dev": "sst2/dev.tsv", "test": "sst2/test_labeled.tsv"}
COLA_SPLITS = {
    "train": "cola/raw/in_domain_train.tsv",
    "dev": "cola/raw/in_domain_dev.tsv",
    "dev-ood": "cola/raw/out_of_domain_dev.tsv",
}
TREE_SPLITS = {"dev": "sst2/trees/dev.txt", "test": "sst2/trees/test.txt"}
# PTB escapes in the SST trees, undone so tree words read like the GLUE text.
PTB_UNESCAPE = {"-LRB-": "(", "-RRB-": ")", "\\/": "/", "\\*": "*"}


@dataclass(frozen=True)
class Split:
    """Sentences (whitespace-tokenised words) and their integer labels."""

    name: str
    sentences: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.sentences)


def file_sha256(path: str | Path) -> str:
    """sha256 of a data file's bytes (recorded with every trained model)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_file(task: str, split: str, data_dir=None) -> Path:
    """The file behind `load_<task>(split)`: task 'sst2', 'cola' or 'trees'."""
    table = {"sst2": SST2_SPLITS, "cola": COLA_SPLITS, "trees": TREE_SPLITS}
    if task not in table:
        raise ValueError(f"unknown task '{task}': choose from {', '.join(table)}.")
    if split not in table[task]:
        raise ValueError(f"unknown {task} split '{split}': choose from {', '.join(table[task])}.")
    return find_data_file(table[task][split], data_dir)


def load_sst2(split: str = "dev", data_dir=None) -> Split:
    """SST-2 (GLUE): 'train' (67,349 phrases), 'dev' (872), 'test' (1,821, labels from SST trees)."""
    if split not in SST2_SPLITS:
        raise ValueError(f"unknown SST-2 split '{split}': choose from {', '.join(SST2_SPLITS)}.")
    path = find_data_file(SST2_SPLITS[split], data_dir)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return Split(f"sst2-{split}", [r["sentence"].strip() for r in rows], [int(r["label"]) for r in rows])


def load_cola(split: str = "dev", data_dir=None) -> Split:
    """CoLA (raw text, 1 = acceptable): 'train' (8,551), 'dev' in-domain (527), 'dev-ood' (516).

    The raw sentences are not tokenised ("rocks."); words are split on whitespace like any other
    sentence, and the WordPiece tokenizer splits the punctuation off.
    """
    if split not in COLA_SPLITS:
        raise ValueError(f"unknown CoLA split '{split}': choose from {', '.join(COLA_SPLITS)}.")
    path = find_data_file(COLA_SPLITS[split], data_dir)
    sentences, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if len(row) != 4 or row[1] not in ("0", "1"):
                raise ValueError(
                    f"{path}:{number}: expected 4 tab-separated columns (source, 0/1, mark, sentence), got {row!r}."
                )
            sentences.append(" ".join(row[3].split()))
            labels.append(int(row[1]))
    return Split(f"cola-{split}", sentences, labels)


@dataclass(frozen=True)
class Tree:
    """One SST sentence with its phrase-tree sentiment labels (0-1 negative, 2 neutral, 3-4 positive).

    Attributes:
        words: [n_words] the leaves, PTB escapes undone (-LRB- -> '(').
        word_labels: [n_words] each leaf's own sentiment label 0-4.
        root_label: the whole sentence's label 0-4.
    """

    words: list[str]
    word_labels: list[int]
    root_label: int

    @property
    def sentence(self) -> str:
        return " ".join(self.words)


def _unescape(word: str) -> str:
    for escaped, plain in PTB_UNESCAPE.items():
        word = word.replace(escaped, plain)
    return word


def parse_tree(line: str) -> Tree:
    """Parse one labelled PTB tree, e.g. '(3 (2 It) (4 (2 's) (3 fine)))'."""
    tokens = line.replace("(", " ( ").replace(")", " ) ").split()
    words, word_labels, position = [], [], 0

    def node() -> int:  # reads '(label child child)' or '(label word)'; returns the label
        nonlocal position
        if position + 1 >= len(tokens) or tokens[position] != "(" or not tokens[position + 1].isdigit():
            raise ValueError(f"not an SST tree at token {position}: {line[:80]!r}")
        label = int(tokens[position + 1])
        position += 2
        if tokens[position] == "(":
            while tokens[position] == "(":
                node()
        else:
            words.append(_unescape(tokens[position]))
            word_labels.append(label)
            position += 1
        if tokens[position] != ")":
            raise ValueError(f"unbalanced SST tree: {line[:80]!r}")
        position += 1
        return label

    try:
        root = node()
    except IndexError:
        raise ValueError(f"truncated SST tree: {line[:80]!r}") from None
    if position != len(tokens):
        raise ValueError(f"text after the end of an SST tree: {line[:80]!r}")
    return Tree(words, word_labels, root)


def load_sst_trees(split: str = "dev", data_dir=None) -> list[Tree]:
    """SST phrase trees: 'dev' (1,101 sentences), 'test' (2,210), with per-word and root labels 0-4."""
    if split not in TREE_SPLITS:
        raise ValueError(f"unknown SST tree split '{split}': choose from {', '.join(TREE_SPLITS)}.")
    path = find_data_file(TREE_SPLITS[split], data_dir)
    with open(path, encoding="utf-8") as f:
        return [parse_tree(line) for line in f if line.strip()]


# -- synthetic sequence reversal (docs/method.md §4: output step t must hold input word n − t + 1) ---
REVERSE_VOCAB = tuple("abcdefghijklmnop")  # 16 one-letter words, each a single WordPiece too


@dataclass(frozen=True)
class ReverseSplit:
    """Sequence-reversal pairs: `sentences[i]` is space-separated symbols, `targets[i]` the same reversed."""

    name: str
    sentences: list[str]
    targets: list[str]

    def __len__(self) -> int:
        return len(self.sentences)


def make_reverse(
    split: str = "train",
    n: int | None = None,
    *,
    min_len: int = 3,
    max_len: int = 12,
    vocab: tuple[str, ...] = REVERSE_VOCAB,
    seed: int = 0,
) -> ReverseSplit:
    """Random symbol sequences and their reversals; the same arguments always give the same data.

    Args:
        split: 'train' (default n 20,000) or 'dev' (default n 1,000); they use different streams.
        n: number of sequences.
        min_len, max_len: lengths are uniform in [min_len, max_len].
        vocab: the symbols (words).
        seed: base seed; the split name is mixed in, so train and dev differ.
    """
    defaults = {"train": 20_000, "dev": 1_000}
    if split not in defaults:
        raise ValueError(f"unknown reversal split '{split}': choose from {', '.join(defaults)}.")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}.")
    if len(vocab) < 2 or any(not w or w != w.strip() or " " in w for w in vocab):
        raise ValueError("vocab must hold at least 2 non-empty symbols without spaces.")
    n = defaults[split] if n is None else n
    rng = random.Random(f"reverse-{split}-{seed}")
    sentences, targets = [], []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(min_len, max_len))]
        sentences.append(" ".join(words))
        targets.append(" ".join(reversed(words)))
    return ReverseSplit(f"reverse-{split}", sentences, targets)
