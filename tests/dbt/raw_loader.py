"""Load CloudEvents straight into the raw tables, through the streams stage's own row mapping.

Tests and the seed check need raw rows without a broker in between; going through
streams.rows.prepare means the rows are exactly what the Faust sink would have written
(validation, street enrichment, typed columns), only the Kafka hop is skipped.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

from streams.config import DOMAINS
from streams.enrichment import OrgRegistry
from streams.rows import Record, prepare

# Offsets only need to be unique per topic for this process; they show in raw.kafka_offset.
_offsets = itertools.count()
INSERT_SETTINGS = {"async_insert": 0}


def domain_of(event: dict[str, Any]) -> str:
    return str(event["type"]).split(".")[1]


def raw_rows(events: Iterable[dict[str, Any]], registry: OrgRegistry | None = None):
    """(table name, columns, rows) per domain; org first so enrichment knows every community."""
    registry = registry or OrgRegistry()
    by_domain: dict[str, list[dict[str, Any]]] = {d: [] for d in DOMAINS}
    for event in events:
        by_domain[domain_of(event)].append(event)
    for domain in DOMAINS:
        if not by_domain[domain]:
            continue
        records = [
            Record(
                f"lianxi.{domain}",
                0,
                next(_offsets),
                str(e["subject"]).encode(),
                json.dumps(e, ensure_ascii=False).encode(),
            )
            for e in by_domain[domain]
        ]
        batch = prepare(domain, records, registry, max_bytes=1 << 20)
        if batch.dead_letters:
            first = batch.dead_letters[0]
            raise ValueError(
                f"{len(batch.dead_letters)} invalid test events, first: {first.rejection.error_json()}"
            )
        yield batch.table.name, batch.columns, batch.rows


def load_events(
    client,
    events: Iterable[dict[str, Any]],
    database: str = "raw",
    registry: OrgRegistry | None = None,
    chunk: int = 50_000,
) -> int:
    """Insert the events into <database>.<domain>_events with clickhouse-connect; returns the row count.

    Chunked so one insert stays a modest request body.
    """
    loaded = 0
    for table, columns, rows in raw_rows(events, registry):
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            client.insert(
                f"{database}.{table}", part, column_names=columns, settings=INSERT_SETTINGS
            )
            loaded += len(part)
    return loaded
