"""Shared fixtures: the running stack's endpoints (from the same LIANXI_ settings the stack
uses), free ports, and a private Kafka broker and warehouse for tests that break one on purpose
(the helpers behind them are in support/)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.ports import free_port as free_port_helper
from support.ports import free_port_pair as free_port_pair_helper
from support.warehouse import PrivateWarehouse, http_client

from infra.config import InfraSettings
from infra.kafka import PrivateBroker


@pytest.fixture(scope="session")
def stack_settings() -> InfraSettings:
    return InfraSettings()


@dataclass(frozen=True)
class WarehouseEndpoint:
    host: str
    http_port: int
    native_port: int
    admin_user: str
    admin_password: str

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def client(self) -> Any:
        """A clickhouse-connect client over HTTP, as the admin."""
        return http_client(self.host, self.http_port, self.admin_user, self.admin_password)


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_settings: InfraSettings) -> str:
    """The stack's broker (`make test` brings it up first)."""
    return stack_settings.kafka_bootstrap


@pytest.fixture(scope="session")
def warehouse(stack_settings: InfraSettings) -> WarehouseEndpoint:
    """The stack's warehouse: host, HTTP and native ports, the migrations (admin) account."""
    return WarehouseEndpoint(
        host=stack_settings.warehouse_host,
        http_port=stack_settings.warehouse_http_port,
        native_port=stack_settings.warehouse_native_port,
        admin_user=stack_settings.warehouse_admin_user,
        admin_password=stack_settings.warehouse_admin_password,
    )


@pytest.fixture(scope="session")
def superset_url(stack_settings: InfraSettings) -> str:
    return f"http://127.0.0.1:{stack_settings.superset_port}"


@pytest.fixture(scope="session")
def superset_admin(stack_settings: InfraSettings) -> tuple[str, str]:
    return stack_settings.superset_admin_user, stack_settings.superset_admin_password


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Call it for each port you need: a port nothing listens on right now."""
    return free_port_helper


@pytest.fixture
def free_port_pair() -> Callable[[], int]:
    """Call it for a port p with p + 1 free as well (a broker and its KRaft controller)."""
    return free_port_pair_helper


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A started Kafka broker of the test's own (tmp dir, free ports); stopped afterwards.

    Use .stop() / .kill() / .start() on it to restart or crash it.
    """
    broker = PrivateBroker(tmp_path / "kafka", free_port_pair_helper())
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture
def private_wh(tmp_path: Path) -> Iterator[Callable[..., PrivateWarehouse]]:
    """Factory for warehouse servers of the test's own (tmp dir, free ports; LIANXI_WAREHOUSE_…
    settings as keywords), not started: call .start() / .stop() / .kill() on them to restart or
    crash them. All are killed afterwards."""
    started: list[PrivateWarehouse] = []

    def make(data_dir: Path | None = None, **env: str) -> PrivateWarehouse:
        server = PrivateWarehouse(data_dir or tmp_path / "data", **env)
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()


# Markers (registered in pyproject.toml), given by the fixtures a test uses so no test needs a
# decorator: `stack` reaches the running local stack, `slow` starts private servers of its own
# (broker, warehouse, Superset, a whole stack), `unit` does neither (`make test-unit`).
# A module whose tests start servers without these fixtures says so with `pytestmark`.
STACK_FIXTURES = frozenset({"kafka_bootstrap", "warehouse", "superset_url", "superset_admin"})
PRIVATE_SERVER_FIXTURES = frozenset(
    {
        "private_broker",
        "private_kafka",
        "private_wh",
        "private_stack",
        "wh",
        "wh_limits",
        "target",
        "warehouse_server",
        "dbt_warehouse",
        "open311_warehouse",
        "private_warehouse",
        "private_superset",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if "private_kafka" in used:
            used.discard("kafka_bootstrap")  # the module points kafka_bootstrap at its own broker
        if used & PRIVATE_SERVER_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if used & STACK_FIXTURES:
            item.add_marker(pytest.mark.stack)
        if item.get_closest_marker("slow") is None and item.get_closest_marker("stack") is None:
            item.add_marker(pytest.mark.unit)
