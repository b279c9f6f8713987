"""What the seed scenario should produce, as a table for people and JSON for machines."""

from __future__ import annotations

from typing import Any

from ingest.simulator.figures import FIGURE_LABELS, expected_figures
from ingest.simulator.seed_year import expected_counts


def expectations(seed: int) -> dict[str, Any]:
    counts = expected_counts(seed)
    return {"seed": seed, "figures": expected_figures(), "counts": counts, "total": sum(counts.values())}


def render(expected: dict[str, Any]) -> str:
    figures, counts = expected["figures"], expected["counts"]
    width = max(map(len, counts))
    lines = [f"seed scenario (seed {expected['seed']}): headline figures / 核心指标"]
    lines += [f"  {name:<{width}}  {value:>8,}  {FIGURE_LABELS[name]}" for name, value in figures.items()]
    lines.append("events per type / 各类事件数")
    lines += [f"  {name:<{width}}  {value:>8,}" for name, value in counts.items()]
    lines.append(f"  {'total':<{width}}  {expected['total']:>8,}")
    return "\n".join(lines)
