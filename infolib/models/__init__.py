"""infolib's models, one module per architecture, each a `HookedModel` so `infolib.core.explain` works on it.

    bert                 pretrained MiniLM fine-tuned (HFEncoder)
    transformer          BERT architecture from scratch (HFEncoder)
    lstm                 stacked bidirectional LSTM
    cnn                  Kim (2014) CNN + a second conv layer
    lstm_reverse         LSTM encoder-decoder for sequence reversal
    transformer_reverse  Transformer encoder-decoder for sequence reversal
    mpnet                pretrained all-mpnet-base-v2 (12 layers) fine-tuned (HFModel); `make deep-model` first

`from_pretrained(folder, name)` loads a Hugging Face folder (`hf_loading`); `BUILDERS[arch](config, name,
pretrained)` makes an untrained model; `infolib.models.registry` trains and caches.
"""

from .bert import build_bert
from .cnn import HookedCNN, build_cnn
from .hf import HFEncoder, HFModel
from .hf_loading import from_pretrained
from .lstm import HookedLSTM, build_lstm
from .lstm_reverse import build_lstm_reverse
from .mpnet import build_mpnet
from .reverse import ReverseModel
from .transformer import build_transformer
from .transformer_reverse import build_transformer_reverse

BUILDERS = {
    "bert": build_bert,
    "transformer": build_transformer,
    "lstm": build_lstm,
    "cnn": build_cnn,
    "lstm-reverse": build_lstm_reverse,
    "transformer-reverse": build_transformer_reverse,
    "mpnet": build_mpnet,
}

__all__ = [
    "BUILDERS",
    "HFEncoder",
    "HFModel",
    "HookedLSTM",
    "HookedCNN",
    "ReverseModel",
    "build_bert",
    "build_transformer",
    "build_lstm",
    "build_cnn",
    "build_lstm_reverse",
    "build_transformer_reverse",
    "build_mpnet",
    "from_pretrained",
]
