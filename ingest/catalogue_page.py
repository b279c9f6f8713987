"""The Chinese event catalogue as one static HTML page, generated from the schema files (the
catalogue's single source): every domain, event type and field with its Chinese description,
type, constraints, allowed values with their labels, and the schema's own example.

Served by the API at GET /v1/catalogue (ingest/api/routes/catalogue.py) and written to a file by
`lianxi catalogue --out FILE` for publishers without access to the API."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ingest import contracts

TEMPLATE = Path(__file__).parent / "templates" / "catalogue.html.j2"
DOMAIN_NAMES = {
    "org": "组织",
    "member": "党员",
    "meeting": "联席会议",
    "wish": "微心愿",
    "volunteer": "志愿服务",
    "resources": "资源清单",
    "ticket": "接诉即办",
    "assessment": "考核",
    "quality": "数据质量",
}
# Constraints a reader needs, in the order they are shown.
CONSTRAINTS = (
    ("minLength", "最短 {} 字符"),
    ("maxLength", "最长 {} 字符"),
    ("pattern", "格式 {}"),
    ("format", "格式 {}"),
    ("minimum", "≥ {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"),
    ("minItems", "至少 {} 项"),
    ("maxItems", "至多 {} 项"),
    ("const", "固定为 {}"),
)


def zh(description: str) -> str:
    """The Chinese half of a bilingual "中文 / English" description."""
    return description.partition(" / ")[0]


def _type_text(node: dict[str, Any]) -> str:
    kind = node.get("type", "enum" if "enum" in node else "")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds:
        items = node.get("items", {})
        return f"数组<{items.get('type', '')}>"
    return " | ".join(str(k) for k in kinds if k)


def _field(name: str, node: dict[str, Any], required: bool) -> dict[str, Any]:
    labels = node.get("x-enum-labels", {})
    values = [
        {"code": v, "label": labels.get(v, "")} for v in node.get("enum", []) if v is not None
    ]
    items = node.get("items", {})
    values += [
        {"code": v, "label": items.get("x-enum-labels", {}).get(v, "")}
        for v in items.get("enum", [])
    ]
    return {
        "name": name,
        "type": _type_text(node),
        "required": required,
        "nullable": isinstance(node.get("type"), list) and "null" in node["type"],
        "description": zh(node.get("description", "")),
        "constraints": [text.format(node[key]) for key, text in CONSTRAINTS if key in node],
        "allowed": values,
    }


def catalogue() -> list[dict[str, Any]]:
    """Domains, each with its event types and their fields, from the schema files."""
    out = []
    for domain in contracts.domains():
        events = []
        for event_type in (t for t in contracts.event_types() if contracts.domain_of(t) == domain):
            for major in contracts.versions_of(event_type):
                schema = contracts.schema_for(event_type, major)
                required = set(schema.get("required", []))
                events.append(
                    {
                        "type": event_type,
                        "version": major,
                        "dataschema": contracts.dataschema_for(event_type, major),
                        "description": zh(schema.get("description", "")),
                        "aggregate": contracts.aggregate_field(event_type, major),
                        "topic": contracts.topic_for(event_type),
                        "fields": [
                            _field(n, p, n in required)
                            for n, p in schema.get("properties", {}).items()
                        ],
                        "example": json.dumps(schema["examples"][0], ensure_ascii=False, indent=2),
                    }
                )
        out.append(
            {
                "domain": domain,
                "name": DOMAIN_NAMES.get(domain, domain),
                "events": events,
            }
        )
    return out


@cache
def render() -> str:
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    envelope = contracts.envelope_schema()
    required = set(envelope["required"])
    return template.render(
        domains=catalogue(),
        envelope=[_field(n, p, n in required) for n, p in envelope["properties"].items()],
        types=len(contracts.event_types()),
    )
