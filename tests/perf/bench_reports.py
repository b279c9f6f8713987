"""Benchmark: the district's quarterly briefing pack at seed scale (target ≤ 30 s).

`python -m tests.perf.bench_reports [--repeats N]`

A private warehouse (tests/dbt/private_warehouse.py) gets the simulator's seed year (about
100 k events) and a real `dbt build` as of the year's end; then, for 2025Q4, N times:
  - marts: every query of the pack (reports/sql, as the reader) — the same-run baseline;
  - district pack: `lianxi report quarterly` as a fresh process (import, queries, HTML,
    headless Chromium printing the PDF);
  - street pack: the same for s-01.
Reports the median and max seconds and the ratio to the marts baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.simulator.figures import seed_year_window
from ingest.simulator.seed_year import seed_events
from reports import marts
from reports.config import ReportsSettings
from reports.quarter import Quarter
from tests.dbt.private_warehouse import REPO, DbtWarehouse, failure_summary
from tests.dbt.raw_loader import load_events
from tests.perf.report import record

TARGET_S = 30.0


def cli_seconds(server: DbtWarehouse, out: Path, *extra: str) -> float:
    env = {
        **os.environ,
        "LIANXI_ENV": "development",
        "LIANXI_WAREHOUSE_HTTP_PORT": str(server.http_port),
        "PYTHONPATH": str(REPO),
    }
    began = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from infra.cli import main; main()",
            "report",
            "quarterly",
            "--quarter",
            "2025Q4",
            "--out",
            str(out),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as work:
        server = DbtWarehouse(Path(work)).start()
        try:
            events = seed_events()
            load_events(server.writer(), events)
            as_of = seed_year_window()[1].strftime("%Y-%m-%dT%H:%M:%SZ")
            result = server.dbt("build", as_of=as_of)
            if result.returncode != 0:
                raise SystemExit(failure_summary(result))
            settings = ReportsSettings(env="development", warehouse_http_port=server.http_port)
            client = marts.connect(settings)
            quarter = Quarter(2025, 4)
            samples: dict[str, list[float]] = {
                "marts queries (baseline)": [],
                "district pack": [],
                "street pack s-01": [],
            }
            for i in range(args.repeats):
                began = time.perf_counter()
                marts.load(client, quarter, "", "全区")
                samples["marts queries (baseline)"].append(time.perf_counter() - began)
                samples["district pack"].append(cli_seconds(server, Path(work) / f"d{i}.pdf"))
                samples["street pack s-01"].append(
                    cli_seconds(server, Path(work) / f"s{i}.pdf", "--street", "s-01")
                )
            baseline = statistics.median(samples["marts queries (baseline)"])
            rows = []
            for name, values in samples.items():
                median = statistics.median(values)
                rows.append(
                    {
                        "step": name,
                        "events": len(events),
                        "repeats": len(values),
                        "median_s": median,
                        "max_s": max(values),
                        "ratio_to_marts": median / baseline,
                        "target_s": TARGET_S if name == "district pack" else "",
                        "load_avg_1m": os.getloadavg()[0],
                    }
                )
            record("reports", rows)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
