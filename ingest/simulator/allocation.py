"""Exact integer splits: the seed scenario's totals must come out exact, never approximately."""

from __future__ import annotations

import random
from collections.abc import Sequence


def split_exact(total: int, weights: Sequence[float]) -> list[int]:
    """Non-negative integers proportional to `weights` that sum to exactly `total`
    (largest-remainder rounding, ties to the lower index so the result is deterministic)."""
    if total < 0 or not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(
            "split_exact needs total >= 0 and non-negative weights with a positive sum"
        )
    weight_sum = sum(weights)
    # Share first, then scale: total / weight_sum overflows for tiny weights.
    raw = [w / weight_sum * total for w in weights]
    parts = [int(r) for r in raw]
    short = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return parts


def fill_to_total(
    rng: random.Random, counts: list[int], caps: Sequence[int], total: int
) -> list[int]:
    """Nudge `counts` one at a time (never below 0 nor above its cap) until they sum to `total`."""
    if not 0 <= total <= sum(caps):
        raise ValueError(f"cannot reach {total} with caps summing to {sum(caps)}")
    counts = [min(max(c, 0), cap) for c, cap in zip(counts, caps, strict=True)]
    have = sum(counts)
    grow = [i for i, c in enumerate(counts) if c < caps[i]]
    shrink = [i for i, c in enumerate(counts) if c > 0]
    while have != total:
        pool = grow if have < total else shrink
        i = pool[rng.randrange(len(pool))]
        step = 1 if have < total else -1
        if not 0 <= counts[i] + step <= caps[i]:
            pool.remove(i)
            continue
        counts[i] += step
        have += step
        if counts[i] < caps[i] and i not in grow:
            grow.append(i)
        if counts[i] > 0 and i not in shrink:
            shrink.append(i)
    return counts
