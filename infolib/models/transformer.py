"""Transformer: the BERT architecture (BertConfig, default 4 layers × 384 hidden) trained from scratch.

Only the input word-embedding table starts from MiniLM's (K = 384); positions, LayerNorms and all
blocks are random. `embed` is HFEncoder's: word + position + segment embeddings after LayerNorm,
as for BERT, so the two are explained at the same place.
"""

from __future__ import annotations

import torch

from .common import K_MINILM, check_config, minilm_tokenizer, minilm_word_embeddings, seeded
from .hf import HFEncoder


def build_transformer(config: dict, name: str = "transformer", pretrained: bool = True) -> HFEncoder:
    """A randomly initialised BertForSequenceClassification with MiniLM's word embeddings.

    Args:
        config: {'layers', 'heads', 'intermediate', 'num_labels', 'dropout', 'freeze_embeddings',
            'seed'}; the hidden size is K = 384 (MiniLM's table).
        pretrained: copy MiniLM's word-embedding table in (False when a cache will be loaded).
    """
    # lazy: start-up cost (transformers, ~3 s to import)
    from transformers import BertConfig, BertForSequenceClassification

    check_config(config, ["layers", "heads", "intermediate", "num_labels"], "transformer")
    tokenizer = minilm_tokenizer()
    bert_config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=K_MINILM,
        num_hidden_layers=config["layers"],
        num_attention_heads=config["heads"],
        intermediate_size=config["intermediate"],
        hidden_dropout_prob=config.get("dropout", 0.1),
        attention_probs_dropout_prob=config.get("dropout", 0.1),
        max_position_embeddings=512,
        num_labels=config["num_labels"],
    )
    with seeded(config.get("seed", 0)):  # the random blocks are part of the recipe
        model = BertForSequenceClassification(bert_config)
    table = model.bert.embeddings.word_embeddings
    if pretrained:
        with torch.no_grad():
            table.weight.copy_(minilm_word_embeddings())
    table.weight.requires_grad_(not config.get("freeze_embeddings", False))
    return HFEncoder(model.eval(), tokenizer, name=name)
