"""Publishing simulated events to the real Kafka broker, on topics private to each test."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from support.kafka import read_topic
from support.process import run_lianxi

from ingest.config import IngestSettings
from ingest.contracts import domain_of, topics
from ingest.simulator import expected_counts, generate_load, seed_events
from ingest.simulator.publishing import publish
from ingest.topics import create_topics, delete_topics

REPO_ROOT = Path(__file__).resolve().parents[2]
# The stack's broker, through the settings (LIANXI_KAFKA_BOOTSTRAP) rather than a fixture.
pytestmark = pytest.mark.stack


@pytest.fixture
def private_topics() -> Iterator[IngestSettings]:
    settings = IngestSettings(kafka_topic_prefix=f"test-sim-{uuid.uuid4().hex[:10]}.")
    create_topics(settings)
    try:
        yield settings
    finally:
        delete_topics(settings)


def held_by_topic(settings: IngestSettings) -> dict[str, int]:
    """Messages each topic holds: end minus beginning offsets, summed over partitions."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        held = {}
        for topic in topics(settings.kafka_topic_prefix):
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            ends, begins = consumer.end_offsets(parts), consumer.beginning_offsets(parts)
            held[topic] = sum(ends[p] - begins[p] for p in parts)
        return held
    finally:
        consumer.close()


def test_the_seed_year_lands_exactly_once_per_event(private_topics):
    events = seed_events()
    progress = []
    result = publish(
        events, settings=private_topics, total=len(events), on_progress=progress.append
    )
    assert result.published == len(events)
    assert progress[-1].acknowledged == len(events)

    # Every topic of the catalogue, the platform's own (alert, quality) holding nothing.
    wanted: Counter[str] = Counter(
        {topic: 0 for topic in topics(private_topics.kafka_topic_prefix)}
    )
    for event_type, n in expected_counts().items():
        wanted[f"{private_topics.kafka_topic_prefix}lianxi.{domain_of(event_type)}"] += n
    assert held_by_topic(private_topics) == dict(wanted)

    org_topic = f"{private_topics.kafka_topic_prefix}lianxi.org"
    messages = [
        (r.key, json.loads(r.value), r.partition)
        for r in read_topic(private_topics.kafka_bootstrap, org_topic)
    ]
    assert len(messages) == wanted[org_topic]
    # Keyed by subject, so one unit's linked/unlinked/linked arrive in order on one partition.
    by_unit = defaultdict(list)
    for key, event, partition in messages:
        assert key.decode() == event["subject"]
        by_unit[event["subject"]].append((partition, event["time"], event["type"]))
    for history in by_unit.values():
        assert len({p for p, _, _ in history}) == 1
        assert [t for _, t, _ in history] == sorted(t for _, t, _ in history)


def test_paced_load_lands_in_full(private_topics):
    result = publish(generate_load(3000, seed=11), settings=private_topics, rate=6000, total=3000)
    assert result.published == 3000
    assert sum(held_by_topic(private_topics).values()) == 3000


def test_cli_load_publishes_to_the_configured_prefix(private_topics):
    done = run_lianxi(
        {"LIANXI_KAFKA_TOPIC_PREFIX": private_topics.kafka_topic_prefix},
        *("simulate", "load", "--events", "1500", "--seed", "4"),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["published"] == 1500
    assert sum(held_by_topic(private_topics).values()) == 1500
