"""The worker's one consumer: every domain topic -> raw.<domain>_events in bulk, one lane per
domain, and the dead-letter topic -> raw.dead_letters as one more lane.

Why not a Faust agent per topic: Faust hands records to an agent one event at a time (Message,
Event, channel queue, stream iterator). Measured on this 2-core machine, an agent that does
nothing but `noack_take` and ack tops out near 6,000 events/s, five times short of the worker's
target. The loader reads with aiokafka — the Kafka client Faust itself runs on — a fetch at a
time (`getmany`, ~3 µs a record), inside the Faust worker. One consumer group
(`streams_group_id`) for every topic the worker reads, and one rule for all lanes:

- one lane per topic, batching by size (`streams_batch_size`) and time
  (`streams_batch_seconds`);
- a batch's dead letters are acknowledged by Kafka and its rows accepted by ClickHouse before
  its offsets are committed, explicitly, per partition: a crash redelivers the uncommitted
  tail, and redelivery is harmless (same-batch retries carry the same deduplication token;
  the raw tables collapse duplicates on (source, id), raw.dead_letters on the dead letter's
  origin (topic, partition, offset));
- a lane that falls behind pauses its partitions (bounded memory) until it catches up;
- on a rebalance and on SIGTERM the batches in flight land and commit first (within
  `streams_drain_seconds`); what is buffered but not in flight is dropped, to be fetched again
  from the committed offsets.

Upgrade from the worker that loaded dead letters in a group of its own
(`<streams_group_id>-deadletters`): a dead-letter partition this group has never committed
starts where that group stopped (see `Loader.adopt_dead_letter_offsets`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import ConsumerStoppedError
from mode import Service

from streams import deadletters, metrics, rows
from streams.config import DOMAINS, StreamsSettings
from streams.enrichment import OrgRegistry
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)

DeadLetterPublisher = Callable[[list[rows.DeadLetter]], Awaitable[None]]
# The lane of the dead-letter topic, named for the table it loads (no domain has this name).
DEAD_LETTERS = "dead_letters"
# A lane holding this many batches' worth of records pauses its partitions until it drains.
BUFFERED_BATCHES = 2
# Parsing is pure Python: lanes parsing in parallel threads would only fight over the GIL
# (measured: a third more CPU per event), so one thread parses for all of them while the
# event loop keeps fetching and inserts wait on the network in their own threads.
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lianxi-parse")


@dataclass
class Pipeline:
    """What the lanes share: settings, the sink, the org registry, throughput bookkeeping."""

    settings: StreamsSettings
    sink: ClickHouseSink
    registry: OrgRegistry = field(default_factory=OrgRegistry)
    rate: metrics.Rate = field(default_factory=metrics.Rate)
    publish_dead_letters: DeadLetterPublisher | None = None
    # Highest offset loaded per (topic, partition), for the lag gauge.
    positions: dict[tuple[str, int], int] = field(default_factory=dict)

    async def load(self, lane: str, records: Sequence[rows.Record]) -> dict[TopicPartition, int]:
        """Land one batch of a lane (a domain, or DEAD_LETTERS) and return the offsets it
        makes safe to commit."""
        if lane == DEAD_LETTERS:
            return await self.load_dead_letters(records)
        return await self.load_domain(lane, records)

    async def load_dead_letters(self, records: Sequence[rows.Record]) -> dict[TopicPartition, int]:
        """Messages of the dead-letter topic -> raw.dead_letters. Never refuses one: a message
        this worker did not write is kept under its own coordinates (deadletters.to_row)."""
        await self.sink.insert_until_accepted(
            DEAD_LETTERS,
            deadletters.COLUMNS,
            [deadletters.to_row(r) for r in records],
            rows.dedup_token(records),
        )
        metrics.BATCH_SIZE.labels(topic=records[0].topic).observe(len(records))
        self._advance(records)
        return next_offsets(records)

    async def load_domain(
        self, domain: str, records: Sequence[rows.Record]
    ) -> dict[TopicPartition, int]:
        """Dead letters acknowledged by Kafka, then rows accepted by ClickHouse."""
        settings = self.settings
        batch = await asyncio.get_running_loop().run_in_executor(
            _PARSER,
            rows.prepare,
            domain,
            records,
            self.registry,
            settings.streams_max_event_bytes,
        )
        if batch.dead_letters:
            assert self.publish_dead_letters is not None, "no dead-letter publisher"
            await self.publish_dead_letters(batch.dead_letters)
        await self.sink.insert_until_accepted(
            batch.table.name, batch.columns, batch.rows, batch.token
        )
        self._account(records, batch)
        return next_offsets(records)

    def _account(self, records: Sequence[rows.Record], batch: rows.Batch) -> None:
        topic, dead = records[0].topic, batch.dead_letters
        metrics.BATCH_SIZE.labels(topic=topic).observe(len(records))
        metrics.EVENTS.labels(topic=topic, outcome="loaded").inc(len(batch.rows))
        if dead:
            metrics.EVENTS.labels(topic=topic, outcome="dead_letter").inc(len(dead))
        for dl in dead:
            metrics.DEAD_LETTERS.labels(reason=dl.rejection.error_code).inc()
        metrics.count_sources(batch)
        self.rate.add(len(records))
        self._advance(records)

    def _advance(self, records: Sequence[rows.Record]) -> None:
        for r in records:
            key = (r.topic, r.partition)
            if r.offset > self.positions.get(key, -1):
                self.positions[key] = r.offset


def next_offsets(records: Sequence[rows.Record]) -> dict[TopicPartition, int]:
    """Per partition, the offset to commit once `records` are loaded: one past the highest."""
    out: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        if r.offset + 1 > out.get(tp, 0):
            out[tp] = r.offset + 1
    return out


class Lane:
    """The records of one topic waiting to be loaded, and the one batch in flight."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.records: list[rows.Record] = []
        self.oldest = 0.0  # monotonic time the oldest buffered record arrived
        self.arrived = asyncio.Event()
        self.idle = asyncio.Event()
        self.idle.set()

    def add(self, records: list[rows.Record]) -> None:
        if not self.records:
            self.oldest = time.monotonic()
        self.records.extend(records)
        self.arrived.set()

    def take(self, size: int) -> list[rows.Record]:
        batch, self.records = self.records[:size], self.records[size:]
        self.oldest = time.monotonic() if self.records else 0.0
        if not self.records:
            self.arrived.clear()
        return batch

    def drop(self) -> int:
        dropped = len(self.records)
        self.records, self.oldest = [], 0.0
        self.arrived.clear()
        return dropped


