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
