"""`infolib.core.explain` on the real pretrained MiniLM: batching, word pieces, model safety, σ_S cache."""

import torch

import infolib
from infolib.core.sigma_s import sigma_s

FAST = dict(progress=False, max_steps=30)


def test_explain_all_layers_shapes_and_units(minilm, minilm_sigma_s):
    explanation = infolib.explain(
        minilm, ["a charming journey", "unflinchingly bleak and desperate"], sigma_s=minilm_sigma_s, **FAST
    )
    assert explanation.layers == [f"layer.{i}" for i in range(1, 7)]
    assert explanation.words[1] == ["[CLS]", "unflinchingly", "bleak", "and", "desperate", "[SEP]"]
    for (i, layer), sigma in explanation.sigma.items():
        assert sigma.shape == (len(explanation.words[i]),)
        assert ((sigma > 0) & (sigma <= explanation.scale * (1 + 1e-6))).all()
    assert explanation.sigma_matrix(1).shape == (6, 6)
    assert explanation.entropy_nats(1).shape == (6, 6)
    frame = explanation.to_frame()
    assert len(frame) == 6 * (5 + 6)
    assert {"sigma", "entropy_nats", "entropy_bits", "log_sigma_ratio", "method"} <= set(frame.columns)
    for d in explanation.diagnostics.values():
        assert d["steps"] == len(d["loss_curve"]) and d["steps"] <= 30


def test_word_pieces_share_sigma_and_token_level_is_available(minilm, minilm_sigma_s):
    sentence = "unflinchingly bleak"
    word = infolib.explain(minilm, sentence, "layer.3", sigma_s=minilm_sigma_s, **FAST)
    token = infolib.explain(minilm, sentence, "layer.3", level="token", sigma_s=minilm_sigma_s, **FAST)
    pieces = minilm.encode([sentence]).tokens[0]
    assert len(pieces) > 4  # 'unflinchingly' is several word pieces
    assert word.sigma[0, "layer.3"].shape == (4,)
    assert token.sigma[0, "layer.3"].shape == (len(pieces),)
    assert token.words[0] == pieces
    assert word.pieces(0).tolist() == [1, len(pieces) - 3, 1, 1]


def test_batched_equals_separate_runs(minilm, minilm_sigma_s):
    sentences = ["a charming and often affecting journey .", "unflinchingly bleak and desperate"]
    batched = infolib.explain(minilm, sentences, ["layer.2", "layer.5"], sigma_s=minilm_sigma_s, **FAST)
    for i, sentence in enumerate(sentences):
        for layer in ["layer.2", "layer.5"]:
            alone = infolib.explain(minilm, sentence, layer, sigma_s=minilm_sigma_s, **FAST)
            assert torch.allclose(batched.sigma[i, layer], alone.sigma[0, layer], rtol=1e-3), (i, layer)
            assert batched.diagnostics[i, layer]["steps"] == alone.diagnostics[0, layer]["steps"]


def test_reproducible(minilm, minilm_sigma_s):
    a = infolib.explain(minilm, "it is fine", "layer.4", sigma_s=minilm_sigma_s, random_state=3, **FAST)
    b = infolib.explain(minilm, "it is fine", "layer.4", sigma_s=minilm_sigma_s, random_state=3, **FAST)
    assert torch.allclose(a.sigma[0, "layer.4"], b.sigma[0, "layer.4"], rtol=1e-5)


def test_model_unchanged_and_mode_restored(minilm, minilm_sigma_s):
    module = minilm.module
    before = {k: v.clone() for k, v in module.state_dict().items()}
    module.train()
    try:
        infolib.explain(minilm, "a charming journey", ["layer.1", "pooled"], sigma_s=minilm_sigma_s, **FAST)
        assert all(m.training for m in module.modules())
        assert all(p.requires_grad for p in module.parameters())
        assert all(p.grad is None for p in module.parameters())
        after = module.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before)
    finally:
        module.eval()


def test_pooled_state_is_explained(minilm, minilm_sigma_s):
    explanation = infolib.explain(minilm, "a charming journey", ["pooled"], sigma_s=minilm_sigma_s, **FAST)
    assert explanation.sigma[0, "pooled"].shape == (5,)


def test_sigma_s_cached_and_recomputed_when_model_changes(minilm, small_corpus, isolated_cache):
    corpus = small_corpus[:16]
    first = sigma_s(minilm, ["layer.1"], corpus)
    files = list(isolated_cache.glob(f"sigma_s/{minilm.fingerprint()[:16]}/layer.1--16-*.pt"))
    assert len(files) == 1
    assert torch.equal(sigma_s(minilm, ["layer.1"], corpus)["layer.1"], first["layer.1"])
    weight = minilm.base.encoder.layer[0].output.dense.weight
    old_print = minilm.fingerprint()
    with torch.no_grad():
        weight.mul_(2.0)
    try:
        assert minilm.fingerprint() != old_print
        changed = sigma_s(minilm, ["layer.1"], corpus)["layer.1"]
        assert not torch.allclose(changed, first["layer.1"])
    finally:
        with torch.no_grad():
            weight.div_(2.0)
    assert minilm.fingerprint() == old_print


