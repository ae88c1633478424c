"""Data sets, read from the data search path (see paths.py): SST-2 for now."""
from __future__ import annotations

import csv
from dataclasses import dataclass

from .paths import find_data_file

SST2_SPLITS = {"train": "sst2/train.tsv", "dev": "sst2/dev.tsv", "test": "sst2/test_labeled.tsv"}


@dataclass(frozen=True)
class Split:
    """Sentences (whitespace-tokenised words) and their integer labels."""

    name: str
    sentences: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.sentences)


def load_sst2(split: str = "dev", data_dir=None) -> Split:
    """SST-2 (GLUE): 'train' (67,349 phrases), 'dev' (872), 'test' (1,821, labels from SST trees)."""
    if split not in SST2_SPLITS:
        raise ValueError(f"unknown SST-2 split '{split}': choose from {', '.join(SST2_SPLITS)}.")
    path = find_data_file(SST2_SPLITS[split], data_dir)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return Split(f"sst2-{split}", [r["sentence"].strip() for r in rows], [int(r["label"]) for r in rows])
