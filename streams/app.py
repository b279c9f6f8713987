"""The Faust worker: the Loader (streams.loader), its only consumer, loads every domain topic
into raw.<domain>_events and the dead-letter topic into raw.dead_letters.

Why Faust still runs it: `faust.Worker` is the service around the loader — start-up, the
SIGTERM/SIGINT handlers that stop it with its batches drained, the producer that publishes
dead letters (aiokafka, acks from every in-sync replica), the lag timer. Faust's own consumer
is not started (WorkerApp.BootStrategy): the loader reads every topic in one group, so there
is one drain rule and one commit rule for all of them.

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
from faust.app.base import BootStrategy

from streams import deadletters, metrics, rows
from streams.config import StreamsSettings
from streams.loader import Loader, Pipeline
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "WorkerApp", "create_app", "load_registry"]


class _WithoutFaustConsumer(BootStrategy):
    # The loader is the worker's consumer; Faust would join a second group for nothing.
    enable_kafka_consumer = False


class WorkerApp(faust.App):
    """A Faust app whose services are the producer, timers and tasks, not a consumer."""

    BootStrategy = _WithoutFaustConsumer


def create_app(settings: StreamsSettings, pipeline: Pipeline | None = None) -> faust.App:
    pipeline = pipeline or Pipeline(settings, ClickHouseSink(settings))
    settings.streams_data_dir.mkdir(parents=True, exist_ok=True)  # Faust makes one level only
    app = WorkerApp(
        settings.streams_group_id,
        broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        # Topics belong to the platform (explicit partitions, auto-creation off); the worker
        # has no tables or leader tasks, so it needs to create nothing.
        topic_allow_declare=False,
        topic_disable_leader=True,
        producer_acks=-1,
        web_enabled=False,
        store="memory://",
        # Not the working directory, which Faust would fill with one "<app id>-data".
        datadir=str(settings.streams_data_dir / settings.streams_group_id),
    )
    app.pipeline = pipeline  # type: ignore[attr-defined]

    dl_topic = app.topic(settings.deadletter_topic, key_serializer="raw", value_serializer="raw")

    async def publish(dead: list[rows.DeadLetter]) -> None:
        futures = []
        for dl in dead:
            key, value, headers = deadletters.to_message(dl)
            futures.append(await dl_topic.send(key=key, value=value, headers=headers))
        # Wait for the broker's acknowledgement of each: only then may the source be committed.
        await asyncio.gather(*futures)

    if pipeline.publish_dead_letters is None:
        pipeline.publish_dead_letters = publish

    loader = Loader(pipeline, loop=app.loop, beacon=app.beacon)
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
