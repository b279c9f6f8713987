"""Benchmark: the ingest API's batch endpoint against the bare producer, in the same run.

`python -m tests.perf.bench_ingest` (uses the stack's broker, topics of its own, deleted after).
Rows:
- validate_jsonschema_rs / validate_jsonschema_py: contract validation per event with the
  compiled jsonschema-rs validators (what ingest uses) vs the pure-Python jsonschema package
  (Draft 2020-12 + FormatChecker), the alternative it was measured against.
- bare_kafka_python_send: the stock kafka-python path, KafkaProducer.send() per record (default
  partitioner, same acks/idempotence/compression/linger as ingest's producer), one flush at the
  end and every future checked: the baseline; `ratio_to_kafka_send` is against it.
- bare_producer_stream: one Producer.publish of all events (ingest's producer: same client and
  send(), the partition given by its C murmur2, every ack awaited); `ratio_to_bare` is against it.
- bare_producer_batch500: Producer.publish per 500-event chunk, one after the other (what one
  API connection does, minus HTTP).
- api_batch500_cN_wW: POST /v1/events with 500-event batches from N client connections against
  `lianxi api serve` (W uvicorn worker processes) in its own process; 202 only after Kafka
  acked. Latency per request.
- ref_kafka_python_gzip / ref_aiokafka_gzip: the same stream with both Kafka clients (see
  bench_reference_clients).
- `--clients` (a run of its own, bench_ingest_clients.jsonl): api_client_<variant>_cN, the API
  (1 process) with each Kafka client of tests/perf/ingest_api_clients.py.
Targets (DESIGN.md): >= 20,000 events/s, p99 <= 100 ms. Every row records whether kafka-python
found the C `crc32c` package (`crc32c`: "c" or "python"): without it each record batch is
checksummed in pure Python.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from support.ports import free_port
from support.process import stop_process

from ingest.config import IngestSettings
from ingest.contracts import aggregate_field, dataschema_for, schema_for, validate_event
from ingest.producer import Producer
from ingest.tokens import TokenStore
from ingest.topics import create_topics, delete_topics
from tests.perf.report import record

BATCH = 500
BATCHES = 100  # 50,000 events per API run
SOURCE = "/bench/ingest"
# (uvicorn workers, client connections per run): one request in flight per connection, so with
# c connections a request waits behind up to c-1 others (latency ~ c x 500 / throughput).
API_RUNS = ((1, (1, 2, 4)), (2, (2, 4)))
CLIENT_VARIANTS = ("current", "public_send", "aiokafka")
TYPES = [
    "lianxi.ticket.opened",
    "lianxi.wish.posted",
    "lianxi.volunteer.hours_logged",
    "lianxi.member.checked_in",
]


def make_events(n: int) -> list[dict[str, Any]]:
    events = []
    run = uuid.uuid4().hex[:8]
    for i in range(n):
        event_type = TYPES[i % len(TYPES)]
        data = dict(schema_for(event_type)["examples"][0])
        agg = aggregate_field(event_type)
        data[agg] = f"{data[agg]}-{run}-{i}"
        events.append(
            {
                "id": f"{run}-{i}",
                "source": SOURCE,
                "type": event_type,
                "specversion": "1.0",
                "time": "2026-03-02T08:15:00+08:00",
                "subject": data[agg],
                "dataschema": dataschema_for(event_type),
                "datacontenttype": "application/json",
                "data": data,
            }
        )
    return events


def bench_validation(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from jsonschema import Draft202012Validator, FormatChecker

    from ingest.contracts import envelope_schema

    t = time.perf_counter()
    assert all(not validate_event(e) for e in events)
    rs = time.perf_counter() - t

    checker = FormatChecker()
    envelope = Draft202012Validator(envelope_schema(), format_checker=checker)
    per_type = {ty: Draft202012Validator(schema_for(ty), format_checker=checker) for ty in TYPES}
    t = time.perf_counter()
    for e in events:
        envelope.validate(e)
        per_type[e["type"]].validate(e["data"])
    py = time.perf_counter() - t
    n = len(events)
    return [
        {
            "row": "validate_jsonschema_rs",
            "events": n,
            "us_per_event": rs / n * 1e6,
            "events_per_s": n / rs,
        },
        {
            "row": "validate_jsonschema_py",
            "events": n,
            "us_per_event": py / n * 1e6,
            "events_per_s": n / py,
            "x_slower_than_rs": py / rs,
        },
    ]


def bench_kafka_send(settings: IngestSettings, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The stock path: KafkaProducer.send() per record with kafka-python's default partitioner."""
    from ingest.producer import CONTENT_TYPE_HEADER, encode

    producer = Producer(settings, client_id="bench-kafka-send")
    kafka = producer._kafka  # the KafkaProducer, configured exactly as ingest configures it
    producer.publish(events[:BATCH])  # connect and fetch metadata outside the timing
    encoded = [encode(e, settings.kafka_topic_prefix) for e in events]
    t, cpu = time.perf_counter(), time.process_time()
    futures = [
        kafka.send(topic, value=value, key=key, headers=[CONTENT_TYPE_HEADER])
        for topic, key, value in encoded
    ]
    kafka.flush()
    failed = sum(1 for f in futures if not f.succeeded())
    elapsed, used = time.perf_counter() - t, time.process_time() - cpu
    producer.close()
    if failed:
        raise RuntimeError(f"{failed} records not acknowledged")
    n = len(events)
    return {
        "row": "bare_kafka_python_send",
        "events": n,
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "events_per_cpu_s": n / used,
    }


