"""Prometheus metrics of the stream worker, served on /metrics."""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections import deque
from operator import itemgetter
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from ingest.contracts import event_types

if TYPE_CHECKING:
    from streams.rows import Batch

_KNOWN_TYPES = frozenset(event_types())

EVENTS = Counter(
    "lianxi_stream_events_total", "Records consumed, by topic and outcome", ["topic", "outcome"]
)
DEAD_LETTERS = Counter(
    "lianxi_stream_dead_letters_total",
    "Records sent to the dead-letter topic, by reason",
    ["reason"],
)
# Per publishing system. A dead letter's source and type are what the record claimed, so they
# are kept only when they look like the catalogue's (anything else is "unknown"): a broken
# feed must not be able to grow the label set without bound.
SOURCE_EVENTS = Counter(
    "lianxi_stream_source_events_total",
    "Records loaded or dead-lettered, by publishing source, event type, outcome and reason",
    ["source", "type", "outcome", "reason"],
)
BATCH_SECONDS = Histogram(
    "lianxi_stream_batch_insert_seconds",
    "Time from first insert attempt to acceptance",
    ["table"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH_SIZE = Histogram(
    "lianxi_stream_batch_records",
    "Records per batch",
    ["topic"],
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000),
)
CONSUMER_LAG = Gauge(
    "lianxi_stream_consumer_lag",
    "High watermark minus next offset to process",
    ["topic", "partition"],
)
EVENTS_PER_SECOND = Gauge(
    "lianxi_stream_events_per_second", "Records loaded per second over the last 10 s"
)
INSERT_RETRIES = Counter("lianxi_stream_insert_retries_total", "Failed inserts that were retried")
WAREHOUSE_UP = Gauge("lianxi_stream_warehouse_up", "1 when the last insert succeeded")


class Rate:
    """Events per second over a sliding window, for the events_per_second gauge."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self._points: deque[tuple[float, int]] = deque()

    def add(self, n: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        self._points.append((now, n))
        while self._points and self._points[0][0] < now - self.window:
            self._points.popleft()
        span = max(now - self._points[0][0], 1.0)
        value = sum(c for _, c in self._points) / span
        EVENTS_PER_SECOND.set(value)
        return value


def serve(port: int) -> None:
    start_http_server(port, addr="127.0.0.1")


def _label(source: object, kind: object) -> tuple[str, str]:
    # A dead letter's type is whatever the record claimed (a list is unhashable): a known str only.
    known = kind if isinstance(kind, str) and kind in _KNOWN_TYPES else "unknown"
    plain = isinstance(source, str) and 0 < len(source) <= 100 and source.isprintable()
    return (str(source) if plain else "unknown"), str(known)


def count_sources(batch: Batch) -> None:
    """Loaded rows and dead letters of one batch, per (source, type): the rows are counted in C
    (itemgetter + Counter), the labels worked out once per distinct pair."""
    tally: Tally[tuple[str, str, str, str]] = Tally()
    if batch.rows:
        pairs = Tally(
            map(itemgetter(batch.columns.index("source"), batch.columns.index("type")), batch.rows)
        )
        for (source, kind), n in pairs.items():
            tally[(*_label(source, kind), "loaded", "")] += n
    for dl in batch.dead_letters:
        tally[
            (
                *_label(dl.rejection.source, dl.rejection.event_type),
                "dead_letter",
                dl.rejection.error_code,
            )
        ] += 1
    for (source, kind, outcome, reason), n in tally.items():
        SOURCE_EVENTS.labels(source, kind, outcome, reason).inc(n)
