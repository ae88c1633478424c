"""Corpus runs on Ray (`engine="ray"`): the same numbers as the serial run, and nothing lost when a
worker or the driver is killed. One local Ray instance (2 CPUs) serves the module; workers hold the
toy model `infolib.testing:LinearToyModel`, loaded by that importable path."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import torch

import infolib
from infolib import distributed
from infolib.api import explain_corpus
from infolib.core.store import ResultCache
from infolib.testing import LinearToyModel

SPEC = "infolib.testing:LinearToyModel"
SENTENCES = [f"w{i} x{i % 3} y{i % 5} z" + " q" * (i % 4) + " r+s" * (i % 2) for i in range(24)]
CORPUS = [f"c{i} d{i % 4} e" + " f" * (i % 3) for i in range(20)]
NAMES = ["layer.1", "layer.2"]
# Slow enough (every pair takes all 100 steps, ~0.3 s a batch) that a kill lands mid-run.
SETTINGS = dict(batch_size=2, samples=64, max_steps=100, z=0, tol=1e-9)
PAIRS = len(SENTENCES) * len(NAMES)


def _batches():
    """The dataset positions of each batch, as both engines plan them."""
    order = sorted(range(len(SENTENCES)), key=lambda i: (len(SENTENCES[i].split()), i))
    return [order[k : k + SETTINGS["batch_size"]] for k in range(0, len(order), SETTINGS["batch_size"])]


def spread():
    from infolib.core.sigma_s import sigma_s

    return sigma_s(LinearToyModel(), NAMES, CORPUS, use_cache=False)


def assert_same(result, reference):
    assert result.sentences == reference.sentences and result.words == reference.words
    assert result.layers == reference.layers and result.scale == reference.scale
    assert result.sigma.keys() == reference.sigma.keys()
    for pair, sigma in reference.sigma.items():
        assert torch.equal(result.sigma[pair], sigma), pair  # bit for bit
        got, want = result.diagnostics[pair], reference.diagnostics[pair]
        assert {k: got[k] for k in ("loss_curve", "steps", "converged")} == {
            k: want[k] for k in ("loss_curve", "steps", "converged")
        }, pair


def assert_close(result, reference):
    for pair, sigma in reference.sigma.items():
        assert torch.allclose(result.sigma[pair], sigma, rtol=1e-5), pair


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The reference: the serial engine, on its own cache."""
    folder = tmp_path_factory.mktemp("serial")
    result = explain_corpus(
        LinearToyModel(), SENTENCES, NAMES, sigma_s=spread(), cache=ResultCache(folder), progress=False, **SETTINGS
    )
    return result, folder


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray", reason="the distributed tests need Ray: pip install 'infolib[distributed]'")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=80 * 2**20,
        log_to_driver=False,
        _system_config=distributed.WORKER_PRIORITY,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def pool(ray_instance):
    from infolib.distributed import WorkerPool

    workers = WorkerPool(SPEC, LinearToyModel().fingerprint(), workers=2)
    yield workers
    workers.close()


