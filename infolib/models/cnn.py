"""CNN: Kim (2014) multi-width convolutions over MiniLM's word pieces, plus a second conv layer.

Convolutions use 'same' padding, so every layer is a token-level state as long as the input and
the layer-wise figures compare like with like. Padding tokens are zeroed before each convolution,
which makes a sentence's states independent of the other sentences in its batch. Hidden states:

    embed / layer.0   word embeddings (MiniLM's table, no position, no LayerNorm)   [batch, tokens, K]
    layer.1           ReLU feature maps of the widths (3, 4, 5), concatenated     [batch, tokens, 3F]
    layer.2           ReLU of a width-3 convolution over layer.1                 [batch, tokens, F2]
    pooled            max over tokens of the last layer (Kim's max-over-time)    [batch, D]
    logits            linear(pooled)                                             [batch, C]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

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


class CNNNet(nn.Module):
    """The torch module: word_embeddings, layer-1 convolutions (one per width), optional layer 2."""

    def __init__(self, vocab_size: int, widths: list[int], maps: int, maps2: int, num_labels: int, dropout: float):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, K_MINILM, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(K_MINILM, maps, w) for w in widths)
        width = maps * len(widths)
        self.conv2 = nn.Conv1d(width, maps2, 3) if maps2 else None
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(maps2 or width, num_labels)


def same_padding(x: Tensor, conv: nn.Conv1d) -> Tensor:
    """Zero-pad [batch, channels, tokens] so `conv` keeps the length (one more on the right for even widths)."""
    width = conv.kernel_size[0]
    return F.pad(x, ((width - 1) // 2, width // 2))


class HookedCNN(WordPieceModel):
    """CNNNet with infolib's hidden-state names."""

    def __init__(self, module: CNNNet, name: str = "cnn"):
        super().__init__(module, name)
        layers = 2 if module.conv2 is not None else 1
        self.hidden_states = tuple(vocabulary.layer_names(layers)) + ("pooled", "logits")

    def _forward(self, embed: Tensor, attention_mask: Tensor, want) -> dict[str, Tensor]:
        net: CNNNet = self.module
        keep = attention_mask.to(embed.dtype)[..., None]  # [batch, tokens, 1]
        x = (embed * keep).transpose(1, 2)  # [batch, K, tokens]
        hidden = torch.cat([F.relu(conv(same_padding(x, conv))) for conv in net.convs], 1).transpose(1, 2) * keep
        states = {vocabulary.layer_name(0): embed, vocabulary.layer_name(1): hidden}
        if net.conv2 is not None and self.depth(want) >= 2:
            hidden = (
                F.relu(net.conv2(same_padding(net.dropout(hidden).transpose(1, 2), net.conv2))).transpose(1, 2) * keep
            )
            states[vocabulary.layer_name(2)] = hidden
        pooled_and_logits(net, hidden, attention_mask, states, want)
        return {name: states[name][rows] for name, rows in want.items()}


def build_cnn(config: dict, name: str = "cnn", pretrained: bool = True) -> HookedCNN:
    """A seeded Kim CNN.

    Args:
        config: {'widths' (e.g. [3, 4, 5]), 'maps' (F per width), 'maps2' (F2; 0 = Kim's single
            layer), 'num_labels', 'dropout', 'freeze_embeddings', 'seed'}.
        pretrained: copy MiniLM's word-embedding table in (False when a cache will be loaded).
    """
    check_config(config, ["widths", "maps", "num_labels"], "cnn")
    with seeded(config.get("seed", 0)):
        net = CNNNet(
            len(minilm_tokenizer()),
            list(config["widths"]),
            config["maps"],
            config.get("maps2", 0),
            config["num_labels"],
            config.get("dropout", 0.0),
        )
    if pretrained:
        with torch.no_grad():
            net.word_embeddings.weight.copy_(minilm_word_embeddings())
    net.word_embeddings.weight.requires_grad_(not config.get("freeze_embeddings", False))
    return HookedCNN(net.eval(), name)
