"""Benchmark: each dashboard chart's query through Superset, with and without its data cache.

`python -m tests.perf.bench_dashboards [--doublings N] [--repeats N]`

Starts the private warehouse and Superset of tests/dashboards (ports 58123 / 58088), loads the
stand-in marts, optionally doubles every fact table N times, imports the bundle, then for every
chart of every dashboard measures, as the district leader:
  - warehouse: the chart's SQL (as Superset generates it) run straight on the warehouse
    server with clickhouse-connect: the baseline;
  - uncached: POST /api/v1/chart/data with force=true (Superset runs the query);
  - cached: the same request without force after a warm-up (served from Superset's cache).
Reports p50/p95 per chart and the ratios to the warehouse baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from support.warehouse import PrivateWarehouse

from tests.dashboards.dash_stack import WAREHOUSE_HTTP_PORT, provisioned_stack

FACT_TABLES = (
    "fct_daily_indicators",
    "fct_tickets",
    "fct_meeting_compliance",
    "fct_wishes",
    "fct_volunteering",
    "fct_registrations",
)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(call: Any) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def grow(warehouse: PrivateWarehouse, doublings: int) -> int:
    client = warehouse.client()
    try:
        for _ in range(doublings):
            for table in FACT_TABLES:
                client.command(f"INSERT INTO marts.{table} SELECT * FROM marts.{table}")
        return sum(
            int(client.query(f"SELECT count() FROM marts.{t}").result_rows[0][0])
            for t in FACT_TABLES
        )
    finally:
        client.close()


def measure(repeats: int, doublings: int) -> list[dict[str, Any]]:
    import clickhouse_connect

    from dashboards.superset_api import SupersetSession

    fact_rows = 0

    def prepare(warehouse: PrivateWarehouse) -> None:
        nonlocal fact_rows
        fact_rows = grow(warehouse, doublings)

    with provisioned_stack(prepare) as (_warehouse, superset, _settings):
        reader = clickhouse_connect.get_client(
            host="127.0.0.1",
            port=WAREHOUSE_HTTP_PORT,
            username="lianxi_reader",
            password="dev-reader",
        )
        rows: list[dict[str, Any]] = []
        with SupersetSession(superset.url, "leader", "dev-leader") as leader:
            for board in leader.list_all("dashboard", ["id", "dashboard_title"]):
                for listed in leader.get(f"/api/v1/dashboard/{board['id']}/charts")["result"]:
                    chart = leader.get(f"/api/v1/chart/{listed['id']}")["result"]
                    context = json.loads(chart["query_context"])
                    sql = leader.post(
                        "/api/v1/chart/data", json={**context, "result_type": "query"}
                    )
                    query = sql["result"][0]["query"]
                    forced = {**context, "force": True}
                    warehouse_ms = [timed(lambda q=query: reader.query(q)) for _ in range(repeats)]
                    uncached = [
                        timed(lambda body=forced: leader.post("/api/v1/chart/data", json=body))
                        for _ in range(repeats)
                    ]
                    leader.post("/api/v1/chart/data", json=context)
                    cached = [
                        timed(lambda body=context: leader.post("/api/v1/chart/data", json=body))
                        for _ in range(repeats)
                    ]
                    rows.append(
                        {
                            "dashboard": board["dashboard_title"],
                            "chart": chart["slice_name"],
                            "fact_rows": fact_rows,
                            "warehouse_p95_ms": p95(warehouse_ms),
                            "uncached_p50_ms": statistics.median(uncached),
                            "uncached_p95_ms": p95(uncached),
                            "cached_p95_ms": p95(cached),
                            "uncached_vs_warehouse": p95(uncached) / max(p95(warehouse_ms), 0.001),
                            "cached_vs_uncached": p95(cached) / max(p95(uncached), 0.001),
                        }
                    )
        reader.close()
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--doublings", type=int, default=0, help="double every fact table this many times"
    )
    parser.add_argument("--repeats", type=int, default=10, help="requests per chart and mode")
    args = parser.parse_args()
    rows = measure(args.repeats, args.doublings)
    summary = {
        "dashboard": "(all)",
        "chart": f"{len(rows)} charts",
        "fact_rows": rows[0]["fact_rows"],
        "warehouse_p95_ms": p95([r["warehouse_p95_ms"] for r in rows]),
        "uncached_p50_ms": statistics.median([r["uncached_p50_ms"] for r in rows]),
        "uncached_p95_ms": p95([r["uncached_p95_ms"] for r in rows]),
        "cached_p95_ms": p95([r["cached_p95_ms"] for r in rows]),
        "uncached_vs_warehouse": statistics.median([r["uncached_vs_warehouse"] for r in rows]),
        "cached_vs_uncached": statistics.median([r["cached_vs_uncached"] for r in rows]),
    }
    from tests.perf.report import record

    record("dashboards", rows + [summary])


if __name__ == "__main__":
    main()
