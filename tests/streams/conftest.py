"""Fixtures of the streams tests (the real services behind them are in harness.py and
support/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.ports import free_port
from support.warehouse import PrivateWarehouse

from tests.streams.harness import Topics, Worker, own_topics, worker_env


@pytest.fixture(scope="module")
def warehouse_server(tmp_path_factory) -> Iterator[PrivateWarehouse]:
    """`lianxi warehouse serve`, then `lianxi warehouse migrate`, as an operator starts one."""
    server = PrivateWarehouse(tmp_path_factory.mktemp("warehouse") / "data").start(
        migrate=False, cli=True
    )
    try:
        server.migrate()
        yield server
    finally:
        server.stop()


@pytest.fixture
def topics(kafka_bootstrap) -> Iterator[Topics]:
    """The lianxi topics under a prefix no other test uses, on the shared broker."""
    with own_topics(kafka_bootstrap, "t") as topics:
        yield topics


@pytest.fixture
def make_worker(tmp_path, warehouse_server) -> Iterator:
    started: list[Worker] = []

    def make(bootstrap: str, prefix: str, **extra: str) -> Worker:
        w = Worker(
            worker_env(bootstrap, prefix, warehouse_server, free_port(), **extra),
            tmp_path / f"worker{len(started)}.log",
        )
        started.append(w)
        return w

    yield make
    for w in started:
        w.kill()
