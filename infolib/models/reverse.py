"""What the sequence-reversal models share: their own symbol vocabulary and the `step.t` names.

A reversal model reads n symbols and outputs them reversed, so output step t should hold mostly
the information of input word n − t + 1 (docs/method.md §4). Hidden states:

    embed / layer.0   symbol embeddings (no position: positions are added inside the encoder) [batch, n, K]
    layer.l           encoder layer l, every input position                                  [batch, n, D]
    step.t            the decoder's hidden state at output step t (1-based, t ≤ n)            [batch, D_dec]

The decoders are not autoregressive: step t's input is a learned step embedding, not the previous
output symbol, so the input words reach step.t only through the encoder, which is what the
estimator perturbs. Inputs are the task's symbols, one word = one token, no [CLS]/[SEP].
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ..core import names
from ..core.hooks import Encoding, HookedModel


class ReverseModel(HookedModel):
    """A reversal encoder-decoder with infolib's names; `module` provides
    `symbol_embeddings`, `encoder_states(embed, mask) -> [layer.1 … layer.L]`,
    `decoder_states(last_layer, mask, steps) -> [batch, steps, D_dec]` and `output` (a Linear to
    the vocabulary)."""

    def __init__(self, module: nn.Module, vocab: Sequence[str], max_len: int, name: str):
        self.module, self.name, self.vocab, self.max_tokens = module, name, tuple(vocab), max_len
        self.index = {symbol: i + 1 for i, symbol in enumerate(self.vocab)}  # id 0 is padding
        layers = module.num_encoder_layers
        self.hidden_states = tuple(names.layer_names(layers) + names.step_names(max_len))

    def encode(self, sentences: Sequence[str]) -> Encoding:
        words = [sentence.split() for sentence in sentences]
        for i, symbols in enumerate(words):
            unknown = sorted({s for s in symbols if s not in self.index})
            if unknown:
                raise ValueError(
                    f"sentence {i} has symbols {self.name} does not know: {', '.join(unknown)}. "
                    f"Its vocabulary is: {' '.join(self.vocab)} (use infolib.core.data.make_reverse to make inputs)."
                )
            if not 1 <= len(symbols) <= self.max_tokens:
                raise ValueError(f"sentence {i} has {len(symbols)} symbols; {self.name} takes 1 … {self.max_tokens}.")
        width = max(len(symbols) for symbols in words)
        ids = torch.zeros(len(words), width, dtype=torch.long)
        for i, symbols in enumerate(words):
            ids[i, : len(symbols)] = torch.tensor([self.index[s] for s in symbols])
        return Encoding(ids, (ids > 0).long(), words, [list(w) for w in words], [list(range(len(w))) for w in words])

    def embed(self, encoding: Encoding) -> Tensor:
        return self.module.symbol_embeddings(encoding.input_ids.to(self.device))

    def default_scale(self) -> float:
        return 10.0 * float(self.module.symbol_embeddings.weight[1:].detach().std())

    def step_logits(self, embed: Tensor, attention_mask: Tensor) -> Tensor:
        """Scores of each output step over the vocabulary: [batch, n_max, V] (steps ≥ n are padding)."""
        layers = self.module.encoder_states(embed, attention_mask)
        return self.module.output(self.module.decoder_states(layers[-1], attention_mask, embed.shape[1]))

    def reverse(self, sentences: Sequence[str]) -> list[str]:
        """The model's output for each sentence (greedy per step), as space-separated symbols."""
        encoding = self.encode(sentences)
        with torch.no_grad():
            best = self.step_logits(self.embed(encoding), encoding.attention_mask.to(self.device)).argmax(-1).cpu()
        return [" ".join(self.vocab[k] for k in best[i, : len(w)].tolist()) for i, w in enumerate(encoding.words)]

    def _forward(self, embed, attention_mask, want):
        lengths = attention_mask.sum(1)
        steps = [(name, names.step_index(name)) for name in want if names.is_step(name)]
        for name, t in steps:
            short = lengths[want[name]] < t
            if short.any():
                raise ValueError(
                    f"{name} does not exist for a sentence of {int(lengths[want[name]][short].min())} symbols: "
                    "output step t "
                    f"needs t ≤ n. (For σ_S, pass a corpus of long enough sequences, e.g. "
                    f"infolib.core.data.make_reverse('dev', 256, min_len={self.max_tokens}, "
                    f"max_len={self.max_tokens}).sentences.)"
                )
        layers = [embed] + self.module.encoder_states(embed, attention_mask)
        out = {name: layers[names.layer_index(name)][rows] for name, rows in want.items() if names.is_layer(name)}
        if steps:
            # all n_max steps, as in `step_logits`: a Transformer decoder's steps attend to each other
            decoded = self.module.decoder_states(layers[-1], attention_mask, embed.shape[1])
            out.update({name: decoded[want[name], t - 1] for name, t in steps})
        return out


def masked_softmax(scores: Tensor, attention_mask: Tensor) -> Tensor:
    """Softmax over real tokens only: [batch, tokens] -> [batch, tokens]."""
    return scores.masked_fill(~attention_mask.bool(), float("-inf")).softmax(-1)
