"""Benchmark: what the rights check costs per query, same run.

`python -m tests.perf.bench_rights` (`make bench`). One private server (HTTP, migrated) over
1 M rows in `raw`; the same statements run as the admin (no check) and as a checked role:
- a dashboard-sized query (GROUP BY over 1 M rows, filtered), analyst vs admin, interleaved;
- a tiny query (`SELECT count() FROM raw.bench_events WHERE id = 1`), where the check's fixed
  cost (one `EXPLAIN AST` on the engine, the tree walk) shows most;
- the 1 M-row SELECT as the analyst against chdb in-process (the embedded-server ratio that
  bench_warehouse reports for the admin);
- a 100 k-row INSERT as the writer against chdb in-process.
"""

import shutil
import statistics
import tempfile
from pathlib import Path

from tests.perf.bench_native import FILL, INSERT_SOURCE, SELECT_1M, TABLE_DDL
from tests.perf.bench_warehouse import _start_server
from tests.perf.timing import timed

PASSWORDS = {
    "lianxi_admin": "dev-admin",
    "lianxi_analyst": "dev-analyst",
    "lianxi_writer": "dev-writer",
}
DASHBOARD = (
    "SELECT street, count(), avg(value) FROM raw.bench_events WHERE kind IN ('kind-1', 'kind-2') "
    "AND ts >= toDateTime64('2026-01-01 00:00:00', 3, 'UTC') GROUP BY street ORDER BY street"
)
TINY = "SELECT count() FROM raw.bench_events WHERE id = 1"


def _stats(workload: str, client: str, times: list[float], baseline: list[float] | None) -> dict:
    p50 = statistics.median(times)
    row = {
        "workload": workload,
        "client": client,
        "n": len(times),
        "p50_ms": round(p50 * 1e3, 3),
        "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1] * 1e3, 3),
    }
    if baseline is not None:
        base = statistics.median(baseline)
        row["ratio_vs_baseline"] = round(p50 / base, 3)
        row["check_cost_ms"] = round((p50 - base) * 1e3, 3)
    return row


def main(rows: int = 1_000_000, repeats: int = 200) -> list[dict]:
    import httpx
    from chdb import session as chdb_session

    from tests.perf.report import record

    base = Path(tempfile.mkdtemp(prefix="wh_rights_bench_"))
    server = _start_server(base, migrate=True)
    url = server.url
    local = chdb_session.Session(str(base / "local"))
    try:
        clients = {
            user: httpx.Client(base_url=url, auth=(user, pw), timeout=600)
            for user, pw in PASSWORDS.items()
        }

        def post(user: str, sql: str | bytes, **params: str) -> bytes:
            response = clients[user].post(
                "/", params=params, content=sql.encode() if isinstance(sql, str) else sql
            )
            response.raise_for_status()
            return response.content

        local.query("CREATE DATABASE IF NOT EXISTS raw")
        for name in ("raw.bench_events", "raw.bench_sink"):
            local.query(TABLE_DDL.format(name=name))
            post("lianxi_admin", TABLE_DDL.format(name=name))
        for run in (lambda q: local.query(q), lambda q: post("lianxi_admin", q)):
            run(FILL.format(name="raw.bench_events", rows=rows))

        results = []
        for workload, sql, n in (
            ("dashboard_query", DASHBOARD, repeats),
            ("tiny_query", TINY, repeats * 2),
        ):
            admin: list[float] = []
            analyst: list[float] = []
            for _ in range(n):  # interleaved, so machine noise falls on both alike
                admin += timed(lambda sql=sql: post("lianxi_admin", sql), 1)
                analyst += timed(lambda sql=sql: post("lianxi_analyst", sql), 1)
            results.append(_stats(workload, "admin (no check)", admin, None))
            results.append(_stats(workload, "analyst (checked)", analyst, admin))

        select = SELECT_1M.replace("bench.events", "raw.bench_events").format(rows=rows)
        in_process = timed(lambda: local.query(select, "Native").bytes(), 5)
        results.append(_stats("select_1m", "chdb in-process", in_process, None))
        results.append(
            _stats(
                "select_1m",
                "http admin",
                timed(lambda: post("lianxi_admin", select, default_format="Native"), 5),
                in_process,
            )
        )
        results.append(
            _stats(
                "select_1m",
                "http analyst (checked)",
                timed(lambda: post("lianxi_analyst", select, default_format="Native"), 5),
                in_process,
            )
        )

        source = INSERT_SOURCE.replace("bench.events", "raw.bench_events").format(rows=100_000)
        native_bytes = local.query(source, "Native").bytes()

        def local_insert() -> None:
            inserter = local.send_insert("INSERT INTO raw.bench_sink", "Native")
            inserter.append(native_bytes)
            inserter.finish()

        body = b"INSERT INTO raw.bench_sink FORMAT Native\n" + native_bytes
        base_insert = timed(local_insert, 5)
        results.append(_stats("insert_100k", "chdb in-process", base_insert, None))
        results.append(
            _stats(
                "insert_100k",
                "http admin",
                timed(lambda: post("lianxi_admin", body), 5),
                base_insert,
            )
        )
        results.append(
            _stats(
                "insert_100k",
                "http writer (checked)",
                timed(lambda: post("lianxi_writer", body), 5),
                base_insert,
            )
        )
        for client in clients.values():
            client.close()
        record("rights", results)
        return results
    finally:
        local.close()
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
