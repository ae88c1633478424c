"""The result cache cannot lie, and corpus runs survive interruption (fault injection)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import infolib
from infolib.core.store import ResultCache
from infolib.api import explain_corpus
from infolib.testing import LinearToyModel

SENTENCES = [f"w{i} x{i % 3} y{i % 5} z" + " q" * (i % 4) for i in range(40)]
CORPUS = SENTENCES[:20]
RUN = SENTENCES[:24]  # the interrupted corpus run


@pytest.fixture
def toy():
    return LinearToyModel(position_weights=torch.linspace(0.5, 3.0, 32))


def spread(model):
    from infolib.core.sigma_s import sigma_s

    return sigma_s(model, ["layer.1", "layer.2"], CORPUS, use_cache=False)


def test_round_trip_reads_back_identical_sigma(toy, tmp_path):
    store = ResultCache(tmp_path)
    a = infolib.explain(toy, SENTENCES[:3], ["layer.1", "layer.2"], sigma_s=spread(toy), cache=store, progress=False)
    assert len(store) == 6 and not any(d["cached"] for d in a.diagnostics.values())
    b = infolib.explain(toy, SENTENCES[:3], ["layer.1", "layer.2"], sigma_s=spread(toy), cache=store, progress=False)
    assert all(d["cached"] for d in b.diagnostics.values())
    for pair in a.sigma:
        assert torch.equal(a.sigma[pair], b.sigma[pair])
        assert a.diagnostics[pair]["loss_curve"] == b.diagnostics[pair]["loss_curve"]


def test_a_warm_call_runs_the_model_only_for_what_it_computes(toy, tmp_path, monkeypatch):
    store, spread_ = ResultCache(tmp_path), spread(toy)
    infolib.explain(toy, SENTENCES[:3], "layer.1", sigma_s=spread_, cache=store, progress=False)
    calls = []
    states = type(toy).states
    monkeypatch.setattr(
        type(toy),
        "states",
        lambda self, embed, mask, names: calls.append(list(names)) or states(self, embed, mask, names),
    )
    warm = infolib.explain(toy, SENTENCES[:3], "layer.1", sigma_s=spread_, cache=store, progress=False)
    assert calls == [] and all(d["cached"] for d in warm.diagnostics.values())
    mixed = infolib.explain(toy, SENTENCES[:3], ["layer.1", "layer.2"], sigma_s=spread_, cache=store, progress=False)
    assert calls[0] == ["layer.2"]  # the clean pass: only the state that is computed
    assert [mixed.diagnostics[0, name]["cached"] for name in ("layer.1", "layer.2")] == [True, False]


@pytest.mark.parametrize("change", ["seed", "rate", "level", "weights", "sigma_s", "sentence"])
def test_anything_that_changes_the_answer_misses(toy, tmp_path, change):
    store = ResultCache(tmp_path)
    spread_ = spread(toy)
    infolib.explain(toy, SENTENCES[0], "layer.1", sigma_s=spread_, cache=store, progress=False)
    kwargs = dict(sigma_s=spread_, cache=store, progress=False)
    sentence = SENTENCES[0]
    if change == "seed":
        kwargs["random_state"] = 1
    elif change == "rate":
        kwargs["rate"] = 0.2
    elif change == "level":
        kwargs["level"] = "token"
    elif change == "weights":
        with torch.no_grad():
            toy.module.A.weight.mul_(1.01)
    elif change == "sigma_s":
        kwargs["sigma_s"] = {k: v * 1.01 for k, v in spread_.items()}
    else:
        sentence = SENTENCES[1]
    again = infolib.explain(toy, sentence, "layer.1", **kwargs)
    assert not again.diagnostics[0, "layer.1"]["cached"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_damaged_entry_is_detected_and_recomputed(toy, tmp_path, damage):
    store = ResultCache(tmp_path)
    first = infolib.explain(toy, SENTENCES[0], "layer.1", sigma_s=spread(toy), cache=store, progress=False)
    (path,) = list(tmp_path.glob("*/*.json"))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        i = data.index(b'"sigma": [') + 12  # a digit of the first σ
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(os.urandom(200))
    again = infolib.explain(toy, SENTENCES[0], "layer.1", sigma_s=spread(toy), cache=store, progress=False)
    assert store.corrupted == 1
    assert not again.diagnostics[0, "layer.1"]["cached"]
    assert torch.equal(again.sigma[0, "layer.1"], first.sigma[0, "layer.1"])
    assert json.loads(path.read_text())["payload"]["sigma"] == first.sigma[0, "layer.1"].tolist()


def test_crash_mid_write_leaves_no_entry(tmp_path, monkeypatch):
    store = ResultCache(tmp_path)
    store.put("a" * 64, {"sigma": [1.0]})

    def crash(*args):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.warns(RuntimeWarning, match="INFOLIB_CACHE"):  # the cache is dropped, computing goes on
        store.put("a" * 64, {"sigma": [2.0]})
    store.put("b" * 64, {"sigma": [3.0]})
    monkeypatch.undo()
    assert store.get("a" * 64) == {"sigma": [1.0]}  # the old entry survives
    assert store.get("b" * 64) is None
    assert not list(tmp_path.glob("*/.*.tmp"))


WRITER = textwrap.dedent("""
    import sys
    from infolib.core.store import ResultCache
    store = ResultCache(sys.argv[1])
    for round in range(int(sys.argv[2])):
        for k in range(20):
            store.put(f"{k:064x}", {"sigma": [float(k)] * 500, "writer": sys.argv[3]})
