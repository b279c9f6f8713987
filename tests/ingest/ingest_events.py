"""Valid events built from the schemas' own examples, so tests follow the catalogue."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from ingest.contracts import aggregate_field, dataschema_for, schema_for

HOTLINE = "/systems/hotline-12345"


def event(event_type: str, source: str = HOTLINE, example: int = 0, **data: Any) -> dict[str, Any]:
    payload = copy.deepcopy(schema_for(event_type)["examples"][example])
    payload.update(data)
    return {
        "id": uuid.uuid4().hex,
        "source": source,
        "type": event_type,
        "specversion": "1.0",
        "time": "2026-03-02T08:15:00+08:00",
        "subject": payload[aggregate_field(event_type)],
        "dataschema": dataschema_for(event_type),
        "datacontenttype": "application/json",
        "data": payload,
    }


def tickets(n: int, source: str = HOTLINE, prefix: str = "t") -> list[dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    return [
        event("lianxi.ticket.opened", source, ticket_id=f"{prefix}-{tag}-{i}") for i in range(n)
    ]


def raw_ticket_rows(
    ticket: str,
    lifecycle: list[tuple[str, dict[str, Any]]],
    start: datetime,
    street: str = "s-01",
    community: str = "c-01-01",
) -> list[dict[str, Any]]:
    """A ticket's lifecycle (event name, data) as the stream worker writes it to
    raw.ticket_events: one row per event, an hour apart from start."""
    return [
        {
            "event_id": uuid.uuid4().hex,
            "source": HOTLINE,
            "type": f"lianxi.ticket.{name}",
            "schema_version": 1,
            "subject": ticket,
            "time": start + timedelta(hours=n),
            "street_id": street,
            "community_id": community,
            "ticket_id": ticket,
            "data": json.dumps(data, ensure_ascii=False),
            "kafka_topic": "lianxi.ticket",
            "kafka_partition": 0,
            "kafka_offset": n,
            **data,
        }
        for n, (name, data) in enumerate(lifecycle)
    ]


def insert_rows(client: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows (dicts) into table at once (no async insert); a column a row lacks is NULL."""
    columns = sorted({c for r in rows for c in r})
    client.insert(
        table,
        [[r.get(c) for c in columns] for r in rows],
        column_names=columns,
        settings={"async_insert": 0},
    )
