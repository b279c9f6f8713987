"""The embedded server's rights check: ClickHouse's own parse tree of one statement against
the role's grants, functions and settings constraints. Admin statements are not checked.

Fails closed: a statement kind, function, table function or engine that is not allowed for the
role is refused with ClickHouse's codes (497 ACCESS_DENIED, 164 READONLY, 452
SETTING_CONSTRAINT_VIOLATION). The caller guarantees one statement (see Engine), so the tree
is the whole of what runs.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from warehouse.access.functions import ENGINES, TABLE_FUNCTIONS, function_allowed
from warehouse.access.model import Role
from warehouse.errors import (
    ACCESS_DENIED,
    READONLY,
    SETTING_CONSTRAINT_VIOLATION,
    QueryError,
)
from warehouse.statement import quoted_end

# Databases every role reads metadata from (drivers list tables, columns, settings). Rows of
# the platform's databases are never there; system tables with other users' queries or the
# server's files are not on the list.
METADATA_DATABASES = frozenset({"INFORMATION_SCHEMA", "information_schema"})
SYSTEM_TABLES = frozenset(
    {
        "one",
        "numbers",
        "numbers_mt",
        "zeros",
        "zeros_mt",
        "settings",
        "functions",
        "table_functions",
        "formats",
        "data_type_families",
        "databases",
        "tables",
        "columns",
        "time_zones",
        "collations",
        "aggregate_function_combinators",
        "build_options",
        "table_engines",
        "contributors",
        "licenses",
        "current_roles",
        "enabled_roles",
        "keywords",
        "data_skipping_indices",
    }
)
_READ_KINDS = frozenset(
    {
        "SelectWithUnionQuery",
        "SelectIntersectExceptQuery",
        "SelectQuery",
        "DescribeQuery",
        "Explain",
    }
)
_ALTER_COMMANDS = frozenset(
    {
        "ADD_COLUMN",
        "DROP_COLUMN",
        "MODIFY_COLUMN",
        "COMMENT_COLUMN",
        "RENAME_COLUMN",
        "MATERIALIZE_COLUMN",
        "DELETE",
        "UPDATE",
        "DROP_PARTITION",
        "ADD_INDEX",
        "DROP_INDEX",
        "MATERIALIZE_INDEX",
        "CLEAR_INDEX",
        "MODIFY_COMMENT",
        "MODIFY_ORDER_BY",
        "MODIFY_TTL",
        "ADD_PROJECTION",
        "DROP_PROJECTION",
        "MATERIALIZE_PROJECTION",
        "APPLY_DELETED_MASK",
        "MODIFY_SETTING",
    }
)
_SHOW_KINDS = frozenset(
    {
        "ShowTables",
        "ShowColumns",
        "ShowIndexes",
        "ShowCreateTableQuery",
        "ShowCreateDatabaseQuery",
        "ShowCreateViewQuery",
        "ShowSetting",
        "ShowEngineQuery",
        "ShowFunctions",
    }
)
# Table settings that choose where data lives on the host: a role could point a table at any path.
_STORAGE_SETTINGS = frozenset({"disk", "storage_policy"})
_NODE = re.compile(r"^( *)(\S+)(?: (.*?))?(?: \(children \d+\))?$")
# A value is a number, a string or a word, and nothing may follow it but a comma or the rest of
# the statement: `disk = disk(...)` is not a literal.
_PAIR = re.compile(
    r"\s*(\w+)\s*=\s*(-?[\d.]+(?:[eE][+-]?\d+)?|'(?:[^'\\]|\\.)*'|\w+)(?![\w(.'])\s*(,)?"
)


@dataclass(frozen=True)
class Node:
    depth: int
    kind: str
    arg: str


@dataclass(frozen=True)
class Caller:
    """Who runs the statement: the role's model, and whether this request is read-only."""

    name: str
    role: Role
    readonly: bool


def parse_tree(ast: str) -> list[Node]:
    nodes = []
    for line in ast.splitlines():
        match = _NODE.match(line)
        if match:
            nodes.append(Node(len(match.group(1)), match.group(2), (match.group(3) or "").strip()))
    return nodes


def denied(caller: Caller, grant: str) -> QueryError:
    return QueryError(
        ACCESS_DENIED,
        f"{caller.name}: Not enough privileges. To execute this query, it's necessary to have the grant {grant}",
    )


