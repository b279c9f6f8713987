"""The producer against the stack's real broker: acknowledged, keyed, idempotent, compressed."""

from __future__ import annotations

import json

import pytest
from ingest_events import event, tickets
from ingest_kafka import read_topic
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient

from ingest.config import IngestSettings
from ingest.producer import Producer, PublishError
from ingest.topics import create_topics, wanted


def test_publish_returns_after_every_ack_and_keys_by_subject(ingest_settings: IngestSettings) -> None:
    events = tickets(300) + [event("lianxi.wish.posted"), event("lianxi.org.unit_linked")]
    progress: list[int] = []
    with Producer(ingest_settings) as producer:
        result = producer.publish(events, on_progress=progress.append)
    prefix = ingest_settings.kafka_topic_prefix
    assert result.published == len(events) and sum(progress) == len(events)
    assert result.by_topic == {f"{prefix}lianxi.ticket": 300, f"{prefix}lianxi.wish": 1, f"{prefix}lianxi.org": 1}

    records = read_topic(ingest_settings.kafka_bootstrap, f"{prefix}lianxi.ticket")
    assert len(records) == 300
    for record in records:
        value = json.loads(record.value)
        assert record.key.decode() == value["subject"]
        assert dict(record.headers)["content-type"].startswith(b"application/cloudevents+json")
    assert sorted(json.loads(r.value)["id"] for r in records) == sorted(e["id"] for e in events[:300])


def test_idempotence_is_really_on(ingest_settings: IngestSettings) -> None:
    with Producer(ingest_settings) as producer:
        before = producer.idempotence()
        producer.publish(tickets(3))
        after = producer.idempotence()
        assert producer._kafka.config["compression_type"] == ingest_settings.kafka_compression
    assert before["enable_idempotence"] is True and after["enable_idempotence"] is True
    assert after["acks"] == -1  # acks=all
    # The broker assigned a producer id through InitProducerId: idempotent sends are in effect.
    assert after["producer_id"] >= 0 and after["producer_epoch"] >= 0


def test_same_key_stays_in_one_partition_in_order(ingest_settings: IngestSettings) -> None:
    lifecycle = [
        event("lianxi.ticket.opened", ticket_id="t-order-1"),
        event("lianxi.ticket.assigned", ticket_id="t-order-1"),
        event("lianxi.ticket.responded", ticket_id="t-order-1"),
        event("lianxi.ticket.resolved", ticket_id="t-order-1"),
        event("lianxi.ticket.closed", ticket_id="t-order-1"),
    ]
    for ev in lifecycle:
        ev["subject"] = "t-order-1"
    with Producer(ingest_settings) as producer:
        producer.publish(lifecycle)
    records = read_topic(ingest_settings.kafka_bootstrap, f"{ingest_settings.kafka_topic_prefix}lianxi.ticket")
    assert len({r.partition for r in records}) == 1
    assert [json.loads(r.value)["type"] for r in sorted(records, key=lambda r: r.offset)] == [e["type"] for e in lifecycle]


def test_missing_topic_is_a_clear_error(tmp_path, kafka_bootstrap: str) -> None:  # type: ignore[no-untyped-def]
    settings = IngestSettings(
        var_dir=tmp_path, kafka_bootstrap=kafka_bootstrap, kafka_topic_prefix="test.ingest.never-created.",
        kafka_max_block_ms=1500,
    )
    with Producer(settings) as producer, pytest.raises(PublishError) as info:
        producer.publish(tickets(2))
    assert info.value.acknowledged == 0
    assert len(info.value.failures) == 2 and info.value.failures[0][0] == 0


def test_topics_are_created_once_with_partitions_and_retention(ingest_settings: IngestSettings) -> None:
    again = create_topics(ingest_settings)
    assert set(again.values()) == {"exists"}
    names = [spec.name for spec in wanted(ingest_settings)]
    assert names[-1] == f"{ingest_settings.kafka_topic_prefix}lianxi.deadletter" and len(names) == 9
    admin = KafkaAdminClient(bootstrap_servers=ingest_settings.kafka_bootstrap)
    try:
        described = admin.describe_topics(names)
        assert {len(t["partitions"]) for t in described} == {ingest_settings.kafka_partitions}
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, names[0])])
        retention = configs["topic"][names[0]]["retention.ms"]
        assert retention["value"] == str(ingest_settings.kafka_retention_ms)
        assert retention["config_source"] == "DYNAMIC_TOPIC_CONFIG"
    finally:
        admin.close()


def test_a_record_too_large_fails_alone_and_the_rest_is_acknowledged(ingest_settings: IngestSettings) -> None:
    """submit checks what KafkaProducer.send checks: a record over max_request_size is that
    event's failure (by index); the others of the call are still acknowledged."""
    events = tickets(3)
    events[1]["data"]["description"] = "长" * (2 * 1024 * 1024)  # 6 MB of UTF-8 > max_request_size (4 MB)
    with Producer(ingest_settings) as producer, pytest.raises(PublishError) as info:
        producer.publish(events)
    assert info.value.acknowledged == 2
    assert [index for index, _ in info.value.failures] == [1]
    assert "MessageSizeTooLargeError" in info.value.failures[0][1]


def test_the_kafka_python_internals_submit_uses_are_the_pinned_ones() -> None:
    """Producer.submit appends to kafka-python's record accumulator directly (the per-record
    checks of send() are done once per call): guard the pinned version it was written for."""
    import inspect

    import kafka
    from kafka.producer.kafka import KafkaProducer
    from kafka.producer.record_accumulator import RecordAccumulator

    from ingest.producer import KAFKA_PYTHON_VERSION

    assert kafka.__version__ == KAFKA_PYTHON_VERSION
    params = list(inspect.signature(RecordAccumulator.append).parameters)
    assert params[:7] == ["self", "tp", "timestamp_ms", "key", "value", "headers", "now"]
    for name in ("_estimate_size_in_bytes", "_ensure_valid_record_size", "partitions_for"):
        assert callable(getattr(KafkaProducer, name))
