"""A private warehouse server (support.warehouse.PrivateWarehouse, migrated) and real dbt runs
against it as the transformer user; used by tests/dbt and tests/perf/bench_dbt.py.

Private rather than the stack's server: dbt builds into the fixed databases staging,
intermediate and marts, which on the stack belong to the running demo.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from support.warehouse import ADMIN, PrivateWarehouse

from dbt_project.config import DbtSettings
from dbt_project.runner import run_dbt

REPO = Path(__file__).resolve().parents[2]


class DbtWarehouse(PrivateWarehouse):
    """One migrated warehouse server on free ports, plus dbt pointed at it."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir / "data")
        self.workdir = workdir

    def client(self, user: str = ADMIN[0], **kwargs: Any) -> Any:
        # Full builds answer after minutes, not the client's default 5.
        return super().client(user, send_receive_timeout=600, **kwargs)

    def writer(self) -> Any:
        return self.client("lianxi_writer")

    def settings(self, as_of: str = "") -> DbtSettings:
        return DbtSettings(
            env="development",
            warehouse_host="127.0.0.1",
            warehouse_http_port=self.http_port,
            warehouse_native_port=self.native_port,
            warehouse_transformer_user="lianxi_transformer",
            warehouse_transformer_password="dev-transformer",
            dbt_as_of=as_of,
        )

    def dbt_env(self) -> dict[str, str]:
        # Each module gets its own target/ and logs/ so parallel runs never share manifests.
        return {
            "DBT_TARGET_PATH": str(self.workdir / "target"),
            "DBT_LOG_PATH": str(self.workdir / "logs"),
        }

    def dbt(self, *args: str, as_of: str = "") -> subprocess.CompletedProcess[str]:
        return run_dbt(list(args), self.settings(as_of), extra_env=self.dbt_env(), capture=True)


def failure_summary(result: subprocess.CompletedProcess[str]) -> str:
    lines = [
        line
        for line in result.stdout.splitlines()
        if "ERROR" in line or "FAIL" in line or "Error" in line
    ]
    return "\n".join(lines[-40:]) or result.stdout[-4000:]
