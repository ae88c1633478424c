"""Hugging Face models as HookedModels: `HFEncoder` (BERT, block by block) and `HFModel` (any family).

`HFModel` wraps any transformers model whose forward takes `inputs_embeds` and returns
`hidden_states`. Where the noise goes (`embed`) follows the authors' choice for BERT: the output of
the embedding module when the family adds positions or LayerNorm inside it, else the token
embeddings the model adds positions to (or rotates) itself:

    family (model_type)                     embed (noise here)                          layer.0
    bert, roberta, electra, distilbert,     output of `base.embeddings`: word + position  = embed
    deberta-v2, mpnet, modernbert, ...      [+ segment], LayerNorm (forward hook)
    gpt2                                    token embeddings `wte` (positions added in     wte + wpe
                                            the model's forward)
    llama, mistral, qwen2, ... (rotary)     token embeddings `embed_tokens`                = embed
    t5 (relative position bias)             token embeddings `shared`                      = embed
    bart (encoder)                          scaled token embeddings; positions and         after that LayerNorm
                                            `layernorm_embedding` added in forward

Hidden states: layer.0 … layer.L as the model's `output_hidden_states` gives them (the last one
after a final norm where the family has one, e.g. GPT-2's ln_f); `pooled` from the model's pooler
or, for a sentence-transformers folder, its Pooling module (mean / cls / max; the Normalize
module is not applied); `logits` from a sequence-classification head; `step.t` (encoder-decoder
with a target text) the decoder's last hidden state at target position t (1-based).
A row wanted only at layer l < L stops there: a forward pre-hook on block l + 1 reads its input
(= hidden_states[l]) and raises.

Words come from `word_alignment.align_words`; folders are loaded by `hf_loading.from_pretrained`.
"""

from __future__ import annotations

import copy
import inspect
from typing import Callable, Sequence

import torch
from torch import Tensor, nn

from ..core import names as vocabulary
from ..core.hooks import Encoding, HookedModel
from .word_alignment import WordAlignmentError, align_words, check_every_word


class HFEncoder(HookedModel):
    """A Hugging Face BERT encoder, with or without a sequence-classification head, run block by block.

    Hidden states: layer.0 … layer.L, pooled (if the model has a pooler) and logits (if it has a
    classifier on the pooled vector, like BertForSequenceClassification). Used for the BERT models
    infolib trains; any other family goes through `HFModel`.
    """

    def __init__(self, model: nn.Module, tokenizer, name: str = "hf-encoder"):
        base = getattr(model, "base_model", model)
        if not (hasattr(base, "embeddings") and hasattr(getattr(base, "encoder", None), "layer")):
            raise TypeError(
                f"{type(model).__name__} is not a BERT-family encoder (it needs .embeddings and "
                f".encoder.layer). Use infolib.load_model(model, tokenizer=...) (HFModel) for any other family."
            )
        self.module, self.base, self.tokenizer, self.name = model, base, tokenizer, name
        self.blocks = base.encoder.layer
        self.pooler = getattr(base, "pooler", None)
        self.classifier = getattr(model, "classifier", None) if model is not base else None
        names = vocabulary.layer_names(len(self.blocks))
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
            check_every_word(sentence_words, {w for w in word_ids if w is not None}, b, getattr(self, "name", "model"))
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
        # lazy: start-up cost (transformers, ~3 s to import)
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

        record(vocabulary.layer_name(0), hidden)
        for depth, block in enumerate(self.blocks, start=1):
            keep = need[active] >= depth
            if not keep.all():  # rows wanted only at shallower layers stop here
                active, hidden, mask = active[keep], hidden[keep], mask[keep]
            if len(active) == 0:
                break
            hidden = block(hidden, self._block_mask(hidden, mask))
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
            record(vocabulary.layer_name(depth), hidden)
        if "pooled" in want or "logits" in want:
            pooled = self.pooler(hidden)
            record("pooled", pooled)
            if "logits" in want:
                record("logits", self.classifier(pooled))
        return out


class _Stop(Exception):
    """Raised by a hook once everything a forward pass was run for has been read."""


def _block_input(args: tuple, kwargs: dict) -> Tensor:
    if args and isinstance(args[0], Tensor):
        return args[0]
    for key in ("hidden_states", "x", "hidden_state"):
        if isinstance(kwargs.get(key), Tensor):
            return kwargs[key]
    raise RuntimeError("cannot read a block's input hidden state (not its first argument nor `hidden_states=`).")


def _layer_list(root: nn.Module, n_layers: int) -> nn.ModuleList | None:
    """The ModuleList of the `n_layers` blocks under `root` (the first one found), or None."""
    for module in root.modules():
        if isinstance(module, nn.ModuleList) and len(module) == n_layers:
            return module
    return None


POOLINGS = ("mean", "cls", "max", "mean_sqrt_len", "lasttoken")


