"""Consumer lag of the worker's group, read from Kafka: end offsets minus committed offsets.

What `lianxi status` prints for the worker. From the broker, not from the worker's /metrics,
so it is right even when the worker is down (that is when lag matters most). Every topic the
worker's one group reads counts: the domain topics and the dead-letter topic.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streams.config import DOMAINS, StreamsSettings


def consumer_lag(settings: StreamsSettings) -> dict[str, Any]:
    return asyncio.run(_consumer_lag(settings))


async def _consumer_lag(settings: StreamsSettings) -> dict[str, Any]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    bootstrap = settings.kafka_bootstrap.split(",")
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="lianxi-status", request_timeout_ms=5000
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="lianxi-status",
        request_timeout_ms=5000,
        enable_auto_commit=False,
    )
    group = settings.streams_group_id
    topics = [settings.topic(d) for d in DOMAINS] + [settings.deadletter_topic]
    try:
        await admin.start()
        await consumer.start()
        committed = await admin.list_consumer_group_offsets(group)
        described = await admin.describe_topics(topics)  # a missing topic has no partitions
        tps = [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            for p in sorted(t["partitions"], key=lambda p: p["partition"])
        ]
        end = await consumer.end_offsets(tps)
        begin = await consumer.beginning_offsets(tps)
    finally:
        await consumer.stop()
        await admin.close()
    by_topic: dict[str, int] = {}
    for tp in tps:
        meta = committed.get(tp)
        done = meta.offset if meta is not None and meta.offset >= 0 else begin[tp]
        by_topic[tp.topic] = by_topic.get(tp.topic, 0) + max(end[tp] - done, 0)
    return {
        "group": group,
        "lag": sum(by_topic.values()),
        "partitions": len(tps),
        "lag_by_topic": by_topic,
    }