""")


def _check_all_entries(folder):
    store = ResultCache(folder)
    keys = [p.stem for p in folder.glob("*/*.json")]
    assert all(store.get(k) is not None for k in keys)
    assert store.corrupted == 0
    return keys


def test_two_writers_at_once_do_not_corrupt(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "30", name]) for name in "ab"]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert len(_check_all_entries(tmp_path)) == 20


def test_killed_writer_leaves_only_whole_entries(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "100000", "k"])
    deadline = time.time() + 60
    while len(list(tmp_path.glob("*/*.json"))) < 10 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(_check_all_entries(tmp_path)) >= 10


# After its 8th stored entry the run slows to a crawl, so the signal lands part-way on a busy machine too
# (a fast machine, or a slow parent, could otherwise see the whole run finish before the signal). Ctrl-C is
# KeyboardInterrupt, as in a terminal: a shell without job control starts background children with SIGINT
# ignored, and Python then installs no handler for it (CI launched that way ran the whole corpus).
RUNNER = textwrap.dedent("""
    import signal, sys, time, torch
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from infolib.core.store import ResultCache
    from infolib.api import explain_corpus
    from infolib.testing import LinearToyModel
    sys.path.insert(0, sys.argv[2])
    from test_cache_corpus import RUN, CORPUS

    class Crawling(ResultCache):
        stored = 0

        def put(self, key, payload):
            super().put(key, payload)
            Crawling.stored += 1
            if Crawling.stored >= 8:
                time.sleep(5)

    model = LinearToyModel(position_weights=torch.linspace(0.5, 3.0, 32))
    explain_corpus(model, RUN, ["layer.1", "layer.2"], batch_size=2, corpus=CORPUS,
                   cache=Crawling(sys.argv[1]), progress=False, samples=64, max_steps=60, z=0, tol=1e-6)
