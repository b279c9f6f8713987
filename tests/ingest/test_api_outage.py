"""Broker stopped mid-run (a private broker): the API answers 503 + Retry-After while Kafka is
unreachable, recovers when it is back, and every event it answered 202 for is in Kafka."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from ingest_events import HOTLINE, tickets
from support.ingest_api import RunningApi, make_settings
from support.kafka import read_events

from infra.kafka import PrivateBroker
from ingest.config import IngestSettings
from ingest.topics import create_topics


def test_broker_outage_gives_503_and_loses_nothing_acknowledged(
    tmp_path: Path, private_broker: PrivateBroker, start_api: Callable[[IngestSettings], RunningApi]
) -> None:
    settings = make_settings(
        tmp_path,
        private_broker.bootstrap,
        api_ack_timeout_s=4.0,
        api_retry_after_s=1,
        kafka_request_timeout_ms=3000,
        kafka_delivery_timeout_ms=60_000,
    )
    create_topics(settings)
    api = start_api(settings)
    token = api.token(HOTLINE, ["lianxi.ticket.*"])

    accepted: list[str] = []
    unavailable: list[tuple[float, dict[str, str], object]] = []  # (when, headers, body)
    others: list[tuple[int, str]] = []
    stop = threading.Event()

    def send() -> None:
        with api.client(token) as client:
            while not stop.is_set():
                batch = tickets(20)
                try:
                    r = client.post("/v1/events", json=batch)
                except httpx.HTTPError as exc:  # recorded, so the test fails with the reason
                    others.append((0, repr(exc)))
                    continue
                if r.status_code == 202:
                    accepted.extend(e["id"] for e in batch)
                elif r.status_code == 503:
                    unavailable.append((time.monotonic(), dict(r.headers), r.json()))
                else:
                    others.append((r.status_code, r.text))

    sender = threading.Thread(target=send)
    sender.start()
    try:
        _wait_for(lambda: len(accepted) >= 200, "accepted events before the outage")
        private_broker.stop()
        _wait_for(lambda: len(unavailable) >= 3, "503 answers while the broker is down")
        before_restart = len(accepted)
        private_broker.start()
        _wait_for(
            lambda: len(accepted) >= before_restart + 200, "accepted events after the restart"
        )
    finally:
        stop.set()
        sender.join(120)

    assert others == []
    first_503 = unavailable[0]
    assert first_503[1]["retry-after"] == "1"
    body = first_503[2]
    assert isinstance(body, dict) and body["error"] == "kafka_unavailable" and body["message"]

    stored = {
        e["id"]
        for e in read_events(
            settings.kafka_bootstrap, f"{settings.kafka_topic_prefix}lianxi.ticket"
        )
    }
    missing = set(accepted) - stored
    assert not missing, f"{len(missing)} acknowledged events are not in Kafka"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 600.0) -> None:
    # A give-up guard for a stuck run on a busy machine, not a performance expectation.
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
