"""The ingest API for tests: settings with topics of the test's own, and the real app served
by uvicorn in a thread on a free port, with tokens from its own store."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ingest.config import IngestSettings
from ingest.tokens import TokenStore


def make_settings(tmp_path: Path, bootstrap: str, **overrides: Any) -> IngestSettings:
    return IngestSettings(
        var_dir=tmp_path / "var",
        kafka_bootstrap=bootstrap,
        kafka_topic_prefix=f"test.ingest.{uuid.uuid4().hex[:10]}.",
        kafka_partitions=2,
        **overrides,
    )


class RunningApi:
    def __init__(self, settings: IngestSettings, port: int) -> None:
        from ingest.api.app import create_app

        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
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

    def token(self, source: str, types: list[str], areas: list[str] | None = None) -> str:
        """A new token's secret, from the API's own store (areas: the street/community scope)."""
        store = TokenStore(self.settings.tokens_path)
        try:
            return store.create(source, types, areas=areas)[0]
        finally:
            store.close()

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)
