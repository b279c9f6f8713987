"""Building CloudEvents dicts with stable ids, and keeping them in publication order."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingest.contracts import dataschema_for, event_types

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
# Built once: the contracts are the single source for dataschema URNs.
DATASCHEMA = {t: dataschema_for(t) for t in event_types()}


def utc_text(epoch: int) -> str:
    """RFC3339 in UTC; the warehouse stores UTC and dashboards show Asia/Shanghai."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def local_epoch(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz)).timestamp())


def event(
    source: str, event_id: str, event_type: str, epoch: int, subject: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "source": source,
        "type": event_type,
        "specversion": SPECVERSION,
        "time": utc_text(epoch),
        "subject": subject,
        "dataschema": DATASCHEMA[event_type],
        "datacontenttype": CONTENT_TYPE,
        "data": data,
    }


class EventLog:
    """Collects events of one source and hands them out in time order.

    Ids are "<subject>.<name>.<n>" (n counts that subject's events of that name), so generating
    the same scenario again yields the same (source, id) pairs and downstream dedup absorbs a
    re-publication. Ties in time keep emission order, which keeps each aggregate's order.
    """

    def __init__(self, source: str, until: int | None = None) -> None:
        self.source = source
        self.until = until
        self._rows: list[tuple[int, int, dict[str, Any]]] = []
        self._seen: Counter[tuple[str, str]] = Counter()

    def emit(self, epoch: int, event_type: str, subject: str, data: dict[str, Any]) -> bool:
        """Record one event; returns False (and records nothing) past the log's end time."""
        if self.until is not None and epoch > self.until:
            return False
        name = event_type.rsplit(".", 1)[1]
        self._seen[(subject, name)] += 1
        event_id = f"{subject}.{name}.{self._seen[(subject, name)]}"
        row = event(self.source, event_id, event_type, epoch, subject, data)
        self._rows.append((epoch, len(self._rows), row))
        return True

    def __len__(self) -> int:
        return len(self._rows)

    def events(self) -> list[dict[str, Any]]:
        return [row for _, _, row in sorted(self._rows, key=lambda r: (r[0], r[1]))]
