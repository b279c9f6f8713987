"""A private warehouse server for tests: the real `python -m warehouse.server` process on free
ports over a temporary data directory. Shared by every test folder that needs its own server."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import httpx

REPO = Path(__file__).resolve().parents[2]
ADMIN = ("lianxi_admin", "dev-admin")
PASSWORDS = {
    "lianxi_admin": "dev-admin",
    "lianxi_writer": "dev-writer",
    "lianxi_transformer": "dev-transformer",
    "lianxi_reader": "dev-reader",
    "lianxi_analyst": "dev-analyst",
}


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WarehouseProcess:
    """One `python -m warehouse.server` subprocess; start / stop (SIGTERM) / kill (-9)."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.http_port = free_tcp_port()
        self.native_port = free_tcp_port()
        self.env = {
            **os.environ,
            "LIANXI_ENV": "development",
            "LIANXI_WAREHOUSE_HOST": "127.0.0.1",
            "LIANXI_WAREHOUSE_DATA_DIR": str(data_dir),
            "LIANXI_WAREHOUSE_HTTP_PORT": str(self.http_port),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(self.native_port),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, *, migrate: bool = True, cli: bool = False) -> "WarehouseProcess":
        """`python -m warehouse.server`, or with cli=True the console script `lianxi warehouse serve`."""
        command = [str(REPO / ".venv" / "bin" / "lianxi"), "warehouse", "serve"] if cli else [sys.executable, "-m", "warehouse.server"]
        args = command + (["--migrate"] if migrate else [])
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"warehouse server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).text == "Ok.\n":
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("warehouse server did not answer /ping")

    def stop(self) -> int | None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no shutdown code runs
            self.process.wait()

    def client(self, user: str = "lianxi_admin", **kwargs: object) -> clickhouse_connect.driver.Client:
        return clickhouse_connect.get_client(
            host="127.0.0.1", port=self.http_port, username=user, password=PASSWORDS[user], **kwargs
        )

    def post(self, sql: str | bytes, *, auth: tuple[str, str] | None = ADMIN, **kwargs: object) -> httpx.Response:
        content = sql.encode() if isinstance(sql, str) else sql
        return httpx.post(f"{self.url}/", content=content, auth=auth, timeout=120, **kwargs)  # type: ignore[arg-type]


