"""`lianxi replay`: rebuild the raw tables from Kafka, the system of record.

Reads every domain topic from the beginning (or from the offsets Kafka holds for a time) up to
the end offsets seen at start, with its own consumer group, through the same validation,
enrichment and row building as the worker. Dead letters go straight to raw.dead_letters (the
dead-letter topic already holds them from the first pass). Progress goes to a callback.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from tenacity import Retrying, stop_never, wait_exponential

from infra import gc_tuning
from streams import deadletters, rows
from streams.config import DOMAINS, StreamsSettings
from streams.enrichment import OrgRegistry
from streams.sink import ClickHouseSink


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    loaded: int = 0
    dead_letters: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {"done": self.done, "total": self.total, "loaded": self.loaded,
                "dead_letters": self.dead_letters, "seconds": round(self.seconds, 3),
                "events_per_second": round(self.rate, 1)}


def _insert(sink: ClickHouseSink, settings: StreamsSettings, table, columns, data, token) -> None:
    for attempt in Retrying(
        wait=wait_exponential(multiplier=0.2, max=settings.streams_retry_max_seconds),
        stop=stop_never, reraise=True,
    ):
        with attempt:
            sink.insert(table, columns, data, token)


class _Loader:
    """Buffers records per domain and inserts big batches: the warehouse pays a fixed cost per
    insert (a new part), so replay batches are larger than the worker's. The insert of one
    batch runs in a thread while the next one is parsed, so the CPU work and the server's
    work overlap."""

    def __init__(self, sink, settings, registry, progress: Progress, run_id: str,
                 batch_rows: int) -> None:
        self.sink, self.settings, self.registry = sink, settings, registry
        self.progress, self.run_id, self.batch_rows = progress, run_id, batch_rows
        self.buffers: dict[str, list[rows.Record]] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-insert")
        self.inflight: Future | None = None

    def add(self, domain: str, messages) -> None:
        buf = self.buffers.setdefault(domain, [])
        buf.extend(rows.Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers)
                   for m in messages)
        if len(buf) >= self.batch_rows:
            self.flush(domain)

    def flush(self, domain: str) -> None:
        records = self.buffers.pop(domain, [])
        if not records:
            return
        batch = rows.prepare(domain, records, self.registry,
                             self.settings.streams_max_event_bytes)
        self.wait()
        self.inflight = self.pool.submit(self._insert, batch)
        self.progress.done += len(records)
        self.progress.loaded += len(batch.rows)
        self.progress.dead_letters += len(batch.dead_letters)

    def _insert(self, batch: rows.Batch) -> None:
        token = f"replay-{self.run_id}:{batch.token}"
        _insert(self.sink, self.settings, batch.table.name, batch.columns, batch.rows, token)
        if batch.dead_letters:
            dl_rows = []
            for dl in batch.dead_letters:
                key, value, headers = deadletters.to_message(dl)
                dl_rows.append(deadletters.to_row(
                    rows.Record(self.settings.deadletter_topic, 0, 0, key, value, headers)))
            _insert(self.sink, self.settings, "dead_letters", deadletters.COLUMNS, dl_rows,
                    token)

    def wait(self) -> None:
        if self.inflight is not None:
            self.inflight.result()
            self.inflight = None

    def finish(self) -> None:
        for domain in list(self.buffers):
            self.flush(domain)
        self.wait()
        self.pool.shutdown()


def replay(
    settings: StreamsSettings,
    since: datetime | None = None,
    truncate: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    poll_records: int = 20000,
    batch_rows: int = 20000,
) -> Progress:
    """Load every record from `since` (None: the beginning) to the current end offsets."""
    gc_tuning.tune(settings.streams_gc_gen0_threshold)
    sink = ClickHouseSink(settings)
    registry = OrgRegistry()
    if truncate:
        admin = ClickHouseSink(settings, role="admin")
        for domain in DOMAINS:
            admin.query(f"TRUNCATE TABLE IF EXISTS {admin.database}.{domain}_events")
        admin.reset()
    else:
        registry.load(sink.org_pairs())
    return asyncio.run(_replay(settings, since, sink, registry, on_progress, poll_records,
                               batch_rows))


async def _replay(settings, since, sink, registry, on_progress, poll_records, batch_rows):
    # aiokafka (Faust's client), not kafka-python: its record decoding is compiled, about ten
    # times cheaper per record, and replay is all decoding, validating and inserting.
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.streams_replay_group_id,
        enable_auto_commit=False,
        max_partition_fetch_bytes=settings.streams_fetch_partition_bytes,
        fetch_max_bytes=settings.streams_fetch_partition_bytes * 8,
    )
    await consumer.start()
    try:
        domain_of = {settings.topic(d): d for d in DOMAINS}
        tps = await _partitions(settings, list(domain_of))
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        if since is None:
            start = await consumer.beginning_offsets(tps)
        else:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in tps})
            start = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        for tp in tps:
            consumer.seek(tp, start[tp])
        # Tokens are per run: a later replay after TRUNCATE must not be taken for a retry.
        run_id = uuid.uuid4().hex[:12]
        progress = Progress(total=sum(max(end[tp] - start[tp], 0) for tp in tps))
        loader = _Loader(sink, settings, registry, progress, run_id, batch_rows)
        pending = {tp for tp in tps if start[tp] < end[tp]}
        consumer.pause(*[tp for tp in tps if tp not in pending])
        last_report = 0.0
        while pending:
            polled = await consumer.getmany(timeout_ms=1000, max_records=poll_records)
            for tp, messages in polled.items():
                messages = [m for m in messages if m.offset < end[tp]]
                if messages:
                    # In a thread: the loop keeps fetching while a batch is parsed.
                    await asyncio.to_thread(loader.add, domain_of[tp.topic], messages)
                if await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
            if on_progress and time.monotonic() - last_report > 1.0:
                on_progress(progress)
                last_report = time.monotonic()
        await asyncio.to_thread(loader.finish)
        # Only once everything is in: the group's offsets mean "loaded".
        if tps:
            await consumer.commit({tp: end[tp] for tp in tps})
        if on_progress:
            on_progress(progress)
        return progress
    finally:
        await consumer.stop()


async def _partitions(settings: StreamsSettings, topics: list[str]):
    """Every partition of the topics that exist (a missing topic has nothing to replay)."""
    from aiokafka import TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"])
            for t in described if t["error_code"] == 0
            for p in sorted(t["partitions"], key=lambda p: p["partition"])]
