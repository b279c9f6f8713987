"""A private warehouse server for tests and benchmarks: the real `python -m warehouse.server`
(or the console script `lianxi warehouse serve`) on ports of its own over a data directory of
its own. Shaped like infra.kafka.PrivateBroker: start / stop (SIGTERM) / kill (-9), or `with`.

Every test folder that needs a warehouse it may write to, restart or kill uses this one; the
fixtures that hold one (session, module or test scoped) live in the folders' conftest.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Self

import clickhouse_connect
import httpx

from core.settings import ROLES, PlatformSettings
from support.ports import free_port, port_taken
from support.process import LIANXI, REPO, stop_process
from support.wait import wait_for_http

# The development accounts, user -> password: core/settings.py's defaults (model_construct
# reads no environment), one per role.
_DEFAULTS = PlatformSettings.model_construct()
PASSWORDS = {_DEFAULTS.role_user(role): _DEFAULTS.role_password(role) for role in ROLES}
ADMIN = ("lianxi_admin", PASSWORDS["lianxi_admin"])

# A native client waiting for a server that is restarting logs a traceback per attempt otherwise.
logging.getLogger("clickhouse_driver").setLevel(logging.CRITICAL)


def http_client(host: str, port: int, user: str, password: str, **kwargs: Any) -> Any:
    """A clickhouse-connect client over the warehouse's HTTP interface."""
    return clickhouse_connect.get_client(
        host=host, port=port, username=user, password=password, **kwargs
    )


class PrivateWarehouse:
    """One warehouse server process over data_dir; free ports unless given (the dashboards'
    stack uses fixed ones). `env` adds LIANXI_WAREHOUSE_… settings of the test's own."""

    def __init__(
        self,
        data_dir: Path,
        http_port: int | None = None,
        native_port: int | None = None,
        **env: str,
    ):
        self.data_dir = data_dir
        self.http_port = http_port or free_port()
        self.native_port = native_port or free_port()
        self.host = "127.0.0.1"
        self.settings_env = {
            "LIANXI_ENV": "development",
            "LIANXI_WAREHOUSE_HOST": self.host,
            "LIANXI_WAREHOUSE_DATA_DIR": str(data_dir),
            "LIANXI_WAREHOUSE_HTTP_PORT": str(self.http_port),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(self.native_port),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @property
    def env(self) -> dict[str, str]:
        """This process's environment with the server's settings: for the server, its CLI and
        any client process (dbt, the worker) that must reach it."""
        return {**os.environ, **self.settings_env}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def start(self, *, migrate: bool = True, cli: bool = False, timeout: float = 180.0) -> Self:
        """Start the server and return once it answers /ping. migrate: apply the migrations on
        start (`--migrate`); cli: run the console script `lianxi warehouse serve` instead.
        A server that is already running is left as it is (as PrivateBroker.start)."""
        if self.process is not None and self.process.poll() is None:
            return self
        for port in (self.http_port, self.native_port):
            if port_taken(port):
                raise RuntimeError(f"port {port} is taken: stop whatever holds it first")
        command = (
            [LIANXI, "warehouse", "serve"] if cli else [sys.executable, "-m", "warehouse.server"]
        )
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command + (["--migrate"] if migrate else []),
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_http(f"{self.url}/ping", self.process, self.log, timeout)
        return self

    def migrate(self) -> None:
        """`lianxi warehouse migrate` against this server, as an operator runs it."""
        subprocess.run(
            [LIANXI, "warehouse", "migrate"],
            env=self.env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM, as the supervisor stops it; the exit code (None if it never ran)."""
        return stop_process(self.process, timeout) if self.process else None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown code runs."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, user: str = ADMIN[0], **kwargs: Any) -> Any:
        """An HTTP client (clickhouse-connect) as one of the development users."""
        return http_client(self.host, self.http_port, user, PASSWORDS[user], **kwargs)

    def native(self, user: str = ADMIN[0]) -> Any:
        """A native-protocol client (clickhouse-driver) as one of the development users."""
        from clickhouse_driver import Client

        return Client(
            self.host,
            port=self.native_port,
            user=user,
            password=PASSWORDS[user],
            connect_timeout=3,
            send_receive_timeout=120,
        )

    def post(
        self, sql: str | bytes, *, auth: tuple[str, str] | None = ADMIN, **kwargs: Any
    ) -> httpx.Response:
        content = sql.encode() if isinstance(sql, str) else sql
        return httpx.post(f"{self.url}/", content=content, auth=auth, timeout=120, **kwargs)