def pool(states: Tensor, attention_mask: Tensor, mode: str) -> Tensor:
    """A sentence vector from token states, as sentence-transformers' Pooling: [batch, tokens, D] -> [batch, D]."""
    mask = attention_mask.to(states.dtype)[..., None]
    if mode == "cls":
        return states[:, 0]
    if mode == "lasttoken":
        return states[torch.arange(len(states), device=states.device), attention_mask.sum(1) - 1]
    if mode == "max":
        return states.masked_fill(mask == 0, torch.finfo(states.dtype).min).amax(1)
    total, count = (states * mask).sum(1), mask.sum(1).clamp_min(1e-9)
    return total / count if mode == "mean" else total / count.sqrt()


class HFModel(HookedModel):
    """Any transformers model whose forward takes `inputs_embeds` (see the module doc for `embed` per family).

    Hidden states: layer.0 … layer.L; pooled (a pooler whose weights were loaded, or `pooling`);
    logits (a sequence-classification head); step.1 … step.m after `with_target(text)` on an
    encoder-decoder. `causal` tells whether word i can reach positions before i (decoder-only: no).

    Args:
        model: a transformers model (eval mode is not forced; `explain` freezes it while it runs).
        tokenizer: its fast tokenizer (offsets are needed to map tokens back to words).
        name: how results name the model.
        pooling: 'mean' / 'cls' / 'max' / 'mean_sqrt_len' / 'lasttoken' to add `pooled` (a
            sentence-transformers Pooling module), or None.
        has_pooler: whether `pooled` may come from the model's own pooler (False when its weights
            were not in the checkpoint, i.e. it would be random).
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        name: str = "hf-model",
        *,
        pooling: str | None = None,
        has_pooler: bool = True,
    ):
        forward = inspect.signature(model.forward).parameters
        if "inputs_embeds" not in forward:
            raise TypeError(
                f"{type(model).__name__}.forward does not take inputs_embeds, so infolib cannot feed it perturbed "
                f"embeddings. Use a model whose forward has inputs_embeds (any transformers encoder or decoder), or "
                f"wrap yours in your own infolib.HookedModel subclass."
            )
        if not getattr(tokenizer, "is_fast", False) and not hasattr(tokenizer, "backend_tokenizer"):
            raise TypeError(
                f"{type(tokenizer).__name__} is not a fast tokenizer: infolib needs its offsets to "
                f"find words. Load the model's fast tokenizer (AutoTokenizer.from_pretrained(...))."
            )
        if pooling is not None and pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)} or None, got {pooling!r}.")
        self.module, self.tokenizer, self.name, self.pooling = model, tokenizer, name, pooling
        self.config = model.config
        self.base = getattr(model, "base_model", model)
        self.encoder_decoder = bool(getattr(self.config, "is_encoder_decoder", False))
        self.causal = _is_causal(self.config)
        embeddings = getattr(self.base, "embeddings", None)
        # BERT-like: positions/LayerNorm inside the embedding module, so the noise goes on its output.
        own_module = isinstance(embeddings, nn.Module) and not isinstance(embeddings, nn.Embedding)
        self.embedding_module = embeddings if own_module else None
        self.word_embeddings = model.get_input_embeddings()
        self.head = _sequence_head(model)
        self.target_ids: list[int] | None = None
        L = self._probe_layers()
        encoder = model.get_encoder() if self.encoder_decoder else self.base
        self.blocks = _layer_list(encoder, L)
        names = vocabulary.layer_names(L)
        self.has_pooler = has_pooler and getattr(self.base, "pooler", None) is not None and pooling is None
        names += ["pooled"] * (self.has_pooler or pooling is not None)
        names += ["logits"] * (self.head is not None)
        self.hidden_states = tuple(names)
        self.max_tokens = _max_tokens(self.config, tokenizer, embeddings)

    # -- encoding and embed -----------------------------------------------------------------
    def encode(self, sentences: Sequence[str]) -> Encoding:
        rows = [align_words(self.tokenizer, " ".join(s.split()), i, self.name) for i, s in enumerate(sentences)]
        width = max(len(ids) for ids, *_ in rows)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for b, (ids, *_) in enumerate(rows):
            input_ids[b, : len(ids)] = torch.tensor(ids)
            attention_mask[b, : len(ids)] = 1
        return Encoding(input_ids, attention_mask, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])

    def embed(self, encoding: Encoding) -> Tensor:
        ids = encoding.input_ids.to(self.device)
        if ids.shape[1] > self.max_tokens:
            longest = max(range(len(encoding)), key=lambda b: len(encoding.tokens[b]))
            raise ValueError(
                f"a sentence has {ids.shape[1]} tokens, more than {self.name}'s maximum of {self.max_tokens} "
                f"(it starts {' '.join(encoding.words[longest][:6])!r}). explain(..., truncate=True) shortens the "
                f"sentences explained; a σ_S corpus (corpus=...) must hold sentences that fit."
            )
        if self.embedding_module is None:
            return self.word_embeddings(ids)
        captured = {}

        def read(module, args, output):
            captured["embed"] = output[0] if isinstance(output, tuple) else output
            raise _Stop

        handle = self.embedding_module.register_forward_hook(read)
        try:
            self._call(input_ids=ids, attention_mask=encoding.attention_mask.to(self.device))
        except _Stop:
            pass
        finally:
            handle.remove()
        return captured["embed"]

    def default_scale(self) -> float:
        return 10.0 * float(self.word_embeddings.weight.detach().float().std())

    # -- encoder-decoder --------------------------------------------------------------------
    def with_target(self, text: str) -> "HFModel":
        """The same model with decoder states step.1 … step.m for the target `text` (m target tokens).

        The decoder reads the target teacher-forced ([start] + target[:-1]); step.t is its last
        hidden state at position t, the state from which target token t is predicted.
        """
        if not self.encoder_decoder:
            raise ValueError(f"{self.name} is not an encoder-decoder: it has no decoder states to read for a target.")
        if not isinstance(text, str) or not text.split():
            raise ValueError("the target must be a non-empty string.")
        ids = self.tokenizer(text_target=" ".join(text.split()))["input_ids"]
        twin = copy.copy(self)
        twin.target_ids = list(ids)
        twin.hidden_states = self.hidden_states + tuple(vocabulary.step_names(len(ids)))
        return twin

    def target_tokens(self) -> list[str]:
        """The target's tokens; step.t is read where token t is predicted."""
        return self.tokenizer.convert_ids_to_tokens(self.target_ids or [])

    # -- forward ----------------------------------------------------------------------------
    def _call(self, **inputs):
        if self.encoder_decoder:
            if "decoder_input_ids" not in inputs:
                return self.module.get_encoder()(**inputs)
        return self.module(**inputs)

    def _forward_inputs(self, embed: Tensor, attention_mask: Tensor) -> dict:
        if self.embedding_module is None:
            return {"inputs_embeds": embed, "attention_mask": attention_mask}
        # The embedding module's output is replaced by `embed`; the ids only set the shape.
        return {
            "input_ids": torch.zeros(embed.shape[:2], dtype=torch.long, device=embed.device),
            "attention_mask": attention_mask,
        }

    def _run(self, embed: Tensor, attention_mask: Tensor, names: set[str], depth: int) -> dict[str, Tensor]:
        """States `names` of all rows, computing no block past `depth` when it is below L."""
        L = self.num_layers
        handles, out = [], {}
        if self.embedding_module is not None:

            def replace(module, args, output):
                return (embed, *output[1:]) if isinstance(output, tuple) else embed

            handles.append(self.embedding_module.register_forward_hook(replace))
        early = depth < L and self.blocks is not None
        try:
            if early:
                for k in range(depth + 1):
                    if vocabulary.layer_name(k) in names or k == depth:
                        handles.append(
                            self.blocks[k].register_forward_pre_hook(
                                self._reader(k, names, out, k == depth), with_kwargs=True
                            )
                        )
                try:
                    self._call(**self._forward_inputs(embed, attention_mask))
                except _Stop:
                    pass
                return out
            inputs = self._forward_inputs(embed, attention_mask)
            steps = sorted(vocabulary.step_index(name) for name in names if vocabulary.is_step(name))
            if steps:
                decoder = torch.tensor([self._decoder_start()] + self.target_ids[:-1], device=embed.device)
                inputs["decoder_input_ids"] = decoder.expand(len(embed), -1)
            result = self._call(**inputs, output_hidden_states=True)
        finally:
            for handle in handles:
                handle.remove()
        layers = result.encoder_hidden_states if self.encoder_decoder and steps else result.hidden_states
        for name in names:
            if vocabulary.is_layer(name):
                out[name] = layers[vocabulary.layer_index(name)]
            elif vocabulary.is_step(name):
                out[name] = result.last_hidden_state[:, vocabulary.step_index(name) - 1]
        if "pooled" in names:
            last = layers[L]
            out["pooled"] = pool(last, attention_mask, self.pooling) if self.pooling else result.pooler_output
        if "logits" in names:
            out["logits"] = self._logits(result, layers[L], attention_mask)
        return out

    def _reader(self, k: int, names: set[str], out: dict, last: bool) -> Callable:
        def read(module, args, kwargs):
            state = _block_input(args, kwargs)
            if (name := vocabulary.layer_name(k)) in names:
                out[name] = state
            if last:
                raise _Stop

        return read

    def _logits(self, result, last: Tensor, attention_mask: Tensor) -> Tensor:
        if self.causal:  # the head reads the last real token; with inputs_embeds the model cannot find it
            rows = torch.arange(len(last), device=last.device)
            return self.head(last[rows, attention_mask.sum(1) - 1])
        return result.logits

    def _decoder_start(self) -> int:
        start = getattr(self.config, "decoder_start_token_id", None)
        if start is None:
            start = self.config.pad_token_id
        if start is None:
            raise ValueError(f"{self.name}'s config has no decoder_start_token_id (nor pad_token_id): set one.")
        return int(start)

    def _forward(self, embed, attention_mask, want):
        L = self.num_layers
        need = torch.full((embed.shape[0],), -1)
        for name, rows in want.items():
            need[rows] = torch.clamp(need[rows], min=self.depth(name))
        parts: dict[str, list[tuple[Tensor, Tensor]]] = {}
        for depth in sorted(set(need.tolist()) - {-1}):
            rows = torch.nonzero(need == depth).squeeze(1)
            names = {name for name, wanted in want.items() if torch.isin(rows, wanted).any()}
            states = self._run(embed[rows], attention_mask[rows], names, depth if depth < L else L)
            for name in names:
                keep = torch.isin(rows, want[name])
                parts.setdefault(name, []).append((rows[keep], states[name][keep.to(states[name].device)]))
        out = {}
        for name, pieces in parts.items():
            rows = torch.cat([r for r, _ in pieces])
            out[name] = torch.cat([s for _, s in pieces])[torch.argsort(rows).to(pieces[0][1].device)]
        return out

    def _probe_layers(self) -> int:
        """L, from one tiny forward pass (works for every family, whatever its config calls it)."""
        ids = torch.tensor([[self.tokenizer.pad_token_id or 0] * 2])
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "output_hidden_states": True}
        training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                result = self._call(**inputs)
        finally:
            self.module.train(training)
        states = getattr(result, "hidden_states", None)
        if states is None:
            raise TypeError(
                f"{type(self.module).__name__} does not return hidden_states with "
                f"output_hidden_states=True; infolib reads its layers from them."
            )
        return len(states) - 1

    def __repr__(self) -> str:
        kind = "encoder-decoder" if self.encoder_decoder else "decoder (causal)" if self.causal else "encoder"
        return f"<HFModel {self.name} ({self.config.model_type}, {kind}): embed -> {', '.join(self.hidden_states)}>"


