"""Validation of events against the contracts, with a fast path for the common valid case.

contracts.validate_event collects every violation (two iter_errors passes per event). Most
records are valid, so the worker first asks the same schemas a yes/no question (is_valid, about
3x cheaper) plus the two catalogue rules, and only calls validate_event, which stays the
authority on what is wrong, when that answer is no.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from ingest import contracts


@cache
def _envelope_validator() -> Any:
    return jsonschema_rs.validator_for(contracts.envelope_schema(), validate_formats=True)


@cache
def _data_validator(event_type: str, major: int) -> Any | None:
    try:
        schema = contracts.schema_for(event_type, major)
    except contracts.UnknownEventType:
        return None
    return (
        jsonschema_rs.validator_for(schema, validate_formats=True),
        contracts.aggregate_field(event_type, major),
        contracts.dataschema_for(event_type, major),
    )


def _fast_valid(event: Any) -> bool:
    if not isinstance(event, dict) or not _envelope_validator().is_valid(event):
        return False
    entry = _data_validator(event["type"], contracts.major_of(event))
    if entry is None:
        return False
    validator, aggregate, dataschema = entry
    data = event["data"]
    return (
        validator.is_valid(data)
        and data.get(aggregate) == event["subject"]
        and event.get("dataschema", dataschema) == dataschema
    )


def violations(event: Any) -> list[dict[str, str]]:
    """[] when the event is valid, else the contracts' violations as dicts."""
    if _fast_valid(event):
        return []
    return [v.as_dict() for v in contracts.validate_event(event)]
