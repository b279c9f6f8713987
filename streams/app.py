"""The Faust worker: one agent per domain topic loads raw.<domain>_events, one agent loads the
dead-letter topic into raw.dead_letters.

Delivery: processing_guarantee at_least_once with manual acks. An agent takes a batch with
`noack_take` (no event is acked by Faust itself), publishes the batch's dead letters and waits
for Kafka to acknowledge them, inserts the rows and waits for ClickHouse to accept them, and
only then acks the events; Faust commits an offset only once every event before it is acked.
A crash at any point therefore redelivers the unacknowledged tail, and redelivery is harmless:
the retried insert carries the same deduplication token and the tables collapse duplicates on
(source, id).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import faust
from clickhouse_driver.errors import Error as ClickHouseError
from faust.types import StreamT

from streams import deadletters, metrics, rows
from streams.config import DOMAINS, StreamsSettings
from streams.enrichment import OrgRegistry
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)

DeadLetterPublisher = Callable[[list[rows.DeadLetter]], Awaitable[None]]


@dataclass
class Pipeline:
    """What the agents share: settings, the sink, the org registry, throughput bookkeeping."""

    settings: StreamsSettings
    sink: ClickHouseSink
    registry: OrgRegistry = field(default_factory=OrgRegistry)
    rate: metrics.Rate = field(default_factory=metrics.Rate)
    publish_dead_letters: DeadLetterPublisher | None = None
    # Highest offset loaded per (topic, partition), for the lag gauge.
    positions: dict[tuple[str, int], int] = field(default_factory=dict)


def _record(event) -> rows.Record:
    m = event.message
    return rows.Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers)


def _make_domain_agent(pipeline: Pipeline, domain: str):
    settings = pipeline.settings

    async def load_domain(stream: StreamT) -> None:
        """Loads lianxi.<domain> into raw.<domain>_events: every record lands exactly once
        (after deduplication) or as a dead letter; offsets are acked only after both."""
        async for events in stream.noack_take(
            settings.streams_batch_size, within=settings.streams_batch_seconds
        ):
            records = [_record(e) for e in events]
            batch = rows.prepare(domain, records, pipeline.registry,
                                 settings.streams_max_event_bytes)
            await _drained(_deliver(pipeline, batch), settings.streams_drain_seconds)
            for e in events:
                await stream.ack(e)
            _account(pipeline, records, len(batch.rows), batch.dead_letters)

    load_domain.__name__ = f"load_{domain}"
    return load_domain


def _make_dead_letter_agent(pipeline: Pipeline):
    settings = pipeline.settings

    async def load_dead_letters(stream: StreamT) -> None:
        """Loads the dead-letter topic into raw.dead_letters; acked after the insert."""
        async for events in stream.noack_take(
            settings.streams_batch_size, within=settings.streams_batch_seconds
        ):
            records = [_record(e) for e in events]
            await _drained(
                pipeline.sink.insert_until_accepted(
                    "dead_letters", deadletters.COLUMNS,
                    [deadletters.to_row(r) for r in records], rows.dedup_token(records),
                ),
                settings.streams_drain_seconds,
            )
            for e in events:
                await stream.ack(e)

    return load_dead_letters


async def _deliver(pipeline: Pipeline, batch: rows.Batch) -> None:
    if batch.dead_letters:
        assert pipeline.publish_dead_letters is not None
        await pipeline.publish_dead_letters(batch.dead_letters)
    await pipeline.sink.insert_until_accepted(
        batch.table.name, batch.columns, batch.rows, batch.token
    )


async def _drained(work: Awaitable[None], drain_seconds: float) -> None:
    """Run `work`; when the worker is stopping (SIGTERM cancels the agent) give the batch in
    flight up to drain_seconds to land so it can still be acked, instead of redoing it."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        try:
            await asyncio.wait_for(task, drain_seconds)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            raise asyncio.CancelledError from None
        # Landed: let the caller ack the batch; the next await re-raises the cancellation.
        cur = asyncio.current_task()
        if cur is not None:
            cur.cancel()


def _account(pipeline: Pipeline, records: Sequence[rows.Record], loaded: int, dead) -> None:
    topic = records[0].topic
    metrics.BATCH_SIZE.labels(topic=topic).observe(len(records))
    metrics.EVENTS.labels(topic=topic, outcome="loaded").inc(loaded)
    if dead:
        metrics.EVENTS.labels(topic=topic, outcome="dead_letter").inc(len(dead))
    for dl in dead:
        metrics.DEAD_LETTERS.labels(reason=dl.rejection.error_code).inc()
    pipeline.rate.add(len(records))
    for r in records:
        key = (r.topic, r.partition)
        if r.offset > pipeline.positions.get(key, -1):
            pipeline.positions[key] = r.offset


def create_app(settings: StreamsSettings, pipeline: Pipeline | None = None) -> faust.App:
    pipeline = pipeline or Pipeline(settings, ClickHouseSink(settings))
    app = faust.App(
        settings.streams_group_id,
        broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(",")],
        processing_guarantee="at_least_once",
        key_serializer="raw",
        value_serializer="raw",
        # Topics belong to the platform (explicit partitions, auto-creation off); the worker
        # has no tables or leader tasks, so it needs to create nothing.
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.streams_session_timeout_seconds,
        broker_heartbeat_interval=settings.streams_session_timeout_seconds / 4,
        web_enabled=False,
        store="memory://",
    )
    app.pipeline = pipeline  # type: ignore[attr-defined]

    dl_topic = app.topic(settings.deadletter_topic, key_serializer="raw", value_serializer="raw")

    async def publish(dead: list[rows.DeadLetter]) -> None:
        futures = []
        for dl in dead:
            key, value, headers = deadletters.to_message(dl)
            futures.append(await dl_topic.send(key=key, value=value, headers=headers))
        # Wait for the broker's acknowledgement of each: only then may the source be acked.
        await asyncio.gather(*futures)

    if pipeline.publish_dead_letters is None:
        pipeline.publish_dead_letters = publish

    for domain in DOMAINS:
        topic = app.topic(settings.topic(domain), key_serializer="raw", value_serializer="raw")
        app.agent(topic, name=f"load_{domain}")(_make_domain_agent(pipeline, domain))
    app.agent(dl_topic, name="load_dead_letters")(_make_dead_letter_agent(pipeline))

    @app.timer(interval=5.0)
    async def report_lag() -> None:
        consumer = app.consumer
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            done = pipeline.positions.get((tp.topic, tp.partition))
            if done is None:
                continue  # nothing loaded from it yet by this worker
            metrics.CONSUMER_LAG.labels(topic=tp.topic, partition=str(tp.partition)).set(
                max(high - done - 1, 0)
            )
        pipeline.rate.add(0)

    return app


def load_registry(pipeline: Pipeline, wait_seconds: float = 30.0) -> None:
    """Rebuild the community -> street map from raw.org_events; the id convention covers
    the time the warehouse is not reachable yet."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            pipeline.registry.load(pipeline.sink.org_pairs())
            log.info("org registry: %d communities", len(pipeline.registry))
            return
        except (OSError, EOFError, ClickHouseError) as exc:
            if time.monotonic() > deadline:
                log.warning("org registry not loaded (%s); using the id convention", exc)
                return
            time.sleep(1.0)