""")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_corpus_run_resumes_to_the_same_answer(tmp_path, how):
    folder = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(folder), os.path.dirname(__file__)])
    deadline = time.time() + 120
    while len(list(folder.glob("*/*.json"))) < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(how)
    proc.wait(timeout=60)
    stored = len(list(folder.glob("*/*.json")))
    assert 8 <= stored < 2 * len(RUN), "the run should have been interrupted part-way"

    model = LinearToyModel(position_weights=torch.linspace(0.5, 3.0, 32))
    settings = dict(batch_size=2, corpus=CORPUS, progress=False, samples=64, max_steps=60, z=0, tol=1e-6)
    resumed = explain_corpus(model, RUN, ["layer.1", "layer.2"], cache=ResultCache(folder), **settings)
    reused = sum(d["cached"] for d in resumed.diagnostics.values())
    assert reused == stored  # nothing stored was recomputed or lost
    fresh = explain_corpus(model, RUN, ["layer.1", "layer.2"], cache=ResultCache(tmp_path / "fresh"), **settings)
    for pair in fresh.sigma:
        assert torch.equal(resumed.sigma[pair], fresh.sigma[pair]), pair
    # Other batch compositions differ only by float rounding (padding changes the matmul shapes).
    settings["batch_size"] = 7
    rebatched = explain_corpus(model, RUN, ["layer.1", "layer.2"], cache=ResultCache(tmp_path / "other"), **settings)
    for pair in fresh.sigma:
        assert torch.allclose(rebatched.sigma[pair], fresh.sigma[pair], rtol=1e-5), pair


def test_explain_corpus_writes_a_table_in_dataset_order(toy, tmp_path):
    result = explain_corpus(
        toy,
        SENTENCES[:5],
        "layer.1",
        corpus=CORPUS,
        cache=ResultCache(tmp_path / "c"),
        out=tmp_path / "out.csv",
        progress=False,
        batch_size=2,
    )
    assert result.sentences == SENTENCES[:5]
    import pandas as pd

    frame = pd.read_csv(tmp_path / "out.csv")
    assert list(frame.drop_duplicates("sentence_id")["sentence"]) == SENTENCES[:5]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size"),
        (dict(cache="yes"), "cache must be True .*, got str"),
        (dict(limit=0), "limit"),
    ],
)
def test_explain_corpus_bad_input(toy, kwargs, message):
    with pytest.raises(ValueError, match=message):
        explain_corpus(toy, SENTENCES[:2], "layer.1", corpus=CORPUS, **kwargs)


def test_unknown_dataset_name(toy):
    with pytest.raises(ValueError, match="unknown dataset 'imdb'"):
        explain_corpus(toy, "imdb", "layer.1")


def test_baselines_are_stored_and_read_back_like_information(toy, tmp_path, monkeypatch):
    """`attribute_corpus`: the second call computes nothing, returns the same scores, and a changed option misses."""
    from infolib.core import runlog
    from infolib.api import attribute_corpus

    log = tmp_path / "run.jsonl"
    monkeypatch.setenv(runlog.RUN_LOG_ENV, str(log))
    store = ResultCache(tmp_path / "store")
    kwargs = dict(sigma_s=spread(toy), cache=store, progress=False, batch_size=2)
    a = attribute_corpus(toy, SENTENCES[:5], ["layer.1", "layer.2"], "integrated_gradients", **kwargs)
    b = attribute_corpus(toy, SENTENCES[:5], ["layer.1", "layer.2"], "integrated_gradients", **kwargs)
    first, second = runlog.read(log)
    assert (first["computed"], first["cached"]) == (10, 0) and (second["computed"], second["cached"]) == (0, 10)
    assert first["worst_relative_delta"] <= 0.05
    for pair in a.scores:
        assert torch.equal(a.scores[pair], b.scores[pair])
    assert b.extra == a.extra and b.to_frame().equals(a.to_frame())
    attribute_corpus(toy, SENTENCES[:5], ["layer.1", "layer.2"], "integrated_gradients", n_steps=8, **kwargs)
    assert runlog.read(log)[-1]["computed"] == 10  # another option, another key


def test_attribute_corpus_unknown_method(toy):
    from infolib.api import attribute_corpus

    with pytest.raises(ValueError, match="unknown method 'shap': choose one of 'information', "):
        attribute_corpus(toy, SENTENCES[:2], "layer.1", "shap", progress=False)


def test_sigma_s_cache_leaves_the_global_random_generator_alone(toy, tmp_path, monkeypatch):
    """Writing σ_S to the disk cache used to name its temporary file with torch.randint."""
    from infolib.core.sigma_s import sigma_s

    monkeypatch.setenv("INFOLIB_CACHE", str(tmp_path))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    sigma_s(toy, ["layer.1", "layer.2"], CORPUS)
    assert torch.equal(torch.rand(3), expected)
    assert not list(tmp_path.rglob("*.tmp"))


def test_memory_store_has_a_length():
    from infolib.interactive.memory import MemoryStore

    store = MemoryStore(max_entries=2)
    assert len(store) == 0
    for key in "abc":
        store.put(key, {"sigma": [1.0]})
    assert len(store) == 2 and store.get("a") is None and store.get("c") == {"sigma": [1.0]}


def test_sigma_s_corpus_sentence_longer_than_the_model_is_cut_to_fit():
    """A 40-word corpus sentence on a 32-token model used to fail deep in torch ("size of tensor a (32)
    must match b (40)"); it is cut to its first 32 words, silently (σ_S is a corpus statistic)."""
    import warnings

    from infolib.core.sigma_s import sigma_s

    toy = LinearToyModel()  # max_tokens 32
    words = [f"w{i}" for i in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        long = sigma_s(toy, ["layer.1", "pooled"], ["a b c", " ".join(words)], use_cache=False)
    cut = sigma_s(toy, ["layer.1", "pooled"], ["a b c", " ".join(words[:32])], use_cache=False)
    for name in ("layer.1", "pooled"):
        assert torch.equal(long[name], cut[name])
