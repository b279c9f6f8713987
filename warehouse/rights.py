"""Per-database rights, checked on ClickHouse's own parse tree (`EXPLAIN AST`) before a query runs.

The embedded engine has no access control of its own, so the server reads which tables a
statement reads and which database it changes from the AST ClickHouse prints, and refuses
what the user's role does not allow. Read-only roles are additionally enforced by ClickHouse
itself through the `readonly` setting on their connections.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from warehouse.errors import ACCESS_DENIED, READONLY, QueryError
from warehouse.statement import leading_keyword
from warehouse.users import User

_READ_KINDS = frozenset(
    {"SelectWithUnionQuery", "SelectIntersectExceptQuery", "SelectQuery", "DescribeQuery", "Explain", "Set", "Use"}
)
_DDL_KINDS = frozenset(
    {
        "CreateQuery", "AlterQuery", "DropQuery", "Rename", "OptimizeQuery", "TruncateQuery",
        "DetachQuery", "AttachQuery", "UndropQuery", "DeleteQuery", "UpdateQuery",
    }
)
# Table functions that reach no stored data (so no database right applies to them).
_SAFE_TABLE_FUNCTIONS = frozenset(
    {"numbers", "numbers_mt", "zeros", "zeros_mt", "generateRandom", "values", "null", "one",
     "generate_series", "generateSeries", "format", "input", "view"}
)
_DATABASE_DDL = re.compile(r"^\s*(CREATE|DROP|ATTACH|DETACH|UNDROP|RENAME)\s+(DATABASE|SCHEMA)\b", re.IGNORECASE)
_TEMPORARY_DDL = re.compile(r"^\s*(CREATE|DROP)\s+(OR\s+REPLACE\s+)?TEMPORARY\b", re.IGNORECASE)
_NODE = re.compile(r"^( *)(\S+)(?: (.*?))?(?: \(children \d+\))?$")


@dataclass(frozen=True)
class _Node:
    depth: int
    kind: str
    arg: str


def _parse(ast: str) -> list[_Node]:
    nodes = []
    for line in ast.splitlines():
        match = _NODE.match(line)
        if match:
            nodes.append(_Node(len(match.group(1)), match.group(2), (match.group(3) or "").strip()))
    return nodes


def _denied(user: User, what: str) -> QueryError:
    return QueryError(ACCESS_DENIED, f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant {what}")


def check(
    user: User,
    query: str,
    ast: str,
    current_db: str,
    table_exists: Callable[[str, str], bool],
) -> None:
    """Raise QueryError (497 ACCESS_DENIED, 164 READONLY) unless `user` may run `query`."""
    if user.is_admin:
        return
    nodes = _parse(ast)
    if not nodes:  # fail closed: a tree this module cannot read grants nothing
        raise _denied(user, "(statement could not be analysed)")
    kind = nodes[0].kind
    text = query[len(query) - len(query.lstrip()):]
    statement = leading_keyword(text)

    _check_reads(user, nodes, current_db, table_exists)

    if kind in _READ_KINDS or kind.startswith(("Show", "Exists")) or statement in ("SHOW", "EXISTS", "DESCRIBE", "DESC"):
        return
    if user.readonly:
        raise QueryError(READONLY, f"{user.name}: Cannot execute query in readonly mode")
    targets = [n.arg for n in nodes if n.depth == 1 and n.kind == "Identifier"]
    if kind == "InsertQuery":
        if any(n.depth == 1 and n.kind == "Function" for n in nodes):
            raise _denied(user, "CREATE TEMPORARY TABLE, INSERT ON table functions")
        database = targets[0] if len(targets) >= 2 else current_db
        if not user.can_write(database):
            raise _denied(user, f"INSERT ON {database}.*")
        return
    if kind in _DDL_KINDS:
        if _TEMPORARY_DDL.match(_strip_comments(text)):
            return  # session-local; touches no database
        if _DATABASE_DDL.match(_strip_comments(text)):
            for database in targets or [current_db]:
                if not user.can_ddl(database):
                    raise _denied(user, f"CREATE DATABASE, DROP DATABASE ON {database}.*")
            return
        for database in _ddl_databases(kind, targets, current_db):
            if not user.can_ddl(database):
                raise _denied(user, f"CREATE TABLE, ALTER, DROP TABLE ON {database}.*")
        return
    raise _denied(user, f"{statement or kind} (reserved for the admin role)")


def _ddl_databases(kind: str, targets: list[str], current_db: str) -> set[str]:
    if kind == "Rename":
        # The AST lists names flat: 4 = two qualified tables, 2 = two unqualified ones. With 3
        # it cannot tell which table was qualified, so it checks every name as a database too.
        if len(targets) == 4:
            return {targets[0], targets[2]}
        if len(targets) == 2:
            return {current_db}
        return {current_db, *targets}
    if len(targets) >= 2:
        return {targets[0]}
    return {current_db}


def _check_reads(user: User, nodes: list[_Node], current_db: str, table_exists: Callable[[str, str], bool]) -> None:
    for index, node in enumerate(nodes):
        if node.kind == "TableIdentifier":
            name = node.arg.split(" (alias", 1)[0].strip().strip("`")
            database, _, table = name.rpartition(".")
            if database:
                if not user.can_read(database):
                    raise _denied(user, f"SELECT ON {database}.{table}")
            elif not user.can_read(current_db) and table_exists(current_db, table):
                # Unqualified names are also CTE names; only a real table of the current
                # database is refused.
                raise _denied(user, f"SELECT ON {current_db}.{table}")
        elif node.kind == "Function" and _parent_kind(nodes, index) in ("TableExpression", "InsertQuery"):
            function = node.arg.split(" ", 1)[0]
            if function not in _SAFE_TABLE_FUNCTIONS:
                raise _denied(user, f"READ ON table function {function}")


def _parent_kind(nodes: list[_Node], index: int) -> str:
    depth = nodes[index].depth
    for node in reversed(nodes[:index]):
        if node.depth < depth:
            return node.kind
    return ""


def _strip_comments(text: str) -> str:
    return re.sub(r"^(\s+|--[^\n]*\n?|/\*.*?\*/)*", "", text, flags=re.DOTALL)
