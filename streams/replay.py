"""`lianxi replay`: rebuild the raw tables from Kafka, the system of record.

Reads every domain topic from the beginning (or from the offsets Kafka holds for a time) up to
the end offsets seen at start, with its own consumer group, through the same validation,
enrichment and row building as the worker. Dead letters go straight to raw.dead_letters (the
dead-letter topic already holds them from the first pass). Progress goes to a callback.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tenacity import Retrying, stop_never, wait_exponential

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


def replay(
    settings: StreamsSettings,
    since: datetime | None = None,
    truncate: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    poll_records: int = 20000,
) -> Progress:
    """Load every record from `since` (None: the beginning) to the current end offsets."""
    from kafka import KafkaConsumer, TopicPartition

    sink = ClickHouseSink(settings)
    registry = OrgRegistry()
    if truncate:
        admin = ClickHouseSink(settings, role="admin")
        for domain in DOMAINS:
            admin.query(f"TRUNCATE TABLE IF EXISTS {admin.database}.{domain}_events")
        admin.reset()
    else:
        registry.load(sink.org_pairs())

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.streams_replay_group_id,
        enable_auto_commit=False,
        max_poll_records=poll_records,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    try:
        domain_of = {settings.topic(d): d for d in DOMAINS}
        tps = [
            TopicPartition(topic, p)
            for topic in domain_of
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(tps)
        end = consumer.end_offsets(tps)
        if since is None:
            start = consumer.beginning_offsets(tps)
        else:
            found = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
            start = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        for tp in tps:
            consumer.seek(tp, start[tp])
        # Tokens are per run: a later replay after TRUNCATE must not be taken for a retry.
        run_id = uuid.uuid4().hex[:12]
        progress = Progress(total=sum(max(end[tp] - start[tp], 0) for tp in tps))
        pending = {tp for tp in tps if start[tp] < end[tp]}
        last_report = 0.0
        while pending:
            polled = consumer.poll(timeout_ms=1000, max_records=poll_records)
            for tp, messages in polled.items():
                messages = [m for m in messages if m.offset < end[tp]]
                if messages:
                    _load(sink, settings, registry, domain_of[tp.topic], messages, progress,
                          run_id)
                if consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
            if polled:
                consumer.commit()
            if on_progress and (time.monotonic() - last_report > 1.0 or not pending):
                on_progress(progress)
                last_report = time.monotonic()
        return progress
    finally:
        consumer.close(autocommit=False)


def _load(sink, settings, registry, domain, messages, progress: Progress, run_id: str) -> None:
    records = [
        rows.Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers) for m in messages
    ]
    batch = rows.prepare(domain, records, registry, settings.streams_max_event_bytes)
    token = f"replay-{run_id}:{batch.token}"
    _insert(sink, settings, batch.table.name, batch.columns, batch.rows, token)
    if batch.dead_letters:
        dl_rows = []
        for dl in batch.dead_letters:
            key, value, headers = deadletters.to_message(dl)
            dl_rows.append(deadletters.to_row(
                rows.Record(settings.deadletter_topic, 0, 0, key, value, headers)))
        _insert(sink, settings, "dead_letters", deadletters.COLUMNS, dl_rows, token)
    progress.done += len(records)
    progress.loaded += len(batch.rows)
    progress.dead_letters += len(batch.dead_letters)
