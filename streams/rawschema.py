"""Raw warehouse tables derived from the event contracts.

The JSON Schemas in ingest/contracts are the single source of truth: this module turns every
domain's schemas into one table layout (used by the sink to build rows) and its CREATE TABLE
(written to warehouse/migrations by `python -m streams.rawschema --write`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest import contracts
from streams.config import DOMAINS

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "migrations"
MIGRATION_STAMP = "20261125001000"
SCOPE_FIELDS = ("street_id", "community_id")

ENVELOPE_HEAD: tuple[tuple[str, str], ...] = (
    ("event_id", "String"),
    ("source", "LowCardinality(String)"),
    ("type", "LowCardinality(String)"),
    ("schema_version", "UInt16"),
    ("subject", "String"),
    ("time", "DateTime64(3, 'UTC')"),
    ("street_id", "LowCardinality(String)"),
    ("community_id", "LowCardinality(String)"),
)
ENVELOPE_TAIL: tuple[tuple[str, str], ...] = (
    ("data", "String"),
    ("kafka_topic", "LowCardinality(String)"),
    ("kafka_partition", "UInt32"),
    ("kafka_offset", "UInt64"),
    ("ingested_at", "DateTime64(3, 'UTC')"),
)
# Timestamps grow almost monotonically inside a part, which Delta+ZSTD compresses to little.
CODECS = {"time": "CODEC(Delta, ZSTD)", "ingested_at": "CODEC(Delta, ZSTD)"}

DEAD_LETTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("topic", "LowCardinality(String)"),
    ("partition", "UInt32"),
    ("offset", "UInt64"),
    ("key", "String"),
    ("raw_value", "String"),
    ("error_code", "LowCardinality(String)"),
    ("error", "String"),
    ("event_type", "Nullable(String)"),
    ("source", "Nullable(String)"),
    ("event_id", "Nullable(String)"),
    ("failed_at", "DateTime64(3, 'UTC')"),
    ("replayed_at", "Nullable(DateTime64(3, 'UTC'))"),
)

BASE_TYPES = {
    "string": "String",
    "enum": "LowCardinality(String)",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "Bool",
    "datetime": "DateTime64(3, 'UTC')",
    "strings": "Array(String)",
}


class SchemaShapeError(ValueError):
    """A contract uses a JSON Schema shape the raw layout has no column type for."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # key of BASE_TYPES
    nullable: bool

    @property
    def ch_type(self) -> str:
        base = BASE_TYPES[self.kind]
        if not self.nullable or self.kind == "strings":
            return base
        if self.kind == "enum":
            return "LowCardinality(Nullable(String))"
        return f"Nullable({base})"


@dataclass(frozen=True)
class RawTable:
    domain: str
    data_columns: tuple[Column, ...]
    event_types: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.domain}_events"

    def columns(self) -> list[tuple[str, str]]:
        data = [(c.name, c.ch_type) for c in self.data_columns]
        return [*ENVELOPE_HEAD, *data, *ENVELOPE_TAIL]

    def insert_columns(self) -> list[str]:
        # ingested_at is left to its DEFAULT so the replacing version is the server's clock.
        return [name for name, _ in self.columns() if name != "ingested_at"]

    def create_sql(self, database: str = "raw") -> str:
        lines = []
        for name, ch_type in self.columns():
            extra = " DEFAULT now64(3)" if name == "ingested_at" else ""
            codec = f" {CODECS[name]}" if name in CODECS else ""
            lines.append(f"    `{name}` {ch_type}{extra}{codec}")
        body = ",\n".join(lines)
        return (
            f"CREATE TABLE IF NOT EXISTS {database}.{self.name}\n(\n{body}\n)\n"
            "ENGINE = ReplacingMergeTree(ingested_at)\n"
            "PARTITION BY toYYYYMM(time)\n"
            "ORDER BY (street_id, community_id, subject, source, event_id)\n"
            "SETTINGS non_replicated_deduplication_window = 1000"
        )


def dead_letters_sql(database: str = "raw") -> str:
    body = ",\n".join(f"    `{name}` {ch_type}" for name, ch_type in DEAD_LETTER_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {database}.dead_letters\n(\n{body}\n)\n"
        "ENGINE = ReplacingMergeTree\n"
        "ORDER BY (topic, partition, offset)"
    )


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise SchemaShapeError(f"external $ref {ref!r} is not supported")
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
        if seen > 20:
            raise SchemaShapeError(f"$ref cycle at {ref!r}")
    return node