def test_ray_run_equals_the_serial_run_and_shares_its_cache(serial, pool, tmp_path):
    reference, serial_folder = serial
    store = ResultCache(tmp_path / "ray")
    result = explain_corpus(
        SPEC,
        SENTENCES,
        NAMES,
        engine="ray",
        pool=pool,
        sigma_s=spread(),
        cache=store,
        progress=True,
        out=tmp_path / "table.csv",
        **SETTINGS,
    )
    assert_same(result, reference)
    assert not any(d["cached"] for d in result.diagnostics.values())
    assert len(store) == PAIRS  # the driver wrote every pair
    assert (tmp_path / "table.csv").stat().st_size > 0
    assert len(pool.timings) == len(SENTENCES) // SETTINGS["batch_size"]

    # Same keys as the serial run: on its cache, nothing is computed.
    pool.timings.clear()
    again = explain_corpus(
        SPEC,
        SENTENCES,
        NAMES,
        engine="ray",
        pool=pool,
        sigma_s=spread(),
        cache=ResultCache(serial_folder),
        progress=False,
        **SETTINGS,
    )
    assert all(d["cached"] for d in again.diagnostics.values()) and not pool.timings
    assert_same(again, reference)

    # A partly stored batch travels with its stored pairs; only the missing ones are optimised, as in
    # the serial engine (so the two engines agree bit for bit on any cache state; optimising fewer pairs
    # together changes σ only by float rounding).
    removed = sorted(store.folder.glob("*/*.json"))[::3]
    for path in removed:
        path.unlink()
    copy = tmp_path / "copy"
    shutil.copytree(store.folder, copy)
    resumed = explain_corpus(
        SPEC, SENTENCES, NAMES, engine="ray", pool=pool, sigma_s=spread(), cache=store, progress=False, **SETTINGS
    )
    assert sum(not d["cached"] for d in resumed.diagnostics.values()) == len(removed)
    assert len(store) == PAIRS
    assert_same(
        resumed,
        explain_corpus(
            LinearToyModel(), SENTENCES, NAMES, sigma_s=spread(), cache=ResultCache(copy), progress=False, **SETTINGS
        ),
    )
    assert_close(resumed, reference)


def test_a_baseline_on_ray_equals_its_serial_run(pool, tmp_path):
    """Integrated gradients through the one runner: Ray workers give the serial scores. Same code on the same
    CPU type, so equal up to float rounding: rtol 1e-5, atol 1e-7 (another machine may round the last digit)."""
    kwargs = dict(method="integrated_gradients", sigma_s=spread(), batch_size=4, n_steps=8, progress=False)
    serial = explain_corpus(LinearToyModel(), SENTENCES, NAMES, cache=ResultCache(tmp_path / "serial"), **kwargs)
    store = ResultCache(tmp_path / "ray")
    on_ray = explain_corpus(SPEC, SENTENCES, NAMES, engine="ray", pool=pool, cache=store, **kwargs)
    assert isinstance(on_ray, infolib.Attribution) and on_ray.method == "integrated_gradients"
    assert on_ray.sentences == serial.sentences and on_ray.words == serial.words and on_ray.layers == serial.layers
    assert on_ray.scores.keys() == serial.scores.keys() and on_ray.settings == serial.settings
    for pair, score in serial.scores.items():
        torch.testing.assert_close(on_ray.scores[pair], score, rtol=1e-5, atol=1e-7)
    assert len(store) == PAIRS  # the driver wrote every pair the workers computed
    # The Ray run's store serves the serial engine: same keys, nothing recomputed, the same numbers.
    again = explain_corpus(LinearToyModel(), SENTENCES, NAMES, cache=store, **kwargs)
    assert all(torch.equal(again.scores[pair], score) for pair, score in on_ray.scores.items())
    assert again.to_frame().equals(on_ray.to_frame())


def test_ray_takes_a_settings_object_like_the_serial_run(pool):
    settings = infolib.Settings(samples=8, max_steps=10, z=0, tol=1e-9)
    common = dict(sigma_s=spread(), batch_size=2, cache=False, progress=False)
    on_ray = explain_corpus(SPEC, SENTENCES[:4], NAMES, engine="ray", pool=pool, settings=settings, **common)
    by_keywords = explain_corpus(
        LinearToyModel(), SENTENCES[:4], NAMES, samples=8, max_steps=10, z=0, tol=1e-9, **common
    )
    assert_same(on_ray, by_keywords)
    assert on_ray.settings == by_keywords.settings
    with pytest.raises(ValueError, match=r"disagree: max_steps=11 \(settings has 10\)"):
        explain_corpus(SPEC, SENTENCES[:4], NAMES, engine="ray", pool=pool, settings=settings, max_steps=11, **common)


