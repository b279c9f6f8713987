"""The stack the alerts tests run on: a private warehouse (migrated: raw.alert_events, the
lianxi_alerts role), the test's own topics on the shared broker, a real stream worker loading
them, the ingest API (for acknowledgements) on a free port; per test an SMTP server, a
webhook receiver, a recipients file and the alerts service as a process."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml

from ingest.config import IngestSettings
from ingest.tokens import TokenStore
from tests.alerts.harness import AlertsProcess, HookReceiver, SmtpSink, free_port
from tests.streams.harness import (
    PrivateWarehouse,
    Worker,
    create_topics,
    delete_topics,
    reset_raw,
    worker_env,
)

ACK_SECRET = "test-ack-secret-0123456789"


@dataclass
class Stack:
    wh: PrivateWarehouse
    bootstrap: str
    prefix: str
    api_url: str
    api_settings: IngestSettings

    def token(self, types: list[str], areas: list[str]) -> str:
        store = TokenStore(self.api_settings.tokens_path)
        try:
            return store.create("/systems/test-secretary-app", types, areas=areas)[0]
        finally:
            store.close()

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=60)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("alerts-stack")
    wh = PrivateWarehouse(tmp / "data")
    wh.start(migrate=False)
    prefix = f"ta{uuid.uuid4().hex[:10]}."
    names = create_topics(kafka_bootstrap, prefix)
    worker = Worker(worker_env(kafka_bootstrap, prefix, wh, free_port()), tmp / "worker.log")
    server = None
    try:
        wh.migrate()
        worker.start()
        worker.wait_ready()
        settings = IngestSettings(
            var_dir=tmp / "api-var",
            kafka_bootstrap=kafka_bootstrap,
            kafka_topic_prefix=prefix,
            warehouse_http_port=wh.http_port,
            alerts_ack_secret=ACK_SECRET,
            env="development",
        )
        port = free_port()
        from ingest.api.app import create_app

        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                access_log=False,
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.05)
        yield Stack(wh, kafka_bootstrap, prefix, f"http://127.0.0.1:{port}", settings)
    finally:
        if server is not None:
            server.should_exit = True
        worker.kill()
        wh.stop()
        delete_topics(kafka_bootstrap, names)


@pytest.fixture
def clean(stack: Stack) -> Stack:
    """Every test starts from empty raw tables (what an earlier test raised is not its own)."""
    reset_raw(stack.wh)
    return stack


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    receiver = HookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def start_alerts(tmp_path: Path, clean: Stack) -> Iterator[Callable[..., AlertsProcess]]:
    """start(smtp, recipients: dict, **env) → a running `lianxi alerts run` for this test."""
    started: list[AlertsProcess] = []

    def start(smtp: SmtpSink, recipients: dict[str, Any], **env: str) -> AlertsProcess:
        path = tmp_path / "recipients.yaml"
        path.write_text(yaml.safe_dump(recipients, allow_unicode=True), encoding="utf-8")
        base = {
            "LIANXI_ENV": "development",
            "LIANXI_VAR_DIR": str(tmp_path / "var"),
            "LIANXI_KAFKA_BOOTSTRAP": clean.bootstrap,
            "LIANXI_KAFKA_TOPIC_PREFIX": clean.prefix,
            "LIANXI_WAREHOUSE_HTTP_PORT": str(clean.wh.http_port),
            "LIANXI_ALERTS_INTERVAL_SECONDS": "1",
            "LIANXI_ALERTS_SMTP_PORT": str(smtp.port),
            "LIANXI_ALERTS_RECIPIENTS_FILE": str(path),
            "LIANXI_ALERTS_HEALTH_PORT": str(free_port()),
            "LIANXI_ALERTS_ACK_SECRET": ACK_SECRET,
            "LIANXI_ALERTS_ACK_BASE_URL": clean.api_url,
            "LIANXI_ALERTS_MEETING_WARN_HOURS": "0",
            "LIANXI_ALERTS_RETRY_MAX_SECONDS": "1",
            "LIANXI_ALERTS_STREET_AFTER_SECONDS": "3600",
            "LIANXI_ALERTS_DISTRICT_AFTER_SECONDS": "3600",
        }
        process = AlertsProcess({**base, **env}, tmp_path / f"alerts{len(started)}.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