def check(
    caller: Caller,
    ast: str,
    formatted: Callable[[], str],
    current_db: str,
    table_exists: Callable[[str, str], bool],
) -> None:
    """Raise QueryError unless `caller` may run the statement whose `EXPLAIN AST` is `ast`.

    `formatted()` returns the statement as ClickHouse's formatter prints it (comments gone, one
    canonical spelling); it is asked for only when settings or a DDL form must be read.
    """
    nodes = parse_tree(ast)
    if not nodes:
        raise denied(caller, "(statement could not be analysed)")
    kind = nodes[0].kind
    _check_tree(caller, nodes, current_db, table_exists)
    modifies_settings = any(n.kind == "AlterCommand" and n.arg == "MODIFY_SETTING" for n in nodes)
    if any(n.kind == "Set" for n in nodes) or kind == "Set" or modifies_settings:
        check_settings(caller, settings_in(formatted()))
    if kind.startswith("Show"):
        _check_show(caller, kind, formatted)
    if (
        kind in _READ_KINDS
        or kind.startswith(("Show", "Exists"))
        or kind in ("Set", "UseQuery", "CheckQuery")
    ):
        _check_named_databases(caller, nodes, current_db)
        return
    if caller.readonly or caller.role.readonly:
        raise QueryError(READONLY, f"{caller.name}: Cannot execute query in readonly mode")
    if kind == "InsertQuery":
        _require(caller, "INSERT", _target(nodes, current_db))
    elif kind == "CreateQuery":
        _check_create(caller, nodes, formatted(), current_db)
    elif kind == "DropQuery":
        _check_drop(caller, nodes, formatted(), current_db)
    elif kind == "AlterQuery":
        for node in nodes:
            if node.kind == "AlterCommand" and node.arg not in _ALTER_COMMANDS:
                raise denied(caller, f"ALTER {node.arg} (reserved for the admin role)")
        _require(caller, "ALTER", _target(nodes, current_db))
    elif kind == "Rename":
        _check_rename(caller, nodes, formatted(), current_db)
    elif kind in ("TruncateQuery", "OptimizeQuery", "DeleteQuery", "UpdateQuery"):
        privilege = {
            "TruncateQuery": "TRUNCATE",
            "OptimizeQuery": "OPTIMIZE",
            "DeleteQuery": "ALTER DELETE",
            "UpdateQuery": "ALTER UPDATE",
        }[kind]
        _require(caller, privilege, _target(nodes, current_db))
    else:
        raise denied(caller, f"{kind} (reserved for the admin role)")


def _check_show(caller: Caller, kind: str, formatted: Callable[[], str]) -> None:
    """SHOW is rewritten by the engine into a SELECT on a system table that this check never
    sees, so only the forms that read metadata drivers need are open."""
    if kind not in _SHOW_KINDS:
        raise denied(caller, f"{kind} (reserved for the admin role)")
    if kind == "ShowTables":  # also SHOW MERGES / CLUSTERS / FILESYSTEM CACHES
        words = formatted().upper().split()[:3]
        if not any(w in ("TABLES", "DATABASES", "DICTIONARIES", "SETTINGS") for w in words):
            raise denied(caller, f"{' '.join(words)} (reserved for the admin role)")


def _require(caller: Caller, privilege: str, database: str, what: str = "*") -> None:
    if not caller.role.allows(privilege, database):
        raise denied(caller, f"{privilege} ON {database}.{what}")


def _target(nodes: list[Node], current_db: str) -> str:
    """The database of the statement's own table: `db.t` is two Identifier children, `t` one."""
    names = [n.arg for n in nodes if n.depth == 1 and n.kind == "Identifier"]
    return names[0] if len(names) >= 2 else current_db


def _parent(nodes: list[Node], index: int) -> str:
    depth = nodes[index].depth
    for node in reversed(nodes[:index]):
        if node.depth < depth:
            return node.kind
    return ""


