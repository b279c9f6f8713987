"""The durable ledger of the alerts service (SQLite, one file under var/alerts/).

Every state change is one transaction that also queues its event in the outbox, committed
with synchronous=FULL before the service acts on it: an alert is recorded (with its pending
deliveries and its `raised` event) before anything is sent, a delivery is marked delivered
(with its `delivered` event) right after the channel accepted it. The outbox is flushed to
Kafka afterwards and rows are marked published only once Kafka acknowledged them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from alerts.model import Alert
from core.sqlite_files import open_sqlite

_SCHEMA = (Path(__file__).parent / "sql" / "ledger_schema.sql").read_text(encoding="utf-8")


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        # FULL: a commit is on disk before the call returns (WAL's NORMAL could lose the last
        # transactions on power loss, and with them the record of a sent message).
        self._db = open_sqlite(path, _SCHEMA, synchronous_full=True)
        # Ledgers made before feed alerts lack their column: added in place (SQLite has no
        # ADD COLUMN IF NOT EXISTS); every existing alert is a ticket or meeting alert ('').
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(alerts)")}
        if "feed" not in columns:
            self._db.execute("ALTER TABLE alerts ADD COLUMN feed TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @staticmethod
    def _outbox(event: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        return (
            "INSERT OR IGNORE INTO outbox (event_id, event) VALUES (?, ?)",
            (event["id"], json.dumps(event, ensure_ascii=False)),
        )

    # --- alerts -------------------------------------------------------------------------

    def has(self, alert_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
                is not None
            )

    def record(
        self,
        alert: Alert,
        channels: list[tuple[str, str]],
        event: dict[str, Any] | None,
        delivered: Collection[tuple[str, str]] = (),
    ) -> bool:
        """Record a new alert with one delivery per (recipient, channel); False if known.
        `delivered`: deliveries already done (a ledger rebuilt from raw)."""
        assert alert.raised_at is not None
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                (
                    "INSERT OR IGNORE INTO alerts (alert_id, chain, kind, stage, street_id, community_id, subject, "
                    "ticket_id, period, due_at, definition_version, escalated_from, recipients, raised_at, category, "
                    "channel, feed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    alert.alert_id,
                    alert.chain,
                    alert.kind,
                    alert.stage,
                    alert.street_id,
                    alert.community_id,
                    alert.subject,
                    alert.ticket_id,
                    alert.period,
                    alert.due_at.isoformat(),
                    alert.definition_version,
                    alert.escalated_from,
                    json.dumps(alert.recipients),
                    alert.raised_at.isoformat(),
                    alert.category,
                    alert.channel,
                    json.dumps(alert.feed, ensure_ascii=False) if alert.feed else "",
                ),
            )
        ]
        for recipient, channel in channels:
            state = "delivered" if (recipient, channel) in delivered else "pending"
            statements.append(
                (
                    "INSERT OR IGNORE INTO deliveries (alert_id, recipient, channel, state) VALUES (?, ?, ?, ?)",
                    (alert.alert_id, recipient, channel, state),
                )
            )
        if event is not None:
            statements.append(self._outbox(event))
        if self.has(alert.alert_id):
            return False
        self._tx(statements)
        return True

    def _alert(self, row: tuple[Any, ...]) -> Alert:
        return Alert(
            alert_id=row[0],
            kind=row[2],
            stage=row[3],
            street_id=row[4],
            community_id=row[5],
            subject=row[6],
            ticket_id=row[7],
            period=row[8],
            due_at=datetime.fromisoformat(row[9]),
            definition_version=row[10],
            escalated_from=row[11],
            recipients=json.loads(row[12]),
            raised_at=_ts(row[13]),
            category=row[14],
            channel=row[15],
            feed=json.loads(row[16]) if row[16] else {},
        )

    _COLUMNS = (
        "alert_id, chain, kind, stage, street_id, community_id, subject, ticket_id, period, due_at, "
        "definition_version, escalated_from, recipients, raised_at, category, channel, feed"
    )

    def get(self, alert_id: str) -> Alert | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {self._COLUMNS} FROM alerts WHERE alert_id = ?", (alert_id,)
            ).fetchone()
        return self._alert(row) if row else None

    def open_alerts(self) -> list[Alert]:
        """Alerts not resolved yet (acknowledged ones included: they still end)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM alerts WHERE resolved_reason IS NULL ORDER BY raised_at"
            ).fetchall()
        return [self._alert(r) for r in rows]

    def acked_chains(self) -> set[str]:
        with self._lock:
            return {
                r[0]
                for r in self._db.execute(
                    "SELECT DISTINCT chain FROM alerts WHERE acked_at IS NOT NULL"
                )
            }

    def mark_acked(self, alert_ids: set[str], at: datetime) -> int:
        """Alerts newly seen acknowledged (read from raw); returns how many changed."""
        changed = 0
        with self._lock:
            for alert_id in alert_ids:
                cur = self._db.execute(
                    "UPDATE alerts SET acked_at = ? WHERE alert_id = ? AND acked_at IS NULL",
                    (at.isoformat(), alert_id),
                )
                changed += cur.rowcount
        return changed

    def resolve(self, alert: Alert, reason: str, event: dict[str, Any] | None) -> None:
        """End an alert; `event` None when raw already holds its resolved event (rebuild)."""
        statements = [
            (
                "UPDATE alerts SET resolved_reason = ? WHERE alert_id = ? AND resolved_reason IS NULL",
                (reason, alert.alert_id),
            )
        ]
        if event is not None:
            statements.append(self._outbox(event))
        self._tx(statements)

    # --- deliveries ---------------------------------------------------------------------

    def pending(self) -> list[tuple[str, str, str, int]]:
        """(alert_id, recipient, channel, attempts) still to send, oldest alert first."""
        with self._lock:
            return self._db.execute(
                "SELECT d.alert_id, d.recipient, d.channel, d.attempts FROM deliveries d "
                "JOIN alerts a USING (alert_id) WHERE d.state = 'pending' ORDER BY a.raised_at, d.alert_id"
            ).fetchall()

    def attempt_failed(
        self,
        alert_id: str,
        recipient: str,
        channel: str,
        attempts: int,
        final: bool,
        event: dict[str, Any],
    ) -> None:
        self._tx(
            [
                (
                    "UPDATE deliveries SET attempts = ?, state = ? WHERE alert_id = ? AND recipient = ? AND channel = ?",
                    (
                        attempts,
                        "failed" if final else "pending",
                        alert_id,
                        recipient,
                        channel,
                    ),
                ),
                self._outbox(event),
            ]
        )

    def delivered(
        self,
        alert_id: str,
        recipient: str,
        channel: str,
        attempts: int,
        event: dict[str, Any],
    ) -> None:
        self._tx(
            [
                (
                    "UPDATE deliveries SET attempts = ?, state = 'delivered' WHERE alert_id = ? AND recipient = ? AND channel = ?",
                    (attempts, alert_id, recipient, channel),
                ),
                self._outbox(event),
            ]
        )

    def deliveries(self) -> list[tuple[str, str, str, str, int]]:
        with self._lock:
            return self._db.execute(
                "SELECT alert_id, recipient, channel, state, attempts FROM deliveries"
            ).fetchall()

    # --- outbox -------------------------------------------------------------------------

    def unpublished(self, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT event_id, event FROM outbox WHERE published = 0 LIMIT ?",
                (limit,),
            ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def mark_published(self, event_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany(
                "UPDATE outbox SET published = 1 WHERE event_id = ?",
                [(e,) for e in event_ids],
            )

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "alerts": self._db.execute("SELECT count(*) FROM alerts").fetchone()[0],
                "open": self._db.execute(
                    "SELECT count(*) FROM alerts WHERE resolved_reason IS NULL"
                ).fetchone()[0],
                "pending_deliveries": self._db.execute(
                    "SELECT count(*) FROM deliveries WHERE state = 'pending'"
                ).fetchone()[0],
                "unpublished_events": self._db.execute(
                    "SELECT count(*) FROM outbox WHERE published = 0"
                ).fetchone()[0],
            }
