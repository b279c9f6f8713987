"""Just enough lexing of SQL text for what the servers treat specially; the engine parses the rest.

Both interfaces: a statement's leading keyword, its trailing FORMAT clause, comma lists and
`;`-separated scripts (migrations). HTTP: where an INSERT's header ends and its inline data
starts. Native protocol: INSERTs whose rows come as blocks, USE and SET (connection state).

INSERT headers and inline data:

ClickHouse reads `INSERT INTO t [(cols)] [SETTINGS ...] FORMAT <fmt>` and treats what follows
as data in that format (`VALUES` means format Values). Clients rely on this: clickhouse-connect
posts the header, a newline and binary Native data as one body. The engine, though, wants the
header and the data apart, so this scanner finds where the header ends without decoding the
(possibly binary) data.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from warehouse.errors import ProtocolError

_SPACE = b" \t\r\n\f"
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_FORMAT_AT_END = re.compile(r"\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$", re.IGNORECASE)
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)


@dataclass(frozen=True)
class InsertHeader:
    query: str  # the INSERT up to, not including, FORMAT <fmt> / VALUES
    fmt: str
    data_offset: int  # where inline data starts in the scanned text


def _skip_space_and_comments(text: bytes, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i] in _SPACE:
            i += 1
        elif text.startswith(b"--", i) or text.startswith(b"#", i):
            end = text.find(b"\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith(b"/*", i):
            end = text.find(b"*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            break
    return i


def _skip_quoted(text: bytes, i: int) -> int:
    quote = text[i]
    i += 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == 0x5C:  # backslash escape
            i += 2
            continue
        if c == quote:
            if i + 1 < n and text[i + 1] == quote:  # doubled quote
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _skip_parens(text: bytes, i: int) -> int:
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in b"'\"`":
            i = _skip_quoted(text, i)
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _top_level_words(text: bytes, i: int) -> Iterator[re.Match[bytes]]:
    """Each word from `i` on that is outside quotes, parentheses and comments."""
    n = len(text)
    while True:
        i = _skip_space_and_comments(text, i)
        if i >= n:
            return
        c = text[i]
        if c in b"'\"`":
            i = _skip_quoted(text, i)
            continue
        if c == 0x28:
            i = _skip_parens(text, i)
            continue
        word = _WORD.match(text, i)
        if word is None:
            i += 1  # dots, commas, '=' and numbers of the table name / SETTINGS
            continue
        yield word
        i = word.end()


def split_insert(text: bytes) -> InsertHeader | None:
    """Return where an `INSERT ... FORMAT x` / `INSERT ... VALUES` header ends, else None.

    None also for INSERT ... SELECT, which carries no data.
    """
    i = _skip_space_and_comments(text, 0)
    first = _WORD.match(text, i)
    if first is None or first.group().upper() != b"INSERT":
        return None
    for word in _top_level_words(text, first.end()):
        keyword = word.group().upper()
        if keyword in (b"SELECT", b"WITH"):
            return None
        if keyword == b"VALUES":
            head = text[: word.start()].decode().rstrip()
            return InsertHeader(head, "Values", _skip_inline_gap(text, word.end(), values=True))
        if keyword == b"FORMAT":
            j = _skip_space_and_comments(text, word.end())
            fmt = _WORD.match(text, j)
            if fmt is None:
                return None
            head = text[: word.start()].decode().rstrip()
            return InsertHeader(head, fmt.group().decode(), _skip_inline_gap(text, fmt.end()))
    return None


def _skip_inline_gap(text: bytes, i: int, *, values: bool = False) -> int:
    """ClickHouse skips blanks up to and including the first newline; binary data follows."""
    n = len(text)
    if values:
        return _skip_space_and_comments(text, i)
    while i < n and text[i] in b" \t\r":
        i += 1
    if i < n and text[i] == 0x0A:
        i += 1
    return i


def output_format(query: str) -> str | None:
    """The FORMAT clause at the end of a (non-INSERT) query, which wins over any default."""
    match = _FORMAT_AT_END.search(_strip_trailing_comments(query))
    return match.group(1) if match else None


def _strip_trailing_comments(query: str) -> str:
    without_line_comments = re.sub(r"--[^\n]*$", "", query, flags=re.MULTILINE)
    return re.sub(r"/\*.*?\*/\s*$", "", without_line_comments.rstrip(), flags=re.DOTALL).rstrip()


def leading_keyword(query: str) -> str:
    """First keyword, upper-cased (comments and blanks skipped): SELECT, INSERT, SET, ..."""
    word = re.match(r"[A-Za-z]+", strip_leading_comments(query))
    return word.group().upper() if word else ""


def with_infile(header_query: str, path: str, fmt: str) -> str:
    """`INSERT INTO t (...) [SETTINGS ...]` -> `INSERT INTO t (...) FROM INFILE 'path'
    [SETTINGS ...] FORMAT fmt`: the grammar puts FROM INFILE before a SETTINGS clause."""
    text = header_query.encode()
    settings_at = next(
        (w.start() for w in _top_level_words(text, 0) if w.group().upper() == b"SETTINGS"),
        len(text),
    )
    head, tail = text[:settings_at].decode().rstrip(), text[settings_at:].decode().strip()
    quoted = path.replace("\\", "\\\\").replace("'", "\\'")
    settings = f" {tail}" if tail else ""
    return f"{head} FROM INFILE '{quoted}'{settings} FORMAT {fmt}"


def quoted_end(text: str, i: int) -> int:
    """Index just past the string literal or quoted identifier opening at `i`."""
    quote, end = text[i], i + 1
    while end < len(text) and text[end] != quote:
        end += 2 if text[end] == "\\" else 1
    return end + 1


def split_statements(sql: str) -> list[str]:
    """Split on `;` outside quotes and comments; comment-only pieces are dropped."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            end = quoted_end(sql, i)
            current.append(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == ";":
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(c)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


def split_args(text: str) -> list[str]:
    """Split a type's argument list on top-level commas, respecting quotes and parentheses."""
    parts: list[str] = []
    depth = 0
    quote = ""
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'`\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


# --- native protocol ---------------------------------------------------------------

_IDENT = r"(?:`(?:[^`\\]|\\.)+`|\"(?:[^\"\\]|\\.)+\"|[A-Za-z_][A-Za-z0-9_$]*)"
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
