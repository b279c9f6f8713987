"""Real services for the streams tests and benchmark: unique topics on a real broker, the
worker as a real `lianxi stream` process, a keyed producer, and counts over the raw tables of a
private warehouse (support.warehouse.PrivateWarehouse)."""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from support.process import LianxiProcess
from support.wait import wait_until
from support.warehouse import PrivateWarehouse

from ingest import contracts
from streams.config import DOMAINS


def create_topics(bootstrap: str, prefix: str, partitions: int = 3) -> list[str]:
    from kafka.admin import KafkaAdminClient, NewTopic

    names = contracts.topics(prefix) + [f"{prefix}{contracts.DEADLETTER_TOPIC}"]
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        admin.close()
    return names


def delete_topics(bootstrap: str, names: list[str]) -> None:
    from kafka.admin import KafkaAdminClient

    # Cleanup is best effort: the broker may be gone by now.
    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.delete_topics(names)
        finally:
            admin.close()


@dataclass
class Topics:
    bootstrap: str
    prefix: str
    names: list[str] = field(default_factory=list)


@contextlib.contextmanager
def own_topics(bootstrap: str, mark: str) -> Iterator[Topics]:
    """Every lianxi topic (the domains and the dead letters) under a prefix no other test uses
    (`<mark><random>.`), on the given broker; deleted afterwards."""
    prefix = f"{mark}{uuid.uuid4().hex[:10]}."
    names = create_topics(bootstrap, prefix)
    try:
        yield Topics(bootstrap, prefix, names)
    finally:
        delete_topics(bootstrap, names)


def publish(bootstrap: str, prefix: str, events: list[dict], raw: list[tuple[str, bytes]] = ()):
    """Publish events keyed by subject (acks=all); raw: (domain, value) records as they are."""
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=256 * 1024, retries=20
    )
    try:
        for e in events:
            producer.send(
                contracts.topic_for(e["type"], prefix),
                key=e["subject"].encode(),
                value=json.dumps(e, ensure_ascii=False).encode(),
            )
        for domain, value in raw:
            producer.send(f"{prefix}{contracts.TYPE_PREFIX}{domain}", key=b"poison", value=value)
        producer.flush(120)
    finally:
        producer.close()


class Worker(LianxiProcess):
    """`lianxi stream` as a real process, killable."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        loglevel = os.environ.get("LIANXI_TEST_WORKER_LOGLEVEL", "warning")
        super().__init__(["stream", "--loglevel", loglevel], env, log)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until /metrics answers: the worker is past its imports and handles SIGTERM."""
        url = f"http://127.0.0.1:{self.env['LIANXI_STREAMS_METRICS_PORT']}/metrics"

        def answers() -> bool:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return True
            except OSError:
                return False

        wait_until(answers, timeout, "worker /metrics")


def worker_env(
    bootstrap: str, prefix: str, wh: PrivateWarehouse, metrics_port: int, **extra: str
) -> dict[str, str]:
    return {
        "LIANXI_ENV": "development",
        "LIANXI_KAFKA_BOOTSTRAP": bootstrap,
        "LIANXI_KAFKA_TOPIC_PREFIX": prefix,
        "LIANXI_STREAMS_GROUP_ID": f"{prefix}streams",
        "LIANXI_STREAMS_REPLAY_GROUP_ID": f"{prefix}replay",
        "LIANXI_WAREHOUSE_HOST": "127.0.0.1",
        "LIANXI_WAREHOUSE_NATIVE_PORT": str(wh.native_port),
        "LIANXI_STREAMS_METRICS_PORT": str(metrics_port),
        "LIANXI_STREAMS_BATCH_SECONDS": "0.2",
        **extra,
    }


def reset_raw(wh: PrivateWarehouse) -> None:
    """Each test counts from empty tables (the server is shared by the module)."""
    client = wh.native()
    for d in DOMAINS:
        client.execute(f"TRUNCATE TABLE raw.{d}_events")
    client.execute("TRUNCATE TABLE raw.dead_letters")


def raw_totals(wh: PrivateWarehouse) -> tuple[int, int, int]:
    """(rows after FINAL, distinct (source, id), rows before merges) over all raw tables."""
    union = " UNION ALL ".join(
        f"SELECT source, event_id FROM raw.{d}_events FINAL" for d in DOMAINS
    )
    total = " + ".join(f"(SELECT count() FROM raw.{d}_events)" for d in DOMAINS)
    client = wh.native()
    final, distinct = client.execute(f"SELECT count(), uniqExact(source, event_id) FROM ({union})")[
        0
    ]
    return final, distinct, client.execute(f"SELECT {total}")[0][0]


def wait_for_rows(wh: PrivateWarehouse, expected: int, timeout: float = 600) -> int:
    seen = 0

    def done() -> bool:
        nonlocal seen
        try:
            seen = raw_totals(wh)[1]
        except Exception:  # noqa: BLE001 - the server may be restarting in the test
            return False
        return seen >= expected

    try:
        wait_until(done, timeout, f"{expected} rows")
    except AssertionError as exc:
        raise AssertionError(f"only {seen} of {expected} events loaded") from exc
    return seen
