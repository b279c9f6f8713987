"""What raw holds per publishing system, and ticket events to send."""

from __future__ import annotations

import uuid
from typing import Any

from tests.dbt.private_warehouse import DbtWarehouse
from tests.ingest.ingest_events import event
from tests.streams.harness import DOMAINS


def tickets(n: int, source: str) -> list[dict[str, Any]]:
    tag = uuid.uuid4().hex[:8]
    return [event("lianxi.ticket.opened", source, ticket_id=f"t-{tag}-{i}") for i in range(n)]


def counts_per_source(wh: DbtWarehouse) -> dict[str, dict[str, int]]:
    """source -> {accepted, rejected, dead_lettered} as raw holds them (FINAL: exact before merges)."""
    client = wh.client()
    accepted = " UNION ALL ".join(
        f"SELECT source FROM raw.{d}_events FINAL" for d in DOMAINS if d != "quality"
    )
    out: dict[str, dict[str, int]] = {}
    for outcome, sql in {
        "accepted": f"SELECT source, count() FROM ({accepted}) GROUP BY source",
        "rejected": "SELECT publisher_source, count() FROM raw.quality_events FINAL GROUP BY publisher_source",
        "dead_lettered": "SELECT assumeNotNull(source), count() FROM raw.dead_letters FINAL GROUP BY source",
    }.items():
        for source, n in client.query(sql).result_rows:
            out.setdefault(source, {"accepted": 0, "rejected": 0, "dead_lettered": 0})[outcome] = n
    return out
