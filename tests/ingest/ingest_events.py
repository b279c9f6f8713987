"""Valid events built from the schemas' own examples, so tests follow the catalogue."""

from __future__ import annotations

import copy
import uuid
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
