"""Normalised AOPC (Edin et al., ACL 2025): AOPC rescaled between the best and the worst ordering.

For an ordering π of the n features, AOPC(π) = 1/(n−1) Σ_{k=1}^{n−1} d(top-k of π), where d(S) =
p(ŷ|x) − p(ŷ|x ∖ S) (comprehensiveness) or p(ŷ|x) − p(ŷ|S) (sufficiency). (k = 0 and k = n give the
same value for every ordering, so they cancel in the normalisation and are left out.) Then

    NAOPC = (AOPC(e) − min_π AOPC(π)) / (max_π AOPC(π) − min_π AOPC(π))    in [0, 1].

Higher is more faithful for comprehensiveness; for sufficiency a good ranking keeps the output,
so NAOPC_suff is reported as (max − AOPC(e)) / (max − min): also higher = better.

The bounds are exact for n ≤ `exact_limit` (default 10): AOPC(π) sums d over a chain ∅ ⊂ S_1 ⊂ … of
subsets, so the best chain is found by dynamic programming over all 2^n subsets (2^n − 2 forward
passes, not n! orderings). Beyond, beam search builds the ordering one feature at a time, keeping
the `beam_width` best partial sums; the explanation's own ordering is also an ordering, so the
bounds are widened to include it and NAOPC stays in [0, 1]. NaN when n < 2 or max = min.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def _chain_extreme_exact(n: int, d: Callable[[list[int]], np.ndarray], best: Callable) -> float:
    """max (best=max) or min over orderings of Σ_{k=1}^{n−1} d(S_k), over all 2^n subsets."""
    masks = list(range(1, (1 << n) - 1))
    members = [[i for i in range(n) if m >> i & 1] for m in masks]
    values = dict(zip(masks, d(members))) if masks else {}
    full = (1 << n) - 1
    value_to_end = {full: 0.0}
    for m in sorted(masks, key=lambda m: -bin(m).count("1")):
        value_to_end[m] = values[m] + best(value_to_end[m | 1 << i] for i in range(n) if not m >> i & 1)
    return best(value_to_end[1 << i] for i in range(n))


def _chain_extreme_beam(n: int, d: Callable[[list[int]], np.ndarray], maximise: bool, beam_width: int) -> float:
    beams: list[tuple[float, frozenset]] = [(0.0, frozenset())]
    for _ in range(n - 1):
        candidates = {}
        for total, chosen in beams:
            for i in range(n):
                if i not in chosen:
                    grown = chosen | {i}
                    candidates.setdefault(grown, []).append(total)
        sets = list(candidates)
        gains = d([sorted(s) for s in sets])
        scored = [((max if maximise else min)(candidates[s]) + float(g), s) for s, g in zip(sets, gains)]
        scored.sort(key=lambda item: -item[0] if maximise else item[0])
        beams = scored[:beam_width]
    return beams[0][0]


def normalised_aopc(
    n: int,
    d: Callable[[list[list[int]]], np.ndarray],
    order: Sequence[int],
    measure: str,
    *,
    exact_limit: int = 10,
    beam_width: int = 5,
) -> float:
    """NAOPC of the ordering `order` (most important first) for the drop function d.

    Args:
        n: number of features.
        d: list of feature-index sets -> [sets] drops d(S).
        order: [n] the explanation's ordering.
        measure: 'comprehensiveness' or 'sufficiency'.
        exact_limit: largest n with exact bounds; beam_width: beam size beyond.
    """
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive int, got {beam_width!r}.")
    if n < 2:
        return float("nan")
    own = float(np.sum(d([sorted(order[:k]) for k in range(1, n)])))
    if n <= exact_limit:
        high = _chain_extreme_exact(n, d, max)
        low = _chain_extreme_exact(n, d, min)
    else:
        high = max(own, _chain_extreme_beam(n, d, True, beam_width))
        low = min(own, _chain_extreme_beam(n, d, False, beam_width))
    if not high - low > 1e-12:
        return float("nan")
    if measure == "comprehensiveness":
        return (own - low) / (high - low)
    return (high - own) / (high - low)