def _check_tree(
    caller: Caller, nodes: list[Node], current_db: str, table_exists: Callable[[str, str], bool]
) -> None:
    for index, node in enumerate(nodes):
        parent = _parent(nodes, index)
        if node.kind == "Literal" and parent in ("SelectWithUnionQuery", "InsertQuery"):
            # INTO OUTFILE / FROM INFILE: the embedded server is its own client, so these would
            # read and write files as the server's user.
            raise denied(caller, "FILE (INTO OUTFILE, FROM INFILE are reserved for the admin role)")
        if node.kind == "TableIdentifier":
            _check_table_read(caller, node.arg, current_db, table_exists)
        elif node.kind.startswith("FunctionWithKeyValueArguments"):
            raise denied(caller, "CREATE DICTIONARY (reserved for the admin role)")
        elif node.kind == "Function":
            name = node.arg.split(" ", 1)[0]
            if parent == "TableExpression" or (parent == "InsertQuery" and node.depth == 1):
                if name not in TABLE_FUNCTIONS:
                    raise denied(caller, f"{name.upper()} ON *.* (table function {name})")
            elif parent == "Storage" and nodes[index - 1].kind == "Storage":
                # The first child of "Storage definition" is the engine; ORDER BY and
                # PARTITION BY expressions after it are ordinary functions.
                if name not in ENGINES:
                    raise denied(caller, f"TABLE ENGINE ON {name}")
            elif not function_allowed(name):
                raise denied(caller, f"{name} (function reserved for the admin role)")


def _check_table_read(
    caller: Caller, arg: str, current_db: str, table_exists: Callable[[str, str], bool]
) -> None:
    name = arg.split(" (alias", 1)[0].strip().strip("`")
    database, _, table = name.rpartition(".")
    database = database.strip("`")
    if not database:
        # An unqualified name may be a CTE: only a real table of the current database counts.
        if not table_exists(current_db, table):
            return
        database = current_db
    if database in METADATA_DATABASES:
        return
    if database == "system":
        if table in SYSTEM_TABLES:
            return
        raise denied(caller, f"SELECT ON system.{table}")
    _require(caller, "SELECT", database, table)


def _check_named_databases(caller: Caller, nodes: list[Node], current_db: str) -> None:
    """SHOW TABLES FROM db, EXISTS db.t, USE db, CHECK TABLE db.t name a database directly."""
    names = [n.arg for n in nodes if n.depth == 1 and n.kind == "Identifier"]
    kind = nodes[0].kind
    if kind in (
        "SelectWithUnionQuery",
        "SelectQuery",
        "SelectIntersectExceptQuery",
        "Explain",
        "Set",
    ):
        return  # their depth-1 identifiers are a FORMAT name; tables are TableIdentifiers
    databases = (
        names[:1]
        if (len(names) >= 2 or kind in ("ShowTables", "UseQuery", "ShowCreateDatabaseQuery"))
        else []
    )
    for database in databases:
        if database == "system" or database in METADATA_DATABASES:
            continue
        _require(caller, "SELECT", database)


def _check_create(caller: Caller, nodes: list[Node], text: str, current_db: str) -> None:
    words = text.split(None, 4)
    head = " ".join(words[:3]).upper()
    if head.startswith("CREATE OR REPLACE"):
        head = "CREATE " + " ".join(words[3:4]).upper()
    if head.startswith("CREATE TEMPORARY TABLE"):
        _require(caller, "CREATE TEMPORARY TABLE", "*")
        return
    if head.startswith("CREATE DATABASE"):
        _require(
            caller, "CREATE DATABASE", nodes[0].arg.split(" ", 1)[0] if nodes[0].arg else current_db
        )
        return
    if head.startswith(("CREATE TABLE", "CREATE VIEW")):
        privilege = "CREATE VIEW" if head.startswith("CREATE VIEW") else "CREATE TABLE"
        _require(caller, privilege, _target(nodes, current_db))
        return
    raise denied(caller, f"{' '.join(words[:3])} (reserved for the admin role)")


def _check_drop(caller: Caller, nodes: list[Node], text: str, current_db: str) -> None:
    head = " ".join(text.split()[:3]).upper()
    if head.startswith("DROP TEMPORARY"):
        return  # session-local
    if head.startswith("DROP DATABASE"):
        _require(caller, "DROP DATABASE", nodes[0].arg.split(" ", 1)[0] or current_db)
        return
    if not head.startswith(("DROP TABLE", "DROP VIEW")):
        raise denied(caller, f"{head} (reserved for the admin role)")
    privilege = "DROP VIEW" if head.startswith("DROP VIEW") else "DROP TABLE"
    tables = [n.arg for n in nodes if n.kind == "TableIdentifier"]
    if tables:  # DROP TABLE a.x, b.y
        for table in tables:
            database, _, _ = table.rpartition(".")
            _require(caller, privilege, database.strip("`") or current_db)
    else:
        _require(caller, privilege, _target(nodes, current_db))


