"""A private warehouse server (the real `python -m warehouse.server`, migrated) and real dbt
runs against it as the transformer user; used by tests/dbt and tests/perf/bench_dbt.py.

Private rather than the stack's server: dbt builds into the fixed databases staging,
intermediate and marts, which on the stack belong to the running demo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import httpx

from dbt_project.config import DbtSettings
from dbt_project.runner import run_dbt

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DbtWarehouse:
    """One migrated warehouse server on free ports, plus dbt pointed at it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.http_port = _free_port()
        self.native_port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> DbtWarehouse:
        env = {
            **os.environ,
            "LIANXI_ENV": "development",
            "LIANXI_WAREHOUSE_HOST": "127.0.0.1",
            "LIANXI_WAREHOUSE_DATA_DIR": str(self.workdir / "data"),
            "LIANXI_WAREHOUSE_HTTP_PORT": str(self.http_port),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(self.native_port),
        }
        with (self.workdir / "warehouse.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "warehouse.server", "--migrate"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "warehouse.log").read_text()[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{self.http_port}/ping", timeout=1).text == "Ok.\n":
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("warehouse server did not answer /ping")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self, user: str = "lianxi_admin", password: str = "dev-admin"):
        return clickhouse_connect.get_client(
            host="127.0.0.1", port=self.http_port, username=user, password=password,
            send_receive_timeout=600,
        )

    def writer(self):
        return self.client("lianxi_writer", "dev-writer")

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
        return {"DBT_TARGET_PATH": str(self.workdir / "target"), "DBT_LOG_PATH": str(self.workdir / "logs")}

    def dbt(self, *args: str, as_of: str = "") -> subprocess.CompletedProcess[str]:
        return run_dbt(list(args), self.settings(as_of), extra_env=self.dbt_env(), capture=True)


def failure_summary(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stdout.splitlines() if "ERROR" in line or "FAIL" in line or "Error" in line]
    return "\n".join(lines[-40:]) or result.stdout[-4000:]
