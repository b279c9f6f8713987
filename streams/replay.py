"""`lianxi replay`: rebuild the raw tables from Kafka, the system of record.

Reads every domain topic from the beginning (or from the offsets Kafka holds for a time) up to
the end offsets seen at start, through the same validation, enrichment and row building as the
worker. Dead letters go straight to raw.dead_letters (the dead-letter topic already holds them
from the first pass). Progress goes to a callback.

The org topic is scanned first, in this process, for the registry (community -> street):
every domain, org included, is enriched from the complete registry. The scan only validates
and learns; it builds no rows, so it costs a fraction of loading. Every partition is then
shared out over several processes, one per core by default, because a replay is CPU-bound
Python (decode, validate, build rows) and one process is one core. The replay group's offsets
are committed once everything is in.

Delivery: at least once per run, exactly once in the tables. A replay that dies is run again:
`--from-beginning` empties the tables first; `--from TIME` re-loads rows that collapse on
(source, event_id) with the ones already there.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_EXCEPTION,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from datetime import datetime

from tenacity import Retrying, stop_never, wait_exponential

from core import gc_tuning
from streams import deadletters, rows
from streams.config import DOMAINS, StreamsSettings
from streams.enrichment import OrgRegistry
from streams.envelope import Rejection
from streams.sink import ClickHouseSink

# Per loader slot: records done, rows loaded, dead letters. Slot 0 is this process.
_COUNTS = 3
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, order=True)
class Slice:
    """One partition's offsets to load: [start, end)."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return max(self.end - self.start, 0)


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    loaded: int = 0
    dead_letters: int = 0
    processes: int = 1
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def count(self, counters: Sequence[int]) -> None:
        self.done = sum(counters[0::_COUNTS])
        self.loaded = sum(counters[1::_COUNTS])
        self.dead_letters = sum(counters[2::_COUNTS])

    def as_dict(self) -> dict:
        return {
            "done": self.done,
            "total": self.total,
            "loaded": self.loaded,
            "dead_letters": self.dead_letters,
            "processes": self.processes,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.rate, 1),
        }


def _insert(
    sink: ClickHouseSink,
    settings: StreamsSettings,
    table,
    columns,
    data,
    token,
    channel: str | None = None,
) -> None:
    for attempt in Retrying(
        wait=wait_exponential(multiplier=0.2, max=settings.streams_retry_max_seconds),
        stop=stop_never,
        reraise=True,
    ):
        with attempt:
            sink.insert(table, columns, data, token, channel)


class _Loader:
    """Parses records as they arrive and inserts big batches per domain.

    Each fetched chunk is turned into rows at once (in a thread, while the event loop goes on
    fetching), so parsing starts with the first fetch instead of waiting for a batch to fill.
    The warehouse pays a fixed cost per insert and per monthly part it writes, so batches are
    larger than the worker's (60,000 against 20,000: 7-22 % faster replays here). Memory stays
    bounded: past two batches' worth over all domains, the fullest one goes. While loading,
    one insert runs (in a thread) while the next rows are parsed; at the end, once that one
    has landed, every domain's remainder goes at once, one connection per table, so the tail
    uses every core.
    Counts go to this loader's slot of the shared counters."""

    def __init__(
        self, settings, registry, counters, slot: int, run_id: str, batch_rows: int
    ) -> None:
        self.sink, self.settings, self.registry = ClickHouseSink(settings), settings, registry
        self.counters, self.at = counters, slot * _COUNTS
        self.run_id, self.batch_rows = run_id, batch_rows
        self.pending: dict[str, rows.Batch] = {}
        self.pool = ThreadPoolExecutor(max_workers=len(DOMAINS), thread_name_prefix="replay-insert")
        self.inflight: list[Future] = []

    def add(self, domain: str, messages) -> None:
        batch = rows.prepare(domain, messages, self.registry, self.settings.streams_max_event_bytes)
        held = self.pending.get(domain)
        if held is None:
            self.pending[domain] = held = batch
        else:
            held.extend(batch)
        if held.records >= self.batch_rows:
            self.flush(domain)
        elif sum(b.records for b in self.pending.values()) >= 2 * self.batch_rows:
            self.flush(max(self.pending, key=lambda d: self.pending[d].records))

    def flush(self, domain: str, wait: bool = True) -> None:
        batch = self.pending.pop(domain, None)
        if batch is None:
            return
        if wait:
            self.wait()
        self.inflight.append(self.pool.submit(self._insert, batch))
        self.counters[self.at] += batch.records
        self.counters[self.at + 1] += len(batch.rows)
        self.counters[self.at + 2] += len(batch.dead_letters)

    def _insert(self, batch: rows.Batch) -> None:
        token = f"replay-{self.run_id}:{batch.token}"
        _insert(self.sink, self.settings, batch.table.name, batch.columns, batch.rows, token)
        if batch.dead_letters:
            dl_rows = []
            for dl in batch.dead_letters:
                key, value, headers = deadletters.to_message(dl)
                dl_rows.append(
                    deadletters.to_row(
                        rows.Record(self.settings.deadletter_topic, 0, 0, key, value, headers)
                    )
                )
            # Domains' batches may insert at once (see finish): one connection each.
            _insert(
                self.sink,
                self.settings,
                "dead_letters",
                deadletters.COLUMNS,
                dl_rows,
                token,
                channel=f"dead_letters:{batch.table.domain}",
            )

    def wait(self) -> None:
        inflight, self.inflight = self.inflight, []
        for future in inflight:
            future.result()

    def finish(self) -> None:
        # What is in flight first: its table may be one of the remainders, and one table's
        # client must never serve two inserts at once. The remainders (one per table) then
        # go together.
        self.wait()
        for domain in list(self.pending):
            self.flush(domain, wait=False)
        self.wait()
        self.pool.shutdown()


