"""The estimator on a GPU: pairs per second, peak memory, and what bf16 costs in objective.

    python benchmarks/bench_gpu.py                   # on a machine with CUDA; elsewhere it says so and exits 0
    python benchmarks/bench_gpu.py --device cpu --sentences 2 --layers 2   # the same code path on the CPU

Two shapes: MiniLM's (6 layers × 384) and MPNet's (12 layers × 768). Each is the real pretrained model
when it is on this machine, otherwise a BERT of that shape built from `BertConfig` with seeded random
weights (said so in the output: speed and memory depend on the shape, not on the weights). Per shape:
- `infolib.explain` on SST-2 dev sentences × all layers at token level, as many pairs as
  `--sentences` gives, with the estimator's `memory_budget_mb` set to `--fill` of the device's free
  memory, so a batch fills the device; one untimed warm-up call first;
- pairs/s and the device's peak memory;
- the same in bf16 autocast (the model runs in bf16, the estimator's σ stays in float32), and the
  objective L(σ) of the bf16 σ against the float32 σ, both evaluated in float32 with 256 fresh draws.
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch

import infolib
from infolib.core.data import load_sst2
from infolib.core.estimator import objective
from infolib.core.explain import _model_problem
from infolib.core.inputs import encode_batch
from infolib.core.sigma_s import sigma_s as estimate_sigma_s

SHAPES = {  # name: (registry model, layers, hidden, heads, intermediate)
    "minilm": ("minilm", 6, 384, 12, 1536),
    "mpnet": ("mpnet", 12, 768, 12, 3072),
}


def build(shape: str, device: str):
    """(HookedModel, whether it holds real pretrained weights) of the given shape, on `device`."""
    registry, layers, hidden, heads, intermediate = SHAPES[shape]
    try:
        return infolib.load_model(registry, device=device, progress=False), True
    except Exception as error:  # weights not on this machine (e.g. `make deep-model` not run)
        print(f"{shape}: pretrained weights not available ({type(error).__name__}); random weights of its shape")
    from transformers import BertConfig, BertModel

    from infolib.models.common import minilm_tokenizer, seeded
    from infolib.models.hf import HFEncoder

    config = BertConfig(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=intermediate
    )
    with seeded(0):
        module = BertModel(config).eval().to(device)
    return HFEncoder(module, minilm_tokenizer(), name=f"random-{shape}"), False


def autocast(device: str, dtype: torch.dtype | None):
    """bf16 autocast on `device` (CUDA or CPU), or nothing for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def measure(model, sentences: list[str], layers: list[str], spread: dict, budget_mb: float, dtype, device: str):
    """(seconds, peak bytes or None, explanation) of one explain call under `dtype` autocast."""
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    with autocast(device, dtype):
        result = infolib.explain(
            model, sentences, layers, level="token", sigma_s=spread, progress=False, memory_budget_mb=budget_mb
        )
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - start, torch.cuda.max_memory_allocated() if cuda else None, result


def run_shape(shape: str, device: str, sentences: list[str], n_layers: int | None, fill: float) -> dict:
    model, pretrained = build(shape, device)
    layers = model.resolve_layers("all")[: n_layers or None]
    spread = estimate_sigma_s(model, layers, load_sst2("train").sentences[:64])
    if torch.device(device).type == "cuda":
        free, _ = torch.cuda.mem_get_info()
        budget_mb = fill * free / 2**20
    else:
        budget_mb = 2048.0
    measure(model, sentences[:1], layers[:1], spread, budget_mb, None, device)  # warm-up (kernels, allocator)
    seconds, peak, fp32 = measure(model, sentences, layers, spread, budget_mb, None, device)
    seconds_bf16, peak_bf16, bf16 = measure(model, sentences, layers, spread, budget_mb, torch.bfloat16, device)
    pairs = [(i, layer) for i in range(len(sentences)) for layer in layers]
    with torch.no_grad(), infolib.frozen(model.module):
        problem = _model_problem(encode_batch(model, sentences, layers, "token", spread), pairs, 0)
        L32, L16 = (
            objective(
                problem,
                [r.sigma[p].to(device) for p in pairs],
                fp32.scale,
                0.1,
                samples=256,
                memory_budget_mb=budget_mb,
            )
            for r in (fp32, bf16)
        )
    gap = ((L16 - L32) / L32.abs()).tolist()
    passes = [fp32.diagnostics[p]["passes"] for p in pairs]
    return {
        "shape": shape,
        "pretrained": pretrained,
        "layers": len(layers),
        "pairs": len(pairs),
        "memory_budget_mb": round(budget_mb),
        "float32": {"seconds": round(seconds, 3), "pairs_per_s": round(len(pairs) / seconds, 2), "peak_mb": _mb(peak)},
        "bf16": {
            "seconds": round(seconds_bf16, 3),
            "pairs_per_s": round(len(pairs) / seconds_bf16, 2),
            "peak_mb": _mb(peak_bf16),
        },
        "bf16_objective_gap_mean": round(statistics.mean(gap), 6),
        "bf16_objective_gap_worst": round(max(gap), 6),
        "median_passes": statistics.median(passes),
    }


def _mb(peak: int | None) -> float | None:
    return None if peak is None else round(peak / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="'cuda' (default; exits 0 when there is none) or 'cpu'")
    parser.add_argument("--sentences", type=int, default=256, help="SST-2 dev sentences (pairs = sentences × layers)")
    parser.add_argument("--layers", type=int, default=None, help="only the first N layers (default all)")
    parser.add_argument("--fill", type=float, default=0.6, help="fraction of free GPU memory a batch may take")
    parser.add_argument("--shapes", default="minilm,mpnet")
    args = parser.parse_args()
    if torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU on this machine: nothing measured (run with --device cpu to exercise the code path)")
        print(json.dumps({"bench": "gpu", "cuda": False, "measured": False, "torch": torch.__version__}))
        return
    device_name = torch.cuda.get_device_name() if torch.device(args.device).type == "cuda" else platform.processor()
    sentences = load_sst2("dev").sentences[: args.sentences]
    results = [run_shape(s, args.device, sentences, args.layers, args.fill) for s in args.shapes.split(",") if s]
    print(f"device: {device_name or args.device}")
    print(
        f"{'shape':10}{'pairs':>7}{'fp32 pairs/s':>14}{'peak MB':>10}{'bf16 pairs/s':>14}{'peak MB':>10}"
        f"{'bf16 gap':>10}"
    )
    for r in results:
        print(
            f"{r['shape']:10}{r['pairs']:7d}{r['float32']['pairs_per_s']:14.2f}{r['float32']['peak_mb'] or 0:10.0f}"
            f"{r['bf16']['pairs_per_s']:14.2f}{r['bf16']['peak_mb'] or 0:10.0f}{r['bf16_objective_gap_mean']:+10.3%}"
        )
    summary = {
        "bench": "gpu",
        "cuda": torch.device(args.device).type == "cuda",
        "measured": True,
        "device": device_name or args.device,
        "results": results,
        "torch": torch.__version__,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
