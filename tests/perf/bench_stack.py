"""Benchmark: cold and warm start of the whole local stack, and its idle memory.

`python -m tests.perf.bench_stack [SERVICE ...]` (default: every service the stack has).
Runs a private stack (its own var dir under /tmp and free ports), never the shared one.

- baseline: a bare Kafka broker (the JVM alone, no supervisor) from an empty directory;
- cold start: `lianxi up` from an empty var dir (Kafka storage format, Superset's metadata
  migrations, every health probe), reported as a ratio to the baseline;
- warm start: `lianxi down` then `lianxi up` over the same var dir;
- idle memory: RSS and PSS of each service's process tree 20 s after the stack is up,
  summed, against the 4 GB target (DESIGN.md).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from support.ports import free_port, free_port_pair

from infra.config import InfraSettings
from infra.kafka import PrivateBroker
from infra.processes import memory_kb
from tests.perf.report import record

LIANXI = str(Path(sys.executable).parent / "lianxi")
TARGET_MB = 4096
IDLE_SECONDS = 20


def _env(var_dir: Path, libs_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXI_")}
    env.update(
        {
            "LIANXI_ENV": "development",
            "LIANXI_VAR_DIR": str(var_dir),
            "LIANXI_KAFKA_LIBS_DIR": str(libs_dir),
            "LIANXI_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port_pair()}",
            "LIANXI_WAREHOUSE_HTTP_PORT": str(free_port()),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(free_port()),
            "LIANXI_API_PORT": str(free_port()),
            "LIANXI_SUPERSET_PORT": str(free_port()),
            "LIANXI_STREAMS_METRICS_PORT": str(free_port()),
        }
    )
    return env


def _lianxi(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([LIANXI, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"lianxi {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def _timed_up(env: dict[str, str], services: list[str]) -> float:
    began = time.monotonic()
    _lianxi(env, "up", *services)
    return time.monotonic() - began


def _baseline(libs_dir: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="lianxi-bench-kafka-") as home:
        broker = PrivateBroker(Path(home), free_port_pair(), libs_dir=libs_dir, heap="512m")
        began = time.monotonic()
        broker.start()
        elapsed = time.monotonic() - began
        broker.stop()
    return elapsed


def run(services: list[str]) -> list[dict[str, Any]]:
    libs_dir = InfraSettings().kafka_libs_dir
    assert libs_dir is not None
    var_dir = Path(tempfile.mkdtemp(prefix="lianxi-bench-"))
    env = _env(var_dir, libs_dir)
    rows: list[dict[str, Any]] = []
    try:
        baseline = _baseline(libs_dir)
        rows.append({"measure": "kafka bare JVM start (baseline)", "seconds": baseline})

        cold = _timed_up(env, services)
        rows.append({"measure": "stack cold start", "seconds": cold, "x_baseline": cold / baseline})
        time.sleep(IDLE_SECONDS)
        status = json.loads(_lianxi(env, "status", "--json"))
        total_rss = total_pss = 0.0
        for row in status:
            if not row["pid"]:
                continue
            memory = memory_kb(row["pid"])
            rss, pss = memory["rss_kb"] / 1024, memory["pss_kb"] / 1024
            total_rss += rss
            total_pss += pss
            rows.append(
                {
                    "measure": f"idle memory {row['service']}",
                    "rss_mb": rss,
                    "pss_mb": pss,
                    "processes": memory["processes"],
                }
            )
        rows.append(
            {
                "measure": "idle memory, whole stack",
                "rss_mb": total_rss,
                "pss_mb": total_pss,
                "target_mb": TARGET_MB,
                "x_target": total_rss / TARGET_MB,
            }
        )

        _lianxi(env, "down")
        warm = _timed_up(env, services)
        rows.append({"measure": "stack warm start", "seconds": warm, "x_baseline": warm / baseline})
        began = time.monotonic()
        _lianxi(env, "down")
        rows.append({"measure": "stack down", "seconds": time.monotonic() - began})
    finally:
        subprocess.run([LIANXI, "down"], env=env, capture_output=True, check=False)
        shutil.rmtree(var_dir, ignore_errors=True)
    return rows


if __name__ == "__main__":
    record("stack", run(sys.argv[1:]))