def _check_rename(caller: Caller, nodes: list[Node], text: str, current_db: str) -> None:
    head = " ".join(text.split()[:2]).upper()
    if head not in ("RENAME TABLE", "EXCHANGE TABLES", "RENAME VIEW"):
        raise denied(caller, f"{head} (reserved for the admin role)")
    names = [n.arg for n in nodes if n.depth == 1 and n.kind == "Identifier"]
    # Pairs of (database, table) when every name is qualified; otherwise the formatter's text
    # tells qualified from bare names.
    databases = set()
    for part in re.split(r"\b(?:TO|AND)\b|,", text.split(None, 2)[2]):
        name = part.strip().split()[0] if part.strip() else ""
        database, _, _ = name.replace("`", "").rpartition(".")
        databases.add(database or current_db)
    if not names:
        raise denied(caller, f"{head} (statement could not be analysed)")
    for database in databases:
        _require(caller, "CREATE TABLE", database)
        _require(caller, "DROP TABLE", database)


def settings_in(text: str) -> Iterator[tuple[str, str]]:
    """Each `name = value` of a SET statement or a SETTINGS clause in formatter-printed SQL.

    A value that is not a plain literal (a function like disk(...)) stops the scan with an
    error: for a limited role, what cannot be read is refused."""
    for match in _settings_starts(text):
        position = match
        while True:
            pair = _PAIR.match(text, position)
            if pair is None:
                near = " ".join(text[position : position + 60].split())
                raise QueryError(
                    SETTING_CONSTRAINT_VIOLATION,
                    f"Settings must be plain literals for this role: near '{near}'",
                )
            yield pair.group(1), pair.group(2).strip("'")
            position = pair.end()
            if pair.group(3) != ",":
                break


def _settings_starts(text: str) -> Iterator[int]:
    """Positions right after each SET / SETTINGS keyword outside string literals."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'`\"":
            i = quoted_end(text, i)
            continue
        word = re.match(r"[A-Za-z_]\w*", text[i:])
        if word:
            token = word.group().upper()
            preceded = i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.")
            leading_set = token == "SET" and text[:i].strip() == ""
            modify = token == "SETTING" and text[:i].rstrip().upper().endswith(("MODIFY", "RESET"))
            if preceded and (token == "SETTINGS" or leading_set or modify):
                yield i + len(word.group())
            i += len(word.group())
            continue
        i += 1


def check_settings(caller: Caller, pairs: Iterator[tuple[str, str]] | dict[str, str]) -> None:
    """Refuse a setting the role's profile constrains, the way ClickHouse words it."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    for name, value in items:
        if name == "profile" or name in _STORAGE_SETTINGS:
            raise QueryError(SETTING_CONSTRAINT_VIOLATION, f"Setting {name} should not be changed")
        constraint = caller.role.profile.get(name)
        if constraint is None:
            continue
        if constraint.const:
            if value != constraint.value:
                raise QueryError(
                    SETTING_CONSTRAINT_VIOLATION, f"Setting {name} should not be changed"
                )
            continue
        try:
            number = _number(value)
        except ValueError:
            raise QueryError(
                SETTING_CONSTRAINT_VIOLATION, f"Setting {name}: cannot read '{value}' as a number"
            ) from None
        if constraint.min is not None and number < constraint.min:
            raise QueryError(
                SETTING_CONSTRAINT_VIOLATION,
                f"Setting {name} shouldn't be less than {constraint.min:g}",
            )
        if constraint.max is not None and number > constraint.max:
            raise QueryError(
                SETTING_CONSTRAINT_VIOLATION,
                f"Setting {name} shouldn't be greater than {constraint.max:g}",
            )


_UNITS = {
    "k": 1e3,
    "m": 1e6,
    "g": 1e9,
    "t": 1e12,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
}


def _number(value: str) -> float:
    text = value.strip().lower().removesuffix("b")
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)
