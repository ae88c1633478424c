"""Training loops (seeded, with tqdm progress) and the `train` command line.

    python -m infolib train --all            train every SST-2 and reversal model not yet cached
    python -m infolib train bert-cola        one model (names: python -m infolib train --list)
    python -m infolib train --all --smoke    the tiny SMOKE variants
    python -m infolib.training.loops ...              the same, without the rest of the command line

Batches group sentences of similar length (less padding), in a seeded order.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from ..core.data import ReverseSplit, Split
from ..core.hooks import HookedModel


@dataclass(frozen=True)
class TrainSettings:
    """How a model is trained.

    Attributes:
        epochs: passes over the (possibly subsampled) training set; fractions allowed.
        batch_size: sentences per step.
        lr: peak learning rate of AdamW (linear warm-up, then linear decay to 0).
        weight_decay: AdamW weight decay.
        warmup: fraction of the steps spent warming up.
        max_train: use only this many training sentences (a seeded random subset); None = all.
        max_steps: stop after this many steps (None = epochs decide).
        seed: seeds the subset, the batch order and dropout.
        clip: gradient-norm clip.
    """

    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup: float = 0.06
    max_train: int | None = None
    max_steps: int | None = None
    seed: int = 0
    clip: float = 1.0


def length_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, chunk: int = 50
) -> list[list[int]]:
    """Seeded batches of indices: shuffle, sort within chunks of `chunk` batches by length, shuffle batches."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    batches = []
    for start in range(0, len(order), batch_size * chunk):
        block = sorted(order[start : start + batch_size * chunk], key=lambda i: lengths[i])
        batches += [block[i : i + batch_size] for i in range(0, len(block), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def subset(n: int, max_train: int | None, seed: int) -> list[int]:
    """The training indices used: all of them, or a seeded random `max_train` of them (sorted)."""
    if max_train is None or max_train >= n:
        return list(range(n))
    return sorted(torch.randperm(n, generator=torch.Generator().manual_seed(seed + 17))[:max_train].tolist())


def _loop(
    model: HookedModel,
    n_train: int,
    lengths: Sequence[int],
    settings: TrainSettings,
    loss_of,
    progress: bool,
    desc: str,
) -> dict:
    """The shared loop: AdamW, warm-up + linear decay, clipping; `loss_of(batch indices)` -> loss."""
    with torch.random.fork_rng(devices=[]):  # dropout draws from a seeded stream; the caller's is untouched
        torch.manual_seed(settings.seed)
        return _steps(model, n_train, lengths, settings, loss_of, progress, desc)


def _steps(model, n_train, lengths, settings, loss_of, progress, desc) -> dict:
    generator = torch.Generator().manual_seed(settings.seed)
    per_epoch = math.ceil(n_train / settings.batch_size)
    total = max(1, math.ceil(per_epoch * settings.epochs))
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    params = [p for p in model.module.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    warm = max(1, int(settings.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    model.module.train()
    step, losses, started = 0, [], time.perf_counter()
    bar = tqdm(total=total, desc=desc, unit="step", disable=not progress, leave=False)
    try:
        while step < total:
            for batch in length_batches(lengths, settings.batch_size, generator):
                loss = loss_of(batch)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, settings.clip)
                optimiser.step()
                schedule.step()
                losses.append(loss.item())
                step += 1
                bar.update(1)
                if step % 20 == 0:
                    bar.set_postfix_str(f"loss {sum(losses[-50:]) / len(losses[-50:]):.3f}")
                if step >= total:
                    break
    finally:
        bar.close()
        model.module.eval()
    tail = losses[-50:]
    return {
        "steps": step,
        "train_seconds": round(time.perf_counter() - started, 1),
        "final_train_loss": sum(tail) / len(tail),
    }


def class_logits(model: HookedModel, sentences: Sequence[str]) -> Tensor:
    """The classifier's `logits` hidden state for raw sentences: [batch, C] (train or eval mode)."""
    encoding = model.encode(list(sentences))
    mask = encoding.attention_mask.to(model.device)
    return model.states(model.embed(encoding), mask, ["logits"])["logits"]


def fit_classifier(
    model: HookedModel, train: Split, settings: TrainSettings, *, balance_classes: bool = False, progress: bool = True
) -> dict:
    """Train a sentence classifier (cross-entropy on its `logits`); returns training facts.

    Args:
        balance_classes: weight each class by 1 / its frequency in the training rows, so a model
            that cannot yet read the task does not settle on the majority class (CoLA: 70 % acceptable).
    """
    rows = subset(len(train), settings.max_train, settings.seed)
    sentences = [train.sentences[i] for i in rows]
    labels = torch.tensor([train.labels[i] for i in rows])
    lengths = [len(s.split()) for s in sentences]
    weight = None
    if balance_classes:
        counts = torch.bincount(labels).float()
        weight = (counts.sum() / (len(counts) * counts.clamp_min(1))).to(model.device)

    def loss_of(batch):
        return F.cross_entropy(
            class_logits(model, [sentences[i] for i in batch]), labels[batch].to(model.device), weight=weight
        )

    facts = _loop(model, len(rows), lengths, settings, loss_of, progress, f"train {model.name}")
    return {**facts, "train_examples": len(rows)}


def matthews(predicted: Tensor, labels: Tensor) -> float:
    """Matthews correlation coefficient of binary predictions (0 when undefined)."""
    tp = float(((predicted == 1) & (labels == 1)).sum())
    tn = float(((predicted == 0) & (labels == 0)).sum())
    fp = float(((predicted == 1) & (labels == 0)).sum())
    fn = float(((predicted == 0) & (labels == 1)).sum())
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / denominator if denominator else 0.0


def evaluate_classifier(model: HookedModel, split: Split, batch_size: int = 128) -> dict:
    """Accuracy and MCC on a labelled split."""
    predicted = []
    with torch.no_grad():
        for start in range(0, len(split), batch_size):
            predicted.append(class_logits(model, split.sentences[start : start + batch_size]).argmax(-1).cpu())
    predicted, labels = torch.cat(predicted), torch.tensor(split.labels)
    return {
        "accuracy": float((predicted == labels).float().mean()),
        "mcc": matthews(predicted, labels),
        "n": len(split),
    }


def _reverse_batch(
    model: HookedModel, sentences: Sequence[str], targets: Sequence[str]
) -> tuple[Tensor, Tensor, Tensor]:
    encoding = model.encode(list(sentences))
    mask = encoding.attention_mask.to(model.device)
    logits = model.step_logits(model.embed(encoding), mask)
    wanted = model.encode(list(targets)).input_ids.to(model.device) - 1  # symbol ids 1..V -> classes 0..V-1
    return logits, wanted, mask.bool()


def fit_reverser(model: HookedModel, train: ReverseSplit, settings: TrainSettings, *, progress: bool = True) -> dict:
    """Train a reversal model: cross-entropy of every real output step against the reversed input."""
    rows = subset(len(train), settings.max_train, settings.seed)
    sentences, targets = [train.sentences[i] for i in rows], [train.targets[i] for i in rows]
    lengths = [len(s.split()) for s in sentences]

    def loss_of(batch):
        logits, wanted, real = _reverse_batch(model, [sentences[i] for i in batch], [targets[i] for i in batch])
        return F.cross_entropy(logits[real], wanted[real])

    facts = _loop(model, len(rows), lengths, settings, loss_of, progress, f"train {model.name}")
    return {**facts, "train_examples": len(rows)}


def evaluate_reverser(model: HookedModel, split: ReverseSplit, batch_size: int = 256) -> dict:
    """Exact-token accuracy (over all output steps) and whole-sequence accuracy."""
    right = total = exact = 0
    with torch.no_grad():
        for start in range(0, len(split), batch_size):
            logits, wanted, real = _reverse_batch(
                model, split.sentences[start : start + batch_size], split.targets[start : start + batch_size]
            )
            hit = (logits.argmax(-1) == wanted) | ~real
            right += int((hit & real).sum())
            total += int(real.sum())
            exact += int(hit.all(1).sum())
    return {"token_accuracy": right / total, "sequence_accuracy": exact / len(split), "n": len(split)}
