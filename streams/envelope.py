"""Turn one Kafka record into a CloudEvents envelope, or say precisely why not.

Both CloudEvents Kafka bindings are accepted: structured mode (the whole event as JSON in the
value) and binary mode (attributes in `ce_` headers, `data` as the value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

# msgspec decodes about twice as fast as the json module; json only runs on its failures, to
# tell "not JSON" from what msgspec cannot represent (integers beyond 64 bits).
_DECODER = msgspec.json.Decoder()

# error_code values stored in raw.dead_letters; the `error` column lists the violations.
OVERSIZED = "oversized"
NOT_JSON = "not_json"
INVALID_ENVELOPE = "invalid_envelope"
UNKNOWN_TYPE = "unknown_type"
WRONG_TOPIC = "wrong_topic"
SCHEMA_VIOLATION = "schema_violation"

ENVELOPE_STRINGS = ("id", "source", "type", "specversion", "time", "subject")


@dataclass
class Rejection(Exception):
    """A record that cannot be loaded; becomes one raw.dead_letters row."""

    error_code: str
    violations: list[dict[str, Any]]
    event_type: str | None = None
    source: str | None = None
    event_id: str | None = None

    def error_json(self) -> str:
        return json.dumps(self.violations, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Envelope:
    event: dict[str, Any]  # the CloudEvent as validated (structured form)
    time: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.time = parse_time(self.event["time"])

    @property
    def type(self) -> str:
        return self.event["type"]

    @property
    def data(self) -> dict[str, Any]:
        return self.event["data"]


def violation(field_name: str, rule: str, message: str) -> dict[str, Any]:
    return {"field": field_name, "rule": rule, "message": message}


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("time has no UTC offset")
    return parsed.astimezone(UTC)


def _header_map(headers: Any) -> dict[str, bytes]:
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, dict) else headers
    return {str(k): (v if isinstance(v, bytes | bytearray) else str(v).encode()) for k, v in items}


def decode(value: bytes | None, headers: Any, max_bytes: int) -> dict[str, Any]:
    """The record as a structured CloudEvent dict (not yet validated)."""
    size = len(value or b"")
    if size > max_bytes:
        raise Rejection(
            OVERSIZED,
            [violation("", "maxBytes", f"record value is {size} bytes, limit {max_bytes}")],
        )
    hmap = _header_map(headers)
    if "ce_specversion" in hmap:
        try:
            event: dict[str, Any] = {
                k[3:]: v.decode("utf-8") for k, v in hmap.items() if k.startswith("ce_")
            }
        except UnicodeDecodeError as exc:
            raise Rejection(INVALID_ENVELOPE, [violation("headers", "utf8", str(exc))]) from exc
        try:
            event["data"] = _loads(value or b"")
        except ValueError as exc:
            raise Rejection(NOT_JSON, [violation("data", "json", str(exc))], **_ids(event)) from exc
        content_type = hmap.get("content-type")
        if content_type is not None:
            event["datacontenttype"] = content_type.decode("utf-8", "replace")
    else:
        try:
            event = _loads(value or b"")
        except ValueError as exc:
            raise Rejection(NOT_JSON, [violation("", "json", str(exc))]) from exc
        if not isinstance(event, dict):
            raise Rejection(
                INVALID_ENVELOPE, [violation("", "type", "a CloudEvent must be a JSON object")]
            )
    return event


def _loads(value: bytes) -> Any:
    try:
        return _DECODER.decode(value)
    except msgspec.DecodeError:
        return json.loads(value)


def _ids(event: dict[str, Any]) -> dict[str, str | None]:
    def text(name: str) -> str | None:
        value = event.get(name)
        return value if isinstance(value, str) else None

    return {"event_type": text("type"), "source": text("source"), "event_id": text("id")}


def rejection_ids(event: dict[str, Any]) -> dict[str, str | None]:
    return _ids(event)
