"""Fixtures of the ingest tests: settings with topics of the test's own, a token store, and the
API served by uvicorn on a free port against a real broker."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ingest.config import IngestSettings
from ingest.tokens import TokenStore
from ingest.topics import create_topics, delete_topics


@pytest.fixture(scope="session")
def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap of a broker of the session's own (free ports), for tests that must not use
    the stack's broker; a module opts in by overriding `kafka_bootstrap` with it."""
    import socket

    from infra.kafka import PrivateBroker

    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 1))  # the KRaft controller's port
        except OSError:
            continue
        break
    broker = PrivateBroker(tmp_path_factory.mktemp("private_kafka"), port)
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.kill()


def make_settings(tmp_path: Path, bootstrap: str, **overrides: Any) -> IngestSettings:
    return IngestSettings(
        var_dir=tmp_path / "var",
        kafka_bootstrap=bootstrap,
        kafka_topic_prefix=f"test.ingest.{uuid.uuid4().hex[:10]}.",
        kafka_partitions=2,
        **overrides,
    )


@pytest.fixture
def ingest_settings(tmp_path: Path, kafka_bootstrap: str) -> Iterator[IngestSettings]:
    """Settings whose topics exist only for this test (created, then deleted)."""
    settings = make_settings(tmp_path, kafka_bootstrap)
    create_topics(settings)
    try:
        yield settings
    finally:
        delete_topics(settings)


class RunningApi:
    def __init__(self, settings: IngestSettings, port: int) -> None:
        from ingest.api.app import create_app

        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> RunningApi:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)

    def token(self, source: str, types: list[str]) -> str:
        store = TokenStore(self.settings.tokens_path)
        try:
            return store.create(source, types)[0]
        finally:
            store.close()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


@pytest.fixture
def start_api(free_port: Callable[[], int]) -> Iterator[Callable[[IngestSettings], RunningApi]]:
    started: list[RunningApi] = []

    def start(settings: IngestSettings) -> RunningApi:
        api = RunningApi(settings, free_port()).start()
        started.append(api)
        return api

    yield start
    for api in started:
        api.stop()


@pytest.fixture
def api(ingest_settings: IngestSettings, start_api: Callable[[IngestSettings], RunningApi]) -> RunningApi:
    return start_api(ingest_settings)


class Warehouse:
    """A private `python -m warehouse.server --migrate` on free ports (stopped at the end of the
    session), reachable over HTTP."""

    def __init__(self, host: str, http_port: int, admin: tuple[str, str], process: Any = None) -> None:
        self.host, self.http_port, self.admin, self.process = host, http_port, admin, process

    def client(self) -> Any:
        import clickhouse_connect

        return clickhouse_connect.get_client(
            host=self.host, port=self.http_port, username=self.admin[0], password=self.admin[1]
        )


def _pings(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def open311_warehouse(tmp_path_factory: pytest.TempPathFactory, warehouse: Any) -> Iterator[Warehouse]:
    import os
    import socket
    import subprocess
    import sys

    # Always a private server: the stack's warehouse belongs to whoever runs the stack (its
    # users and grants may be mid-change), and these tests create and drop databases.
    admin = (warehouse.admin_user, warehouse.admin_password)
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    data = tmp_path_factory.mktemp("open311_wh")
    env = {
        **os.environ,
        "LIANXI_ENV": "development",
        "LIANXI_WAREHOUSE_HOST": "127.0.0.1",
        "LIANXI_WAREHOUSE_DATA_DIR": str(data / "data"),
        "LIANXI_WAREHOUSE_HTTP_PORT": str(ports[0]),
        "LIANXI_WAREHOUSE_NATIVE_PORT": str(ports[1]),
    }
    repo = Path(__file__).resolve().parents[2]
    with (data / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.server", "--migrate"], cwd=repo, env=env, stdout=log, stderr=log
        )
    try:
        give_up = time.monotonic() + 300
        while not _pings(f"http://127.0.0.1:{ports[0]}"):
            assert process.poll() is None and time.monotonic() < give_up, (data / "server.log").read_text()[-3000:]
            time.sleep(0.2)
        yield Warehouse("127.0.0.1", ports[0], admin, process)
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
