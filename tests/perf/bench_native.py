"""Benchmark: the native protocol server against chdb run in-process, in the same run.

`python -m tests.perf.bench_native` (or `bench_native()` from the warehouse benchmark).
Workloads: a 1 M-row SELECT, a GROUP BY over 10 M rows, a 100 k-row INSERT. The server
runs as its own process (`python -m warehouse.server`, HTTP and native listeners) over its
own data directory; the baseline opens chdb in this process over another. Both hold the
same rows.

Two clients are measured against the server: a raw protocol client (packets read and
blocks framed, values never decoded; INSERT blocks encoded before the clock starts), which
isolates the server's cost, and clickhouse-driver, which is what users see and adds its
own Python decoding/encoding on top.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from support.warehouse import ADMIN, PrivateWarehouse

from tests.perf.timing import timed_pair, workload_row
from warehouse.native.blocks import Block, encode_block, iter_native, read_block
from warehouse.native.protocol import SERVER_REVISION
from warehouse.native.wire import Reader, string, varint

ROOT = Path(__file__).resolve().parents[2]
TABLE_DDL = (
    "CREATE TABLE {name} (id UInt64, street LowCardinality(String), kind String, "
    "ts DateTime64(3, 'UTC'), value Float64, tags Array(String)) ENGINE = MergeTree ORDER BY id"
)
FILL = (
    "INSERT INTO {name} SELECT number, concat('street-', toString(number % 12)), "
    "concat('kind-', toString(number % 97)), toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + number, "
    "number / 7, [toString(number % 5)] FROM numbers({rows})"
)
SELECT_1M = "SELECT * FROM bench.events ORDER BY id LIMIT {rows}"
GROUP_BY = "SELECT street, kind, count(), avg(value) FROM bench.events GROUP BY street, kind ORDER BY street, kind"
INSERT_SOURCE = "SELECT * FROM bench.events ORDER BY id LIMIT {rows}"


def create_tables(run: Callable[[str], object], rows: int) -> None:
    """Through run (a client's execute): the bench database, bench.events filled with rows
    rows and an empty bench.sink."""
    run("CREATE DATABASE IF NOT EXISTS bench")
    run(TABLE_DDL.format(name="bench.events"))
    run(FILL.format(name="bench.events", rows=rows))
    run(TABLE_DDL.format(name="bench.sink"))


class RawClient:
    """Minimal native-protocol client: frames blocks without decoding values."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(fill=lambda: self.sock.recv(1 << 20))
        self.sock.sendall(
            varint(0)
            + string("bench")
            + varint(1)
            + varint(0)
            + varint(SERVER_REVISION)
            + string("")
            + string(user)
            + string(password)
            + string("")  # + addendum quota key
        )
        r = self.reader
        assert r.varint() == 0, "expected Hello"
        r.string()
        r.varint()
        r.varint()
        r.varint()
        r.string()
        r.string()
        r.varint()
        r.varint()
        r.u64()

    def _query(self, text: str) -> None:
        self.sock.sendall(
            varint(1)
            + string("")
            + b"\x00"
            + string("")
            + string("")
            + varint(2)
            + varint(0)
            + string(text)
            + string("")
            + varint(2)
            + string("")
            + _EMPTY_BLOCK
        )

    def _next(self) -> tuple[int, Block | None]:
        r = self.reader
        kind = r.varint()
        if kind in (1, 14):  # Data, ProfileEvents
            r.string()
            block = read_block(r, SERVER_REVISION, wire=True)
            r.compact()
            return kind, block
        if kind == 3:  # Progress at this revision: seven varints
            for _ in range(7):
                r.varint()
        elif kind == 6:  # ProfileInfo
            r.varint()
            r.varint()
            r.varint()
            r.u8()
            r.varint()
            r.u8()
        elif kind == 2:
            code = r.i32()
            r.string()
            raise RuntimeError(f"server exception {code}: {r.string()}")
        elif kind != 5:
            raise RuntimeError(f"unexpected packet {kind}")
        return kind, None

    def select(self, text: str) -> int:
        self._query(text)
        rows = 0
        while True:
            kind, block = self._next()
            if kind == 5:
                return rows
            if kind == 1 and block is not None:
                rows += block.rows

    def insert(self, table: str, wire_blocks: list[bytes]) -> None:
        self._query(f"INSERT INTO {table} VALUES")
        self._next()  # header block
        for body in wire_blocks:
            self.sock.sendall(body)
            self._next()  # ProfileEvents per block
        self.sock.sendall(varint(2) + string("") + _EMPTY_BLOCK)
        while self._next()[0] != 5:
            pass

    def close(self) -> None:
        self.sock.close()


_EMPTY_BLOCK = b"".join(encode_block(Block(0, []), SERVER_REVISION, wire=True))


def bench_native(
    select_rows: int = 1_000_000,
    group_rows: int = 10_000_000,
    insert_rows: int = 100_000,
    repeats: int = 5,
    work_dir: Path | None = None,
) -> list[dict]:
    """Run every workload on both sides; returns one dict per (workload, client)."""
    from chdb import session as chdb_session

    base = Path(tempfile.mkdtemp(prefix="wh_native_bench_", dir=work_dir))
    server = PrivateWarehouse(base / "server").start(migrate=False)
    port = server.native_port
    local = None
    try:
        local = chdb_session.Session(str(base / "local"))
        driver = server.native()
        fill_rows = max(group_rows, select_rows, insert_rows)
        for run in (lambda q: local.query(q, "TabSeparated"), driver.execute):
            create_tables(run, fill_rows)
        for run in (lambda q: local.query(q, "TabSeparated"), driver.execute):
            # Let background merges of the fill finish before anything is timed.
            run("OPTIMIZE TABLE bench.events FINAL")
        raw = RawClient(port, *ADMIN)
        results = []

        select = SELECT_1M.format(rows=select_rows)
        local_select = lambda: local.query(select, "Native").bytes()
        base_t, raw_t = timed_pair(local_select, lambda: raw.select(select), repeats)
        _, driver_t = timed_pair(
            local_select, lambda: sum(1 for _ in driver.execute_iter(select)), repeats
        )
        results.append(workload_row("select_1m", "chdb in-process", select_rows, base_t, None))
        results.append(workload_row("select_1m", "native raw", select_rows, raw_t, base_t))
        results.append(
            workload_row("select_1m", "clickhouse-driver", select_rows, driver_t, base_t)
        )

        local_group = lambda: local.query(GROUP_BY, "Native").bytes()
        base_t, raw_t = timed_pair(local_group, lambda: raw.select(GROUP_BY), repeats)
        _, driver_t = timed_pair(local_group, lambda: driver.execute(GROUP_BY), repeats)
        results.append(workload_row("group_by_10m", "chdb in-process", group_rows, base_t, None))
        results.append(workload_row("group_by_10m", "native raw", group_rows, raw_t, base_t))
        results.append(
            workload_row("group_by_10m", "clickhouse-driver", group_rows, driver_t, base_t)
        )

        native_bytes = local.query(INSERT_SOURCE.format(rows=insert_rows), "Native").bytes()
        wire_blocks = [
            varint(2) + string("") + b"".join(encode_block(b, SERVER_REVISION, wire=True))
            for b in iter_native(native_bytes)
        ]
        driver_rows = driver.execute(INSERT_SOURCE.format(rows=insert_rows), columnar=True)

        def local_insert() -> None:
            inserter = local.send_insert("INSERT INTO bench.sink", "Native")
            inserter.append(native_bytes)
            inserter.finish()

        def truncate() -> None:
            local.query("TRUNCATE TABLE bench.sink", "TabSeparated")
            driver.execute("TRUNCATE TABLE bench.sink")

        base_t, raw_t = timed_pair(
            local_insert, lambda: raw.insert("bench.sink", wire_blocks), repeats, truncate
        )
        _, driver_t = timed_pair(
            local_insert,
            lambda: driver.execute("INSERT INTO bench.sink VALUES", driver_rows, columnar=True),
            repeats,
            truncate,
        )
        results.append(workload_row("insert_100k", "chdb in-process", insert_rows, base_t, None))
        results.append(workload_row("insert_100k", "native raw", insert_rows, raw_t, base_t))
        results.append(
            workload_row("insert_100k", "clickhouse-driver", insert_rows, driver_t, base_t)
        )
        raw.close()
        driver.disconnect()
        return results
    finally:
        if local is not None:
            local.close()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    rows = bench_native()
    try:
        from tests.perf.report import record
    except ImportError:  # report.py belongs to the shared perf harness; print if it is absent
        import json

        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
    else:
        record("native", rows)


if __name__ == "__main__":
    main()
