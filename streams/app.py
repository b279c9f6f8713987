"""The Faust worker: the domain loader (streams.loader) loads lianxi.<domain> into
raw.<domain>_events; a Faust agent loads the dead-letter topic into raw.dead_letters.

Delivery: at least once, made exactly once in effect by the sink. Nothing is committed to
Kafka before ClickHouse accepted it (and Kafka acknowledged the batch's dead letters); a crash
redelivers the uncommitted tail, and redelivery is harmless: a retried insert carries the same
deduplication token and the tables collapse duplicates on (source, id).
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust
from clickhouse_driver.errors import Error as ClickHouseError
from faust.types import StreamT

from streams import deadletters, metrics, rows
from streams.config import StreamsSettings
from streams.loader import DomainLoader, Pipeline
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "create_app", "load_registry"]


def _record(event) -> rows.Record:
    m = event.message
    return rows.Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers)


def _make_dead_letter_agent(pipeline: Pipeline):
    settings = pipeline.settings

    async def load_dead_letters(stream: StreamT) -> None:
        """Loads the dead-letter topic into raw.dead_letters; acked after the insert."""
        async for events in stream.noack_take(  # type: ignore[attr-defined]  # faust's StreamT stub lacks it
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


async def _drained(work, drain_seconds: float) -> None:
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


def create_app(settings: StreamsSettings, pipeline: Pipeline | None = None) -> faust.App:
    pipeline = pipeline or Pipeline(settings, ClickHouseSink(settings))
    settings.streams_data_dir.mkdir(parents=True, exist_ok=True)  # Faust makes one level only
    app = faust.App(
        # Its own consumer group: Faust's group protocol cannot share a group with the
        # loader's plain aiokafka consumer (streams_group_id).
        settings.deadletter_group_id,
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
        # Not the working directory, which Faust would fill with one "<app id>-data" per group.
        datadir=str(settings.streams_data_dir / settings.deadletter_group_id),
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

    app.agent(dl_topic, name="load_dead_letters")(_make_dead_letter_agent(pipeline))

    loader = DomainLoader(pipeline, loop=app.loop, beacon=app.beacon)
    app.loader = loader  # type: ignore[attr-defined]

    @app.task
    async def start_loader() -> None:
        # A runtime dependency starts now and stops before the app's producer, which the
        # loader needs to publish dead letters while it drains.
        await app.add_runtime_dependency(loader)

    @app.timer(interval=5.0)
    async def report_lag() -> None:
        for tp, lag in loader.lag().items():
            metrics.CONSUMER_LAG.labels(topic=tp.topic, partition=str(tp.partition)).set(lag)
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
