"""The precision Φ runs in (`Settings.precision`), and whether this machine runs bf16 fast.

bf16 halves the cost of a forward and backward pass where the hardware has bf16 arithmetic
(AVX-512 BF16 or AMX on a CPU, Ampere or later on a GPU) and costs more than float32 where it
is emulated, so infolib never picks it silently: `Settings.precision` is float32 unless asked.
It pays on large batches (`make bench`'s 30 MiniLM pairs: 2.4 s instead of 3.6 s on 2 cores with
AVX-512 BF16), not on the what-if probe's small ones (`benchmarks/bench_probe.py --precision bfloat16`).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import torch

PRECISIONS = ("float32", "bfloat16")
# /proc/cpuinfo flags of CPUs with bf16 arithmetic (AMD Zen 4, Intel Cooper Lake and Sapphire Rapids on).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def precision_context(precision: str, device: torch.device | str):
    """The autocast under which Φ runs for `precision` on `device` (nothing for float32)."""
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


@functools.cache
def fast_bfloat16(device: str = "cpu") -> bool:
    """Whether `device` ('cpu' or 'cuda') has bf16 arithmetic (not an emulation slower than float32).

    CPU: Linux's /proc/cpuinfo lists avx512_bf16 or amx_bf16 (False where it cannot be read).
    """
    if torch.device(device).type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return any(flag in flags for flag in BF16_CPU_FLAGS)
