"""Fixtures of the data-quality tests: a private migrated warehouse (with dbt pointed at it),
topics of the test's own on the stack's broker, the real stream worker (`lianxi stream`) and
the ingest API on a free port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from support.ingest_api import RunningApi
from support.ports import free_port

from ingest.config import IngestSettings
from tests.dbt.private_warehouse import DbtWarehouse
from tests.streams.harness import (
    Topics,
    Worker,
    create_topics,
    delete_topics,
    worker_env,
)


@pytest.fixture(scope="module")
def warehouse_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DbtWarehouse]:
    """A migrated warehouse of the module's own: the worker loads it, dbt builds in it."""
    server = DbtWarehouse(tmp_path_factory.mktemp("quality_wh")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def topics(kafka_bootstrap: str) -> Iterator[Topics]:
    """Every lianxi topic (the domains, quality included, and the dead letters) under a prefix
    no other module uses, on the shared broker."""
    prefix = f"q{uuid.uuid4().hex[:10]}."
    names = create_topics(kafka_bootstrap, prefix)
    yield Topics(kafka_bootstrap, prefix, names)
    delete_topics(kafka_bootstrap, names)


@pytest.fixture(scope="module")
def worker(
    tmp_path_factory: pytest.TempPathFactory,
    topics: Topics,
    warehouse_server: DbtWarehouse,
) -> Iterator[Worker]:
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    w = Worker(
        worker_env(topics.bootstrap, topics.prefix, warehouse_server, free_port()), log
    ).start()
    w.wait_ready()
    yield w
    w.kill()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, topics: Topics) -> Iterator[RunningApi]:
    settings = IngestSettings(
        var_dir=tmp_path_factory.mktemp("api") / "var",
        kafka_bootstrap=topics.bootstrap,
        kafka_topic_prefix=topics.prefix,
    )
    running = RunningApi(settings, free_port()).start()
    yield running
    running.stop()
