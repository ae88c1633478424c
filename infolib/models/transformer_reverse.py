"""Transformer encoder-decoder for sequence reversal (non-autoregressive step queries).

The encoder adds two learned position embeddings to `embed`: the position from the start and the
position from the end (n − i), so "which word is t-th from the end" is a direct lookup. The decoder
reads one learned query per output step, attends to itself (padding masked) and to the encoder.
layer.l = encoder layer l ([batch, n, d]); step.t = last decoder layer at step t ([batch, d]).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.data import REVERSE_VOCAB
from .common import check_config, seeded
from .reverse import ReverseModel


def gelu(x: Tensor) -> Tensor:
    # A plain function (not F.gelu itself) keeps torch's fused inference fast path off, so the
    # clean pass and the perturbed passes of the estimator run the same arithmetic.
    return F.gelu(x)


class TransformerReverseNet(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        d: int,
        heads: int,
        ff: int,
        layers: int,
        decoder_layers: int,
        max_len: int,
        dropout: float,
    ):
        super().__init__()
        self.num_encoder_layers = layers
        self.symbol_embeddings = nn.Embedding(vocab_size + 1, d, padding_idx=0)
        self.positions = nn.Embedding(max_len, d)
        self.positions_from_end = nn.Embedding(max_len, d)
        self.encoder = nn.ModuleList(
            nn.TransformerEncoderLayer(d, heads, ff, dropout, activation=gelu, batch_first=True) for _ in range(layers)
        )
        self.step_embeddings = nn.Embedding(max_len, d)
        self.decoder = nn.ModuleList(
            nn.TransformerDecoderLayer(d, heads, ff, dropout, activation=gelu, batch_first=True)
            for _ in range(decoder_layers)
        )
        self.output = nn.Linear(d, vocab_size)

    def encoder_states(self, embed: Tensor, attention_mask: Tensor) -> list[Tensor]:
        width = embed.shape[1]
        position = torch.arange(width, device=embed.device)
        from_end = (attention_mask.sum(1, keepdim=True) - 1 - position).clamp_min(0)
        hidden = embed + self.positions(position) + self.positions_from_end(from_end)
        padding = ~attention_mask.bool()
        layers = []
        for layer in self.encoder:
            hidden = layer(hidden, src_key_padding_mask=padding)
            layers.append(hidden)
        return layers

    def decoder_states(self, memory: Tensor, attention_mask: Tensor, steps: int) -> Tensor:
        padding = ~attention_mask.bool()
        query = self.step_embeddings.weight[:steps].expand(len(memory), -1, -1)
        query_padding = (
            padding[:, :steps]
            if steps <= padding.shape[1]
            else F.pad(padding, (0, steps - padding.shape[1]), value=True)
        )
        hidden = query
        for layer in self.decoder:
            hidden = layer(hidden, memory, tgt_key_padding_mask=query_padding, memory_key_padding_mask=padding)
        return hidden


def build_transformer_reverse(config: dict, name: str = "transformer-reverse", pretrained: bool = True) -> ReverseModel:
    """A seeded Transformer reverser.

    config: {'d', 'heads', 'ff', 'layers', 'decoder_layers', 'max_len', 'dropout', 'seed'}.
    """
    check_config(config, ["d", "heads", "ff", "layers", "decoder_layers", "max_len"], "transformer-reverse")
    vocab = tuple(config.get("vocab", REVERSE_VOCAB))
    with seeded(config.get("seed", 0)):
        net = TransformerReverseNet(
            len(vocab),
            config["d"],
            config["heads"],
            config["ff"],
            config["layers"],
            config["decoder_layers"],
            config["max_len"],
            config.get("dropout", 0.0),
        )
    return ReverseModel(net.eval(), vocab, config["max_len"], name)
