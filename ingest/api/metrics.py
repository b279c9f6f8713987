"""Prometheus metrics of one API instance (own registry, so several apps can share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lianxi_ingest_requests", "HTTP requests by route and status", ["route", "status"], registry=self.registry
        )
        self.events = Counter(
            "lianxi_ingest_events", "Events by outcome (accepted, rejected)", ["outcome"], registry=self.registry
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
