"""`infolib.core.explain` on the real pretrained MiniLM: batching, word pieces, model safety, σ_S cache."""
import torch

import infolib
from infolib.core.sigma_s import sigma_s

FAST = dict(progress=False, max_steps=30)


def test_explain_all_layers_shapes_and_units(minilm, minilm_sigma_s):
    explanation = infolib.explain(minilm, ["a charming journey", "unflinchingly bleak and desperate"], sigma_s=minilm_sigma_s, **FAST)
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
