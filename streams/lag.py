"""Consumer lag of the worker's group, read from Kafka: end offsets minus committed offsets.

What `lianxi status` prints for the worker. From the broker, not from the worker's /metrics,
so it is right even when the worker is down (that is when lag matters most).
"""

from __future__ import annotations

from typing import Any

from streams.config import DOMAINS, StreamsSettings


def consumer_lag(settings: StreamsSettings) -> dict[str, Any]:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient

    bootstrap = settings.kafka_bootstrap.split(",")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lianxi-status",
                             request_timeout_ms=5000)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="lianxi-status",
                             request_timeout_ms=5000)
    try:
        group = settings.streams_group_id
        committed = admin.list_group_offsets({group: None}).get(group, {})
        topics = [settings.topic(d) for d in DOMAINS]
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or ())]
        end = consumer.end_offsets(tps)
        begin = consumer.beginning_offsets(tps)
    finally:
        consumer.close()
        admin.close()
    by_topic: dict[str, int] = {}
    for tp in tps:
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else begin[tp]
        by_topic[tp.topic] = by_topic.get(tp.topic, 0) + max(end[tp] - done, 0)
    return {"group": settings.streams_group_id, "lag": sum(by_topic.values()),
            "partitions": len(tps), "lag_by_topic": by_topic}
