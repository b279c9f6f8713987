"""The services of the local stack, in start order, built from the settings.

A stage's service joins the stack only once the stage's code exists, so the stack never
pretends to run something nobody has built yet.
"""

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from infra import mailbox
from infra.config import InfraSettings
from infra.health import http_ok, kafka_answers
from infra.superset.bootstrap import bootstrapped


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    # Ports the service binds: checked free before it starts, checked released after `down`.
    ports: tuple[int, ...] = ()
    # The variable that moves each port, named in the message when a port is taken.
    port_variables: tuple[str, ...] = ()
    url: str = ""
    health: Callable[[], bool] | None = None
    # How long supervisor waits before calling a start successful (no health probe case).
    startsecs: int = 3
    # Controlled shutdowns that flush data (Kafka, the warehouse) need time.
    stopwaitsecs: int = 30
    start_timeout: float = 120.0
    note: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    # A `lianxi` command run (to completion) before each start, e.g. creating what it reads.
    prestart: tuple[str, ...] = ()


def lianxi_executable() -> str:
    """The venv's `lianxi` console script, so services run with the stack's interpreter."""
    beside = Path(sys.executable).parent / "lianxi"
    if beside.exists():
        return str(beside)
    found = shutil.which("lianxi")
    if found is None:
        from infra.errors import StackError

        raise StackError("the `lianxi` command is not installed", fix="run `make setup`")
    return found


def command_registered(words: list[str]) -> bool:
    import typer

    from infra.cli import app

    current: typer.Typer = app
    for index, word in enumerate(words):
        for group in current.registered_groups:
            if group.name == word and group.typer_instance is not None:
                current = group.typer_instance
                break
        else:
            return index == len(words) - 1 and any(
                _command_name(info) == word for info in current.registered_commands
            )
    return False


def _command_name(info: Any) -> str:
    if info.name:
        return str(info.name)
    return str(info.callback.__name__).replace("_", "-") if info.callback else ""


def http_service(
    name: str,
    command: list[str],
    ports: dict[str, int],
    health_path: str,
    *,
    host: str = "127.0.0.1",
    url_path: str = "",
    **options: Any,
) -> Service:
    """A service that answers HTTP on the first of its ports (variable -> port), healthy when
    `health_path` answers there."""
    base = f"http://{host}:{next(iter(ports.values()))}"
    return Service(
        name=name,
        command=command,
        ports=tuple(ports.values()),
        port_variables=tuple(ports),
        url=base + url_path,
        health=partial(http_ok, base + health_path),
        **options,
    )


def all_services(settings: InfraSettings) -> list[Service]:
    lianxi = lianxi_executable()
    return [
        Service(
            name="kafka",
            command=[lianxi, "kafka", "serve"],
            ports=(settings.kafka_port, settings.kafka_controller),
            port_variables=("LIANXI_KAFKA_BOOTSTRAP", "LIANXI_KAFKA_CONTROLLER_PORT"),
            url=f"kafka://{settings.kafka_bootstrap}",
            health=partial(kafka_answers, settings.kafka_host, settings.kafka_port),
            stopwaitsecs=60,
        ),
        http_service(
            "warehouse",
            # The local stack is always at the latest schema: migrate, then listen.
            [lianxi, "warehouse", "serve", "--migrate"],
            {
                "LIANXI_WAREHOUSE_HTTP_PORT": settings.warehouse_http_port,
                "LIANXI_WAREHOUSE_NATIVE_PORT": settings.warehouse_native_port,
            },
            "/ping",
            host=settings.warehouse_host,
            stopwaitsecs=60,
        ),
        http_service(
            "superset",
            [lianxi, "superset", "serve"],
            {"LIANXI_SUPERSET_PORT": settings.superset_port},
            "/health",
            start_timeout=settings.stack_start_timeout,
            note=""
            if bootstrapped(settings)
            else "the first start creates Superset's metadata database: a few minutes",
        ),
        http_service(
            "api", [lianxi, "api", "serve"], {"LIANXI_API_PORT": settings.api_port}, "/healthz"
        ),
        Service(
            name="worker",
            command=[lianxi, "stream"],
            startsecs=5,
            # The worker subscribes at start: topics created later would go unread.
            prestart=("topics", "create") if command_registered(["topics", "create"]) else (),
        ),
        Service(name="dbt-refresh", command=[lianxi, "dbt", "refresh", "--loop"], startsecs=5),
        http_service(
            "mailbox",
            [lianxi, "mailbox", "serve"],
            {
                "LIANXI_MAILPIT_HTTP_PORT": settings.mailpit_http_port,
                "LIANXI_MAILPIT_SMTP_PORT": settings.mailpit_smtp_port,
            },
            "/livez",
            note=""
            if mailbox.binary(settings).exists()
            else "Mailpit not built yet: `make setup` builds it",
        ),
        http_service(
            "alerts",
            [lianxi, "alerts", "run"],
            {"LIANXI_ALERTS_HEALTH_PORT": settings.alerts_health_port},
            # /livez: the loop runs (a pass may still fail until the demo's marts exist; its
            # error shows in `lianxi status`)
            "/livez",
            url_path="/health",
            startsecs=5,
        ),
        # After each quarter closes (and dbt has built past it): the briefing packs archived
        # under var/reports/<quarter>/ and mailed; checks every LIANXI_REPORTS_ARCHIVE_INTERVAL
        # seconds.
        Service(
            name="reports", command=[lianxi, "report", "archive", "--due", "--loop"], startsecs=5
        ),
    ]


def select(services: list[Service], names: list[str]) -> list[Service]:
    """The named services in stack order; unknown names are an error listing the known ones."""
    if not names:
        return services
    known = {service.name for service in services}
    unknown = [name for name in names if name not in known]
    if unknown:
        from infra.errors import StackError

        raise StackError(
            f"unknown service(s): {', '.join(unknown)}",
            fix=f"choose among: {', '.join(s.name for s in services)}",
        )
    return [service for service in services if service.name in names]