def test_a_worker_killed_mid_run_is_restarted_and_the_result_is_unchanged(serial, pool, tmp_path):
    reference, _ = serial
    store = ResultCache(tmp_path / "killed-worker")
    victim = pool.pids()[0]
    outcome = {}

    def run():
        try:
            outcome["result"] = explain_corpus(
                SPEC,
                SENTENCES,
                NAMES,
                engine="ray",
                pool=pool,
                sigma_s=spread(),
                cache=store,
                progress=False,
                **SETTINGS,
            )
        except BaseException as error:  # re-raised in the test thread below
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 120
    while len(store) < 8 and time.time() < deadline and thread.is_alive():
        time.sleep(0.02)
    stored_at_kill = len(store)
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    if "error" in outcome:
        raise outcome["error"]
    assert 8 <= stored_at_kill < PAIRS, "the worker should have been killed part-way through the run"
    assert victim not in pool.pids() and len(pool.actors) == 2  # Ray restarted it
    assert_same(outcome["result"], reference)
    assert len(store) == PAIRS


DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[3])
    from test_distributed import NAMES, SENTENCES, SETTINGS, SPEC, spread
    from infolib.api import explain_corpus
    from infolib.core.store import ResultCache
    explain_corpus(SPEC, SENTENCES, NAMES, engine="ray", address=sys.argv[2], workers=2, sigma_s=spread(),
                   cache=ResultCache(sys.argv[1]), progress=False, **SETTINGS)
