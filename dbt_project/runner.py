"""Run dbt for this project, with the project and profiles directories set.

`run_dbt`: a fresh `dbt` process per command (build, test, docs, a one-off refresh), so every
invocation starts from a clean state and reads the environment anew. `WarmDbt`: dbt inside a
long-lived process (`refresh --loop`), the parsed project kept between runs: a scheduled
refresh then pays neither importing dbt (~2-3 s) nor loading the project (~1 s).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


PROJECT_ARGS = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]


@contextmanager
def _one_run_per_target(env: dict[str, str]) -> Iterator[None]:
    # One dbt at a time per target directory: `make demo`, the e2e tests and the refresh loop
    # share target/ and the stack's marts, and two builds swapping the same tables would fail
    # each other. A run with a target directory of its own (tests/dbt and bench_dbt: a private
    # warehouse too) shares neither, so it does not wait for the stack's refresh loop.
    target = Path(env.get("DBT_TARGET_PATH") or PROJECT_DIR / "target")
    lock_path = target / ".lianxi-run.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_dbt(
    args: Sequence[str],
    settings: DbtSettings | None = None,
    extra_env: dict[str, str] | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` against this project; returns the finished process (never raises on a failed run)."""
    settings = settings or DbtSettings()
    env = dbt_environment(settings, extra_env)
    with _one_run_per_target(env):
        return subprocess.run(
            [dbt_executable(settings), *args, *PROJECT_ARGS],
            cwd=PROJECT_DIR,
            env=env,
            text=True,
            capture_output=capture,
            check=False,
        )


def _project_fingerprint() -> tuple[int, int]:
    """(newest modification time, file count) of the project's sources: changes when a model,
    macro, seed or YAML file is edited, added or removed."""
    files = [
        path
        for path in PROJECT_DIR.rglob("*")
        if path.suffix in {".sql", ".yml", ".yaml", ".csv"}
        and not {"target", "logs", "dbt_packages"} & set(path.relative_to(PROJECT_DIR).parts)
    ]
    return max((path.stat().st_mtime_ns for path in files), default=0), len(files)


class WarmDbt:
    """dbt in this process with the parsed project (manifest) kept between runs, for the
    long-lived refresh loop.

    dbt resets its adapter and connections at the end of every invocation, so a warehouse
    restart between runs is harmless; what it keeps is only the manifest handed to it here.
    The project is parsed again when one of its files changed and after a failed run. The
    environment is this process's own: it is set once, from the settings, at construction.
    """

    def __init__(
        self, settings: DbtSettings | None = None, extra_env: dict[str, str] | None = None
    ) -> None:
        os.environ.update(dbt_environment(settings or DbtSettings(), extra_env))
        self._manifest: Any = None  # dbt's parsed Manifest, kept between ticks
        self._fingerprint: tuple[int, int] | None = None

    def invoke(self, args: Sequence[str]):
        """Run `dbt <args>`; returns dbt's dbtRunnerResult (never raises on a failed run)."""
        from dbt.cli.main import dbtRunner

        with _one_run_per_target(dict(os.environ)):
            fingerprint = _project_fingerprint()
            if self._manifest is None or fingerprint != self._fingerprint:
                parsed = dbtRunner().invoke(["parse", *PROJECT_ARGS])
                if not parsed.success:
                    return parsed
                self._manifest, self._fingerprint = parsed.result, fingerprint
            result = dbtRunner(manifest=self._manifest).invoke([*args, *PROJECT_ARGS])
        if not result.success:
            self._manifest = None
        return result
