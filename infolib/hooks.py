"""Layer hooks: one small vocabulary of names for every model's input and hidden states.

Every model infolib explains is wrapped in a `HookedModel`, which names

    embed      the perturbable input: the output of the embedding module   [batch, tokens, K]
    layer.0    that same tensor, read as a hidden state                    [batch, tokens, D]
    layer.l    the output of block l, 1 <= l <= L                          [batch, tokens, D]
    pooled     the sentence vector the classifier reads (if any)           [batch, D]
    logits     the class scores (if any)                                   [batch, C]

so one estimator serves BERT, a Transformer, an LSTM and a CNN without hand-written closures.
Noise goes into `embed`; any of the other names can be the hidden state s that is explained.
"""
from __future__ import annotations

import abc
import contextlib
import hashlib
import re
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import torch
from torch import Tensor, nn

LAYER_NAME = re.compile(r"^layer\.(\d+)$")


@dataclass(frozen=True)
class Encoding:
    """Sentences as model input, with the map from word pieces back to the words people read.

    Attributes:
        input_ids: [batch, tokens] token ids, right-padded.
        attention_mask: [batch, tokens] 1 for real tokens, 0 for padding.
        tokens: per sentence, the token strings (no padding).
        words: per sentence, the units explained at word level ([CLS], the words, [SEP]).
        word_of_token: per sentence, for each token the index of its word in `words`.
    """

    input_ids: Tensor
    attention_mask: Tensor
    tokens: list[list[str]]
    words: list[list[str]]
    word_of_token: list[list[int]]

    def __len__(self) -> int:
        return len(self.tokens)


class HookedModel(abc.ABC):
    """A model with named hidden states, ready to be explained.

    Subclasses set `module` (the torch model), `hidden_states` (readable names, shallow to
    deep) and implement `encode`, `embed` and `_forward`.
    """

    module: nn.Module
    hidden_states: tuple[str, ...]
    name: str = "model"
    max_tokens: int = 512

    # -- what a subclass provides ---------------------------------------------------------
    @abc.abstractmethod
    def encode(self, sentences: Sequence[str]) -> Encoding:
        """Tokenise whitespace-separated sentences (words are split on spaces)."""

    @abc.abstractmethod
    def embed(self, encoding: Encoding) -> Tensor:
        """The clean perturbable input `embed`: [batch, tokens, K]."""

    @abc.abstractmethod
    def _forward(self, embed: Tensor, attention_mask: Tensor, want: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Hidden states from `embed`: for each name in `want`, the rows listed there.

        Args:
            embed: [batch, tokens, K] (possibly perturbed) input.
            attention_mask: [batch, tokens].
            want: name -> sorted LongTensor of row indices that need that state.
        Returns:
            name -> [len(rows), ...] states of those rows, in the order given. A row need not be
            computed past the deepest state it is wanted for.
        """

    @abc.abstractmethod
    def default_scale(self) -> float:
        """Upper bound of σ: 10 × the std of the word-embedding matrix (the authors' choice)."""

    # -- what every model gets ------------------------------------------------------------
    def is_token_level(self, name: str) -> bool:
        """Whether the hidden state has a token axis ([tokens, D]) or is one vector ([D])."""
        return LAYER_NAME.match(name) is not None

    def depth(self, name: str) -> int:
        """How many blocks must run to read `name`."""
        self.check_name(name)
        match = LAYER_NAME.match(name)
        return int(match.group(1)) if match else self.num_layers

    @property
    def num_layers(self) -> int:
        return max(int(m.group(1)) for n in self.hidden_states if (m := LAYER_NAME.match(n)))

    def check_name(self, name: str) -> None:
        if name not in self.hidden_states:
            raise ValueError(
                f"'{name}' is not a hidden state of {self.name}. "
                f"Choose from: {', '.join(self.hidden_states)} (or 'all' for layer.1 … layer.{self.num_layers})."
            )

    def resolve_layers(self, layers: str | int | Sequence[str | int]) -> list[str]:
        """Hidden-state names from 'all', a name, a block index, or a list of those."""
        if isinstance(layers, str) and layers == "all":
            return [f"layer.{i}" for i in range(1, self.num_layers + 1)]
        items = [layers] if isinstance(layers, (str, int)) else list(layers)
        if not items:
            raise ValueError("layers is empty: give 'all', a name like 'layer.3', or a list of them.")
        names = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise TypeError(f"a layer is a name like 'layer.3' or an int, not {type(item).__name__}.")
            name = f"layer.{item}" if isinstance(item, int) else item
            if isinstance(item, int) and not 0 <= item <= self.num_layers:
                raise ValueError(f"layer {item} is out of range: {self.name} has layers 0 … {self.num_layers}.")
            self.check_name(name)
            if name not in names:
                names.append(name)
        return names

    def run(self, embed: Tensor, attention_mask: Tensor, targets: Sequence[str]) -> dict[str, Tensor]:
        """Each row's own hidden state: row b is read at `targets[b]`.

        Returns:
            name -> [rows with that target, ...] in row order.
        """
        want: dict[str, list[int]] = {}
        for row, name in enumerate(targets):
            want.setdefault(name, []).append(row)
        return self._checked(embed, attention_mask, {n: torch.tensor(r) for n, r in want.items()})

    def states(self, embed: Tensor, attention_mask: Tensor, names: Sequence[str]) -> dict[str, Tensor]:
        """Every row's hidden states at each of `names`: name -> [batch, ...]."""
        rows = torch.arange(embed.shape[0])
        return self._checked(embed, attention_mask, {n: rows for n in names})

    def _checked(self, embed: Tensor, attention_mask: Tensor, want: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """`_forward`, with a clear error when a (user's) model returns states of the wrong shape."""
        out = self._forward(embed, attention_mask, want)
        for name, rows in want.items():
            state = out.get(name)
            token_level = self.is_token_level(name)
            expected = f"[{len(rows)}, {embed.shape[1]}, D]" if token_level else f"[{len(rows)}, D]"
            if (not isinstance(state, Tensor) or state.shape[0] != len(rows) or state.ndim != (3 if token_level else 2)
                    or (token_level and state.shape[1] != embed.shape[1])):
                got = tuple(state.shape) if isinstance(state, Tensor) else type(state).__name__
                raise ValueError(f"{self.name} returned {got} for hidden state '{name}'; expected {expected} "
                                 f"(rows × tokens × D for layer states, rows × D for vectors). Check its _forward.")
        return out

    def fingerprint(self) -> str:
        """sha256 of the weights (and buffers); changes whenever the model does."""
        tensors = list(self.module.state_dict().items())
        version = tuple((name, t._version, t.data_ptr()) for name, t in tensors)
        if getattr(self, "_fingerprint_key", None) != version:
            digest = hashlib.sha256()
            for name, tensor in tensors:
                digest.update(name.encode())
                digest.update(str(tuple(tensor.shape)).encode() + str(tensor.dtype).encode())
                digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
            self._fingerprint_key, self._fingerprint = version, digest.hexdigest()
        return self._fingerprint

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: embed -> {', '.join(self.hidden_states)}>"


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Explain without changing the model: eval mode (no dropout), no parameter gradients.

    Restores every submodule's train/eval flag and every parameter's requires_grad afterwards.
    """
    modes = {m: m.training for m in module.modules()}
    grads = {p: p.requires_grad for p in module.parameters()}
    module.eval()
    for p in grads:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for m, training in modes.items():
            m.train(training)
        for p, requires_grad in grads.items():
            p.requires_grad_(requires_grad)


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