class _RegistryScan:
    """Reads org records only to learn community -> street, from the valid ones (what the
    loader would learn from them); builds no rows, inserts nothing."""

    def __init__(self, settings: StreamsSettings, registry: OrgRegistry) -> None:
        self.registry, self.max_bytes = registry, settings.streams_max_event_bytes

    def add(self, domain: str, messages) -> None:
        for m in messages:
            try:
                self.registry.learn(rows.parse_record(m, domain, self.max_bytes).data)
            except Rejection:
                continue  # loaded as a dead letter later, like any other; teaches nothing

    def finish(self) -> None:
        pass


def replay(
    settings: StreamsSettings,
    since: datetime | None = None,
    truncate: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    poll_records: int = 20000,
    batch_rows: int | None = None,
    processes: int | None = None,
) -> Progress:
    """Load every record from `since` (None: the beginning) to the current end offsets."""
    gc_tuning.tune(settings.streams_gc_gen0_threshold)
    with gc_tuning.paused():  # the forked loaders inherit it
        return _replay(
            settings,
            since,
            truncate,
            on_progress,
            poll_records,
            batch_rows or settings.streams_replay_batch_size,
            processes,
        )


def _replay(
    settings, since, truncate, on_progress, poll_records, batch_rows, processes
) -> Progress:
    if truncate:
        admin = ClickHouseSink(settings, role="admin")
        for domain in DOMAINS:
            admin.query(f"TRUNCATE TABLE IF EXISTS {admin.database}.{domain}_events")
        admin.reset()
    slices = asyncio.run(_slices(settings, since))
    org_topic = settings.topic("org")
    org = [s for s in slices if s.size and s.topic == org_topic]
    shares = _shares(
        [s for s in slices if s.size],
        processes or settings.streams_replay_processes or os.cpu_count() or 1,
    )
    # Tokens are per run: a later replay after TRUNCATE must not be taken for a retry.
    run_id = uuid.uuid4().hex[:12]
    # Shared memory, so loaders in other processes count where the progress line reads.
    counters = multiprocessing.get_context("fork").Array(
        "q", _COUNTS * (len(shares) + 1), lock=False
    )
    progress = Progress(total=sum(s.size for s in slices), processes=max(len(shares), 1))

    def report() -> None:
        progress.count(counters)
        if on_progress:
            on_progress(progress)

    registry = OrgRegistry()
    if not truncate:
        registry.load(ClickHouseSink(settings).org_pairs())
    # Loading the org topic before the others kept one core idle for its whole length (it
    # was 40 % of a replay of the bench's mix); a scan that only learns the registry is a
    # fifth of that, and then the org partitions load alongside the others.
    if org:
        asyncio.run(_consume(settings, org, _RegistryScan(settings, registry), poll_records))
    # The registry now knows every community: every domain, here or in the forked loaders
    # (which inherit it), is enriched from it.
    if len(shares) == 1:
        _load(settings, shares[0], registry, counters, 0, run_id, batch_rows, poll_records, report)
    elif shares:
        _load_in_processes(
            settings, shares, registry, counters, run_id, batch_rows, poll_records, report
        )
    # Only once everything is in: the group's offsets mean "loaded".
    asyncio.run(_commit(settings, slices))
    report()
    return progress


def _shares(slices: list[Slice], processes: int) -> list[list[Slice]]:
    """At most `processes` groups of slices with about the same number of records each.
    A topic stays in one group unless it alone is more than a group's share: split topics
    mean smaller batches, and the warehouse pays per insert."""
    total = sum(s.size for s in slices)
    by_topic: dict[str, list[Slice]] = {}
    for s in slices:
        by_topic.setdefault(s.topic, []).append(s)
    units: list[list[Slice]] = []
    for parts in by_topic.values():
        if sum(s.size for s in parts) * max(processes, 1) > total:
            units.extend([s] for s in parts)
        else:
            units.append(parts)
    groups: list[list[Slice]] = [[] for _ in range(max(1, min(processes, len(units))))]
    for unit in sorted(units, key=lambda u: sum(s.size for s in u), reverse=True):
        min(groups, key=lambda g: sum(s.size for s in g)).extend(unit)
    return [g for g in groups if g]


