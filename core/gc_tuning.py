"""Garbage collection for the platform's hot processes (ingest API, stream worker, replay).

Each event allocates a dozen short-lived objects (decoded JSON, rows, the Kafka and ClickHouse
clients' buffers and futures), so with CPython's default gen0 threshold (700) the cyclic
collector runs hundreds of times per batch and re-scans everything start-up loaded. Measured:
API ~5 µs less CPU per event (ingest/README.md); worker 17–23k -> 26–33k events/s
(streams/README.md, "Measured").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def tune(gen0_threshold: int) -> None:
    """Freeze what is loaded so far out of collections and collect young objects less often;
    0 keeps Python's defaults."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while a bounded batch job runs (replay). Its rows are acyclic and
    freed by reference counting, so the collector would only re-walk the rows waiting for
    their insert: measured 1-2 µs of a replay loader's ~17 µs per event. Whatever cycles the
    clients leave meanwhile are collected once it is over (long-running processes keep
    collecting, with `tune`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