""")


def test_a_killed_driver_resumes_from_the_cache(serial, pool, ray_instance, tmp_path):
    reference, _ = serial
    pool.close()  # the module's workers give their 2 CPUs to the driver's
    folder = tmp_path / "killed-driver"
    address = ray_instance.get_runtime_context().gcs_address
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(folder), address, os.path.dirname(__file__)])
    try:
        deadline = time.time() + 150
        while len(list(folder.glob("*/*.json"))) < 8 and time.time() < deadline and driver.poll() is None:
            time.sleep(0.02)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            driver.kill()
    stored = len(list(folder.glob("*/*.json")))
    assert 8 <= stored < PAIRS, "the driver should have been killed part-way through the run"
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)

    # Ray ends the dead driver's workers; a new driver on the same cluster resumes from the cache.
    resumed = explain_corpus(
        SPEC,
        SENTENCES,
        NAMES,
        engine="ray",
        workers=2,
        sigma_s=spread(),
        cache=ResultCache(folder),
        progress=False,
        **SETTINGS,
    )
    assert sum(d["cached"] for d in resumed.diagnostics.values()) == stored  # read back, not recomputed
    assert len(list(folder.glob("*/*.json"))) == PAIRS
    # The serial engine resumed from the same cache state gives the same bits. If the kill fell while
    # the driver wrote a batch's pairs, that batch's missing pairs are optimised apart from its stored
    # ones (float rounding away from the uninterrupted run); every other pair equals it bit for bit.
    serial_resumed = explain_corpus(
        LinearToyModel(), SENTENCES, NAMES, sigma_s=spread(), cache=ResultCache(copy), progress=False, **SETTINGS
    )
    assert_same(resumed, serial_resumed)
    assert_close(resumed, reference)
    batches = [
        order
        for order in _batches()
        if 0 < sum(resumed.diagnostics[i, n]["cached"] for i in order for n in NAMES) < 2 * len(order)
    ]
    partial = {(i, n) for order in batches for i in order for n in NAMES}
    for pair, sigma in reference.sigma.items():
        if pair not in partial:
            assert torch.equal(resumed.sigma[pair], sigma), pair


def test_a_worker_that_loads_other_weights_says_so(ray_instance):
    from infolib.distributed import CorpusBatch, WorkerError, WorkerPool
    from infolib.methods import get_method
    from infolib.methods.runner import _Task

    other = WorkerPool(SPEC, LinearToyModel(random_state=1).fingerprint(), workers=1)
    task = _Task(get_method("information"), {"sigma_s": spread(), "settings": infolib.Settings()})
    try:
        with pytest.raises(WorkerError, match="other weights than the driver's"):
            other.run([CorpusBatch([0], SENTENCES[:1], {}, 1)], NAMES[:1], task, lambda *_: None)
    finally:
        other.close()


# -- without Ray, and bad input: no cluster needed ------------------------------------------------


def test_without_ray_the_engine_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if it were not installed
    from infolib.cli import main
    from infolib.distributed import RayNotInstalled

    with pytest.raises(RayNotInstalled, match=r"pip install 'infolib\[distributed\]'"):
        explain_corpus(SPEC, SENTENCES[:2], NAMES, engine="ray")
    assert main(["explain-corpus", "--engine", "ray", "--limit", "2"]) == 2
    err = capsys.readouterr().err
    assert "infolib[distributed]" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["information", "integrated_gradients"])
def test_the_worker_runs_any_method_as_shipped_and_returns_its_new_entries(name):
    """A Ray worker's body without Ray: the runner's task survives pickling (Ray ships it so), runs the method
    on the worker's own copy of the model, and hands back every entry it computed; given them back, it
    computes nothing and returns the same numbers."""
    import pickle

    from infolib.distributed import ExplainWorker
    from infolib.methods import get_method
    from infolib.methods.runner import _Task

    method = get_method(name)
    options = method.options(None, {"sigma_s": spread(), **({"max_steps": 5} if name == "information" else {})})
    threads = torch.get_num_threads()
    try:
        worker = ExplainWorker(SPEC, "cpu", 1, LinearToyModel().fingerprint())
    finally:
        torch.set_num_threads(threads)
    task = pickle.loads(pickle.dumps(_Task(method, options)))
    part, new, _ = worker.run(task, SENTENCES[:3], NAMES, {})
    here = method.run(LinearToyModel(), SENTENCES[:3], NAMES, **options)
    assert type(part) is type(here) and len(new) == 3 * len(NAMES)
    assert (
        part.to_frame()
        .drop(columns=["steps"], errors="ignore")
        .equals(here.to_frame().drop(columns=["steps"], errors="ignore"))
    )
    again, none, _ = worker.run(task, SENTENCES[:3], NAMES, new)
    assert none == {} and again.to_frame().equals(part.to_frame())


def test_infolib_imports_without_ray():
    code = "import sys; sys.modules['ray'] = None; import infolib, infolib.cli, infolib.distributed; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(engine="spark"), ValueError, "engine must be 'serial' or 'ray'"),
        (dict(workers=2), ValueError, "only apply to engine='ray'"),
        (dict(threads_per_worker=2), ValueError, "threads_per_worker only apply to engine='ray'"),
        (dict(cache="yes"), TypeError, r"cache must be True \(the default result cache\), False"),
        (dict(engine="ray", workers=0), ValueError, "workers must be a whole number"),
        (dict(engine="ray", batch_size=0), ValueError, "batch_size"),
    ],
)
def test_engine_options_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        explain_corpus(SPEC if kwargs.get("engine") else LinearToyModel(), SENTENCES[:2], NAMES, **kwargs)


def test_ray_needs_a_model_it_can_load_by_name():
    pytest.importorskip("ray")
    with pytest.raises(TypeError, match="loads the model in every worker"):
        explain_corpus(LinearToyModel(), SENTENCES[:2], NAMES, engine="ray")
    with pytest.raises(ValueError, match="cannot load model 'infolib.testing:NoSuchModel'"):
        explain_corpus("infolib.testing:NoSuchModel", SENTENCES[:2], NAMES, engine="ray")


def test_cli_passes_the_engine_options(monkeypatch, capsys):
    import infolib.cli
    from infolib.cli import main

    seen = {}

    def fake(model, dataset, layers, **kwargs):
        seen.update(kwargs, model=model)
        raise ValueError("stop here")

    monkeypatch.setattr(infolib.cli, "explain_corpus", fake)
    main(["explain-corpus", "--engine", "ray", "--address", "auto", "--workers", "3", "--model", SPEC])
    assert seen["engine"] == "ray" and seen["address"] == "auto" and seen["workers"] == 3
    assert seen["gpus_per_worker"] == 0 and seen["model"] == SPEC
    assert main(["explain-corpus", "--workers", "3"]) == 2
    assert "need --engine ray" in capsys.readouterr().err


def test_the_extra_pins_ray_and_make_test_installs_it():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["distributed"]
    assert any(line.startswith("ray[client]==") for line in extra)
    everything = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["all"]
    assert any("distributed" in line for line in everything)
    assert '-e ".[all]"' in (root / "Makefile").read_text()
