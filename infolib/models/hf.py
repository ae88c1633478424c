"""Hugging Face encoders as HookedModels."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ..core.hooks import Encoding, HookedModel


class HFEncoder(HookedModel):
    """A Hugging Face BERT-family encoder (BERT, RoBERTa, ELECTRA, ...), with or without a
    sequence-classification head.

    Hidden states: layer.0 … layer.L, pooled (if the model has a pooler) and logits (if it has a
    classifier on the pooled vector, like BertForSequenceClassification).
    """

    def __init__(self, model: nn.Module, tokenizer, name: str = "hf-encoder"):
        base = getattr(model, "base_model", model)
        if not (hasattr(base, "embeddings") and hasattr(getattr(base, "encoder", None), "layer")):
            raise TypeError(
                f"{type(model).__name__} is not a BERT-family encoder (it needs .embeddings and "
                f".encoder.layer). Wrap it in your own HookedModel subclass instead."
            )
        self.module, self.base, self.tokenizer, self.name = model, base, tokenizer, name
        self.blocks = base.encoder.layer
        self.pooler = getattr(base, "pooler", None)
        self.classifier = getattr(model, "classifier", None) if model is not base else None
        names = [f"layer.{i}" for i in range(len(self.blocks) + 1)]
        names += ["pooled"] * (self.pooler is not None)
        names += ["logits"] * (self.classifier is not None and self.pooler is not None)
        self.hidden_states = tuple(names)
        self.max_tokens = int(getattr(base.config, "max_position_embeddings", 512))

    def encode(self, sentences: Sequence[str]) -> Encoding:
        words = [sentence.split() for sentence in sentences]
        batch = self.tokenizer(words, is_split_into_words=True, padding=True, return_tensors="pt")
        tokens, units, unit_of_token = [], [], []
        for b, sentence_words in enumerate(words):
            n = int(batch["attention_mask"][b].sum())
            ids = batch["input_ids"][b, :n].tolist()
            pieces = self.tokenizer.convert_ids_to_tokens(ids)
            word_ids = batch.word_ids(b)[:n]
            # Special tokens ([CLS], [SEP]) are units of their own, perturbed like any word.
            names, index, mapping = [], {}, []
            for position, (piece, word) in enumerate(zip(pieces, word_ids)):
                key = ("word", word) if word is not None else ("special", position)
                if key not in index:
                    index[key] = len(names)
                    names.append(sentence_words[word] if word is not None else piece)
                mapping.append(index[key])
            tokens.append(pieces)
            units.append(names)
            unit_of_token.append(mapping)
        return Encoding(batch["input_ids"], batch["attention_mask"], tokens, units, unit_of_token)

    def embed(self, encoding: Encoding) -> Tensor:
        ids = encoding.input_ids.to(self.device)
        return self.base.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))

    def default_scale(self) -> float:
        return 10.0 * float(self.base.embeddings.word_embeddings.weight.detach().std())

    def _block_mask(self, embed: Tensor, attention_mask: Tensor):
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(
            config=self.base.config, inputs_embeds=embed, attention_mask=attention_mask.to(embed.device)
        )

    def _forward(self, embed, attention_mask, want):
        need = torch.full((embed.shape[0],), -1)
        for name, rows in want.items():
            need[rows] = torch.clamp(need[rows], min=self.depth(name))
        out: dict[str, Tensor] = {}
        active = torch.nonzero(need >= 0).squeeze(1)  # global rows still being computed
        hidden, mask = embed[active], attention_mask[active]

        def record(name: str, state: Tensor) -> None:
            if name in want:
                out[name] = state[torch.searchsorted(active, want[name])]

        record("layer.0", hidden)
        for depth, block in enumerate(self.blocks, start=1):
            keep = need[active] >= depth
            if not keep.all():  # rows wanted only at shallower layers stop here
                active, hidden, mask = active[keep], hidden[keep], mask[keep]
            if len(active) == 0:
                break
            hidden = block(hidden, self._block_mask(hidden, mask))
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
            record(f"layer.{depth}", hidden)
        if "pooled" in want or "logits" in want:
            pooled = self.pooler(hidden)
            record("pooled", pooled)
            if "logits" in want:
                record("logits", self.classifier(pooled))
        return out
