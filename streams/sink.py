"""Batched inserts into ClickHouse over the native protocol (clickhouse-driver).

A batch is acknowledged to Kafka only after `insert` returns, and `insert` returns only after
ClickHouse accepted the rows, so it retries until it does: the warehouse being down pauses the
worker instead of losing or skipping data. A retry carries the same deduplication token, so a
batch that did land before the connection broke is not loaded twice.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential

from streams import metrics
from streams.config import StreamsSettings

if TYPE_CHECKING:
    from clickhouse_driver import Client

log = logging.getLogger(__name__)

# Deliberate: ClickHouse 26.x defaults async_insert=1, which acknowledges before the rows are
# in a part — a batch must be readable and deduplicated when we commit its offsets. A batch may
# span any number of months (a backfill, a replay of years): the default cap of 100 partitions
# per insert would refuse it, every retry again, and stall the worker.
INSERT_SETTINGS = {"async_insert": 0, "insert_deduplicate": 1, "max_partitions_per_insert_block": 0}


def _retryable(exc: BaseException) -> bool:
    # Every failure of an insert of validated rows is the warehouse's (down, restarting,
    # overloaded); data errors are turned into dead letters before rows get here.
    return isinstance(exc, Exception)


class ClickHouseSink:
    def __init__(self, settings: StreamsSettings, role: str = "writer") -> None:
        self.settings = settings
        self.role = role
        self.database = settings.streams_raw_database
        # One connection per table: the lanes insert concurrently from worker threads, and
        # a clickhouse-driver Client must never be used by two threads at once.
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def _connect(self) -> Client:
        from clickhouse_driver import Client

        return Client(
            host=self.settings.warehouse_host,
            port=self.settings.warehouse_native_port,
            user=getattr(self.settings, f"warehouse_{self.role}_user"),
            password=getattr(self.settings, f"warehouse_{self.role}_password"),
            compression="lz4",
            connect_timeout=5,
            send_receive_timeout=60,
            settings=INSERT_SETTINGS,
        )

    def client(self, channel: str = "") -> Client:
        with self._lock:
            client = self._clients.get(channel)
            if client is None:
                client = self._clients[channel] = self._connect()
            return client

    def reset(self, channel: str | None = None) -> None:
        with self._lock:
            names = list(self._clients) if channel is None else [channel]
            dropped = [self._clients.pop(n) for n in names if n in self._clients]
        for client in dropped:
            try:
                client.disconnect()
            except Exception:  # a broken connection may fail to close; dropped anyway
                log.debug("disconnect failed", exc_info=True)

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple],
        token: str,
        channel: str | None = None,
    ) -> None:
        """`channel` names the connection (default: the table's); threads that may insert
        into the same table at once each need their own."""
        if not rows:
            return
        cols = ", ".join(f"`{c}`" for c in columns)
        channel = channel or table
        try:
            self.client(channel).execute(
                f"INSERT INTO {self.database}.`{table}` ({cols}) VALUES",
                # Column-wise: zip transposes in C what the driver would in Python.
                list(zip(*rows, strict=True)),
                settings={"insert_deduplication_token": token},
                types_check=False,
                columnar=True,
            )
        except Exception:
            self.reset(channel)
            raise

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        try:
            return self.client().execute(sql, params or {})
        except Exception:
            self.reset("")
            raise

    async def insert_until_accepted(
        self, table: str, columns: Sequence[str], rows: list[tuple], token: str
    ) -> None:
        """Insert in a worker thread (the event loop keeps heartbeating), retrying with
        exponential backoff for as long as it takes."""
        if not rows:
            return
        started = time.perf_counter()
        retrying = AsyncRetrying(
            retry=retry_if_exception(_retryable),
            wait=wait_exponential(multiplier=0.2, max=self.settings.streams_retry_max_seconds),
            stop=stop_never,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await asyncio.to_thread(self.insert, table, columns, rows, token)
        metrics.WAREHOUSE_UP.set(1)
        metrics.BATCH_SECONDS.labels(table=table).observe(time.perf_counter() - started)

    def _before_sleep(self, state) -> None:
        metrics.WAREHOUSE_UP.set(0)
        metrics.INSERT_RETRIES.inc()
        exc = state.outcome.exception() if state.outcome else None
        log.warning("warehouse insert failed (attempt %d), retrying: %s", state.attempt_number, exc)

    def org_pairs(self) -> list[tuple[str, str]]:
        return self.query(
            f"SELECT community_id, any(street_id) FROM {self.database}.org_events "
            "WHERE community_id != '' AND street_id != '' GROUP BY community_id"
        )
