"""Valid catalogue events for the streams tests, built from the contracts' own examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest import contracts

BASE_TIME = datetime(2026, 3, 2, 0, 15, tzinfo=UTC)
YEAR_MINUTES = 365 * 24 * 60


def example_data(event_type: str) -> dict[str, Any]:
    return dict(contracts.schema_for(event_type)["examples"][0])


def make_event(
    event_type: str,
    data: dict[str, Any] | None = None,
    event_id: str = "e-1",
    source: str = "/simulator/test",
    time: datetime = BASE_TIME,
) -> dict[str, Any]:
    data = example_data(event_type) if data is None else data
    return {
        "id": event_id,
        "source": source,
        "type": event_type,
        "specversion": "1.0",
        "time": time.isoformat(),
        "subject": data[contracts.aggregate_field(event_type)],
        "dataschema": contracts.dataschema_for(event_type),
        "datacontenttype": "application/json",
        "data": data,
    }


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode()


def ticket_lifecycle(n_tickets: int, source: str = "/simulator/test") -> list[dict[str, Any]]:
    """opened, assigned, resolved for n tickets: 3 * n events with unique ids."""
    out = []
    for i in range(n_tickets):
        tid = f"t-{i:06d}"
        opened = example_data("lianxi.ticket.opened") | {
            "ticket_id": tid,
            "community_id": f"c-0{1 + i % 9}-0{1 + i % 5}",
            "project": "industrial_park" if i % 7 == 0 else None,
        }
        opened.pop("street_id", None)  # only community_id: enrichment fills the street
        t0 = BASE_TIME + timedelta(minutes=i)
        steps = (
            ("opened", opened, "o", timedelta()),
            (
                "assigned",
                {"ticket_id": tid, "assignee_unit_id": "u-0001"},
                "a",
                timedelta(minutes=5),
            ),
            ("resolved", {"ticket_id": tid, "resolution": "已处理"}, "r", timedelta(hours=1)),
        )
        out += [
            make_event(f"lianxi.ticket.{step}", data, f"{tid}-{tag}", source, t0 + after)
            for step, data, tag, after in steps
        ]
    return out


def _suffixed(event_type: str, i: int) -> dict[str, Any]:
    data = example_data(event_type)
    field = contracts.aggregate_field(event_type)
    data[field] = f"{data[field]}-{i}"
    return data


def mixed_types() -> list[str]:
    """Catalogue types whose aggregate id can take a numeric suffix (all but the fixed-format
    street and community ids)."""
    return [t for t in contracts.event_types() if not contracts.validate_data(t, _suffixed(t, 1))]


def mixed_events(n: int, source: str = "/simulator/load", seed: int = 0) -> list[dict[str, Any]]:
    """n valid events spread over every domain, unique (source, id), times spread over a year."""
    types = mixed_types()
    out = []
    for i in range(n):
        event_type = types[(i * 7 + seed) % len(types)]
        out.append(
            make_event(
                event_type,
                _suffixed(event_type, i),
                f"ev-{seed}-{i}",
                source,
                BASE_TIME + timedelta(minutes=53 * i % YEAR_MINUTES),
            )
        )
    return out
