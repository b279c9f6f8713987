"""Typed pydantic models built from the schema files at first use (the files stay the only source).

`model_for("lianxi.ticket.opened")` gives a model of the data payload: enums become Literal
types, date-time strings datetime, nullable fields Optional with a None default.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from ingest.contracts.registry import envelope_schema, schema_for

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "object": dict,
}


def _base_type(prop: dict[str, Any]) -> Any:
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    kind = types[0] if types else "string"
    if "enum" in prop:
        values = tuple(v for v in prop["enum"] if v is not None)
        return Literal[values]  # type: ignore[valid-type]
    if "const" in prop:
        return Literal[prop["const"]]  # type: ignore[valid-type]
    if kind == "string" and prop.get("format") == "date-time":
        return datetime
    if kind == "array":
        return list[_base_type(prop.get("items", {}))]  # type: ignore[misc]
    return _SCALARS.get(kind, Any)


def _constraints(prop: dict[str, Any]) -> dict[str, Any]:
    mapping = {
        "minLength": "min_length",
        "maxLength": "max_length",
        "pattern": "pattern",
        "minimum": "ge",
        "maximum": "le",
        "exclusiveMinimum": "gt",
        "exclusiveMaximum": "lt",
    }
    return {py: prop[js] for js, py in mapping.items() if js in prop}


def _fields(schema: dict[str, Any]) -> dict[str, Any]:
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        typ = _base_type(prop)
        types = prop.get("type")
        nullable = isinstance(types, list) and "null" in types
        kw = _constraints(prop) if typ in (str, int, float) else {}
        kw["description"] = prop.get("description")
        if nullable or name not in required:
            fields[name] = (Optional[typ], Field(default=None, **kw))  # noqa: UP045
        else:
            fields[name] = (typ, Field(**kw))
    return fields


def _class_name(title: str) -> str:
    return "".join(p.capitalize() for p in title.replace(".", "_").split("_"))


@cache
def model_for(event_type: str, major: int = 1) -> type[BaseModel]:
    """Pydantic model of the data payload of `event_type` (major version `major`)."""
    schema = schema_for(event_type, major)
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{_class_name(event_type)}V{major}",
        __config__=ConfigDict(extra="forbid"),
        __doc__=schema.get("description"),
        **_fields(schema),
    )


@cache
def envelope_model() -> type[BaseModel]:
    """Pydantic model of the CloudEvents envelope (data left as a dict)."""
    schema = envelope_schema()
    return create_model(  # type: ignore[call-overload, no-any-return]
        "CloudEventV1",
        __config__=ConfigDict(extra="forbid"),
        __doc__=schema.get("description"),
        **_fields(schema),
    )
