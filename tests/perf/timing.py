"""Timing for the benchmarks: wall-clock runs of a workload, the candidate and its same-run
baseline alternated, and one row per (workload, client) with the ratio to the baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of each of `repeats` runs of fn."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def timed_pair(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    repeats: int,
    before: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """Alternate the two sides run by run, so both meet the same load on a shared machine;
    before() runs ahead of every run, outside the clock."""
    base_times: list[float] = []
    cand_times: list[float] = []
    for _ in range(repeats):
        for fn, out in ((baseline, base_times), (candidate, cand_times)):
            if before is not None:
                before()
            out += timed(fn, 1)
    return base_times, cand_times


def workload_row(
    workload: str, client: str, rows: int, times: list[float], baseline: list[float] | None
) -> dict:
    """Best and median seconds, rows/s at best, and best / the baseline's best."""
    best = min(times)
    row = {
        "workload": workload,
        "client": client,
        "rows": rows,
        "best_s": round(best, 4),
        "median_s": round(statistics.median(times), 4),
        "rows_per_s": int(rows / best),
    }
    if baseline is not None:
        row["ratio_vs_chdb"] = round(best / min(baseline), 3)
    return row


def quantile(values: list[float], q: float) -> float:
    """The q-quantile of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
