"""The alerts service: every few seconds, detect → raise → escalate → resolve → deliver → publish.

Detection reads the warehouse as lianxi_alerts (raw tickets, meetings and org events, the
deadline seed in marts, its own alert events in raw). Alerts go to the recipients of one unit
(alerts/routing.py), are recorded in the ledger before they are sent, and every step is an
event of the catalogue published to Kafka through ingest's producer.

Delivery guarantee (README "Delivery guarantee"): each (alert, recipient, channel) is sent
until the channel accepts it once, at least once and in practice exactly once: the ledger
marks it delivered right after the accept, so only a crash in the window between the
channel's accept and that commit (well under a millisecond) sends it again, with the same
Message-ID / Idempotency-Key. Nothing recorded is forgotten: a pending delivery is retried
after any restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import tenacity

from alerts import channels, events, messages
from alerts.config import AlertsSettings
from alerts.ids import alert_id, feed_alert_id
from alerts.ledger import Ledger
from alerts.model import FEED_KINDS, STAGES, Alert
from alerts.routing import Routing
from core import warehouse_client

log = logging.getLogger("lianxi.alerts")
SQL_DIR = Path(__file__).parent / "sql"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKET_KINDS = ("ticket_response_overdue", "ticket_resolution_overdue")
# Meeting alerts follow the meeting-compliance KPI (kpi_definitions.csv, version 1).
MEETING_DEFINITION_VERSION = 1


def _sql(name: str, settings: AlertsSettings) -> str:
    text = (SQL_DIR / name).read_text(encoding="utf-8")
    return text.replace("{raw}", settings.alerts_raw_database).replace(
        "{marts}", settings.alerts_marts_database
    )


def explain(exc: BaseException) -> str:
    """The failure of a pass, with what to do about the usual causes."""
    text = f"{type(exc).__name__}: {exc}"
    if "AUTHENTICATION_FAILED" in text:
        return (
            text
            + " — run `lianxi warehouse migrate` (it binds LIANXI_WAREHOUSE_ALERTS_USER/_PASSWORD)"
        )
    if "UNKNOWN_TABLE" in text and "ticket_deadlines" in text:
        return (
            text
            + " — the deadline rules are a dbt seed: run `lianxi dbt build` (or `lianxi dbt seed`)"
        )
    if "UNKNOWN_TABLE" in text:
        return (
            text + " — run `lianxi warehouse migrate` (raw.alert_events comes with the migrations)"
        )
    return text


def _utc(value: Any) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# What a feed alert keeps of its fct_feed_issues row: the owner and the message's text.
FEED_KEYS = (
    "issue_id",
    "source",
    "source_zh",
    "kind_zh",
    "detail_text",
    "opened_text",
    "owner_name",
    "owner_contact",
)


def _feed_of(row: dict[str, Any]) -> dict[str, str]:
    return {key: str(row.get(key) or "") for key in FEED_KEYS}


@dataclass
class Stats:
    ticks: int = 0
    last_tick_at: float = 0.0
    last_error: str = ""
    raised: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    resolved: int = 0
    published: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Warehouse:
    """The service's read-only warehouse connection (clickhouse-connect over HTTP)."""

    def __init__(self, settings: AlertsSettings) -> None:
        self.settings = settings
        self._client: Any = None

    def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._client is None:
            self._client = warehouse_client.connect(
                self.settings, "alerts", connect_timeout=3, send_receive_timeout=30
            )
        try:
            return list(self._client.query(sql, parameters=params).named_results())
        except Exception:
            self._client = None
            raise


class Publisher:
    """The outbox → Kafka, through ingest's producer (acks=all, idempotent)."""

    def __init__(self) -> None:
        self._producer: Any = None

    def publish(self, batch: list[dict[str, Any]]) -> None:
        from ingest.config import IngestSettings
        from ingest.producer import Producer

        if self._producer is None:
            self._producer = Producer(IngestSettings(), client_id="lianxi-alerts")
        self._producer.publish(batch, timeout=30)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)


