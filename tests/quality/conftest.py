"""Fixtures of the data-quality tests: a private migrated warehouse (with dbt pointed at it),
topics of the test's own on the stack's broker, the real stream worker (`lianxi stream`) and
the ingest API on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.ingest_api import RunningApi
from support.ports import free_port

from ingest.config import IngestSettings
from tests.dbt.private_warehouse import DbtWarehouse
from tests.streams.harness import Topics, Worker, own_topics, worker_env


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
    with own_topics(kafka_bootstrap, "q") as topics:
        yield topics


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
