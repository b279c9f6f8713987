"""Real parts for the alerts tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver
that record what they get, the alerts service as a killable `lianxi alerts run` process, the
deadline rules written into the private warehouse, and ticket events sent to the test's topics."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from support.ports import free_port
from support.process import LianxiProcess
from support.warehouse import PrivateWarehouse

from tests.streams.harness import publish, wait_until

ALERTS_USER = ("lianxi_alerts", "dev-alerts")


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms(ts: datetime) -> datetime:
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


# --- SMTP -------------------------------------------------------------------------------


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    message_id: str
    alert_id: str
    received_at: float = 0.0  # time.time() when the sink accepted it


class SmtpSink:
    """aiosmtpd on a free port; every accepted message is kept. `delay` slows each DATA down
    (a slow relay) so a kill lands while messages are being sent."""

    def __init__(self, delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.mails: list[Mail] = []
        self.delay = delay
        self.in_flight = 0  # messages whose DATA is being "queued" (inside the delay) right now
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                import asyncio

                if sink.delay:
                    sink.in_flight += 1
                    try:
                        await asyncio.sleep(sink.delay)
                    finally:
                        sink.in_flight -= 1
                    transport = getattr(server, "transport", None)
                    if transport is None or transport.is_closing():
                        # the client died while we "queued": like a real relay, a message is
                        # accepted only by the 250 the client is still there to read
                        return "451 client gone"
                msg = message_from_bytes(envelope.content, policy=policy.default)
                body = msg.get_body(preferencelist=("plain",))
                with sink._lock:
                    sink.mails.append(
                        Mail(
                            list(envelope.rcpt_tos),
                            str(msg["Subject"]),
                            body.get_content() if body else "",
                            str(msg["Message-ID"]),
                            str(msg["X-Lianxi-Alert-Id"]),
                            time.time(),
                        )
                    )
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]

    def all(self) -> list[Mail]:
        with self._lock:
            return list(self.mails)

    def stop(self) -> None:
        self.controller.stop()


# --- webhooks ---------------------------------------------------------------------------


@dataclass
class Hook:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class HookReceiver:
    """An HTTP server that answers each robot like WeCom/DingTalk do ({"errcode": 0}); paths in
    `fail` answer 500 for their first N requests (N = the value; -1 = always)."""

    fail: dict[str, int] = field(default_factory=dict)
    hooks: list[Hook] = field(default_factory=list)

    def start(self) -> HookReceiver:
        receiver = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = urlparse(self.path)
                with lock:
                    receiver.hooks.append(Hook(url.path, parse_qs(url.query), body))
                    left = receiver.fail.get(url.path, 0)
                    if left:
                        receiver.fail[url.path] = left - 1 if left > 0 else -1
                status, answer = (
                    (500, {"errcode": 500}) if left else (200, {"errcode": 0, "errmsg": "ok"})
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                return None

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Hook]:
        return [h for h in list(self.hooks) if h.path == path]

    def stop(self) -> None:
        self.server.shutdown()


def dingtalk_sign_ok(hook: Hook, secret: str) -> bool:
    """The receiving side of DingTalk's 加签: recompute sign from timestamp and the secret."""
    timestamp = hook.query["timestamp"][0]
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hook.query["sign"][0] == base64.b64encode(digest).decode()


# --- warehouse: deadline rules ------------------------------------------------------------

RULES_DDL = """
CREATE TABLE IF NOT EXISTS marts.ticket_deadlines (
    version UInt16, category LowCardinality(String), channel LowCardinality(String),
    effective_from Date, effective_to Nullable(Date), response_hours Float64,
    resolution_hours Float64, notes String
) ENGINE = MergeTree ORDER BY (version, category, channel)"""


def set_rules(
    wh: PrivateWarehouse,
    rules: list[tuple[int, str, str, date, date | None, float, float]],
) -> None:
    """The seed's table as dbt would load it, with the test's own rules."""
    client = wh.native()
    client.execute("CREATE DATABASE IF NOT EXISTS marts")
    client.execute(RULES_DDL)
    client.execute("TRUNCATE TABLE marts.ticket_deadlines")
    client.execute("INSERT INTO marts.ticket_deadlines VALUES", [(*r, "test") for r in rules])


# --- events -------------------------------------------------------------------------------


def ticket_event(name: str, ticket_id: str, at: datetime, **data: Any) -> dict[str, Any]:
    return {
        "id": f"{ticket_id}.{name}.{iso(at)}",
        "source": "/systems/test-hotline",
        "type": f"lianxi.ticket.{name}",
        "specversion": "1.0",
        "time": iso(at),
        "subject": ticket_id,
        "data": {"ticket_id": ticket_id, **data},
    }


def opened(
    ticket_id: str,
    community: str,
    at: datetime,
    category: str = "other",
    channel: str = "hotline",
) -> dict[str, Any]:
    return ticket_event(
        "opened",
        ticket_id,
        at,
        channel=channel,
        category=category,
        community_id=community,
        description="测试工单",
    )


# --- the service --------------------------------------------------------------------------


class AlertsProcess(LianxiProcess):
    """`lianxi alerts run` as a real process, killable."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(["alerts", "run", "--loglevel", "info"], env, log)


def alert_rows(wh: PrivateWarehouse, where: str = "1") -> list[tuple[Any, ...]]:
    """(type, alert_id, stage, ticket_id-or-recipient...) as the worker loaded them, deduplicated."""
    return wh.native().execute(
        "SELECT type, alert_id, stage, ticket_id, recipient, channel, attempts, final, reason, definition_version, "
        f"due_at, escalated_from, via FROM raw.alert_events FINAL WHERE {where} ORDER BY time, event_id"
    )


def count_types(wh: PrivateWarehouse, where: str = "1") -> dict[str, int]:
    rows = wh.native().execute(
        f"SELECT type, uniqExact(source, event_id) FROM raw.alert_events WHERE {where} GROUP BY type"
    )
    return {t.rsplit(".", 1)[1]: n for t, n in rows}


def wait_types(
    wh: PrivateWarehouse,
    expected: dict[str, int],
    where: str = "1",
    timeout: float = 180,
) -> None:
    seen: dict[str, int] = {}

    def done() -> bool:
        nonlocal seen
        seen = count_types(wh, where)
        return all(seen.get(k, 0) >= v for k, v in expected.items())

    try:
        wait_until(done, timeout, f"alert events {expected}")
    except AssertionError as exc:
        raise AssertionError(f"alert events: wanted {expected}, have {seen}") from exc


__all__ = ["publish", "timedelta", "wait_until"]
