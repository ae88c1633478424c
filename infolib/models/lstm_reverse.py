"""LSTM encoder-decoder for sequence reversal (Luong-style attention, non-autoregressive steps).

Encoder: stacked bidirectional LSTMs (layer.l, [batch, n, 2H]). Decoder: an LSTMCell whose input
at step t is a learned step embedding and the previous attention context; its state starts from
the encoder's mean state. step.t is the attentional state õ_t = tanh(W [h_t; c_t]) that the output
layer reads ([batch, H_dec]).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..core.data import REVERSE_VOCAB
from .common import check_config, seeded
from .reverse import ReverseModel, masked_softmax


class LSTMReverseNet(nn.Module):
    def __init__(self, vocab_size: int, K: int, hidden: int, layers: int, decoder_hidden: int, max_len: int):
        super().__init__()
        self.num_encoder_layers = layers
        self.symbol_embeddings = nn.Embedding(vocab_size + 1, K, padding_idx=0)
        self.lstms = nn.ModuleList(
            nn.LSTM(K if i == 0 else 2 * hidden, hidden, batch_first=True, bidirectional=True) for i in range(layers)
        )
        self.step_embeddings = nn.Embedding(max_len, K)
        self.init_state = nn.Linear(2 * hidden, 2 * decoder_hidden)
        self.cell = nn.LSTMCell(K + 2 * hidden, decoder_hidden)
        self.attend = nn.Linear(decoder_hidden, 2 * hidden, bias=False)
        self.combine = nn.Linear(decoder_hidden + 2 * hidden, decoder_hidden)
        self.output = nn.Linear(decoder_hidden, vocab_size)

    def encoder_states(self, embed: Tensor, attention_mask: Tensor) -> list[Tensor]:
        lengths = attention_mask.sum(1).cpu()
        hidden, layers = embed, []
        for lstm in self.lstms:
            packed = pack_padded_sequence(hidden, lengths, batch_first=True, enforce_sorted=False)
            hidden, _ = pad_packed_sequence(lstm(packed)[0], batch_first=True, total_length=embed.shape[1])
            layers.append(hidden)
        return layers

    def decoder_states(self, memory: Tensor, attention_mask: Tensor, steps: int) -> Tensor:
        keep = attention_mask.to(memory.dtype)[..., None]
        mean = (memory * keep).sum(1) / keep.sum(1)
        h, c = torch.tanh(self.init_state(mean)).chunk(2, -1)
        context = torch.zeros_like(mean)
        out = []
        for t in range(steps):
            step = self.step_embeddings.weight[t].expand(len(memory), -1)
            h, c = self.cell(torch.cat([step, context], -1), (h, c))
            weights = masked_softmax((memory @ self.attend(h)[..., None]).squeeze(-1), attention_mask)
            context = (weights[..., None] * memory).sum(1)
            out.append(torch.tanh(self.combine(torch.cat([h, context], -1))))
        return torch.stack(out, 1)


def build_lstm_reverse(config: dict, name: str = "lstm-reverse", pretrained: bool = True) -> ReverseModel:
    """A seeded LSTM reverser. config: {'K', 'hidden', 'layers', 'decoder_hidden', 'max_len', 'seed'}."""
    check_config(config, ["K", "hidden", "layers", "decoder_hidden", "max_len"], "lstm-reverse")
    vocab = tuple(config.get("vocab", REVERSE_VOCAB))
    with seeded(config.get("seed", 0)):
        net = LSTMReverseNet(
            len(vocab), config["K"], config["hidden"], config["layers"], config["decoder_hidden"], config["max_len"]
        )
    return ReverseModel(net.eval(), vocab, config["max_len"], name)
