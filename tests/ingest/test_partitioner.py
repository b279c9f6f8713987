"""The producer computes Kafka's default partition itself (C murmur2) and hands kafka-python the
partition: it must be bit-identical to kafka-python's DefaultPartitioner and the Java client,
or one aggregate's events would be split across partitions (consumers rely on per-key order)."""

from __future__ import annotations

import json
import random
import uuid

from ingest_events import event
from kafka import KafkaProducer
from kafka.partitioner.default import DefaultPartitioner, murmur2
from support.ingest_api import make_settings
from support.kafka import read_topic

from ingest.config import IngestSettings
from ingest.producer import KAFKA_MURMUR2_SEED, Producer, partition_for
from ingest.topics import create_topics, delete_topics

# org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed 32-bit, as Java returns them).
JAVA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


class _Cluster:
    """The two questions kafka-python's DefaultPartitioner asks of cluster metadata."""

    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions


def _keys(n: int) -> list[bytes]:
    rng = random.Random(20261125)
    keys = [b"", b"a", b"ab", b"abc", b"abcd", "工单-秦都区".encode(), bytes(range(256))]
    keys += [rng.randbytes(rng.randrange(0, 80)) for _ in range(n)]
    # Realistic aggregate ids (the subject): ASCII ids, Chinese text, every tail length.
    keys += [
        f"t-o311-{uuid.UUID(int=rng.getrandbits(128)).hex[:20]}".encode() for _ in range(n // 10)
    ]
    keys += [f"c-{i}-社区".encode() for i in range(n // 10)]
    return keys


def test_murmur2_matches_the_java_client() -> None:
    from murmurhash2 import murmurhash2

    for key, java in JAVA_VECTORS.items():
        assert murmurhash2(key, KAFKA_MURMUR2_SEED) == java & 0xFFFFFFFF


def test_partition_for_is_kafka_pythons_default_partitioner() -> None:
    partitioner = DefaultPartitioner()
    keys = _keys(100_000)
    for n in (1, 2, 3, 5, 7, 12, 64):
        cluster = _Cluster(n)
        ids = sorted(cluster.partitions)
        for key in keys:
            assert partition_for(key, ids) == partitioner.partition(
                "t", key, key, None, None, cluster
            ), (key, n)
    # The hash itself, not only its residues, equals kafka-python's pure-Python murmur2.
    from murmurhash2 import murmurhash2

    assert all(murmurhash2(k, KAFKA_MURMUR2_SEED) == murmur2(k) for k in keys)


def test_records_land_where_kafka_pythons_send_puts_them(tmp_path, kafka_bootstrap: str) -> None:  # type: ignore[no-untyped-def]
    """Against the broker: the same keys sent through Producer.submit and through plain
    KafkaProducer.send (default partitioner) end up in the same partitions."""
    seven = {"kafka_partitions": 7}
    ours = make_settings(tmp_path / "a", kafka_bootstrap).model_copy(update=seven)
    theirs: IngestSettings = make_settings(tmp_path / "b", kafka_bootstrap).model_copy(update=seven)
    create_topics(ours)
    create_topics(theirs)
    try:
        events = [
            event(
                "lianxi.ticket.opened",
                ticket_id=f"t-part-{uuid.uuid4().hex[: random.randrange(1, 30)]}",
            )
            for _ in range(400)
        ]
        with Producer(ours) as producer:
            producer.publish(events)
        plain = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        try:
            for ev in events:
                plain.send(
                    f"{theirs.kafka_topic_prefix}lianxi.ticket",
                    value=b"{}",
                    key=ev["subject"].encode(),
                )
            plain.flush()
        finally:
            plain.close()
        where_ours = {
            r.key: r.partition
            for r in read_topic(kafka_bootstrap, f"{ours.kafka_topic_prefix}lianxi.ticket")
        }
        where_theirs = {
            r.key: r.partition
            for r in read_topic(kafka_bootstrap, f"{theirs.kafka_topic_prefix}lianxi.ticket")
        }
        assert len(where_ours) == len({e["subject"] for e in events}) and where_ours == where_theirs
        assert len(set(where_ours.values())) == 7
        records = read_topic(kafka_bootstrap, f"{ours.kafka_topic_prefix}lianxi.ticket")
        assert all(json.loads(r.value)["subject"].encode() == r.key for r in records)
    finally:
        delete_topics(ours)
        delete_topics(theirs)
