"""Fixtures of the ingest tests: settings with topics of the test's own, the API served by
uvicorn on a free port against a real broker (support/ingest_api.py), private Kafka and warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.ingest_api import RunningApi, make_settings
from support.ports import free_port_pair
from support.warehouse import PrivateWarehouse

from ingest.config import IngestSettings
from ingest.topics import create_topics, delete_topics


@pytest.fixture(scope="session")
def private_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap of a broker of the session's own (free ports), for tests that must not use
    the stack's broker; a module opts in by overriding `kafka_bootstrap` with it."""
    from infra.kafka import PrivateBroker

    broker = PrivateBroker(tmp_path_factory.mktemp("private_kafka"), free_port_pair())
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.kill()


@pytest.fixture
def ingest_settings(tmp_path: Path, kafka_bootstrap: str) -> Iterator[IngestSettings]:
    """Settings whose topics exist only for this test (created, then deleted)."""
    settings = make_settings(tmp_path, kafka_bootstrap)
    create_topics(settings)
    try:
        yield settings
    finally:
        delete_topics(settings)


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
def warehouse_api(
    ingest_settings: IngestSettings,
    start_api: Callable[[IngestSettings], RunningApi],
    open311_warehouse: PrivateWarehouse,
) -> Callable[..., RunningApi]:
    """Starts the API reading the private warehouse, with the test's setting overrides."""

    def start(**overrides: Any) -> RunningApi:
        settings = ingest_settings.model_copy(
            update={
                "warehouse_host": open311_warehouse.host,
                "warehouse_http_port": open311_warehouse.http_port,
                **overrides,
            }
        )
        return start_api(settings)

    return start


@pytest.fixture
def api(
    ingest_settings: IngestSettings, start_api: Callable[[IngestSettings], RunningApi]
) -> RunningApi:
    return start_api(ingest_settings)


@pytest.fixture(scope="session")
def open311_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWarehouse]:
    # Always a private server: the stack's warehouse belongs to whoever runs the stack (its
    # users and grants may be mid-change), and these tests create and drop databases.
    with PrivateWarehouse(tmp_path_factory.mktemp("open311_wh") / "data") as warehouse:
        yield warehouse