def bench_producer(settings: IngestSettings, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    producer = Producer(settings, client_id="bench-bare")
    producer.publish(events[:BATCH])  # connect and fetch metadata outside the timing
    t, cpu = time.perf_counter(), time.process_time()
    producer.publish(events)
    streamed, streamed_cpu = time.perf_counter() - t, time.process_time() - cpu
    latencies = []
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(events), BATCH):
        t0 = time.perf_counter()
        producer.publish(events[i : i + BATCH])
        latencies.append(time.perf_counter() - t0)
    elapsed, batch_cpu = time.perf_counter() - t, time.process_time() - cpu
    producer.close()
    n = len(events)
    return [
        {
            "row": "bare_producer_stream",
            "events": n,
            "seconds": streamed,
            "events_per_s": n / streamed,
            "events_per_cpu_s": n / streamed_cpu,
        },
        {
            **_row(f"bare_producer_batch{BATCH}", n, elapsed, latencies),
            "events_per_cpu_s": n / batch_cpu,
        },
    ]


def bench_reference_clients(
    settings: IngestSettings, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Same events, same acks/idempotence, gzip (the one codec both clients have here):
    kafka-python (ours) against aiokafka (installed with Faust, C record builder) — a
    reference for choosing the API's client, not a path the platform uses."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    from ingest.producer import encode

    encoded = [encode(e, settings.kafka_topic_prefix) for e in events]
    headers = [("content-type", b"application/cloudevents+json; charset=utf-8")]
    n = len(events)

    async def aio() -> tuple[float, float]:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            compression_type="gzip",
            linger_ms=settings.kafka_linger_ms,
            max_batch_size=settings.kafka_batch_bytes,
        )
        await producer.start()
        try:
            await (await producer.send(encoded[0][0], encoded[0][2], key=encoded[0][1]))
            t, cpu = time.perf_counter(), time.process_time()
            futures = [
                await producer.send(topic, value, key=key, headers=headers)
                for topic, key, value in encoded
            ]
            await asyncio.gather(*futures)
            return time.perf_counter() - t, time.process_time() - cpu
        finally:
            await producer.stop()

    aio_wall, aio_cpu = asyncio.run(aio())
    gzip = settings.model_copy(update={"kafka_compression": "gzip"})
    producer = Producer(gzip, client_id="bench-gzip")
    producer.publish(events[:BATCH])
    t, cpu = time.perf_counter(), time.process_time()
    producer.publish(events)
    kp_wall, kp_cpu = time.perf_counter() - t, time.process_time() - cpu
    producer.close()
    return [
        {
            "row": "ref_kafka_python_gzip",
            "events": n,
            "seconds": kp_wall,
            "events_per_s": n / kp_wall,
            "events_per_cpu_s": n / kp_cpu,
        },
        {
            "row": "ref_aiokafka_gzip",
            "events": n,
            "seconds": aio_wall,
            "events_per_s": n / aio_wall,
            "events_per_cpu_s": n / aio_cpu,
        },
    ]


