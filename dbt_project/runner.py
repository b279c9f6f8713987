"""Run dbt for this project as a subprocess, with the project and profiles directories set.

A subprocess rather than dbtRunner in-process: dbt keeps global state (adapters, flags, env
var cache) between invocations, which breaks the `refresh --loop` and repeated test runs.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from dbt_project.config import PROJECT_DIR, DbtSettings


def dbt_executable(settings: DbtSettings) -> str:
    if settings.dbt_executable:
        return settings.dbt_executable
    return str(Path(sys.executable).with_name("dbt"))


def dbt_environment(settings: DbtSettings, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LIANXI_DBT_TARGET": settings.dbt_target,
            "LIANXI_DBT_THREADS": str(settings.dbt_threads),
            "LIANXI_DBT_RAW_DATABASE": settings.dbt_raw_database,
            "LIANXI_DBT_AS_OF": settings.dbt_as_of,
            "LIANXI_DBT_LOOKBACK_SECONDS": str(settings.dbt_lookback_seconds),
            "LIANXI_WAREHOUSE_HOST": settings.warehouse_host,
            "LIANXI_WAREHOUSE_HTTP_PORT": str(settings.warehouse_http_port),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(settings.warehouse_native_port),
            "LIANXI_WAREHOUSE_TRANSFORMER_USER": settings.warehouse_transformer_user,
            "LIANXI_WAREHOUSE_TRANSFORMER_PASSWORD": settings.warehouse_transformer_password,
            # dbt writes logs/ and target/ under the project; keep them out of stdout noise.
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra or {})
    return env


def run_dbt(
    args: Sequence[str],
    settings: DbtSettings | None = None,
    extra_env: dict[str, str] | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` against this project; returns the finished process (never raises on a failed run)."""
    settings = settings or DbtSettings()
    command = [
        dbt_executable(settings),
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
    ]
    env = dbt_environment(settings, extra_env)
    # One dbt at a time per target directory: `make demo`, the e2e tests and the refresh loop
    # share target/ and the stack's marts, and two builds swapping the same tables would fail
    # each other. A run with a target directory of its own (tests/dbt and bench_dbt: a private
    # warehouse too) shares neither, so it does not wait for the stack's refresh loop.
    target = Path(env.get("DBT_TARGET_PATH") or PROJECT_DIR / "target")
    lock_path = target / ".lianxi-run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.run(
            command,
            cwd=PROJECT_DIR,
            env=env,
            text=True,
            capture_output=capture,
            check=False,
        )
