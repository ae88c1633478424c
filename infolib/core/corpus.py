"""A data set's sentences (`load_dataset`), and the pieces a data-set run writes: `merge`, the CSV.

The run itself, for every method and engine, is `infolib.methods.runner.run_corpus`
(`infolib.explain_corpus(model, "sst2-dev", method=...)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


from .atomic import atomic_write
from .data import SST2_SPLITS, Split
from .inputs import check_sentences
from .results import WordScores
from .validation import COUNT, check_param
from .data import load_sst2


def load_dataset(dataset: str | Split | Sequence[str], limit: int | None = None, data_dir=None) -> list[str]:
    """Sentences from a name ('sst2-dev', 'sst2-train', 'sst2-test'), a Split, or a list."""
    if isinstance(dataset, str):
        task, _, split = dataset.partition("-")
        if task != "sst2" or split not in SST2_SPLITS:
            raise ValueError(
                f"unknown dataset '{dataset}': use 'sst2-dev', 'sst2-train', 'sst2-test', or pass a list of sentences."
            )
        sentences = load_sst2(split, data_dir=data_dir).sentences
    elif isinstance(dataset, Split):
        sentences = dataset.sentences
    else:
        sentences = check_sentences(dataset)
    if limit is not None:
        check_param("limit", limit, [COUNT, None])
        sentences = sentences[:limit]
    return list(sentences)


def merge(parts: list[tuple[list[int], WordScores]], n: int) -> WordScores:
    """One result from parts that each explain the sentences at the given indices (`WordScores.concat`)."""
    positions = [i for indices, _ in parts for i in indices]
    if len(positions) != n:
        raise ValueError(f"the parts explain {len(positions)} sentences, not {n}.")
    return WordScores.concat([part for _, part in parts], positions=positions)


def _write_csv_atomically(result: WordScores, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: result.to_frame().to_csv(tmp, index=False))
