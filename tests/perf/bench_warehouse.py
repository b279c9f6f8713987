"""Benchmark: the embedded warehouse's HTTP interface against chdb run in-process, same run.

`python -m tests.perf.bench_warehouse` (`make bench`). Workloads (shared with
bench_native, so the numbers line up): a 1 M-row SELECT, a GROUP BY over 10 M rows, a
100 k-row INSERT. The server runs as its own process (`python -m warehouse.server`, HTTP
only) over its own data directory; the baseline opens chdb in this process over another.

Clients against the server:
- `http raw`: httpx posting the query and reading the Native bytes (INSERT bodies encoded
  before the clock starts) — the server's own cost;
- `clickhouse-connect` (no compression and lz4): what users see, including the driver's
  Python decoding / encoding.
`main()` also runs `bench_native()` (tests/perf/bench_native.py) so one table shows both
interfaces; `bench_http()` alone is what this file owns.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from support.warehouse import PrivateWarehouse

from tests.perf.bench_native import GROUP_BY, INSERT_SOURCE, SELECT_1M, create_tables
from tests.perf.timing import timed, workload_row

ROOT = Path(__file__).resolve().parents[2]
AUTH = ("lianxi_admin", "dev-admin")


def _start_server(base: Path, *, migrate: bool = False) -> PrivateWarehouse:
    """A private server over HTTP only, without a time limit on queries."""
    return PrivateWarehouse(
        base / "server",
        LIANXI_WAREHOUSE_NATIVE_ENABLED="false",
        LIANXI_WAREHOUSE_MAX_EXECUTION_TIME="0",
    ).start(migrate=migrate)


def bench_http(
    select_rows: int = 1_000_000,
    group_rows: int = 10_000_000,
    insert_rows: int = 100_000,
    repeats: int = 3,
    work_dir: Path | None = None,
) -> list[dict]:
    """Run every workload over HTTP and in-process; one dict per (workload, client)."""
    import clickhouse_connect
    import httpx
    from chdb import session as chdb_session

    base = Path(tempfile.mkdtemp(prefix="wh_http_bench_", dir=work_dir))
    server = _start_server(base)
    url = server.url
    local = None
    try:
        local = chdb_session.Session(str(base / "local"))
        http = httpx.Client(base_url=url, auth=AUTH, timeout=600)

        def post(sql: str | bytes, **params: str) -> bytes:
            response = http.post(
                "/", params=params, content=sql.encode() if isinstance(sql, str) else sql
            )
            response.raise_for_status()
            return response.content

        fill_rows = max(group_rows, select_rows, insert_rows)
        for run in (lambda q: local.query(q, "TabSeparated"), post):
            create_tables(run, fill_rows)
        plain = clickhouse_connect.get_client(
            host="127.0.0.1",
            port=int(url.rsplit(":", 1)[1]),
            username=AUTH[0],
            password=AUTH[1],
            compress=False,
        )
        lz4 = clickhouse_connect.get_client(
            host="127.0.0.1",
            port=int(url.rsplit(":", 1)[1]),
            username=AUTH[0],
            password=AUTH[1],
            compress="lz4",
        )
        results = []

        for workload, sql, rows in (
            ("select_1m", SELECT_1M.format(rows=select_rows), select_rows),
            ("group_by_10m", GROUP_BY, group_rows),
        ):
            base_t = timed(lambda sql=sql: local.query(sql, "Native").bytes(), repeats)
            results.append(workload_row(workload, "chdb in-process", rows, base_t, None))
            results.append(
                workload_row(
                    workload,
                    "http raw",
                    rows,
                    timed(lambda sql=sql: post(sql, default_format="Native"), repeats),
                    base_t,
                )
            )
            results.append(
                workload_row(
                    workload,
                    "clickhouse-connect",
                    rows,
                    timed(lambda sql=sql: plain.query(sql).result_columns, repeats),
                    base_t,
                )
            )
            results.append(
                workload_row(
                    workload,
                    "clickhouse-connect lz4",
                    rows,
                    timed(lambda sql=sql: lz4.query(sql).result_columns, repeats),
                    base_t,
                )
            )

        native_bytes = local.query(INSERT_SOURCE.format(rows=insert_rows), "Native").bytes()
        body = b"INSERT INTO bench.sink FORMAT Native\n" + native_bytes
        columns = plain.query(INSERT_SOURCE.format(rows=insert_rows)).result_columns
        names = ["id", "street", "kind", "ts", "value", "tags"]

        def local_insert() -> None:
            inserter = local.send_insert("INSERT INTO bench.sink", "Native")
            inserter.append(native_bytes)
            inserter.finish()

        base_t = timed(local_insert, repeats)
        results.append(workload_row("insert_100k", "chdb in-process", insert_rows, base_t, None))
        results.append(
            workload_row(
                "insert_100k", "http raw", insert_rows, timed(lambda: post(body), repeats), base_t
            )
        )
        results.append(
            workload_row(
                "insert_100k",
                "clickhouse-connect",
                insert_rows,
                timed(
                    lambda: plain.insert(
                        "bench.sink", columns, column_names=names, column_oriented=True
                    ),
                    repeats,
                ),
                base_t,
            )
        )
        results.append(
            workload_row(
                "insert_100k",
                "clickhouse-connect lz4",
                insert_rows,
                timed(
                    lambda: lz4.insert(
                        "bench.sink", columns, column_names=names, column_oriented=True
                    ),
                    repeats,
                ),
                base_t,
            )
        )
        for row in results:
            row["interface"] = "http" if row["client"] != "chdb in-process" else "-"
        http.close()
        return results
    finally:
        if local is not None:
            local.close()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    from tests.perf.report import record

    rows = bench_http()
    if "--http-only" not in sys.argv[1:]:
        from tests.perf.bench_native import bench_native

        native = bench_native()
        for row in native:
            row["interface"] = "native" if row["client"] != "chdb in-process" else "-"
        rows += native
    record("warehouse", rows)


if __name__ == "__main__":
    main()
