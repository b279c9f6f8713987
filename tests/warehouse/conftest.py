"""Private warehouse servers for the HTTP-interface tests: the real `python -m warehouse.server`
process on free ports over a temporary data directory."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.warehouse import WarehouseProcess


@pytest.fixture(scope="session")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    """The shared server of this test session, migrated (raw, staging, intermediate, marts)."""
    server = WarehouseProcess(tmp_path_factory.mktemp("wh") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wh_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    """A server with tight limits: 2 concurrent queries, 64 KiB bodies, 3 s per query."""
    server = WarehouseProcess(
        tmp_path_factory.mktemp("wh_limits") / "data",
        LIANXI_WAREHOUSE_MAX_CONCURRENT_QUERIES="2",
        LIANXI_WAREHOUSE_MAX_REQUEST_BYTES=str(64 * 1024),
        LIANXI_WAREHOUSE_MAX_EXECUTION_TIME="3",
        LIANXI_WAREHOUSE_NATIVE_ENABLED="false",
    ).start()
    yield server
    server.stop()


@pytest.fixture
def private_wh(tmp_path: Path) -> Iterator[Callable[..., WarehouseProcess]]:
    """Factory for a server of the test's own (kill -9, restarts); all are stopped afterwards."""
    started: list[WarehouseProcess] = []

    def make(data_dir: Path | None = None, **env: str) -> WarehouseProcess:
        server = WarehouseProcess(data_dir or tmp_path / "data", **env)
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()


@pytest.fixture
def db(wh: WarehouseProcess, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database unique to the test, dropped afterwards."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60].lower()
    wh.post(f"DROP DATABASE IF EXISTS {name}").raise_for_status()
    wh.post(f"CREATE DATABASE {name}").raise_for_status()
    yield name
    wh.post(f"DROP DATABASE IF EXISTS {name}")
