"""Fixtures of the infra tests: a private stack (own var dir, own ports) driven by the CLI."""

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from infra_private_stack import PrivateStack

from infra import mailbox
from infra.config import InfraSettings


@pytest.fixture
def other_ports_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """The shared LIANXI_ variables moved off the standard ones (a var dir in tmp_path, other
    broker and warehouse ports), for settings read from the environment; nothing listens."""
    for name, value in {
        "LIANXI_VAR_DIR": str(tmp_path),
        "LIANXI_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
        "LIANXI_WAREHOUSE_HTTP_PORT": "18123",
        "LIANXI_WAREHOUSE_NATIVE_PORT": "19000",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@pytest.fixture
def private_stack(
    stack_settings: InfraSettings,
    free_port: Callable[[], int],
    free_port_pair: Callable[[], int],
) -> Iterator[PrivateStack]:
    """Env for a stack of the test's own; `lianxi down` runs on it afterwards whatever happens."""
    # A short path: supervisord's unix socket path must stay under 108 bytes.
    var_dir = Path(tempfile.mkdtemp(prefix="lianxi-stack-"))
    kafka = free_port_pair()
    ports = {
        "kafka": kafka,
        "kafka_controller": kafka + 1,
        "warehouse_http": free_port(),
        "warehouse_native": free_port(),
        "api": free_port(),
        "superset": free_port(),
        "mailbox_smtp": free_port(),
        "mailbox_http": free_port(),
        "alerts": free_port(),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXI_")}
    env.update(
        {
            "LIANXI_ENV": "development",
            "LIANXI_VAR_DIR": str(var_dir),
            "LIANXI_KAFKA_LIBS_DIR": str(stack_settings.kafka_libs_dir),
            "LIANXI_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka}",
            "LIANXI_KAFKA_HEAP": "256m",
            "LIANXI_WAREHOUSE_HTTP_PORT": str(ports["warehouse_http"]),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(ports["warehouse_native"]),
            "LIANXI_API_PORT": str(ports["api"]),
            "LIANXI_SUPERSET_PORT": str(ports["superset"]),
            "LIANXI_STREAMS_METRICS_PORT": str(free_port()),
            # Ports of its own for every service, so the stack `make test` runs stays untouched;
            # the Mailpit the machine's stack built is reused (building it takes minutes).
            "LIANXI_MAILPIT_SMTP_PORT": str(ports["mailbox_smtp"]),
            "LIANXI_MAILPIT_HTTP_PORT": str(ports["mailbox_http"]),
            "LIANXI_ALERTS_HEALTH_PORT": str(ports["alerts"]),
            "LIANXI_MAILPIT_BINARY": str(mailbox.binary(stack_settings)),
        }
    )
    stack = PrivateStack(var_dir=var_dir, env=env, ports=ports)
    try:
        yield stack
    finally:
        stack.lianxi("down")
        shutil.rmtree(var_dir, ignore_errors=True)
