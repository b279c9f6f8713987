"""`lianxi alerts run` (the supervised service), `lianxi alerts check --once` (one pass,
prints what it did); registered by infra/cli.py."""

from __future__ import annotations

import json
import logging
import signal
import sys
from typing import Annotated, NoReturn

import typer

alerts_app = typer.Typer(
    help="Overdue-ticket and missed-meeting alerts (预警).", no_args_is_help=True
)


def _fail(code: str, message: str, exit_code: int = 2) -> NoReturn:
    sys.stderr.write(json.dumps({"error": code, "message": message}, ensure_ascii=False) + "\n")
    raise typer.Exit(exit_code)


def _service():
    from alerts.config import get_settings
    from alerts.routing import RoutingError
    from alerts.service import AlertService

    try:
        return AlertService(get_settings())
    except ValueError as exc:  # placeholder secrets, unreadable recipients file
        code = "invalid_recipients" if isinstance(exc, RoutingError) else "invalid_settings"
        _fail(code, str(exc))


@alerts_app.command("run")
def run(
    loglevel: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Run the alerts service: detect every few seconds, route, deliver, publish events."""
    logging.basicConfig(
        level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    service = _service()
    signal.signal(signal.SIGTERM, lambda *_: service.stop())
    signal.signal(signal.SIGINT, lambda *_: service.stop())
    service.run()


@alerts_app.command("check")
def check(
    once: Annotated[bool, typer.Option("--once", help="one detection and delivery pass")] = True,
) -> None:
    """One pass (detect, escalate, deliver, publish), then print the ledger's counts as JSON."""
    service = _service()
    try:
        service.tick()
        service.drain()
        sys.stdout.write(
            json.dumps(
                {
                    **service.status(),
                    "raised": service.stats.raised,
                    "delivered": service.stats.delivered,
                },
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )
    except Exception as exc:  # noqa: BLE001 - one JSON line, not a traceback
        from alerts.service import explain

        _fail("pass_failed", explain(exc), exit_code=1)
    finally:
        service.publisher.close()
        service.ledger.close()


@alerts_app.command("demo")
def demo(
    lead: Annotated[float, typer.Option(help="seconds until the deadline passes")] = 30.0,
) -> None:
    """Publish three demo tickets whose response deadline passes in `lead` seconds (make demo)."""
    from datetime import UTC, datetime

    from alerts.demo import demo_tickets
    from ingest.config import IngestSettings
    from ingest.producer import Producer

    events = demo_tickets(datetime.now(UTC), lead=lead)
    producer = Producer(IngestSettings(), client_id="lianxi-alerts-demo")
    try:
        producer.publish(events, timeout=30)
    except Exception as exc:  # noqa: BLE001 - one JSON line saying what to do
        _fail("publish_failed", f"{exc}; is the stack up (make up)?", exit_code=1)
    finally:
        producer.close(timeout=10)
    sys.stdout.write(
        f"已送出 {len(events)} 张演示工单（公共安全，响应时限约 {lead:.0f} 秒后到期）："
        "社区书记的预警邮件稍后出现在本地邮箱（make demo 末尾列出的 Mailbox 地址）\n"
    )


def _detail() -> dict:
    import urllib.error
    import urllib.request

    from alerts.config import AlertsSettings

    port = AlertsSettings().alerts_health_port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:  # 503: unhealthy, and the body says why
        return dict(json.loads(exc.read()))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    from core.status_details import provide

    provide("alerts", _detail)
    app.add_typer(alerts_app, name="alerts")
