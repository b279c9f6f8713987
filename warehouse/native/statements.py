"""Just enough SQL recognition for what the native protocol treats specially.

INSERTs without inline data make the server ask the client for blocks; USE and SET
change the connection's state; a trailing FORMAT clause is the client's business
(blocks are always Native on this protocol).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from warehouse.errors import ProtocolError
from warehouse.native.columns import split_args

_IDENT = r"(?:`(?:[^`\\]|\\.)+`|\"(?:[^\"\\]|\\.)+\"|[A-Za-z_][A-Za-z0-9_$]*)"
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
_INSERT = re.compile(
    rf"INSERT\s+INTO\s+(?:TABLE\s+)?(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*"
    rf"(?:\((?P<columns>[^()]*)\))?\s*(?:VALUES|FORMAT\s+(?P<format>\w+))\s*;?\s*\Z",
    re.IGNORECASE | re.DOTALL,
)
_USE = re.compile(rf"USE\s+(?P<database>{_IDENT})\s*;?\s*\Z", re.IGNORECASE | re.DOTALL)
_SET = re.compile(r"SET\s+(?P<assignments>[^;]+?)\s*;?\s*\Z", re.IGNORECASE | re.DOTALL)
_FORMAT_TAIL = re.compile(r"\s+FORMAT\s+\w+\s*;?\s*\Z", re.IGNORECASE)
_SELECT_LIKE = re.compile(r"(?:SELECT|WITH)\b|\(", re.IGNORECASE)


@dataclass(frozen=True)
class InsertTarget:
    table: str  # as written, quoted identifiers kept
    columns: tuple[str, ...] | None  # unquoted names; None = all insertable columns


def strip_leading_comments(query: str) -> str:
    return query[_LEADING_NOISE.match(query).end() :]  # type: ignore[union-attr]


def unquote_identifier(ident: str) -> str:
    ident = ident.strip()
    if len(ident) >= 2 and ident[0] == ident[-1] and ident[0] in '`"':
        return re.sub(r"\\(.)", r"\1", ident[1:-1])
    return ident


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def insert_target(query: str) -> InsertTarget | None:
    """The target of an INSERT whose rows the client will send as blocks, else None."""
    match = _INSERT.match(strip_leading_comments(query))
    if match is None:
        return None
    columns = match.group("columns")
    names = None
    if columns is not None:
        names = tuple(unquote_identifier(c) for c in split_args(columns))
        if not names:
            raise ProtocolError("SYNTAX_ERROR", "INSERT column list is empty")
    return InsertTarget(match.group("table"), names)


def use_database(query: str) -> str | None:
    match = _USE.match(strip_leading_comments(query))
    return unquote_identifier(match.group("database")) if match else None


def set_assignments(query: str) -> dict[str, str] | None:
    """`SET a = 1, b = 'x'` as {a: '1', b: 'x'}; None when the query is not a SET."""
    match = _SET.match(strip_leading_comments(query))
    if match is None:
        return None
    settings = {}
    for part in split_args(match.group("assignments")):
        name, eq, value = part.partition("=")
        if not eq or not re.fullmatch(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*", name):
            raise ProtocolError("SYNTAX_ERROR", f"cannot parse SET assignment {part!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1].replace("\\'", "'").replace("\\\\", "\\")
        settings[name.strip()] = value
    return settings


def without_format(query: str) -> str:
    return _FORMAT_TAIL.sub("", query)


def is_select_like(query: str) -> bool:
    return _SELECT_LIKE.match(strip_leading_comments(query)) is not None