def test_corrupted_sigma_s_cache_entry_is_recomputed(minilm, small_corpus, isolated_cache):
    corpus = small_corpus[16:24]
    first = sigma_s(minilm, ["layer.2"], corpus)["layer.2"]
    (path,) = [p for p in isolated_cache.glob(f"sigma_s/{minilm.fingerprint()[:16]}/layer.2--8-*.pt")]
    path.write_bytes(path.read_bytes()[:20])
    again = sigma_s(minilm, ["layer.2"], corpus)["layer.2"]
    assert torch.allclose(again, first)


def test_memory_budget_chunks_give_same_answer(minilm, minilm_sigma_s):
    a = infolib.explain(minilm, "a charming journey", "layer.2", sigma_s=minilm_sigma_s, **FAST)
    b = infolib.explain(minilm, "a charming journey", "layer.2", sigma_s=minilm_sigma_s, memory_budget_mb=1, **FAST)
    assert torch.allclose(a.sigma[0, "layer.2"], b.sigma[0, "layer.2"], rtol=1e-4)


# -- model knowledge on the model: memory per row, depth ------------------------------------------
def _old_row_bytes(depth, tokens, D):
    """The estimate explain used before: 12 attention heads for every model."""
    return 4.0 * depth * (40 * tokens * D + 3 * 12 * tokens * tokens) + 4.0 * tokens * D


def test_row_bytes_follow_the_model_not_twelve_heads(minilm):
    from transformers import BertConfig, BertModel

    from infolib.models.hf import HFEncoder
    from infolib.models.lstm import build_lstm

    assert minilm.attention_heads() == 12  # MiniLM's estimate is what it was (σ stays bit-identical)
    assert minilm.row_bytes(20, ["layer.3"], 384) == _old_row_bytes(3, 20, 384)
    config = BertConfig(
        vocab_size=minilm.tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
    )
    two_heads = HFEncoder(BertModel(config), minilm.tokenizer, name="two-heads")
    assert two_heads.attention_heads() == 2
    assert 0 < two_heads.row_bytes(64, ["layer.2"], 32) < _old_row_bytes(2, 64, 32)
    lstm = build_lstm({"hidden": 8, "layers": 2, "num_labels": 2}, pretrained=False)
    assert lstm.attention_heads() == 0
    # no attention maps: linear in the tokens (12 heads made it grow with tokens²)
    assert lstm.row_bytes(200, ["layer.2"], 16) == 2 * lstm.row_bytes(100, ["layer.2"], 16)
    assert lstm.row_bytes(100, ["layer.1"], 16) < lstm.row_bytes(100, ["pooled"], 16)  # pooled runs every layer


def test_explain_sizes_its_chunks_with_the_models_row_bytes(monkeypatch):
    from infolib.testing import LinearToyModel

    toy, calls = LinearToyModel(), []
    original = toy.row_bytes
    monkeypatch.setattr(
        toy,
        "row_bytes",
        lambda tokens, names, width: calls.append((tokens, list(names), width)) or original(tokens, names, width),
    )
    spread = {n: torch.ones(6) for n in ("layer.1", "layer.2")}
    infolib.explain(toy, ["a b c", "d e"], ["layer.1", "layer.2"], sigma_s=spread, progress=False, max_steps=2)
    assert calls and calls[0] == (3, ["layer.1", "layer.2"], 6)


def test_depth_of_several_names_is_the_deepest(minilm):
    assert minilm.depth("layer.2") == 2 and minilm.depth(["layer.2", "layer.5"]) == 5
    assert minilm.depth({"layer.1": None, "pooled": None}) == 6  # a `want` mapping, as _forward gets it


def test_bfloat16_gives_float32_answers_near_the_float32_optimum(minilm, minilm_sigma_s):
    """Φ under bf16 autocast: σ stays float32, the model is untouched, and the σ's objective (evaluated in
    float32) is within 2 % of float32's on every pair — the spread of two float32 seeds (bench_probe's
    "reseeded") — while the cache keeps the two precisions apart."""
    from infolib.core.estimator import objective
    from infolib.core.explain import _model_problem
    from infolib.core.inputs import encode_batch

    sentences, layers = ["a charming and often affecting journey"], ["layer.2", "layer.6"]
    dtypes = {p.dtype for p in minilm.module.parameters()}
    runs = {
        precision: infolib.explain(minilm, sentences, layers, sigma_s=minilm_sigma_s, precision=precision, **FAST)
        for precision in ("float32", "bfloat16")
    }
    assert {p.dtype for p in minilm.module.parameters()} == dtypes
    pairs = [(0, layer) for layer in layers]
    with torch.no_grad(), infolib.frozen(minilm.module):
        problem = _model_problem(encode_batch(minilm, sentences, layers, "word", minilm_sigma_s), pairs, 0)
        scale = runs["float32"].scale
        L = {k: objective(problem, [r.sigma[p] for p in pairs], scale, 0.1, samples=128) for k, r in runs.items()}
    assert runs["bfloat16"].sigma[pairs[0]].dtype == torch.float32
    assert ((L["bfloat16"] - L["float32"]) / L["float32"]).abs().max() < 0.02, L
    assert runs["bfloat16"].settings["precision"] == "bfloat16"
