"""`lianxi publish FILE`: JSONL or CSV events, validated line by line, then sent to Kafka.

Ids come from the file, so running the same file twice publishes the same (source, id) pairs
and the pipeline deduplicates them: re-runs are safe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.contracts import (
    UnknownEventType,
    Violation,
    major_of,
    schema_for,
    validate_event,
)

ENVELOPE_FIELDS = ("id", "source", "type", "specversion", "time", "subject", "dataschema", "datacontenttype")
CHUNK = 5000


@dataclass
class Rejected:
    line: int
    violations: list[Violation]

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "errors": [v.as_dict() for v in self.violations]}


@dataclass
class PublishSummary:
    lines: int = 0
    accepted: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    by_topic: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def reasons(self) -> dict[tuple[str, str], int]:
        """(field, rule) -> how many lines broke it."""
        counts: dict[tuple[str, str], int] = {}
        for r in self.rejected:
            for v in {(v.field, v.rule) for v in r.violations}:
                counts[v] = counts.get(v, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, Violation("", "json", f"not valid JSON: {exc.msg} at column {exc.colno}")


def _cell(value: str, prop: dict[str, Any]) -> Any:
    """A CSV cell typed after its JSON Schema property; values that cannot be converted are
    passed through as text so validation names the field and the rule."""
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else types
    if value == "":
        return None
    for kind in types:
        try:
            if kind == "integer":
                return int(value)
            if kind == "number":
                return float(value)
            if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if kind in ("array", "object"):
                return json.loads(value)
        except ValueError:
            continue
    return value


def csv_event(row: dict[str, str]) -> dict[str, Any]:
    """Envelope columns plus data.<field> columns -> structured event."""
    event: dict[str, Any] = {k: v for k, v in row.items() if k in ENVELOPE_FIELDS and v != ""}
    extra = [k for k in row if k not in ENVELOPE_FIELDS and not k.startswith("data.")]
    for k in extra:
        event[k] = row[k]  # unknown columns reach validation and are reported there
    props: dict[str, Any] = {}
    try:
        props = schema_for(event.get("type", ""), major_of(event))["properties"]
    except UnknownEventType:
        pass
    data: dict[str, Any] = {}
    for column, value in row.items():
        if not column.startswith("data."):
            continue
        name = column[5:]
        prop = props.get(name, {})
        typed = _cell(value, prop)
        nullable = isinstance(prop.get("type"), list) and "null" in prop["type"]
        if typed is None and not nullable:
            continue  # an empty cell means "not given" for this event type
        data[name] = typed
    event["data"] = data
    return event


def _csv(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for number, row in enumerate(reader, 2):
            if None in row:
                yield number, Violation("", "csv", "the row has more cells than the header")
                continue
            yield number, csv_event(row)


def read_events(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, event dict or a Violation if the line cannot be read)."""
    if path.suffix.lower() == ".csv":
        return _csv(path)
    return _jsonl(path)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def publish_file(
    path: Path,
    publish: Callable[[list[dict[str, Any]]], dict[str, int]] | None,
    on_line: Callable[[int], None] | None = None,
) -> PublishSummary:
    """Validate every line; hand valid events to `publish` in chunks (None = dry run).

    `publish(chunk)` returns events per topic and raises if Kafka did not acknowledge all.
    """
    import time

    started = time.perf_counter()
    summary = PublishSummary()
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        if chunk and publish is not None:
            for topic, n in publish(chunk).items():
                summary.by_topic[topic] = summary.by_topic.get(topic, 0) + n
        summary.accepted += len(chunk)
        chunk.clear()

    for number, event in read_events(path):
        summary.lines += 1
        violations = [event] if isinstance(event, Violation) else validate_event(event)
        if violations:
            summary.rejected.append(Rejected(number, violations))
        else:
            chunk.append(event)
            if len(chunk) >= CHUNK:
                flush()
        if on_line:
            on_line(number)
    flush()
    summary.seconds = time.perf_counter() - started
    return summary
