"""Prometheus metrics of the stream worker, served on /metrics."""

from __future__ import annotations

import time
from collections import deque

from prometheus_client import Counter, Gauge, Histogram, start_http_server

EVENTS = Counter(
    "lianxi_stream_events_total", "Records consumed, by topic and outcome", ["topic", "outcome"]
)
DEAD_LETTERS = Counter(
    "lianxi_stream_dead_letters_total", "Records sent to the dead-letter topic, by reason",
    ["reason"],
)
BATCH_SECONDS = Histogram(
    "lianxi_stream_batch_insert_seconds", "Time from first insert attempt to acceptance",
    ["table"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH_SIZE = Histogram(
    "lianxi_stream_batch_records", "Records per batch", ["topic"],
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000),
)
CONSUMER_LAG = Gauge(
    "lianxi_stream_consumer_lag", "High watermark minus next offset to process",
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
