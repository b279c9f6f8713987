"""The rejection write path's guarantee, broken on purpose: with the broker stopped, a bad event
is answered 503 (resend), never a 4xx whose rejection record was not stored; once the broker is
back, the same bad event is answered 422 and its record is in Kafka (one rejection id)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from kafka import KafkaConsumer
from support.ingest_api import RunningApi
from support.ports import free_port

from infra.kafka import PrivateBroker
from ingest.config import IngestSettings
from ingest.topics import create_topics
from tests.ingest.ingest_events import event

SOURCE = "/systems/q-outage"


def _rejections(settings: IngestSettings) -> list[dict]:
    consumer = KafkaConsumer(
        f"{settings.kafka_topic_prefix}lianxi.quality",
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        group_id=None,
    )
    try:
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()


def test_no_4xx_without_its_rejection_record(tmp_path: Path, private_broker: PrivateBroker) -> None:
    settings = IngestSettings(
        var_dir=tmp_path / "var",
        kafka_bootstrap=private_broker.bootstrap,
        kafka_topic_prefix=f"q{uuid.uuid4().hex[:8]}.",
        api_ack_timeout_s=3.0,
        api_retry_after_s=1,
        kafka_request_timeout_ms=2000,
        kafka_delivery_timeout_ms=60_000,
    )
    create_topics(settings)
    api = RunningApi(settings, free_port()).start()
    try:
        client = api.client(api.token(SOURCE, ["lianxi.ticket.*"]))
        bad = event(
            "lianxi.ticket.opened",
            SOURCE,
            ticket_id=f"t-{uuid.uuid4().hex[:8]}",
            channel="fax",
        )
        assert client.post("/v1/events", json=bad).status_code == 422
        private_broker.stop()
        down = client.post("/v1/events", json=bad)
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "kafka_unavailable" and "Retry-After" in down.headers
        private_broker.start()
        for _ in range(60):  # the gate lets one probe through per Retry-After second
            again = client.post("/v1/events", json=bad)
            if again.status_code != 503:
                break
        assert again.status_code == 422, again.text
        records = _rejections(settings)
        # Every 4xx answered has its record (two at least; the 503's may have landed late), and
        # all are one rejection: the same refusal of the same event collapses on (source, id).
        assert len(records) >= 2
        assert len({(r["source"], r["id"]) for r in records}) == 1
        assert all(
            r["data"]["publisher_source"] == SOURCE and r["data"]["rule"] == "enum" for r in records
        )
    finally:
        api.stop()
