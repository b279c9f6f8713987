"""A round trip through the stack's broker with the producer settings the platform uses."""

import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from support.kafka import read_topic


def test_acks_all_round_trip_through_stack_broker(kafka_bootstrap: str) -> None:
    topic = f"test.infra.roundtrip.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        # Auto-creation is off on the broker: a topic exists only once created explicitly.
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        producer = KafkaProducer(
            bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
        )
        sent = [f"event-{i}".encode() for i in range(200)]
        futures = [
            producer.send(topic, key=str(i % 7).encode(), value=value)
            for i, value in enumerate(sent)
        ]
        metadata = [future.get(timeout=30) for future in futures]
        producer.close()
        assert {m.topic for m in metadata} == {topic}

        received = [r.value for r in read_topic(kafka_bootstrap, topic)]
        assert sorted(received) == sorted(sent)
    finally:
        admin.delete_topics([topic])
        admin.close()


def test_broker_refuses_to_auto_create_topics(kafka_bootstrap: str) -> None:
    topic = f"test.infra.nocreate.{uuid.uuid4().hex[:12]}"
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap)
    try:
        # A metadata request for an unknown topic would create it on a default broker.
        consumer.partitions_for_topic(topic)
        assert topic not in consumer.topics()
    finally:
        consumer.close()