class AlertService:
    def __init__(self, settings: AlertsSettings, routing: Routing | None = None) -> None:
        self.settings = settings
        self.routing = routing or Routing.load(settings.alerts_recipients_file)
        self.ledger = Ledger(settings.ledger_path)
        self.warehouse = Warehouse(settings)
        self.publisher = Publisher()
        self.stats = Stats()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="alerts-send")
        self._in_flight: dict[tuple[str, str, str], Future[None]] = {}
        self._stop = threading.Event()
        self._rebuilt = False
        self._feeds_read_at = -float("inf")

    # --- the loop -----------------------------------------------------------------------

    def run(self) -> None:
        health = self._serve_health()
        log.info(
            "alerts: watching every %.1f s, ledger %s",
            self.settings.alerts_interval_seconds,
            self.settings.ledger_path,
        )
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    self.tick()
                except Exception as exc:  # noqa: BLE001 - one failed pass must not end the service
                    self.stats.last_error = explain(exc)
                    log.warning(
                        "alerts: pass failed (%s); retrying in %.1f s",
                        self.stats.last_error,
                        self.settings.alerts_interval_seconds,
                    )
                self._stop.wait(
                    max(
                        0.0,
                        self.settings.alerts_interval_seconds - (time.monotonic() - started),
                    )
                )
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.flush()
            self.publisher.close()
            self.ledger.close()
            if health is not None:
                health.shutdown()

    def stop(self) -> None:
        self._stop.set()

    def drain(self) -> None:
        """Wait for the sends in flight, then publish what they queued (`check --once`)."""
        self._pool.shutdown(wait=True)
        self.flush()

    def tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        if not self._rebuilt:
            self.rebuild_from_raw(now)
            self._rebuilt = True
        self.read_acknowledgements(now)
        self.watch_tickets(now)
        if self.settings.alerts_meeting_warn_hours > 0:
            self.watch_meetings(now)
        if self.settings.alerts_feed_issues and (
            time.monotonic() - self._feeds_read_at >= self.settings.alerts_feed_interval_seconds
        ):
            self.watch_feeds(now)
            self._feeds_read_at = time.monotonic()
        self.escalate(now)
        self.deliver()
        self.flush()
        self.stats.ticks += 1
        self.stats.last_tick_at = time.time()
        self.stats.last_error = ""

    # --- raw → ledger -------------------------------------------------------------------

    def _history(self, now: datetime, types: list[str]) -> list[dict[str, Any]]:
        since = now - timedelta(days=self.settings.alerts_lookback_days * 2)
        return self.warehouse.query(
            _sql("alert_history.sql", self.settings),
            {"since": since.replace(tzinfo=None), "types": types},
        )

    def rebuild_from_raw(self, now: datetime) -> None:
        """Alerts raw knows and the ledger does not (a new or lost var/): recorded as they
        were, with the deliveries raw saw delivered marked so; nothing is re-sent for them."""
        rows = self._history(now, [])
        raised = {r["alert_id"]: r for r in rows if r["type"] == "lianxi.alert.raised"}
        feed_rows: dict[str, dict[str, str]] = {}
        if any(r["issue_id"] for r in raised.values()):
            try:
                issues = self._feed_issues(now, watched=[])
            except Exception as exc:  # noqa: BLE001 - rebuilt without the text; resent never
                log.warning("alerts: feed issues not read while rebuilding (%s)", explain(exc))
                issues = []
            feed_rows = {f["issue_id"]: _feed_of(f) for f in issues}
        delivered = {
            (r["alert_id"], r["recipient"], r["channel"])
            for r in rows
            if r["type"] == "lianxi.alert.delivered"
        }
        resolved = {r["alert_id"] for r in rows if r["type"] == "lianxi.alert.resolved"}
        added = 0
        for aid, r in raised.items():
            if self.ledger.has(aid):
                continue
            kind = r["kind"]
            subject = (
                r["ticket_id"]
                or r["issue_id"]
                or f"{'street' if not r['community_id'] else 'community'}:{r['community_id'] or r['street_id']}/{r['period']}"
            )
            # a feed alert's owner and text: from the mart's row when it still has one
            feed = {}
            if r["issue_id"]:
                feed = {"issue_id": r["issue_id"], "source": r["feed_source"] or ""}
                feed |= feed_rows.get(r["issue_id"], {})
            alert = Alert(
                aid,
                kind,
                r["stage"],
                r["street_id"],
                r["community_id"],
                subject,
                _utc(r["due_at"]),
                int(r["definition_version"]),
                r["ticket_id"],
                r["period"],
                r["escalated_from"],
                list(r["recipients"]),
                raised_at=_utc(r["first_at"]),
                feed=feed,
            )
            pairs = self._channels(alert)
            done = {(rc, ch) for (a, rc, ch) in delivered if a == aid}
            self.ledger.record(alert, pairs, None, delivered=done)
            if aid in resolved:
                self.ledger.resolve(alert, "rebuilt", None)
            added += 1
        if added:
            log.info("alerts: %d alerts rebuilt from raw into the ledger", added)

    def read_acknowledgements(self, now: datetime) -> None:
        rows = self._history(now, ["lianxi.alert.acknowledged"])
        ids = {r["alert_id"] for r in rows}
        if ids and self.ledger.mark_acked(ids, now):
            log.info("alerts: acknowledgements read: %d", len(ids))

    # --- detection ----------------------------------------------------------------------

    def _channels(self, alert: Alert) -> list[tuple[str, str]]:
        found = []
        for rid in alert.recipients:
            recipient = self.routing.find(
                rid, alert.stage, alert.street_id, alert.community_id, alert.feed
            )
            if recipient is None:
                continue
            found += [(rid, t.channel) for t in recipient.targets]
        return found

    def raise_alert(self, alert: Alert, now: datetime) -> bool:
        if self.ledger.has(alert.alert_id):
            return False
        alert.recipients = [
            r.id
            for r in self.routing.recipients(
                alert.stage, alert.street_id, alert.community_id, alert.feed
            )
        ]
        alert.raised_at = now
        if not alert.recipients:
            log.warning(
                "alerts: nobody to tell for %s stage %s (%s): add %s to %s",
                alert.subject,
                alert.stage,
                alert.feed.get("source") or f"{alert.street_id}/{alert.community_id}",
                "the source under feeds" if alert.feed else "the unit",
                self.settings.alerts_recipients_file,
            )
        if self.ledger.record(alert, self._channels(alert), events.raised(alert, now)):
            self.stats.raised += 1
            return True
        return False

    def watch_tickets(self, now: datetime) -> None:
        open_alerts = [a for a in self.ledger.open_alerts() if a.ticket_id]
        watched = sorted({a.ticket_id for a in open_alerts if a.ticket_id})
        since = now - timedelta(days=self.settings.alerts_lookback_days)
        rows = self.warehouse.query(
            _sql("ticket_deadlines.sql", self.settings),
            {
                "since": since.replace(tzinfo=None),
                "now": now.replace(tzinfo=None),
                "watched": watched,
            },
        )
        by_ticket = {r["ticket_id"]: r for r in rows}
        # end what is over
        for alert in open_alerts:
            row = by_ticket.get(alert.ticket_id or "")
            if row is None:
                continue
            reason = None
            if row["is_closed"]:
                reason = "ticket_closed"
            elif row["is_resolved"]:
                reason = "ticket_resolved"
            elif alert.kind == "ticket_response_overdue" and row["responded_at"] is not None:
                reason = "ticket_responded"
            if reason:
                self.ledger.resolve(alert, reason, events.resolved(alert, reason, now))
                self.stats.resolved += 1
        # raise what just crossed its deadline
        for row in rows:
            if row["is_closed"] or row["is_resolved"]:
                continue
            due = {
                "ticket_response_overdue": _utc(row["response_due_at"])
                if row["responded_at"] is None
                else None,
                "ticket_resolution_overdue": _utc(row["resolution_due_at"]),
            }
            for kind, due_at in due.items():
                if due_at is None or due_at >= now:
                    continue
                version = int(row["definition_version"])
                self.raise_alert(
                    Alert(
                        alert_id(kind, row["ticket_id"], "community", version),
                        kind,
                        "community",
                        row["street_id"],
                        row["community_id"],
                        row["ticket_id"],
                        due_at,
                        version,
                        ticket_id=row["ticket_id"],
                        category=row["category"],
                        channel=row["channel"],
                    ),
                    now,
                )

    def watch_meetings(self, now: datetime) -> None:
        open_alerts = [a for a in self.ledger.open_alerts() if a.kind == "meeting_missing"]
        watched = sorted({a.subject for a in open_alerts})
        warn_until = now + timedelta(hours=self.settings.alerts_meeting_warn_hours)
        rows = self.warehouse.query(
            _sql("meetings_missing.sql", self.settings),
            {
                "today": now.astimezone(SHANGHAI).date().isoformat(),
                "since": (now - timedelta(days=200)).replace(tzinfo=None),
                "warn_until": warn_until.replace(tzinfo=None),
                "watched": watched,
            },
        )
        held = set()
        for row in rows:
            unit = row["street_id"] if row["level"] == "street" else row["community_id"]
            subject = f"{row['level']}:{unit}/{row['period']}"
            if row["is_held"]:
                held.add(subject)
                continue
            stage = "street" if row["level"] == "street" else "community"
            self.raise_alert(
                Alert(
                    alert_id("meeting_missing", subject, stage, MEETING_DEFINITION_VERSION),
                    "meeting_missing",
                    stage,
                    row["street_id"],
                    row["community_id"],
                    subject,
                    _utc(row["ends_at"]),
                    MEETING_DEFINITION_VERSION,
                    period=row["period"],
                ),
                now,
            )
        for alert in open_alerts:
            if alert.subject in held:
                self.ledger.resolve(
                    alert, "meeting_held", events.resolved(alert, "meeting_held", now)
                )
                self.stats.resolved += 1

    def _feed_issues(self, now: datetime, watched: list[str]) -> list[dict[str, Any]]:
        since = now - timedelta(days=self.settings.alerts_lookback_days)
        return self.warehouse.query(
            _sql("feed_issues.sql", self.settings),
            {"since": since.replace(tzinfo=None), "watched": watched},
        )

    def watch_feeds(self, now: datetime) -> None:
        """Each new problem of a publishing system (marts.fct_feed_issues) once to its owner;
        a silence ends when its row is gone (the system sent again).

        The mart is built by dbt: until its first build (or in a warehouse without dbt) the
        pass goes on without it, the reason kept in the status, so ticket and meeting alerts
        never wait for the data-quality views."""
        open_alerts = [a for a in self.ledger.open_alerts() if a.feed]
        watched = sorted({a.subject for a in open_alerts if a.kind == "feed_silent"})
        try:
            rows = self._feed_issues(now, watched)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            reason = explain(exc)
            if self.stats.extra.get("feeds_error") != reason:
                log.warning("alerts: feed issues not read (%s); other alerts go on", reason)
            self.stats.extra["feeds_error"] = reason
            return
        self.stats.extra.pop("feeds_error", None)
        present = {r["issue_id"] for r in rows}
        for alert in open_alerts:
            if alert.kind == "feed_silent" and alert.subject not in present:
                self.ledger.resolve(
                    alert, "feed_recovered", events.resolved(alert, "feed_recovered", now)
                )
                self.stats.resolved += 1
        for row in rows:
            kind = FEED_KINDS.get(row["kind"])
            if kind is None:
                continue  # a kind this service does not know yet: the dashboard still shows it
            version = int(row["definition_version"])
            self.raise_alert(
                Alert(
                    # The issue id names the problem; a new source_cadences version (a contact
                    # or threshold edited) must not tell the owner of the same problem again.
                    feed_alert_id(kind, row["issue_id"]),
                    kind,
                    "owner",
                    "",
                    "",
                    row["issue_id"],
                    _utc(row["opened_at"]),
                    version,
                    feed=_feed_of(row),
                ),
                now,
            )

    # --- escalation ---------------------------------------------------------------------

    def escalate(self, now: datetime) -> None:
        """The next stage of a chain once the last one has waited its time unacknowledged."""
        acked = self.ledger.acked_chains()
        chains: dict[str, Alert] = {}
        for alert in self.ledger.open_alerts():
            if alert.stage not in STAGES:
                continue  # off the ladder (a feed alert's owner): nobody above to tell
            last = chains.get(alert.chain)
            if last is None or STAGES.index(alert.stage) > STAGES.index(last.stage):
                chains[alert.chain] = alert
        for chain, last in chains.items():
            if chain in acked or last.stage == "district" or last.raised_at is None:
                continue
            after = (
                self.settings.alerts_street_after_seconds
                if last.stage == "community"
                else self.settings.alerts_district_after_seconds
            )
            if now < last.raised_at + timedelta(seconds=after):
                continue
            stage = STAGES[STAGES.index(last.stage) + 1]
            self.raise_alert(
                Alert(
                    alert_id(last.kind, last.subject, stage, last.definition_version),
                    last.kind,
                    stage,
                    last.street_id,
                    last.community_id,
                    last.subject,
                    last.due_at,
                    last.definition_version,
                    ticket_id=last.ticket_id,
                    period=last.period,
                    escalated_from=last.alert_id,
                    category=last.category,
                    channel=last.channel,
                ),
                now,
            )

    # --- delivery -----------------------------------------------------------------------

    def deliver(self) -> None:
        for key, future in list(self._in_flight.items()):
            if future.done():
                del self._in_flight[key]
        for alert_id_, recipient, channel, attempts in self.ledger.pending():
            key = (alert_id_, recipient, channel)
            if key in self._in_flight:
                continue
            self._in_flight[key] = self._pool.submit(
                self._send, alert_id_, recipient, channel, attempts
            )

    def _send(self, alert_id_: str, recipient_id: str, channel: str, done_attempts: int) -> None:
        alert = self.ledger.get(alert_id_)
        if alert is None:
            return
        recipient = self.routing.find(
            recipient_id, alert.stage, alert.street_id, alert.community_id, alert.feed
        )
        target = (
            next((t for t in recipient.targets if t.channel == channel), None)
            if recipient
            else None
        )
        s = self.settings
        if target is None:
            event = events.failed(
                alert,
                recipient_id,
                channel,
                done_attempts + 1,
                "recipient or channel no longer in the recipients file",
                True,
                datetime.now(UTC),
            )
            self.ledger.attempt_failed(
                alert_id_, recipient_id, channel, done_attempts + 1, True, event
            )
            return
        remaining = max(1, s.alerts_retry_attempts - done_attempts)
        attempt = done_attempts

        def once() -> None:
            nonlocal attempt
            attempt += 1
            now = datetime.now(UTC)
            message = messages.render(
                alert, recipient_id, now, s.alerts_ack_base_url, s.alerts_ack_secret
            )
            try:
                channels.send(channels.Delivery(s, target, alert, recipient_id, message))
            except channels.DeliveryError as exc:
                final = attempt >= s.alerts_retry_attempts
                self.ledger.attempt_failed(
                    alert_id_,
                    recipient_id,
                    channel,
                    attempt,
                    final,
                    events.failed(alert, recipient_id, channel, attempt, str(exc), final, now),
                )
                self.stats.failed_attempts += 1
                log.warning(
                    "alerts: %s to %s over %s failed (attempt %d): %s",
                    alert_id_,
                    recipient_id,
                    channel,
                    attempt,
                    exc,
                )
                raise
            self.ledger.delivered(
                alert_id_,
                recipient_id,
                channel,
                attempt,
                events.delivered(alert, recipient_id, channel, attempt, datetime.now(UTC)),
            )
            self.stats.delivered += 1

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(remaining) | tenacity.stop_when_event_set(self._stop),
            wait=tenacity.wait_exponential(multiplier=1, min=1, max=s.alerts_retry_max_seconds),
            retry=tenacity.retry_if_exception_type(channels.DeliveryError),
            reraise=False,
        )
        try:
            retrying(once)
        except tenacity.RetryError:
            pass  # recorded as failed events; a final failure is in the ledger and in raw
        self.flush()

    # --- outbox → Kafka -----------------------------------------------------------------

    _flush_lock = threading.Lock()

    def flush(self) -> None:
        with self._flush_lock:
            while True:
                batch = self.ledger.unpublished()
                if not batch:
                    return
                try:
                    self.publisher.publish([e for _, e in batch])
                except Exception as exc:  # noqa: BLE001 - kept in the outbox, sent next pass
                    log.warning(
                        "alerts: publishing %d events failed (%s); kept for the next pass",
                        len(batch),
                        exc,
                    )
                    return
                self.ledger.mark_published([i for i, _ in batch])
                self.stats.published += len(batch)

    # --- health -------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        age = time.time() - self.stats.last_tick_at if self.stats.last_tick_at else None
        healthy = age is not None and age < 3 * self.settings.alerts_interval_seconds + 30
        return {
            "healthy": healthy,
            "ticks": self.stats.ticks,
            "seconds_since_last_pass": age,
            "last_error": self.stats.last_error,
            "feeds_error": self.stats.extra.get("feeds_error", ""),
            **self.ledger.counts(),
        }

    def _serve_health(self) -> ThreadingHTTPServer | None:
        if not self.settings.alerts_health_port:
            return None
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # /livez: the process serves (the stack's start probe); /health: the last pass
                # succeeded recently (`lianxi status` shows its JSON either way).
                status = service.status()
                body = json.dumps(status).encode()
                ok = self.path == "/livez" or (self.path == "/health" and status["healthy"])
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", self.settings.alerts_health_port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True, name="alerts-health").start()
        return server
