"""BERT: pretrained MiniLM (6 layers, 384 hidden) with a sequence-classification head, fine-tuned.

Hidden states come from `HFEncoder`: layer.0 (= `embed`: word + position + segment embeddings
after LayerNorm, where the authors put the noise) … layer.6, pooled, logits.
"""

from __future__ import annotations

from .common import minilm_path, minilm_tokenizer, seeded
from .hf import HFEncoder


def build_bert(config: dict, name: str = "bert", pretrained: bool = True) -> HFEncoder:
    """MiniLM + a fresh classifier with `config['num_labels']` classes.

    Args:
        config: {'num_labels': int, 'dropout': float (classifier dropout, optional)}.
        pretrained: load MiniLM's weights (False builds the same shapes randomly, to load a cache into).
    """
    # lazy: start-up cost (transformers, ~3 s to import)
    from transformers import BertConfig, BertForSequenceClassification
    from transformers.utils import logging as hf_logging  # lazy: start-up cost (transformers, ~3 s to import)

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()  # "some weights newly initialised" is expected for the head
    hf_logging.disable_progress_bar()
    try:
        bert_config = BertConfig.from_pretrained(minilm_path(), local_files_only=True, num_labels=config["num_labels"])
        if "dropout" in config:
            bert_config.classifier_dropout = config["dropout"]
        with seeded(config.get("seed", 0)):  # the new classifier head is part of the recipe
            if pretrained:
                model = BertForSequenceClassification.from_pretrained(
                    minilm_path(), config=bert_config, local_files_only=True
                )
            else:
                model = BertForSequenceClassification(bert_config)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    return HFEncoder(model.eval(), minilm_tokenizer(), name=name)