def _row(name: str, n: int, elapsed: float, latencies: list[float]) -> dict[str, Any]:
    latencies = sorted(latencies)
    return {
        "row": name,
        "events": n,
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live descendants, from /proc: on a shared
    machine, events per CPU-second say more than events per wall-clock second."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def start_api(
    settings: IngestSettings, port: int, workers: int, command: list[str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LIANXI_API_WORKERS": str(workers),
        "LIANXI_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "LIANXI_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "LIANXI_VAR_DIR": str(settings.var_dir),
        "LIANXI_API_PORT": str(port),
    }
    lianxi = Path(sys.executable).with_name("lianxi")
    process = subprocess.Popen(command or [str(lianxi), "api", "serve"], env=env)
    give_up = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > give_up:
            process.kill()
            raise RuntimeError("the API did not start")
        time.sleep(0.2)


def bench_api(
    url: str, token: str, events: list[dict[str, Any]], connections: int, pid: int
) -> dict[str, Any]:
    bodies = [json.dumps(events[i : i + BATCH]).encode() for i in range(0, len(events), BATCH)]
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            client.post(
                "/v1/events", content=bodies[0]
            )  # warm the connection (same ids: deduplicated later)
            barrier.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                t0 = time.perf_counter()
                r = client.post("/v1/events", content=body)
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    if r.status_code != 202:
                        failures.append(f"{r.status_code} {r.text[:200]}")

    barrier = threading.Barrier(connections + 1)
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for th in threads:
        th.start()
    barrier.wait()
    t, cpu = time.perf_counter(), cpu_seconds(pid)
    for th in threads:
        th.join()
    elapsed, used = time.perf_counter() - t, cpu_seconds(pid) - cpu
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    row = _row(f"api_batch{BATCH}_c{connections}", len(events), elapsed, latencies)
    row["events_per_cpu_s"] = len(events) / used if used else None
    return row


def bench_api_clients(settings: IngestSettings, token: str) -> list[dict[str, Any]]:
    """The API (1 process) with each Kafka client of tests/perf/ingest_api_clients.py, the
    variants interleaved per connection count so machine load hits them alike."""
    rows = []
    for connections in (1, 2, 4):
        for variant in CLIENT_VARIANTS:
            port = free_port()
            command = [sys.executable, "-m", "tests.perf.ingest_api_clients", variant]
            api = start_api(settings, port, 1, command)
            try:
                row = bench_api(
                    f"http://127.0.0.1:{port}",
                    token,
                    make_events(BATCH * BATCHES),
                    connections,
                    api.pid,
                )
            finally:
                stop_process(api)
            row["row"] = f"api_client_{variant}_c{connections}"
            rows.append(row)
    base = {
        r["row"].rsplit("_c", 1)[1]: r["events_per_s"]
        for r in rows
        if r["row"].startswith("api_client_current_")
    }
    for row in rows:
        row["ratio_to_current"] = row["events_per_s"] / base[row["row"].rsplit("_c", 1)[1]]
    return rows


def main() -> None:
    if "--clients" in sys.argv:
        return main_clients()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        settings = IngestSettings(
            var_dir=Path(tmp), kafka_topic_prefix=f"bench.ingest.{uuid.uuid4().hex[:8]}."
        )
        create_topics(settings)
        api = None
        try:
            events = make_events(BATCH * BATCHES)
            rows = bench_validation(events[:20_000])
            kafka_send = bench_kafka_send(settings, events)
            rows.append(kafka_send)
            bare_rows = bench_producer(settings, make_events(BATCH * BATCHES))
            rows += bare_rows
            bare = bare_rows[0]
            rows += bench_reference_clients(settings, make_events(BATCH * BATCHES // 2))
            store = TokenStore(settings.tokens_path)
            token = store.create(SOURCE, ["lianxi.*"], note="bench")[0]
            store.close()
            for workers, connections in API_RUNS:
                port = free_port()
                api = start_api(settings, port, workers)
                for n in connections:
                    row = bench_api(
                        f"http://127.0.0.1:{port}", token, make_events(BATCH * BATCHES), n, api.pid
                    )
                    row["row"] += f"_w{workers}"
                    row["ratio_to_bare"] = row["events_per_s"] / bare["events_per_s"]
                    row["ratio_to_kafka_send"] = row["events_per_s"] / kafka_send["events_per_s"]
                    rows.append(row)
                stop_process(api)
                api = None
        finally:
            if api is not None:
                stop_process(api)
            delete_topics(settings)
    load = os.getloadavg()[0]
    from kafka.record import util as kafka_record_util

    crc = "python" if kafka_record_util.crc32c_c is None else "c"
    for row in rows:
        row["loadavg_1m"] = load
        row["crc32c"] = crc
        if row["row"].startswith("api_"):
            row["target_met"] = row["events_per_s"] >= 20_000 and row["p99_ms"] <= 100
    record("bench_ingest", rows)


def main_clients() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        settings = IngestSettings(
            var_dir=Path(tmp), kafka_topic_prefix=f"bench.ingest.{uuid.uuid4().hex[:8]}."
        )
        create_topics(settings)
        try:
            store = TokenStore(settings.tokens_path)
            token = store.create(SOURCE, ["lianxi.*"], note="bench")[0]
            store.close()
            rows = bench_api_clients(settings, token)
        finally:
            delete_topics(settings)
    load = os.getloadavg()[0]
    for row in rows:
        row["loadavg_1m"] = load
        row["target_met"] = row["events_per_s"] >= 20_000 and row["p99_ms"] <= 100
    record("bench_ingest_clients", rows)


if __name__ == "__main__":
    main()
