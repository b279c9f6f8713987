"""The alert events of the catalogue (ingest/contracts/schemas/alert/), built with ids that
are the same on every run: a re-sent event is deduplicated on (source, id) downstream."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alerts.model import Alert
from ingest.contracts import dataschema_for, validate_event

SOURCE = "/systems/lianxi-alerts"


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(
    name: str, event_id: str, alert: Alert, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    event_type = f"lianxi.alert.{name}"
    event = {
        "id": event_id,
        "source": SOURCE,
        "type": event_type,
        "specversion": "1.0",
        "time": _iso(at),
        "subject": alert.alert_id,
        "dataschema": dataschema_for(event_type),
        "datacontenttype": "application/json",
        "data": {
            "alert_id": alert.alert_id,
            "stage": alert.stage,
            "street_id": alert.street_id or None,
            "community_id": alert.community_id or None,
            **data,
        },
    }
    problems = validate_event(event)
    if problems:  # a bug here, never the recipient's fault: stop before it reaches Kafka
        raise ValueError(f"invalid {event_type}: {[p.as_dict() for p in problems]}")
    return event


def raised(alert: Alert, at: datetime) -> dict[str, Any]:
    return _event(
        "raised",
        f"{alert.alert_id}.raised",
        alert,
        at,
        {
            "kind": alert.kind,
            "ticket_id": alert.ticket_id,
            "period": alert.period,
            "due_at": _iso(alert.due_at),
            "definition_version": alert.definition_version,
            "recipients": list(alert.recipients),
            "escalated_from": alert.escalated_from,
            "feed_source": alert.feed.get("source") or None,
            "issue_id": alert.feed.get("issue_id") or None,
        },
    )


def delivered(
    alert: Alert, recipient: str, channel: str, attempts: int, at: datetime
) -> dict[str, Any]:
    return _event(
        "delivered",
        f"{alert.alert_id}.delivered.{recipient}.{channel}",
        alert,
        at,
        {"recipient": recipient, "channel": channel, "attempts": attempts},
    )


def failed(
    alert: Alert,
    recipient: str,
    channel: str,
    attempts: int,
    error: str,
    final: bool,
    at: datetime,
) -> dict[str, Any]:
    return _event(
        "failed",
        f"{alert.alert_id}.failed.{recipient}.{channel}.{attempts}",
        alert,
        at,
        {
            "recipient": recipient,
            "channel": channel,
            "attempts": attempts,
            "error": error[:2000],
            "final": final,
        },
    )


def resolved(alert: Alert, reason: str, at: datetime) -> dict[str, Any]:
    return _event("resolved", f"{alert.alert_id}.resolved", alert, at, {"reason": reason})
