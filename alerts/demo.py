"""`lianxi alerts demo`: a few tickets about to pass their response deadline, published like a
hotline would, so a newcomer watching the local mailbox (`make demo`) sees alerts arrive within
a minute. The seed year has ended, so without them a fresh demo has no overdue ticket to show.

The tickets are real catalogue events (validated, sent through ingest's producer); their opened
time lies in the past, just far enough that the deadline in force passes `lead` seconds later.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ingest import contracts

SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "ticket_deadlines.csv"
SOURCE = "/systems/lianxi-demo"
CATEGORY = "public_safety"  # the shortest response deadline of the seed (2 h in version 1)
COMMUNITIES = ("c-01-01", "c-02-01", "c-03-01")


def response_hours(category: str, channel: str, on: date) -> float:
    """The response deadline in force on `on` for this category and channel, read from the
    versioned seed with the service's rule: the exact category and channel before `*`, the
    latest effective version."""
    with SEED.open(encoding="utf-8") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["category"] in (category, "*")
            and r["channel"] in (channel, "*")
            and date.fromisoformat(r["effective_from"]) <= on
            and (not r["effective_to"] or on <= date.fromisoformat(r["effective_to"]))
        ]
    if not rows:
        raise LookupError(f"no deadline rule for {category}/{channel} on {on} in {SEED.name}")
    best = max(
        rows,
        key=lambda r: (
            r["category"] != "*",
            r["channel"] != "*",
            r["effective_from"],
            int(r["version"]),
        ),
    )
    return float(best["response_hours"])


def demo_tickets(
    now: datetime, communities: tuple[str, ...] = COMMUNITIES, lead: float = 30.0
) -> list[dict[str, Any]]:
    """One ticket.opened per community, each passing its response deadline `lead` s after now."""
    hours = response_hours(CATEGORY, "hotline", (now + timedelta(hours=8)).date())
    opened = now - timedelta(hours=hours) + timedelta(seconds=lead)
    stamp = opened.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    events = []
    for community in communities:
        ticket_id = f"demo-{stamp}-{community}"
        event = {
            "specversion": "1.0",
            "id": f"{ticket_id}.opened",
            "source": SOURCE,
            "type": "lianxi.ticket.opened",
            "time": opened.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "subject": ticket_id,
            "datacontenttype": "application/json",
            "dataschema": contracts.dataschema_for("lianxi.ticket.opened"),
            "data": {
                "ticket_id": ticket_id,
                "channel": "hotline",
                "category": CATEGORY,
                "community_id": community,
                "description": "演示工单：小区楼道堆放杂物，存在消防安全隐患",
            },
        }
        problems = contracts.validate_event(event)
        if problems:
            raise ValueError(f"demo ticket {ticket_id} breaks the catalogue: {problems}")
        events.append(event)
    return events