def _load(
    settings, slices, registry, counters, slot, run_id, batch_rows, poll_records, report=None
) -> None:
    if not slices:
        return
    loader = _Loader(settings, registry, counters, slot, run_id, batch_rows)
    asyncio.run(_consume(settings, slices, loader, poll_records, report))


def _load_in_processes(
    settings, shares, registry, counters, run_id, batch_rows, poll_records, report
):
    # fork: the children start with everything imported, the garbage collector tuned and the
    # registry as the org topic left it (inherited, not pickled).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        len(shares), mp_context=context, initializer=_child_init, initargs=(registry, counters)
    ) as pool:
        pending = {
            pool.submit(_load_share, settings, share, slot, run_id, batch_rows, poll_records)
            for slot, share in enumerate(shares, start=1)
        }
        try:
            while pending:
                done, pending = wait_futures(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                report()
                for f in done:
                    f.result()  # a loader's error ends the replay
        except BaseException:
            # The replay has to run again anyway (nothing is committed): stop the other
            # loaders now rather than wait for them to finish their shares.
            for child in multiprocessing.active_children():
                child.kill()
            raise


_child_registry: OrgRegistry | None = None
_child_counters = None


def _child_init(registry: OrgRegistry, counters) -> None:
    global _child_registry, _child_counters
    _child_registry, _child_counters = registry, counters
    # A replay killed with -9 must not leave loaders running on: the next replay would race
    # them (Linux: the kernel kills this process when its parent dies).
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(1)


def _load_share(settings, slices, slot, run_id, batch_rows, poll_records) -> None:
    _load(
        settings, slices, _child_registry, _child_counters, slot, run_id, batch_rows, poll_records
    )


async def _consume(
    settings, slices, loader: _Loader | _RegistryScan, poll_records: int, report=None
) -> None:
    # aiokafka (Faust's client), not kafka-python: its record decoding is compiled, about ten
    # times cheaper per record, and replay is all decoding, validating and inserting.
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=None,  # offsets are committed once, by the parent, for the replay group
        enable_auto_commit=False,
        max_partition_fetch_bytes=settings.streams_fetch_partition_bytes,
        fetch_max_bytes=settings.streams_fetch_partition_bytes * 8,
    )
    await consumer.start()
    try:
        end = {TopicPartition(s.topic, s.partition): s.end for s in slices}
        consumer.assign(list(end))
        for s in slices:
            consumer.seek(TopicPartition(s.topic, s.partition), s.start)
        pending = set(end)
        last_report = 0.0
        while pending:
            polled = await consumer.getmany(timeout_ms=1000, max_records=poll_records)
            for tp, messages in polled.items():
                messages = [m for m in messages if m.offset < end[tp]]
                if messages:
                    # In a thread: the loop keeps fetching while a batch is parsed.
                    await asyncio.to_thread(
                        loader.add, settings.domain_of_topic(tp.topic), messages
                    )
                if await consumer.position(tp) >= end[tp]:
                    pending.discard(tp)
                    consumer.pause(tp)
            if report and time.monotonic() - last_report > 1.0:
                report()
                last_report = time.monotonic()
        await asyncio.to_thread(loader.finish)
    finally:
        await consumer.stop()


async def _slices(settings: StreamsSettings, since: datetime | None) -> list[Slice]:
    """Every partition of the domain topics with the offsets to load (from `since`, or the
    beginning, to the end offsets now)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","), enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = await _partitions(settings, [settings.topic(d) for d in DOMAINS])
        if not tps:
            return []
        # Assigned (and paused, so nothing is fetched), the client holds these topics'
        # metadata: end_offsets answered in 2 ms instead of 0.8 s of metadata retries.
        consumer.assign(tps)
        consumer.pause(*tps)
        end = await consumer.end_offsets(tps)
        if since is None:
            start = await consumer.beginning_offsets(tps)
        else:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in tps}
            )
            start = {tp: (found[tp].offset if found.get(tp) else end[tp]) for tp in tps}
        return [Slice(tp.topic, tp.partition, start[tp], end[tp]) for tp in tps]
    finally:
        await consumer.stop()


async def _commit(settings: StreamsSettings, slices: list[Slice]) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    if not slices:
        return
    offsets = {TopicPartition(s.topic, s.partition): s.end for s in slices}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        group_id=settings.streams_replay_group_id,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
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
    return [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if t["error_code"] == 0
        for p in sorted(t["partitions"], key=lambda p: p["partition"])
    ]
