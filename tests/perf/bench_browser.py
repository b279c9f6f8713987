"""Benchmark: what a person waits for. Headless Chromium opens every dashboard as each persona
and times until every chart has rendered (the browser test's own "settled" rule).

`python -m tests.perf.bench_browser [--repeats N] [--personas a,b] [--dashboards slug,…]`
(a quick look: `--personas leader --dashboards lianxi-overview --repeats 2`).

Starts the private warehouse and Superset of tests/dashboards (ports 58123 / 58088), loads the
stand-in marts (seed scale), imports the bundle and the roles, then per persona (district
leader, a street secretary, a community secretary, the analyst) and dashboard:
  - cold: the dashboard opened with `force=true` (every chart query runs on the warehouse, no
    Superset cache) — the first look of the morning;
  - warm: opened again without it (Superset's data cache and the browser's caches are warm).
Each load starts on an idle stack: QUIET_SECONDS after the previous one settled, so that page's
last requests (the event log, the filter option lists) are not timed into the next (without
the pause the warm p95 was ~0.3 s higher, consecutive runs on 2026-12-05).
Each is repeated N times; p50/p95 per persona and mode, with the load average of the machine
(the goal, p95 ≤ 2 s warm and ≤ 4 s cold, is for an idle stack: read the load with the times)
and the CPU time Superset's gunicorn spent per load (`superset_cpu_ms`: the work a load costs
the server, which a busy machine stretches in time but does not change — compare configurations
by it when the machine is not idle). Superset is served as the stack serves it, so
`LIANXI_SUPERSET_WORKERS` / `LIANXI_SUPERSET_THREADS` in the environment change it here too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboards"))

from infra.processes import tree
from tests.dashboards.dash_stack import provisioned_stack
from tests.dashboards.test_browser import Settled, boards, chromium, log_in

PERSONAS = ("leader", "street-s-02", "community-c-05-2", "analyst")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
QUIET_SECONDS = 1.0


def cpu_ms(pid: int) -> float:
    """User + system CPU time of pid and its children alive now (gunicorn's workers)."""
    ticks = 0
    for member in tree(pid):
        try:
            # Fields after the command name (which may hold ')'): utime and stime are 14 and 15.
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1000 / CLOCK_TICKS


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_to_settled(driver: Any, url: str, expected_charts: int) -> float:
    from selenium.webdriver.support.ui import WebDriverWait

    # A moment between two dashboards, as a person takes: the previous page's last requests
    # (the event log, the filter option lists) finish before this load is timed.
    time.sleep(QUIET_SECONDS)
    began = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, 600, poll_frequency=0.05).until(Settled(expected_charts))
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    WebDriverWait(driver, 600, poll_frequency=0.05).until(Settled(expected_charts))
    return (time.perf_counter() - began) * 1000


def measure(
    repeats: int, personas: tuple[str, ...], slugs: set[str] | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    chosen = [board for board in boards() if slugs is None or board[1] in slugs]
    with provisioned_stack() as (_warehouse, superset, settings):
        assert superset.process is not None
        server = superset.process.pid
        for persona in personas:
            driver, profile = chromium()
            try:
                log_in(driver, superset.url, persona, settings.demo_password(persona))
                times: dict[str, list[float]] = {"cold": [], "warm": []}
                cpu: dict[str, list[float]] = {"cold": [], "warm": []}
                for _key, slug, expected in chosen:
                    base = f"{superset.url}/superset/dashboard/{slug}/?standalone=0"
                    for _ in range(repeats):
                        for mode, url in (("cold", f"{base}&force=true"), ("warm", base)):
                            before = cpu_ms(server)
                            times[mode].append(time_to_settled(driver, url, expected))
                            cpu[mode].append(cpu_ms(server) - before)
                    loads = {
                        mode: " ".join(f"{t:.0f}" for t in samples[-repeats:])
                        for mode, samples in times.items()
                    }
                    print(
                        f"  {persona} {slug}: cold {loads['cold']} ms, warm {loads['warm']} ms "
                        f"(Superset CPU {cpu['cold'][-1]:.0f} / {cpu['warm'][-1]:.0f} ms)",
                        flush=True,
                    )
                for mode, samples in times.items():
                    rows.append(
                        {
                            "persona": persona,
                            "mode": mode,
                            "dashboards": len(chosen),
                            "loads": len(samples),
                            "p50_ms": statistics.median(samples),
                            "p95_ms": p95(samples),
                            "max_ms": max(samples),
                            "superset_cpu_ms": statistics.median(cpu[mode]),
                            "load_avg_1m": os.getloadavg()[0],
                        }
                    )
            finally:
                driver.quit()
                shutil.rmtree(profile, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="loads per dashboard, persona and mode"
    )
    parser.add_argument(
        "--personas",
        default=",".join(PERSONAS),
        help="comma-separated logins (default: %(default)s)",
    )
    parser.add_argument(
        "--dashboards", default="", help="comma-separated slugs (default: every dashboard)"
    )
    args = parser.parse_args()
    slugs = {slug for slug in args.dashboards.split(",") if slug} or None
    rows = measure(args.repeats, tuple(p for p in args.personas.split(",") if p), slugs)
    for row in rows:
        if row["mode"] == "warm":
            cold = next(r for r in rows if r["persona"] == row["persona"] and r["mode"] == "cold")
            row["warm_vs_cold"] = row["p95_ms"] / cold["p95_ms"]
    from tests.perf.report import record

    record("browser", rows)


if __name__ == "__main__":
    main()
