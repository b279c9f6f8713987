"""Event catalogue: loads the JSON Schema files and validates CloudEvents envelopes against them.

The files under schemas/ are the single source of truth; everything here is derived from them
at import time (validators, aggregate-id fields, topics, pydantic models).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema_rs

SCHEMA_DIR = Path(__file__).parent / "schemas"
TYPE_PREFIX = "lianxi."
DEADLETTER_TOPIC = "lianxi.deadletter"
SPECVERSION = "1.0"


class Violation(NamedTuple):
    """One broken rule: `field` is a dotted path into the event ("data.category", "time",
    "data.attending_unit_ids[1]"; "" for the event itself), `rule` the JSON Schema keyword or
    one of the catalogue rules below, `message` a readable English sentence."""

    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


# Rules that JSON Schema cannot express; the names are part of the API (clients match on them).
RULE_KNOWN_TYPE = "known_type"
RULE_KNOWN_VERSION = "known_version"
RULE_SUBJECT = "subject_matches_aggregate"
RULE_DATASCHEMA = "dataschema_matches_type"


class UnknownEventType(KeyError):
    """Raised by lookups for a type (or major version) the catalogue does not define."""


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _compile(schema: dict[str, Any]) -> Any:
    # Draft 2020-12 treats "format" as an annotation unless asked; we want it enforced.
    return jsonschema_rs.validator_for(schema, validate_formats=True)


class _Entry(NamedTuple):
    schema: dict[str, Any]
    validator: Any
    aggregate_field: str


def _scan() -> dict[tuple[str, int], _Entry]:
    entries: dict[tuple[str, int], _Entry] = {}
    for path in sorted(SCHEMA_DIR.glob("*/*.v*.json")):
        schema = _load(path)
        event_type = schema["x-event-type"]
        major = int(schema["x-version"])
        domain, name = path.parent.name, path.name.split(".v")[0]
        if event_type != f"{TYPE_PREFIX}{domain}.{name}" or path.name != f"{name}.v{major}.json":
            raise ValueError(f"{path}: file name does not match x-event-type {event_type} v{major}")
        entries[(event_type, major)] = _Entry(schema, _compile(schema), schema["x-aggregate-id"])
    return entries


_ENVELOPE = _load(SCHEMA_DIR / "envelope.v1.json")
_ENVELOPE_VALIDATOR = _compile(_ENVELOPE)
_ENTRIES = _scan()
_TYPES = sorted({t for t, _ in _ENTRIES})
# The catalogue's own names answered by one dict look-up: the worker asks for every event
# (about 0.8 µs of its ~10 µs per event went to re-parsing these strings).
_DOMAIN_OF_TYPE = {t: t.split(".")[1] for t in _TYPES}
_MAJOR_OF_DATASCHEMA = {e.schema["$id"]: major for (_, major), e in _ENTRIES.items()}


def event_types() -> list[str]:
    """Every event type of the catalogue, sorted."""
    return list(_TYPES)


def domains() -> list[str]:
    """Every domain (org, member, ...), sorted."""
    return sorted({domain_of(t) for t in _TYPES})


# Domains only the platform itself writes: the alerts service's record of who was told what
# (alert) and the ingest API's record of what it refused (quality). No publishing system may
# send them: a forged `acknowledged` would silence an alert, a forged refusal would blame a feed.
PLATFORM_DOMAINS: frozenset[str] = frozenset({"alert", "quality"})


def publisher_event_types() -> list[str]:
    """The event types a publishing system may send (all but the platform's own), sorted."""
    return [t for t in _TYPES if domain_of(t) not in PLATFORM_DOMAINS]


def domain_of(event_type: str) -> str:
    """ "lianxi.ticket.opened" -> "ticket"."""
    known = _DOMAIN_OF_TYPE.get(event_type)
    if known is not None:
        return known
    parts = event_type.split(".")
    if len(parts) != 3 or parts[0] != "lianxi":
        raise UnknownEventType(event_type)
    return parts[1]


def topic_for(event_type: str, prefix: str = "") -> str:
    """Kafka topic of an event type: "lianxi.<domain>", optionally prefixed (tests isolate topics)."""
    return f"{prefix}{TYPE_PREFIX}{domain_of(event_type)}"


def topics(prefix: str = "") -> list[str]:
    """All domain topics (without the dead-letter topic)."""
    return [f"{prefix}{TYPE_PREFIX}{d}" for d in domains()]


def versions_of(event_type: str) -> list[int]:
    return sorted(m for t, m in _ENTRIES if t == event_type)


def _entry(event_type: str, major: int) -> _Entry:
    try:
        return _ENTRIES[(event_type, major)]
    except KeyError:
        raise UnknownEventType(f"{event_type} v{major}") from None


def schema_for(event_type: str, major: int = 1) -> dict[str, Any]:
    """The JSON Schema of the `data` payload (the loaded file; treat it as read-only)."""
    return _entry(event_type, major).schema


def envelope_schema() -> dict[str, Any]:
    return _ENVELOPE


def aggregate_field(event_type: str, major: int = 1) -> str:
    """The data field whose value is the aggregate id (= the envelope's subject, the Kafka key)."""
    return _entry(event_type, major).aggregate_field


def dataschema_for(event_type: str, major: int = 1) -> str:
    """ "urn:lianxi:schema:<domain>.<name>:v<major>"."""
    return _entry(event_type, major).schema["$id"]


def _path(parts: list[Any], prefix: str) -> str:
    out = prefix
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out = f"{out}.{p}" if out else str(p)
    return out


def _from_errors(errors: Any, prefix: str) -> list[Violation]:
    found: list[Violation] = []
    for err in errors:
        parts = list(err.instance_path)
        rule = str(err.schema_path[-1]) if err.schema_path else "schema"
        kind = type(err.kind).__name__
        if kind == "Required":
            found.append(Violation(_path([*parts, err.kind.property], prefix), rule, err.message))
        elif kind == "AdditionalProperties":
            for name in err.kind.unexpected:
                found.append(
                    Violation(
                        _path([*parts, name], prefix), rule, f"property {name!r} is not allowed"
                    )
                )
        else:
            found.append(Violation(_path(parts, prefix), rule, err.message))
    return sorted(set(found))


def validate_data(event_type: str, data: Any, major: int = 1) -> list[Violation]:
    """Violations of one `data` payload; paths are relative to the payload."""
    return _from_errors(_entry(event_type, major).validator.iter_errors(data), "")


def major_of(event: dict[str, Any]) -> int:
    """Major version named by the envelope's dataschema (v1 when absent or unreadable)."""
    ds = event.get("dataschema")
    known = _MAJOR_OF_DATASCHEMA.get(ds) if isinstance(ds, str) else None
    if known is not None:
        return known
    if isinstance(ds, str) and ":v" in ds:
        tail = ds.rsplit(":v", 1)[1]
        if tail.isdigit():
            return int(tail)
    return 1


def _plainly_valid(event: dict[str, Any]) -> bool:
    """True only if validate_event would find nothing; checked with the validators' boolean
    is_valid (about half the cost of collecting errors). False means: look closer."""
    if not _ENVELOPE_VALIDATOR.is_valid(event):
        return False
    event_type = event.get("type")
    entry = _ENTRIES.get((event_type, major_of(event))) if isinstance(event_type, str) else None
    if entry is None:
        return False
    data, ds = event.get("data"), event.get("dataschema")
    return (
        (ds is None or ds == entry.schema["$id"])
        and isinstance(data, dict)
        and entry.validator.is_valid(data)
        and data.get(entry.aggregate_field) == event.get("subject")
    )


def validate_event(event: Any) -> list[Violation]:
    """Every violation of a structured-mode CloudEvent (a dict); [] means valid.

    Checks the envelope, then the data payload against the schema of its type and version,
    then the catalogue rules: subject equals the aggregate id, dataschema names the type.
    """
    if isinstance(event, dict) and _plainly_valid(event):
        return []
    return _violations(event)


def _violations(event: Any) -> list[Violation]:
    """validate_event without the fast path: collects every error."""
    if not isinstance(event, dict):
        return [Violation("", "type", "an event must be a JSON object")]
    found = _from_errors(_ENVELOPE_VALIDATOR.iter_errors(event), "")
    event_type = event.get("type")
    if not isinstance(event_type, str) or any(v.field == "type" for v in found):
        return found
    major = major_of(event)
    if event_type not in _TYPES:
        found.append(
            Violation(
                "type", RULE_KNOWN_TYPE, f"unknown event type {event_type!r}; see the catalogue"
            )
        )
        return found
    if (event_type, major) not in _ENTRIES:
        found.append(
            Violation(
                "dataschema", RULE_KNOWN_VERSION, f"{event_type} has no schema version v{major}"
            )
        )
        return found
    entry = _ENTRIES[(event_type, major)]
    ds = event.get("dataschema")
    if (
        ds is not None
        and ds != entry.schema["$id"]
        and not any(v.field == "dataschema" for v in found)
    ):
        found.append(
            Violation(
                "dataschema",
                RULE_DATASCHEMA,
                f"dataschema must be {entry.schema['$id']!r} for {event_type}",
            )
        )
    data = event.get("data")
    if isinstance(data, dict):
        found.extend(_from_errors(entry.validator.iter_errors(data), "data"))
        agg = data.get(entry.aggregate_field)
        subject = event.get("subject")
        if isinstance(agg, str) and isinstance(subject, str) and agg != subject:
            found.append(
                Violation(
                    "subject",
                    RULE_SUBJECT,
                    f"subject must equal data.{entry.aggregate_field} ({agg!r})",
                )
            )
    return found


def is_valid(event: Any) -> bool:
    return not validate_event(event)


@cache
def examples() -> list[tuple[str, int, dict[str, Any]]]:
    """(type, major, data) for every valid example in the schema files."""
    return [
        (t, m, ex) for (t, m), e in sorted(_ENTRIES.items()) for ex in e.schema.get("examples", [])
    ]
