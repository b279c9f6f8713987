"""Raw warehouse tables derived from the event contracts.

The JSON Schemas in ingest/contracts are the single source of truth: this module turns every
domain's schemas into one table layout (used by the sink to build rows), and
`python -m streams.rawschema --write` writes the migrations that get the warehouse there.

Migrations are append-only (warehouse/migrate.py refuses an applied file that changed): the
columns the existing `*_create_raw_*` / `*_alter_raw_*` files already create are the base, and
a schema change gets a NEW `<stamp>_alter_raw_<table>.sql` adding the missing columns.
Removing or retyping a column is refused: that is a new event version, not a migration.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest import contracts
from streams.config import DOMAINS

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "warehouse" / "migrations"
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
    # The record's CloudEvents headers (ce_*, content-type): a binary-mode event is only
    # whole with them, so `lianxi dlq replay` needs them back (issue #17).
    ("headers", "Map(String, String)"),
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
        body = ",\n".join(f"    {_column_ddl(self.name, n, t)}" for n, t in self.columns())
        return (
            f"CREATE TABLE IF NOT EXISTS {database}.{self.name}\n(\n{body}\n)\n"
            "ENGINE = ReplacingMergeTree(ingested_at)\n"
            "PARTITION BY toYYYYMM(time)\n"
            "ORDER BY (street_id, community_id, subject, source, event_id)\n"
            "SETTINGS non_replicated_deduplication_window = 1000"
        )


def dead_letters_sql(database: str = "raw") -> str:
    body = ",\n".join(f"    {_column_ddl('dead_letters', n, t)}" for n, t in DEAD_LETTER_COLUMNS)
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


HEADER = (
    "-- Generated by `python -m streams.rawschema --write` from ingest/contracts/schemas\n"
    "-- (dead_letters: streams/rawschema.py DEAD_LETTER_COLUMNS); edit those, not this file.\n"
    "-- Never edit it once applied: the next schema change\n"
    "-- gets a migration of its own.\n"
)


class BreakingChangeError(ValueError):
    """The contracts want a column removed or retyped: raw tables only ever gain columns."""


def wanted_columns() -> dict[str, list[tuple[str, str]]]:
    """Raw table name -> the (column, type) list the contracts and the dead-letter layout want."""
    wanted = {table.name: table.columns() for table in raw_tables().values()}
    wanted["dead_letters"] = list(DEAD_LETTER_COLUMNS)
    return wanted


def _column_ddl(table: str, name: str, ch_type: str) -> str:
    if table == "dead_letters":
        return f"`{name}` {ch_type}"
    extra = " DEFAULT now64(3)" if name == "ingested_at" else ""
    codec = f" {CODECS[name]}" if name in CODECS else ""
    return f"`{name}` {ch_type}{extra}{codec}"


# The migrations this module writes: <stamp>_create_raw_<table>.sql, <stamp>_alter_raw_<table>.sql.
_RAW_MIGRATION = re.compile(r"^(\d{14})_(create|alter)_raw_([a-z0-9_]+)\.sql$")
_STAMP = re.compile(r"^(\d{14})_")
_CREATE_LINE = re.compile(r"^\s+`([^`]+)`\s+(.+)$")
_ALTER_LINE = re.compile(r"ADD COLUMN IF NOT EXISTS\s+`([^`]+)`\s+(.+)$")
# What may follow the type in a column definition; no ClickHouse type name contains these.
_AFTER_TYPE = re.compile(r"\s+(?:DEFAULT\s|CODEC\(|AFTER\s|FIRST\b)")


def _type_of(rest: str) -> str:
    rest = rest.rstrip().rstrip(";,").rstrip()
    cut = _AFTER_TYPE.search(rest)
    return rest[: cut.start()] if cut else rest


def migrated_columns(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """Raw table name -> {column: type} that the migration files already create or add.

    Read from the files, not from a server: the files are what every install ends up with, and
    they are frozen once committed, so they are the base the next migration is computed from.
    """
    directory = directory or MIGRATIONS_DIR
    out: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _RAW_MIGRATION.match(path.name)
        if not match:
            continue
        verb, table = match.group(2), match.group(3)
        columns = out.setdefault(table, {})
        pattern = _CREATE_LINE if verb == "create" else _ALTER_LINE
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("--"):
                continue
            found = pattern.search(line) if verb == "alter" else pattern.match(line)
            if found:
                columns[found.group(1)] = _type_of(found.group(2))
    return out


def _next_stamp(directory: Path, now: datetime | None) -> str:
    # After every existing migration, so file-name order is apply order even if a clock or a
    # hand-picked stamp is ahead of now.
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    stamps = [m.group(1) for p in directory.glob("*.sql") if (m := _STAMP.match(p.name))]
    latest = max(stamps, default="")
    if stamp <= latest:
        stamp = (datetime.strptime(latest, "%Y%m%d%H%M%S") + timedelta(seconds=1)).strftime(
            "%Y%m%d%H%M%S"
        )
    return stamp


def _create_file(table: str) -> str:
    if table == "dead_letters":
        undo = "-- Undo: DROP TABLE raw.dead_letters -- loses the rows; lianxi.deadletter keeps the\n-- messages until its retention ends.\n"
        return HEADER + undo + dead_letters_sql() + ";\n"
    undo = (
        f"-- Undo: DROP TABLE raw.{table} -- loses the loaded rows; Kafka keeps the events, so\n"
        "-- `lianxi replay --from-beginning` rebuilds them.\n"
    )
    [raw] = [t for t in raw_tables().values() if t.name == table]
    return HEADER + undo + raw.create_sql() + ";\n"


def _alter_file(table: str, wanted: list[tuple[str, str]], have: dict[str, str]) -> str | None:
    statements, added = [], []
    for i, (name, ch_type) in enumerate(wanted):
        if name in have:
            continue
        # Where the column would be in a fresh table, so every install has the same order.
        place = f"AFTER `{wanted[i - 1][0]}`" if i else "FIRST"
        statements.append(
            f"ALTER TABLE raw.{table} ADD COLUMN IF NOT EXISTS {_column_ddl(table, name, ch_type)} {place};"
        )
        added.append(f"`{name}`")
    if not statements:
        return None
    undo = (
        f"-- Undo: ALTER TABLE raw.{table} DROP COLUMN {', DROP COLUMN '.join(added)}\n"
        "-- (rows loaded since keep those values only in their Kafka record).\n"
    )
    return HEADER + undo + "\n".join(statements) + "\n"


def pending_migrations(
    directory: Path | None = None, now: datetime | None = None
) -> dict[str, str]:
    """File name -> content of the migrations the contracts need beyond the existing files:
    a CREATE for a table no file creates yet, one ALTER ... ADD COLUMN file per table that
    gained columns. Raises BreakingChangeError when a migrated column would be removed or
    change type (no migration fixes that without losing or rewriting loaded rows)."""
    directory = directory or MIGRATIONS_DIR
    have_all = migrated_columns(directory)
    stamp = _next_stamp(directory, now)
    files: dict[str, str] = {}
    problems = []
    for table, wanted in wanted_columns().items():
        have = have_all.get(table)
        if have is None:
            files[f"{stamp}_create_raw_{table}.sql"] = _create_file(table)
            continue
        types = dict(wanted)
        for name, ch_type in have.items():
            if name not in types:
                problems.append(f"raw.{table}.{name} ({ch_type}) is no longer in the contracts")
            elif types[name] != ch_type:
                problems.append(f"raw.{table}.{name} would change from {ch_type} to {types[name]}")
        alter = _alter_file(table, wanted, have)
        if alter:
            files[f"{stamp}_alter_raw_{table}.sql"] = alter
    if problems:
        raise BreakingChangeError(
            "breaking change to the raw tables: "
            + "; ".join(problems)
            + ". Raw tables only gain columns: a removed or retyped field needs a new event "
            "version (a new event type or major version whose fields get columns of their "
            "own), not a change to an existing column."
        )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.rawschema", description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the new migration files")
    parser.add_argument("--check", action="store_true", help="exit 1 if a migration is missing")
    args = parser.parse_args(argv)
    try:
        files = pending_migrations()
    except BreakingChangeError as exc:
        sys.stderr.write(json.dumps({"error": "breaking_change", "message": str(exc)}) + "\n")
        return 1
    if args.write:
        MIGRATIONS_DIR.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            # "x": a new file only; an existing migration is never overwritten.
            with (MIGRATIONS_DIR / name).open("x", encoding="utf-8") as out:
                out.write(content)
            sys.stdout.write(f"wrote {name}\n")
        return 0
    if args.check:
        sys.stdout.write(json.dumps({"stale": sorted(files)}) + "\n")
        return 1 if files else 0
    for name, content in files.items():
        sys.stdout.write(f"-- {name}\n{content}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