def _kind_of(schema: dict[str, Any], node: dict[str, Any], where: str) -> tuple[str, bool]:
    """(column kind, whether null is allowed) of one property schema."""
    node = _resolve(schema, node)
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            kinds, nullable = set(), False
            for option in node[combinator]:
                option = _resolve(schema, option)
                if option.get("type") == "null":
                    nullable = True
                    continue
                kind, opt_null = _kind_of(schema, option, where)
                kinds.add(kind)
                nullable = nullable or opt_null
            return _merge_kinds(kinds, where), nullable
    types = node.get("type")
    type_list = types if isinstance(types, list) else [types] if types else []
    nullable = "null" in type_list
    concrete = [t for t in type_list if t != "null"]
    if "enum" in node:
        values = node["enum"]
        nullable = nullable or None in values
        if all(isinstance(v, str) for v in values if v is not None):
            return "enum", nullable
    if "const" in node and isinstance(node["const"], str):
        return "enum", nullable
    if len(concrete) != 1:
        raise SchemaShapeError(f"{where}: needs exactly one non-null type, got {types!r}")
    base = concrete[0]
    if base == "string":
        return ("datetime" if node.get("format") == "date-time" else "string"), nullable
    if base in ("integer", "number", "boolean"):
        return base, nullable
    if base == "array":
        items = _resolve(schema, node.get("items", {}))
        if items.get("type") == "string":
            return "strings", False
    raise SchemaShapeError(f"{where}: type {base!r} has no raw column type")


def _merge_kinds(kinds: set[str], where: str) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds <= {"integer", "number"}:
        return "number"
    if kinds <= {"string", "enum"}:
        return "string"
    raise SchemaShapeError(f"{where}: incompatible types {sorted(kinds)}")


def data_schema_of(schema: dict[str, Any]) -> dict[str, Any]:
    """The `data` part of an event schema (files may hold the whole event or just data)."""
    props = schema.get("properties", {})
    if "data" in props and ("type" in props or "specversion" in props):
        return _resolve(schema, props["data"])
    return schema


def load_schemas() -> dict[str, list[tuple[str, int, dict]]]:
    """domain -> [(event type, major version, data schema)], newest major per type only."""
    out: dict[str, list[tuple[str, int, dict]]] = {d: [] for d in DOMAINS}
    for event_type in contracts.event_types():
        major = max(contracts.versions_of(event_type))
        out.setdefault(contracts.domain_of(event_type), []).append(
            (event_type, major, contracts.schema_for(event_type, major))
        )
    return out


def derive_table(domain: str, schemas: list[tuple[str, int, dict]]) -> RawTable:
    seen: dict[str, list[tuple[str, bool, bool]]] = {}  # name -> [(kind, nullable, required)]
    for event_type, _major, schema in schemas:
        data = data_schema_of(schema)
        required = set(data.get("required", []))
        for prop, node in data.get("properties", {}).items():
            if prop in SCOPE_FIELDS:
                continue
            kind, nullable = _kind_of(data, node, f"{event_type}.data.{prop}")
            seen.setdefault(prop, []).append((kind, nullable, prop in required))
    columns = []
    for prop in sorted(seen):
        uses = seen[prop]
        kind = _merge_kinds({k for k, _, _ in uses}, f"{domain}.{prop}")
        in_every_type = len(uses) == len(schemas)
        nullable = not in_every_type or any(n or not r for _, n, r in uses)
        columns.append(Column(prop, kind, nullable))
    return RawTable(domain, tuple(columns), tuple(t for t, _, _ in schemas))


@lru_cache
def raw_tables() -> dict[str, RawTable]:
    loaded = load_schemas()
    return {domain: derive_table(domain, loaded[domain]) for domain in DOMAINS}


def migration_files() -> dict[str, str]:
    """File name -> content of every generated raw migration."""
    header = (
        "-- Generated by `python -m streams.rawschema --write` from ingest/contracts/schemas;\n"
        "-- edit the schemas, not this file.\n"
        "-- Undo: DROP TABLE {table} -- loses the loaded rows; Kafka keeps the events, so\n"
        "-- `lianxi replay --from-beginning` rebuilds them.\n"
    )
    files = {}
    for domain, table in raw_tables().items():
        name = f"{MIGRATION_STAMP}_create_raw_{domain}_events.sql"
        files[name] = header.format(table=f"raw.{table.name}") + table.create_sql() + ";\n"
    dl_name = f"{MIGRATION_STAMP}_create_raw_dead_letters.sql"
    files[dl_name] = (
        header.format(table="raw.dead_letters").replace(
            "Kafka keeps the events, so\n-- `lianxi replay --from-beginning` rebuilds them.",
            "lianxi.deadletter keeps the\n-- messages until its retention ends.",
        )
        + dead_letters_sql()
        + ";\n"
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.rawschema", description=__doc__)
    parser.add_argument("--write", action="store_true", help="write warehouse/migrations files")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ")
    args = parser.parse_args(argv)
    files = migration_files()
    if args.write:
        MIGRATIONS_DIR.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (MIGRATIONS_DIR / name).write_text(content, encoding="utf-8")
        return 0
    if args.check:
        stale = [n for n, c in files.items() if not (MIGRATIONS_DIR / n).is_file()
                 or (MIGRATIONS_DIR / n).read_text(encoding="utf-8") != c]
        sys.stdout.write(json.dumps({"stale": stale}) + "\n")
        return 1 if stale else 0
    for name, content in files.items():
        sys.stdout.write(f"-- {name}\n{content}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
