"""Prometheus metrics of one API instance (own registry, so several apps can share a process)."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from ingest.contracts import event_types

_KNOWN_TYPES = frozenset(event_types())


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lianxi_ingest_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.events = Counter(
            "lianxi_ingest_events",
            "Events by outcome (accepted, rejected)",
            ["outcome"],
            registry=self.registry,
        )
        # Per publishing system: the token's source (a bounded set), the event type when the
        # catalogue knows it (anything else is "unknown", so a hostile caller cannot grow the
        # label set), and for rejections the rule of the event's first failure.
        self.source_events = Counter(
            "lianxi_ingest_source_events",
            "Events by publishing source, event type, outcome (accepted, rejected) and rule",
            ["source", "type", "outcome", "rule"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lianxi_ingest_request_seconds",
            "Request latency by route",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.kafka_wait = Histogram(
            "lianxi_ingest_kafka_ack_seconds",
            "Time from handing a request's events to Kafka until all were acknowledged",
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15),
            registry=self.registry,
        )

    def count(
        self,
        source: str,
        outcome: str,
        events: list[Any],
        failures: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Add `events` (dicts as received) to the counters. `failures` are the error items of a
        refused request: each event counts under the rule of its first failure, and an event of
        that request that broke none under "request" (all or nothing: it was not published)."""
        self.events.labels(outcome).inc(len(events))
        rules: dict[int, str] = {}
        for failure in failures:
            if failure.get("index") is not None:
                rules.setdefault(failure["index"], failure["rule"])
        tally: Tally[tuple[str, str]] = Tally()
        for index, event in enumerate(events):
            kind = event.get("type") if isinstance(event, dict) else None
            rule = "" if outcome == "accepted" else rules.get(index, "request")
            # Anything a caller sent may sit in "type" (a list is unhashable): only a known str counts.
            known = isinstance(kind, str) and kind in _KNOWN_TYPES
            tally[(str(kind) if known else "unknown", rule)] += 1
        for (kind, rule), n in tally.items():
            self.source_events.labels(source, kind, outcome, rule).inc(n)
