"""Benchmark: the stream worker, Kafka -> ClickHouse, against a naive loop in the same run.

`python -m tests.perf.bench_streams` (the stack's broker with topics of its own, deleted after;
a private warehouse server in a temporary directory). Rows:
- worker_sustained: one `lianxi stream` process draining a backlog of N events (all domains),
  rows/s between the first and the last row landing (startup and group join excluded);
  worker_with_startup counts from process start.
- naive_per_message: kafka-python consumer, one clickhouse-driver INSERT per message, same
  parsing, validation and row building; run for a fixed time, not to the end.
- freshness_1000_per_s: the worker running, events published at 1,000/s for a while; per row
  ingested_at (server clock at insert, when it becomes queryable) minus the event time
  (stamped at publish), p50/p95/p99.
- replay_one_process / replay_from_beginning: `lianxi replay --from-beginning` over everything
  published, with one loader process (the baseline) and with the default (one per core);
  `seconds` from the offsets being known to the last insert, `command_seconds` the whole
  command with its start-up.
Targets (DESIGN.md): worker >= 30,000 events/s and >= 1.5x naive; p95 freshness <= 2 s;
replay >= 50,000 events/s. N: LIANXI_BENCH_STREAMS_EVENTS (default 150,000: a few seconds at full speed).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from support.ports import free_port
from support.process import run_lianxi
from support.wait import wait_until
from support.warehouse import PrivateWarehouse

from infra.config import InfraSettings
from ingest import contracts
from streams.config import DOMAINS
from tests.perf.report import record
from tests.streams.events import make_event, mixed_events
from tests.streams.harness import Worker, own_topics, publish, worker_env

N = int(os.environ.get("LIANXI_BENCH_STREAMS_EVENTS", "150000"))
NAIVE_SECONDS = 20.0
FRESH_RATE = 1000
FRESH_SECONDS = 30


def _loaded(wh: PrivateWarehouse) -> int:
    total = " + ".join(f"(SELECT count() FROM raw.{d}_events)" for d in DOMAINS)
    return wh.native().execute(f"SELECT {total}")[0][0]


def bench_worker(wh: PrivateWarehouse, worker: Worker, expected: int) -> dict:
    began = time.monotonic()
    worker.start()
    first = None
    while True:
        loaded = _loaded(wh)
        now = time.monotonic()
        if first is None and loaded > 0:
            first = (now, loaded)
        if loaded >= expected:
            break
        time.sleep(0.25)
    sustained = (loaded - first[1]) / max(now - first[0], 1e-9)
    return {
        "events": expected,
        "seconds": now - first[0],
        "events_per_s": sustained,
        "with_startup_s": now - began,
        "with_startup_per_s": expected / (now - began),
    }


def bench_freshness(bootstrap: str, prefix: str, wh: PrivateWarehouse) -> dict:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    source = f"/bench/fresh-{uuid.uuid4().hex[:6]}"
    total = FRESH_RATE * FRESH_SECONDS
    step = FRESH_RATE // 20  # 50 events every 50 ms
    started = time.monotonic()
    sent = 0
    for tick in range(total // step):
        for _ in range(step):
            data = contracts.schema_for("lianxi.ticket.responded")["examples"][0] | {
                "ticket_id": f"t-fresh-{sent}"
            }
            event = make_event(
                "lianxi.ticket.responded", data, f"f-{sent}", source, datetime.now(UTC)
            )
            producer.send(
                f"{prefix}lianxi.ticket",
                key=event["subject"].encode(),
                value=json.dumps(event).encode(),
            )
            sent += 1
        delay = started + (tick + 1) * 0.05 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    producer.flush()
    producer.close()
    rate = sent / (time.monotonic() - started)

    def landed() -> bool:
        return (
            wh.native().execute(
                "SELECT count() FROM raw.ticket_events WHERE source = %(s)s", {"s": source}
            )[0][0]
            >= sent
        )

    wait_until(landed, 600, "freshness events")
    p50, p95, p99, worst = wh.native().execute(
        "SELECT quantilesExact(0.5, 0.95, 0.99, 1.0)(toUnixTimestamp64Milli(ingested_at) - "
        "toUnixTimestamp64Milli(time)) FROM raw.ticket_events FINAL WHERE source = %(s)s",
        {"s": source},
    )[0][0]
    return {
        "events": sent,
        "publish_rate_per_s": rate,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "max_ms": worst,
    }


def bench_naive(bootstrap: str, prefix: str, wh: PrivateWarehouse) -> dict:
    """One INSERT per message: what a straightforward consumer loop does."""
    from kafka import KafkaConsumer

    from streams.enrichment import OrgRegistry
    from streams.rawschema import raw_tables
    from streams.rows import Record, parse_record, to_row

    tables = raw_tables()
    registry = OrgRegistry()
    client = wh.native("lianxi_writer")
    consumer = KafkaConsumer(
        *[f"{prefix}lianxi.{d}" for d in DOMAINS],
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}naive",
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    done = 0
    started = None
    try:
        while started is None or time.monotonic() - started < NAIVE_SECONDS:
            for m in consumer:
                started = started or time.monotonic()
                domain = m.topic.rsplit(".", 1)[1]
                record = Record(m.topic, m.partition, m.offset, m.key, m.value, m.headers)
                e = parse_record(record, domain, 64 * 1024)
                table = tables[domain]
                client.execute(
                    f"INSERT INTO raw.{table.name} ({', '.join(table.insert_columns())}) VALUES",
                    [to_row(table, e, record, registry)],
                    settings={"async_insert": 0},
                )
                done += 1
                if time.monotonic() - started >= NAIVE_SECONDS:
                    break
    finally:
        consumer.close()
    seconds = time.monotonic() - started
    return {"events": done, "seconds": seconds, "events_per_s": done / seconds}


def bench_replay(env: dict, *args: str) -> dict:
    started = time.monotonic()
    out = run_lianxi(env, "replay", "--from-beginning", *args, check=True)
    summary = json.loads(out.stdout)
    return {
        "events": summary["done"],
        "seconds": summary["seconds"],
        "events_per_s": summary["events_per_second"],
        "processes": summary["processes"],
        "command_seconds": time.monotonic() - started,
    }


def main() -> None:
    bootstrap = InfraSettings().kafka_bootstrap
    with (
        own_topics(bootstrap, "bench") as topics,
        tempfile.TemporaryDirectory(prefix="bench_streams_") as tmp,
    ):
        prefix = topics.prefix
        wh = PrivateWarehouse(Path(tmp) / "data")
        env = worker_env(bootstrap, prefix, wh, free_port())
        worker = Worker(env, Path(tmp) / "worker.log")
        try:
            wh.start(migrate=False, cli=True)
            wh.migrate()
            events = mixed_events(N, source="/bench/streams")
            t = time.monotonic()
            publish(bootstrap, prefix, events)
            publish_s = time.monotonic() - t

            w = bench_worker(wh, worker, N)
            fresh = bench_freshness(bootstrap, prefix, wh)
            worker.terminate()
            # The baseline first: one loader process, as replay was before it forked.
            replay_one = bench_replay(env, "--processes", "1")
            replay = bench_replay(env)
            naive = bench_naive(bootstrap, prefix, wh)
        finally:
            worker.kill()
            wh.stop()

    ratio = w["events_per_s"] / naive["events_per_s"]
    record(
        "streams",
        [
            {
                "case": "publish_backlog",
                "events": N,
                "seconds": publish_s,
                "events_per_s": N / publish_s,
            },
            {
                "case": "worker_sustained",
                "events": N,
                "seconds": w["seconds"],
                "events_per_s": w["events_per_s"],
                "target": 30000,
                "vs_naive": ratio,
            },
            {
                "case": "worker_with_startup",
                "events": N,
                "seconds": w["with_startup_s"],
                "events_per_s": w["with_startup_per_s"],
            },
            {
                "case": "naive_per_message",
                "events": naive["events"],
                "seconds": naive["seconds"],
                "events_per_s": naive["events_per_s"],
                "vs_naive": 1.0,
            },
            {
                "case": "freshness_1000_per_s",
                "events": fresh["events"],
                "events_per_s": fresh["publish_rate_per_s"],
                "p50_ms": fresh["p50_ms"],
                "p95_ms": fresh["p95_ms"],
                "p99_ms": fresh["p99_ms"],
                "max_ms": fresh["max_ms"],
                "target": "p95 <= 2000 ms",
            },
            {
                "case": "replay_one_process",
                "events": replay_one["events"],
                "seconds": replay_one["seconds"],
                "events_per_s": replay_one["events_per_s"],
                "processes": 1,
                "command_seconds": replay_one["command_seconds"],
            },
            {
                "case": "replay_from_beginning",
                "events": replay["events"],
                "seconds": replay["seconds"],
                "events_per_s": replay["events_per_s"],
                "processes": replay["processes"],
                "command_seconds": replay["command_seconds"],
                "vs_one_process": replay["events_per_s"] / replay_one["events_per_s"],
                "target": 50000,
            },
        ],
    )


if __name__ == "__main__":
    main()
