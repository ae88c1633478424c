"""LSTM: stacked bidirectional LSTM classifier over MiniLM's word pieces.

Bidirectional, so that every word can reach every timestamp's state and a layer's σ reflects what
the layer keeps, not only what it has read so far (in a unidirectional RNN the words after t
saturate at h_t, docs/method.md §4). Hidden states:

    embed / layer.0   word embeddings (MiniLM's table, no position, no LayerNorm)   [batch, tokens, K]
    layer.l           layer l's states at every timestamp, [forward; backward]      [batch, tokens, 2H]
    pooled            max over tokens of layer.L                                   [batch, 2H]
    logits            linear(pooled)                                               [batch, C]
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..core import names as vocabulary
from .common import (
    K_MINILM,
    WordPieceModel,
    check_config,
    minilm_tokenizer,
    minilm_word_embeddings,
    pooled_and_logits,
    seeded,
)


class LSTMNet(nn.Module):
    """The torch module: word_embeddings, `layers` LSTMs (one module per layer), classifier."""

    def __init__(self, vocab_size: int, hidden: int, layers: int, num_labels: int, dropout: float, bidirectional: bool):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, K_MINILM, padding_idx=0)
        width = hidden * (2 if bidirectional else 1)
        self.lstms = nn.ModuleList(
            nn.LSTM(K_MINILM if i == 0 else width, hidden, batch_first=True, bidirectional=bidirectional)
            for i in range(layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, num_labels)


class HookedLSTM(WordPieceModel):
    """LSTMNet with infolib's hidden-state names."""

    def __init__(self, module: LSTMNet, name: str = "lstm"):
        super().__init__(module, name)
        self.hidden_states = tuple(vocabulary.layer_names(len(module.lstms))) + ("pooled", "logits")

    def _forward(self, embed: Tensor, attention_mask: Tensor, want) -> dict[str, Tensor]:
        net: LSTMNet = self.module
        depth = self.depth(want)
        lengths = attention_mask.sum(1).cpu()
        hidden, states = embed, {vocabulary.layer_name(0): embed}
        for block, lstm in enumerate(net.lstms[:depth], start=1):
            # packing keeps padding out of the backward direction: a sentence's states do not
            # depend on how long the other sentences in its batch are
            packed = pack_padded_sequence(
                net.dropout(hidden) if block > 1 else hidden, lengths, batch_first=True, enforce_sorted=False
            )
            hidden, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=embed.shape[1])
            states[vocabulary.layer_name(block)] = hidden
        pooled_and_logits(net, hidden, attention_mask, states, want)
        return {name: states[name][rows] for name, rows in want.items()}


def build_lstm(config: dict, name: str = "lstm", pretrained: bool = True) -> HookedLSTM:
    """A seeded LSTM classifier.

    Args:
        config: {'hidden' (per direction), 'layers' (≥ 2), 'num_labels', 'dropout',
            'bidirectional' (default True), 'freeze_embeddings', 'seed'}.
        pretrained: copy MiniLM's word-embedding table in (False when a cache will be loaded).
    """
    check_config(config, ["hidden", "layers", "num_labels"], "lstm")
    with seeded(config.get("seed", 0)):
        net = LSTMNet(
            len(minilm_tokenizer()),
            config["hidden"],
            config["layers"],
            config["num_labels"],
            config.get("dropout", 0.0),
            config.get("bidirectional", True),
        )
    if pretrained:
        with torch.no_grad():
            net.word_embeddings.weight.copy_(minilm_word_embeddings())
    net.word_embeddings.weight.requires_grad_(not config.get("freeze_embeddings", False))
    return HookedLSTM(net.eval(), name)
