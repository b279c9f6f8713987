"""What the seed scenario should produce, as a table for people and JSON for machines."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ingest.simulator.figures import FIGURE_LABELS, expected_figures
from ingest.simulator.indicators import indicators
from ingest.simulator.seed_year import expected_counts, expected_indicators


def expectations(seed: int, events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Figures, indicators and counts of the seed year; pass its events to avoid generating twice."""
    if events is None:
        counts, found = expected_counts(seed), expected_indicators(seed)
    else:
        counts, found = dict(sorted(Counter(e["type"] for e in events).items())), indicators(events)
    return {
        "seed": seed,
        "figures": expected_figures(),
        "indicators": found,
        "counts": counts,
        "total": sum(counts.values()),
    }


def render(expected: dict[str, Any]) -> str:
    figures, counts = expected["figures"], expected["counts"]
    width = max(map(len, counts))
    lines = [f"seed scenario (seed {expected['seed']}): headline figures / 核心指标"]
    lines += [
        f"  {name:<{width}}  {value:>8,}  {FIGURE_LABELS[name]}" for name, value in figures.items()
    ]
    lines.append("other indicators of this seed / 其他指标")
    lines += [f"  {name:<{width}}  {value:>8,}" for name, value in expected["indicators"].items()]
    lines.append("events per type / 各类事件数")
    lines += [f"  {name:<{width}}  {value:>8,}" for name, value in counts.items()]
    lines.append(f"  {'total':<{width}}  {expected['total']:>8,}")
    return "\n".join(lines)
