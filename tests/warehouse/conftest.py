"""Private warehouse servers for the HTTP-interface tests (support.warehouse.PrivateWarehouse),
shared by the session; a server of a test's own comes from the `private_wh` factory
(tests/conftest.py)."""

from collections.abc import Iterator

import pytest
from support.warehouse import PrivateWarehouse


@pytest.fixture(scope="session")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWarehouse]:
    """The shared server of this test session, migrated (raw, staging, intermediate, marts)."""
    server = PrivateWarehouse(tmp_path_factory.mktemp("wh") / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wh_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWarehouse]:
    """A server with tight limits: 2 concurrent queries, 64 KiB bodies, 3 s per query."""
    server = PrivateWarehouse(
        tmp_path_factory.mktemp("wh_limits") / "data",
        LIANXI_WAREHOUSE_MAX_CONCURRENT_QUERIES="2",
        LIANXI_WAREHOUSE_MAX_REQUEST_BYTES=str(64 * 1024),
        LIANXI_WAREHOUSE_MAX_EXECUTION_TIME="3",
        LIANXI_WAREHOUSE_NATIVE_ENABLED="false",
    ).start()
    yield server
    server.stop()


@pytest.fixture
def db(wh: PrivateWarehouse, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database unique to the test, dropped afterwards."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60].lower()
    wh.post(f"DROP DATABASE IF EXISTS {name}").raise_for_status()
    wh.post(f"CREATE DATABASE {name}").raise_for_status()
    yield name
    wh.post(f"DROP DATABASE IF EXISTS {name}")