class Loader(Service):
    """One consumer (group `streams_group_id`) over every domain topic and the dead-letter
    topic, one lane per topic."""

    def __init__(self, pipeline: Pipeline, **kwargs) -> None:
        self.pipeline = pipeline
        self.settings = s = pipeline.settings
        self.lanes = {name: Lane(name) for name in (*DOMAINS, DEAD_LETTERS)}
        self.lane_of_topic = {s.topic(d): self.lanes[d] for d in DOMAINS}
        self.lane_of_topic[s.deadletter_topic] = self.lanes[DEAD_LETTERS]
        self.consumer: AIOKafkaConsumer | None = None
        self.committed: dict[TopicPartition, int] = {}
        self._commit_lock: asyncio.Lock | None = None
        self._holding = False  # a rebalance is draining the lanes
        super().__init__(**kwargs)

    # --- lifecycle ------------------------------------------------------------------

    async def on_start(self) -> None:
        s = self.settings
        self._commit_lock = asyncio.Lock()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap.split(","),
            group_id=s.streams_group_id,
            client_id=f"{s.streams_group_id}-loader",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(s.streams_session_timeout_seconds * 1000),
            heartbeat_interval_ms=int(s.streams_session_timeout_seconds * 250),
            # A fetch brings up to a batch per partition: few round trips at full speed.
            max_partition_fetch_bytes=s.streams_fetch_partition_bytes,
            fetch_max_bytes=s.streams_fetch_partition_bytes * 8,
        )
        await self.consumer.start()
        self.consumer.subscribe(list(self.lane_of_topic), listener=_Rebalance(self))
        self.add_future(self._poll())
        for lane in self.lanes.values():
            self.add_future(self._run_lane(lane))

    async def on_stop(self) -> None:
        # SIGTERM: let the batches in flight land and commit, then leave the group.
        await self._drain(self.settings.streams_drain_seconds)
        if self.consumer is not None:
            await self.consumer.stop()

    # --- consuming ------------------------------------------------------------------

    async def _poll(self) -> None:
        assert self.consumer is not None
        consumer, s = self.consumer, self.settings
        high_water = s.streams_batch_size * BUFFERED_BATCHES
        while not self.should_stop:
            try:
                fetched = await consumer.getmany(timeout_ms=100, max_records=s.streams_batch_size)
            except ConsumerStoppedError:
                return
            for tp, messages in fetched.items():
                lane = self.lane_of_topic.get(tp.topic)
                if lane is None or not messages:
                    continue
                lane.add(
                    [
                        rows.Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers)
                        for m in messages
                    ]
                )
                if len(lane.records) >= high_water:
                    consumer.pause(*self._partitions_of(tp.topic))
            await asyncio.sleep(0)  # let lanes run between fetches

    def _partitions_of(self, topic: str) -> list[TopicPartition]:
        assert self.consumer is not None
        return [tp for tp in self.consumer.assignment() if tp.topic == topic]

    async def _run_lane(self, lane: Lane) -> None:
        s = self.settings
        while not self.should_stop:
            await lane.arrived.wait()
            if self._holding:
                await asyncio.sleep(0.05)
                continue
            wait = lane.oldest + s.streams_batch_seconds - time.monotonic()
            if len(lane.records) < s.streams_batch_size and wait > 0:
                await asyncio.sleep(min(wait, 0.05))
                continue
            batch = lane.take(s.streams_batch_size)
            lane.idle.clear()
            # Shielded: a stop cancels this task, but the batch in flight still lands and
            # commits (on_stop waits for `idle`, bounded by streams_drain_seconds).
            await asyncio.shield(self._load_and_commit(lane, batch))

    async def _load_and_commit(self, lane: Lane, batch: list[rows.Record]) -> None:
        try:
            offsets = await self.pipeline.load(lane.name, batch)
            await self._commit(offsets)
        finally:
            lane.idle.set()
        if len(lane.records) < self.settings.streams_batch_size and self.consumer is not None:
            paused = set(self.consumer.paused())
            resume = [tp for tp in self._partitions_of(batch[0].topic) if tp in paused]
            if resume:
                self.consumer.resume(*resume)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None and self._commit_lock is not None
        async with self._commit_lock:
            try:
                await self.consumer.commit(offsets)
            except Exception as exc:  # noqa: BLE001 - loaded; a lost commit only redelivers it
                log.warning("offset commit failed (the batch will be redelivered): %s", exc)
                return
            self.committed.update(offsets)

    async def _drain(self, timeout: float) -> None:
        """Wait for every batch in flight to land and commit (or for `timeout`)."""
        waits = [lane.idle.wait() for lane in self.lanes.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        except TimeoutError:
            log.warning("batches still in flight after %.0f s; they will be redelivered", timeout)

    async def on_revoked(self) -> None:
        self._holding = True
        try:
            await self._drain(self.settings.streams_drain_seconds)
            dropped = sum(lane.drop() for lane in self.lanes.values())
            if dropped:
                log.info("rebalance: %d buffered records dropped, refetched from commits", dropped)
        finally:
            self._holding = False

    async def adopt_dead_letter_offsets(self, assigned: Sequence[TopicPartition]) -> None:
        """Upgrade: a dead-letter partition this group never committed starts at the offset
        the former dead-letter group (`deadletter_group_id`) committed, and that offset is
        committed here at once, so dead letters loaded before the upgrade are neither
        loaded again (which would also undo `dlq replay`'s marks) nor skipped. A partition
        neither group committed starts from the earliest offset, like every other."""
        assert self.consumer is not None
        s, consumer = self.settings, self.consumer
        fresh = [
            tp
            for tp in assigned
            if tp.topic == s.deadletter_topic and await consumer.committed(tp) is None
        ]
        if not fresh:
            return
        admin = AIOKafkaAdminClient(
            bootstrap_servers=s.kafka_bootstrap.split(","), client_id=f"{s.streams_group_id}-loader"
        )
        await admin.start()
        try:
            former = await admin.list_consumer_group_offsets(
                s.deadletter_group_id, partitions=fresh
            )
        finally:
            await admin.close()
        adopted = {
            tp: meta.offset
            for tp, meta in former.items()
            if tp in fresh and meta is not None and meta.offset >= 0
        }
        if not adopted:
            return
        for tp, offset in adopted.items():
            consumer.seek(tp, offset)
        await self._commit(adopted)
        log.info(
            "dead letters continue where group %s stopped: %s",
            s.deadletter_group_id,
            {f"{tp.topic}:{tp.partition}": o for tp, o in adopted.items()},
        )

    # --- observability --------------------------------------------------------------

    def lag(self) -> dict[TopicPartition, int]:
        """Per assigned partition: high watermark minus the next offset to load."""
        if self.consumer is None:
            return {}
        out = {}
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is None:
                continue
            done = self.pipeline.positions.get((tp.topic, tp.partition))
            nxt = done + 1 if done is not None else self.committed.get(tp)
            if nxt is not None:
                out[tp] = max(high - nxt, 0)
        return out


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    async def on_partitions_revoked(self, revoked) -> None:
        if revoked:
            await self.loader.on_revoked()

    async def on_partitions_assigned(self, assigned) -> None:
        await self.loader.adopt_dead_letter_offsets(list(assigned))
        log.info("loading %d partitions", len(assigned))
