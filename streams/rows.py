"""Turn a batch of Kafka records from one domain topic into raw-table rows and dead letters.

Pure and synchronous: the worker's loader, `lianxi replay` and the benchmark's baseline all call
it, so every path loads exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from ingest import contracts
from ingest.contracts.registry import RULE_DATASCHEMA, RULE_SUBJECT
from streams import envelope as env
from streams.enrichment import OrgRegistry
from streams.rawschema import RawTable, raw_tables

# Compact, UTF-8 as is (no \u escapes), several times faster than json.dumps.
_ENCODER = msgspec.json.Encoder()
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# DateTime64(3) holds 1900-01-01 .. 2299-12-31; outside it ClickHouse would clamp silently.
YEAR_MIN, YEAR_MAX = 1900, 2299
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any = ()


@dataclass
class DeadLetter:
    record: Record
    rejection: env.Rejection
    failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))


OffsetRanges = dict[tuple[str, int], list[int]]  # (topic, partition) -> [first, last]


@dataclass
class Batch:
    """What one batch of records turns into; `token` names it for insert deduplication."""

    table: RawTable
    columns: list[str]
    rows: list[tuple]
    dead_letters: list[DeadLetter]
    ranges: OffsetRanges
    org_updates: list[dict[str, Any]]

    @property
    def token(self) -> str:
        return token_of(self.ranges)

    @property
    def records(self) -> int:
        return len(self.rows) + len(self.dead_letters)

    def extend(self, other: Batch) -> None:
        """Take in the next records of the same table, as if both had been one batch."""
        self.rows.extend(other.rows)
        self.dead_letters.extend(other.dead_letters)
        self.org_updates.extend(other.org_updates)
        for key, (lo, hi) in other.ranges.items():
            span = self.ranges.setdefault(key, [lo, hi])
            span[0], span[1] = min(span[0], lo), max(span[1], hi)


def offset_ranges(records: Iterable[Record]) -> OffsetRanges:
    ranges: OffsetRanges = {}
    for r in records:
        span = ranges.setdefault((r.topic, r.partition), [r.offset, r.offset])
        if r.offset < span[0]:
            span[0] = r.offset
        elif r.offset > span[1]:
            span[1] = r.offset
    return ranges


def token_of(ranges: OffsetRanges) -> str:
    return ",".join(f"{t}:{p}:{lo}-{hi}" for (t, p), (lo, hi) in sorted(ranges.items()))


def dedup_token(records: Sequence[Record]) -> str:
    """topic:partition:first-last for each partition in the batch, so a retried insert of the
    same batch is dropped by ClickHouse instead of loaded twice."""
    return token_of(offset_ranges(records))


def _reject(code: str, field_name: str, rule: str, message: str, event: dict) -> env.Rejection:
    return env.Rejection(
        code, [env.violation(field_name, rule, message)], **env.rejection_ids(event)
    )


# Catalogue rules name an envelope attribute (subject, dataschema) but are about the data: a
# subject that is not the aggregate id, a dataschema of another type. schema_violation, as the
# README's table says; only a missing or malformed attribute is invalid_envelope.
CATALOGUE_RULES = frozenset({RULE_SUBJECT, RULE_DATASCHEMA})


def parse_record(record: Record, domain: str, max_bytes: int) -> env.Envelope:
    """The validated envelope of one record, or env.Rejection saying why it cannot load."""
    event = env.decode(record.value, record.headers, max_bytes)
    # contracts.validate_event answers the common valid case with a cheap yes/no check first.
    found = [v.as_dict() for v in contracts.validate_event(event)]
    if found:
        rules = {v["rule"] for v in found}
        if rules & {"known_type", "known_version"}:
            code = env.UNKNOWN_TYPE
        elif any(
            (v["field"] in env.ENVELOPE_STRINGS or v["field"] in ("", "data"))
            and v["rule"] not in CATALOGUE_RULES
            for v in found
        ):
            code = env.INVALID_ENVELOPE
        else:
            code = env.SCHEMA_VIOLATION
        raise env.Rejection(code, found, **env.rejection_ids(event))
    event_domain = contracts.domain_of(event["type"])
    if event_domain != domain:
        raise _reject(
            env.WRONG_TOPIC,
            "type",
            "topic_matches_domain",
            f"{event['type']} belongs on the {event_domain} topic, not {record.topic}",
            event,
        )
    try:
        return env.Envelope(event)
    except ValueError as exc:
        raise _reject(env.INVALID_ENVELOPE, "time", "format", str(exc), event) from exc


def _cell(kind: str, value: Any, prop: str, event: dict) -> Any:
    if value is None:
        return [] if kind == "strings" else None
    if kind == "datetime":
        try:
            parsed = env.parse_time(value)
        except ValueError as exc:
            raise _reject(env.SCHEMA_VIOLATION, f"data.{prop}", "format", str(exc), event) from exc
        return _in_range_time(parsed, f"data.{prop}", event)
    if kind == "integer":
        if not INT64_MIN <= value <= INT64_MAX:
            raise _reject(env.SCHEMA_VIOLATION, f"data.{prop}", "int64", "outside Int64", event)
        return int(value)
    if kind == "number":
        return float(value)
    return value


def _in_range_time(value: datetime, field_name: str, event: dict) -> int:
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise _reject(
            env.SCHEMA_VIOLATION,
            field_name,
            "range",
            f"year {value.year} outside {YEAR_MIN}..{YEAR_MAX}",
            event,
        )
    return epoch_ms(value)


def epoch_ms(value: datetime) -> int:
    """A DateTime64(3) cell as the integer clickhouse-driver sends as it is: its own
    conversion of a datetime (astimezone through pytz, then timestamp) was half of its work
    per row. Floor division keeps times before 1970 exact."""
    return (value - _EPOCH) // _MILLISECOND


def schema_version(event: dict) -> int:
    return contracts.major_of(event)


# Kinds whose JSON value goes into its column as it is (the schema already checked it).
_AS_IS = frozenset({"string", "enum", "boolean"})


_PLANS: dict[str, tuple[tuple[str, str, bool], ...]] = {}


def _plan(table: RawTable) -> tuple[tuple[str, str, bool], ...]:
    plan = _PLANS.get(table.name)
    if plan is None:
        plan = _PLANS[table.name] = tuple(
            (c.name, c.kind, c.kind in _AS_IS) for c in table.data_columns
        )
    return plan


def to_row(table: RawTable, e: env.Envelope, record: Record, registry: OrgRegistry) -> tuple:
    event, data = e.event, e.data
    street, community = registry.scope(data)
    get = data.get
    cells = [
        get(name) if as_is else _cell(kind, get(name), name, event)
        for name, kind, as_is in _plan(table)
    ]
    return (
        event["id"],
        event["source"],
        event["type"],
        schema_version(event),
        event["subject"],
        _in_range_time(e.time, "time", event),
        street,
        community,
        *cells,
        _ENCODER.encode(data).decode(),
        record.topic,
        record.partition,
        record.offset,
    )


def prepare(domain: str, records: Sequence[Record], registry: OrgRegistry, max_bytes: int) -> Batch:
    """Records (rows.Record, or anything with its attributes: aiokafka's ConsumerRecord)."""
    table = raw_tables()[domain]
    rows: list[tuple] = []
    dead: list[DeadLetter] = []
    org_updates: list[dict[str, Any]] = []
    for record in records:
        try:
            e = parse_record(record, domain, max_bytes)
            if domain == "org":
                # Learn before building rows so a community registered earlier in this
                # batch already enriches the events after it.
                registry.learn(e.data)
                org_updates.append(e.data)
            rows.append(to_row(table, e, record, registry))
        except env.Rejection as rejection:
            dead.append(DeadLetter(record, rejection))
    return Batch(table, table.insert_columns(), rows, dead, offset_ranges(records), org_updates)
