"""Fixtures of the data-quality tests: a private migrated warehouse, topics of the test's own on
the stack's broker, the real stream worker (`lianxi stream`) and the ingest API on free ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.config import IngestSettings
from tests.conftest import _free_port
from tests.ingest.conftest import RunningApi
from tests.streams.harness import (
    Topics,
    WarehouseServer,
    Worker,
    create_topics,
    delete_topics,
    worker_env,
)


@pytest.fixture(scope="module")
def warehouse_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WarehouseServer]:
    tmp = tmp_path_factory.mktemp("warehouse")
    server = WarehouseServer(
        tmp / "data", _free_port(), _free_port(), tmp / "server.log"
    )
    server.start()
    try:
        server.migrate()
        yield server
    finally:
        server.stop()


@pytest.fixture
def topics(kafka_bootstrap: str) -> Iterator[Topics]:
    """Every lianxi topic (the domains, quality included, and the dead letters) under a prefix
    no other test uses, on the shared broker."""
    prefix = f"q{uuid.uuid4().hex[:10]}."
    names = create_topics(kafka_bootstrap, prefix)
    yield Topics(kafka_bootstrap, prefix, names)
    delete_topics(kafka_bootstrap, names)


@pytest.fixture
def worker(
    tmp_path: Path, topics: Topics, warehouse_server: WarehouseServer
) -> Iterator[Worker]:
    w = Worker(
        worker_env(topics.bootstrap, topics.prefix, warehouse_server, _free_port()),
        tmp_path / "worker.log",
    ).start()
    w.wait_ready()
    yield w
    w.kill()


@pytest.fixture
def api(tmp_path: Path, topics: Topics) -> Iterator[RunningApi]:
    settings = IngestSettings(
        var_dir=tmp_path / "var",
        kafka_bootstrap=topics.bootstrap,
        kafka_topic_prefix=topics.prefix,
    )
    running = RunningApi(settings, _free_port()).start()
    yield running
    running.stop()
