"""The producer against the stack's real broker: acknowledged, keyed, idempotent, compressed."""

from __future__ import annotations

import json

import pytest
from ingest_events import event, tickets
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from support.kafka import read_topic

from ingest import contracts
from ingest.config import IngestSettings
from ingest.producer import Producer, PublishError
from ingest.topics import create_topics, wanted


def test_publish_returns_after_every_ack_and_keys_by_subject(
    ingest_settings: IngestSettings,
) -> None:
    events = tickets(300) + [event("lianxi.wish.posted"), event("lianxi.org.unit_linked")]
    progress: list[int] = []
    with Producer(ingest_settings) as producer:
        result = producer.publish(events, on_progress=progress.append)
    prefix = ingest_settings.kafka_topic_prefix
    assert result.published == len(events) and sum(progress) == len(events)
    assert result.by_topic == {
        f"{prefix}lianxi.ticket": 300,
        f"{prefix}lianxi.wish": 1,
        f"{prefix}lianxi.org": 1,
    }

    records = read_topic(ingest_settings.kafka_bootstrap, f"{prefix}lianxi.ticket")
    assert len(records) == 300
    for record in records:
        value = json.loads(record.value)
        assert record.key.decode() == value["subject"]
        assert dict(record.headers)["content-type"].startswith(b"application/cloudevents+json")
    assert sorted(json.loads(r.value)["id"] for r in records) == sorted(
        e["id"] for e in events[:300]
    )


def test_idempotence_is_really_on(ingest_settings: IngestSettings) -> None:
    """The broker, not the client, says so: the partition written to has an active idempotent
    producer (an id assigned through InitProducerId, sequence numbers counted)."""
    from kafka import TopicPartition

    with Producer(ingest_settings) as producer:
        producer.publish(tickets(3))
        config = producer._kafka.config
    assert config["enable_idempotence"] is True and config["acks"] == -1  # acks=all
    assert config["compression_type"] == ingest_settings.kafka_compression
    topic = f"{ingest_settings.kafka_topic_prefix}lianxi.ticket"
    admin = KafkaAdminClient(bootstrap_servers=ingest_settings.kafka_bootstrap)
    try:
        states = admin.describe_producers(
            [TopicPartition(topic, p) for p in range(ingest_settings.kafka_partitions)]
        )
    finally:
        admin.close()
    active = [p for state in states.values() for p in state.active_producers]
    assert active and all(p.producer_id >= 0 and p.producer_epoch >= 0 for p in active)
    assert sum(p.last_sequence + 1 for p in active) == 3  # one sequence number per record


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
    records = read_topic(
        ingest_settings.kafka_bootstrap, f"{ingest_settings.kafka_topic_prefix}lianxi.ticket"
    )
    assert len({r.partition for r in records}) == 1
    assert [json.loads(r.value)["type"] for r in sorted(records, key=lambda r: r.offset)] == [
        e["type"] for e in lifecycle
    ]


def test_missing_topic_is_a_clear_error(tmp_path, kafka_bootstrap: str) -> None:  # type: ignore[no-untyped-def]
    settings = IngestSettings(
        var_dir=tmp_path,
        kafka_bootstrap=kafka_bootstrap,
        kafka_topic_prefix="test.ingest.never-created.",
        kafka_max_block_ms=1500,
    )
    with Producer(settings) as producer, pytest.raises(PublishError) as info:
        producer.publish(tickets(2))
    assert info.value.acknowledged == 0
    assert len(info.value.failures) == 2 and info.value.failures[0][0] == 0


def test_topics_are_created_once_with_partitions_and_retention(
    ingest_settings: IngestSettings,
) -> None:
    again = create_topics(ingest_settings)
    assert set(again.values()) == {"exists"}
    names = [spec.name for spec in wanted(ingest_settings)]
    # one topic per catalogue domain, and the dead letters
    assert names[-1] == f"{ingest_settings.kafka_topic_prefix}lianxi.deadletter"
    assert len(names) == len(contracts.domains()) + 1
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


def test_a_record_too_large_fails_alone_and_the_rest_is_acknowledged(
    ingest_settings: IngestSettings,
) -> None:
    """submit checks what KafkaProducer.send checks: a record over max_request_size is that
    event's failure (by index); the others of the call are still acknowledged."""
    events = tickets(3)
    events[1]["data"]["description"] = "长" * (
        2 * 1024 * 1024
    )  # 6 MB of UTF-8 > max_request_size (4 MB)
    with Producer(ingest_settings) as producer, pytest.raises(PublishError) as info:
        producer.publish(events)
    assert info.value.acknowledged == 2
    assert [index for index, _ in info.value.failures] == [1]
    assert "MessageSizeTooLargeError" in info.value.failures[0][1]


def test_the_producer_uses_only_the_public_api_of_its_client() -> None:
    """No attribute with a leading underscore is read from anything but the producer itself
    (`self._x`): a private attribute of kafka-python could change in any release."""
    import ast
    import inspect

    from ingest import producer

    private = [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(inspect.getsource(producer)))
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]
    assert private == []


def test_connected_follows_the_broker(tmp_path, private_broker) -> None:  # type: ignore[no-untyped-def]
    """connected() reads the client's connection count: a broker that stops is seen as gone,
    one that is back is seen again once the client reconnects (the API's fast 503s rely on it)."""
    settings = IngestSettings(
        var_dir=tmp_path,
        kafka_bootstrap=private_broker.bootstrap,
        kafka_topic_prefix="conn.",
        kafka_request_timeout_ms=3000,
        kafka_delivery_timeout_ms=10_000,
    )
    create_topics(settings)
    with Producer(settings) as producer:
        producer.publish(tickets(2))
        assert producer.connected()
        private_broker.stop()
        _wait_for(lambda: not producer.connected(), "the stopped broker to be seen as gone")
        private_broker.start()
        producer.publish(tickets(2))
        assert producer.connected()


def _wait_for(condition, what: str, timeout: float = 300.0) -> None:  # type: ignore[no-untyped-def]
    # A give-up guard for a stuck run on a busy machine, not a performance expectation.
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
