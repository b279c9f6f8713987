"""Acknowledged messages survive a broker restart, clean (SIGTERM) or crash (SIGKILL)."""

import uuid

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from support.kafka import read_topic

from infra.kafka import PrivateBroker


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    for future in [producer.send(topic, value=value) for value in values]:
        future.get(timeout=30)
    producer.close()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_acknowledged_messages_survive_broker_restart(
    private_broker: PrivateBroker, how: str
) -> None:
    bootstrap = private_broker.bootstrap
    topic = f"test.infra.restart.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()

    before = [f"before-{i}".encode() for i in range(500)]
    _produce(bootstrap, topic, before)

    getattr(private_broker, how)()
    assert private_broker.process is None
    private_broker.start()

    # The restarted broker takes new writes too, appended after what it kept.
    after = [f"after-{i}".encode() for i in range(100)]
    _produce(bootstrap, topic, after)
    received = [r.value for r in read_topic(bootstrap, topic)]
    assert sorted(received) == sorted(before + after)