def _is_causal(config) -> bool:
    from transformers.models.auto import modeling_auto as auto  # lazy: start-up cost (transformers, ~3 s to import)

    kind = config.model_type
    return (
        not getattr(config, "is_encoder_decoder", False)
        and kind in auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and kind not in auto.MODEL_FOR_MASKED_LM_MAPPING_NAMES
    ) or bool(getattr(config, "is_decoder", False))


def _sequence_head(model: nn.Module) -> nn.Module | None:
    """The sequence-classification head of a *ForSequenceClassification model, else None."""
    if not type(model).__name__.endswith("ForSequenceClassification"):
        return None
    for name in ("score", "classifier"):
        if isinstance(getattr(model, name, None), nn.Module):
            return getattr(model, name)
    return model


def _max_tokens(config, tokenizer, embeddings) -> int:
    limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 512
    padding = getattr(embeddings, "padding_idx", None)
    if isinstance(padding, int) and config.model_type in ("roberta", "xlm-roberta", "camembert", "mpnet"):
        limit -= padding + 1  # positions start after the padding index
    tokenizer_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tokenizer_limit, int) and tokenizer_limit < 1_000_000:
        limit = min(limit, tokenizer_limit)
    return int(limit)


def position_phi(
    model: HookedModel, sentence: str, name: str, positions: Sequence[int] | None = None
) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """(x, phi) for `explain_phi`: one sentence's clean `embed` and Φ = hidden state `name` at `positions`.

    For questions explain's whole-state σ cannot ask, e.g. how much of word j a decoder's states
    before j hold (none: σ reaches the scale). Rows of x are tokens ([n_tokens, K]). Call
    `explain_phi` inside `with infolib.frozen(model.module):` so no parameter gathers gradients.
    """
    encoding = model.encode([sentence])
    n = int(encoding.attention_mask.sum())
    with torch.no_grad():
        x = model.embed(encoding)[0, :n].detach()
    mask = torch.ones(1, n, dtype=torch.long, device=x.device)
    keep = list(range(n)) if positions is None else list(positions)
    if not keep or not all(0 <= p < n for p in keep):
        raise ValueError(f"positions must be a non-empty list of token indices in 0 … {n - 1}, got {positions}.")

    def phi(tokens: Tensor) -> Tensor:
        state = model.states(tokens[None], mask, [name])[name][0]
        return state[keep] if model.is_token_level(name) else state

    return x, phi


__all__ = ["HFEncoder", "HFModel", "POOLINGS", "WordAlignmentError", "align_words", "pool", "position_phi"]
