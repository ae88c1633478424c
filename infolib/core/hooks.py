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
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

import torch
from torch import Tensor, nn

from . import names as vocabulary


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
        """Whether the hidden state has a token axis ([tokens, D]: embed, layer.N) or is one vector ([D]).

        A model's own name outside the vocabulary (`core.names`) is read as one vector per sentence.
        """
        try:
            return vocabulary.is_token_level(name)
        except (TypeError, ValueError):
            return False

    def depth(self, names: str | Iterable[str]) -> int:
        """How many blocks a row must run to read `names` (one name, or the deepest of several).

        layer.l needs l blocks; every other state (pooled, logits, …) needs all of them.
        """
        deepest = 0
        for name in [names] if isinstance(names, str) else names:
            self.check_name(name)
            deepest = max(deepest, vocabulary.layer_index(name) if vocabulary.is_layer(name) else self.num_layers)
        return deepest

    def attention_heads(self) -> int:
        """Attention heads per block: the module's `config.num_attention_heads` (Hugging Face), else
        the most heads of any nn.MultiheadAttention in it, else 0 (no attention: LSTM, CNN, …)."""
        heads = getattr(getattr(self.module, "config", None), "num_attention_heads", None)
        if isinstance(heads, int) and not isinstance(heads, bool):
            return heads
        return max((m.num_heads for m in self.module.modules() if isinstance(m, nn.MultiheadAttention)), default=0)

    def row_bytes(self, tokens: int, names: Iterable[str], width: int) -> float:
        """Activation bytes one perturbed row of `tokens` tokens keeps for backward, read at `names`.

        The estimator sizes its forward chunks with it (`Settings.memory_budget_mb`). Default: per
        block that runs (`depth`), about 40 [tokens, width] float32 tensors and 3 [heads, tokens,
        tokens] attention maps (`attention_heads`); a deliberate overestimate. Override it when a
        model family knows better.

        Args:
            width: D, the largest hidden size of the states read.
        """
        heads = self.attention_heads()
        return 4.0 * self.depth(names) * (40 * tokens * width + 3 * heads * tokens * tokens) + 4.0 * tokens * width

    @property
    def num_layers(self) -> int:
        return max(vocabulary.layer_index(name) for name in self.hidden_states if vocabulary.is_layer(name))

    def check_name(self, name: str) -> None:
        if name not in self.hidden_states:
            raise ValueError(
                f"'{name}' is not a hidden state of {self.name}. "
                f"Choose from: {', '.join(self.hidden_states)} (or 'all' for layer.1 … layer.{self.num_layers})."
            )

    def resolve_layers(self, layers: str | int | Sequence[str | int]) -> list[str]:
        """Hidden-state names from 'all', a name, a block index, or a list of those."""
        if isinstance(layers, str) and layers == "all":
            return vocabulary.layer_names(self.num_layers, first=1)
        if not isinstance(layers, (str, int, Iterable)) or isinstance(layers, (bytes, bytearray)):
            raise TypeError(
                f"layers must be 'all', a name like 'layer.3', an int or a list of those, not {type(layers).__name__}."
            )
        items = [layers] if isinstance(layers, (str, int)) else list(layers)
        if not items:
            raise ValueError("layers is empty: give 'all', a name like 'layer.3', or a list of them.")
        names = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise TypeError(f"a layer is a name like 'layer.3' or an int, not {type(item).__name__}.")
            if isinstance(item, int) and not 0 <= item <= self.num_layers:
                raise ValueError(f"layer {item} is out of range: {self.name} has layers 0 … {self.num_layers}.")
            name = vocabulary.layer_name(item) if isinstance(item, int) else item
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
        """`_forward`, with a clear error when a (user's) model returns states of the wrong shape; states in
        embed's dtype."""
        out = self._forward(embed, attention_mask, want)
        for name, rows in want.items():
            state = out.get(name)
            token_level = self.is_token_level(name)
            expected = f"[{len(rows)}, {embed.shape[1]}, D]" if token_level else f"[{len(rows)}, D]"
            if (
                not isinstance(state, Tensor)
                or state.shape[0] != len(rows)
                or state.ndim != (3 if token_level else 2)
                or (token_level and state.shape[1] != embed.shape[1])
            ):
                got = tuple(state.shape) if isinstance(state, Tensor) else type(state).__name__
                raise ValueError(
                    f"{self.name} returned {got} for hidden state '{name}'; expected {expected} "
                    f"(rows × tokens × D for layer states, rows × D for vectors). Check its _forward."
                )
        # Under bf16 autocast (`Settings.precision`) the states come out in bf16: the loss stays in embed's dtype.
        return {name: state.to(embed.dtype) for name, state in out.items()}

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
