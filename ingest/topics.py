"""Create the domain topics and the dead-letter topic (broker auto-creation is off)."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.config import IngestSettings, get_settings
from ingest.contracts import DEADLETTER_TOPIC, topics


@dataclass
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    retention_ms: int


def wanted(settings: IngestSettings) -> list[TopicSpec]:
    s = settings
    specs = [
        TopicSpec(name, s.kafka_partitions, s.kafka_replication_factor, s.kafka_retention_ms)
        for name in topics(s.kafka_topic_prefix)
    ]
    specs.append(
        TopicSpec(
            s.kafka_topic_prefix + DEADLETTER_TOPIC,
            s.kafka_partitions,
            s.kafka_replication_factor,
            s.kafka_deadletter_retention_ms,
        )
    )
    return specs


def create_topics(settings: IngestSettings | None = None) -> dict[str, str]:
    """Create every missing topic; existing ones are left as they are. Returns name -> status
    ("created" or "exists")."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    settings = settings or get_settings()
    specs = wanted(settings)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap.split(","), client_id="lianxi-topics"
    )
    try:
        existing = set(admin.list_topics())
        status = {spec.name: "exists" for spec in specs if spec.name in existing}
        missing = [
            NewTopic(
                spec.name,
                spec.partitions,
                spec.replication_factor,
                topic_configs={"retention.ms": str(spec.retention_ms)},
            )
            for spec in specs
            if spec.name not in existing
        ]
        for topic in missing:
            # One call per topic so a concurrent creator only costs that topic an "exists".
            try:
                admin.create_topics([topic])
                status[topic.name] = "created"
            except TopicAlreadyExistsError:
                status[topic.name] = "exists"
        return status
    finally:
        admin.close()


def delete_topics(settings: IngestSettings) -> None:
    """Delete this prefix's topics (tests clean up after themselves)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap.split(","), client_id="lianxi-topics"
    )
    try:
        existing = set(admin.list_topics())
        names = [spec.name for spec in wanted(settings) if spec.name in existing]
        if names:
            admin.delete_topics(names)
    finally:
        admin.close()
