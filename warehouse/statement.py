"""Just enough lexing of SQL text to split an INSERT's header from its inline data.

ClickHouse reads `INSERT INTO t [(cols)] [SETTINGS ...] FORMAT <fmt>` and treats what follows
as data in that format (`VALUES` means format Values). Clients rely on this: clickhouse-connect
posts the header, a newline and binary Native data as one body. The engine, though, wants the
header and the data apart, so this scanner finds where the header ends without decoding the
(possibly binary) data.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SPACE = b" \t\r\n\f"
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_FORMAT_AT_END = re.compile(r"\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$", re.IGNORECASE)
_LEADING_NOISE = re.compile(r"^(\s+|--[^\n]*\n?|/\*.*?\*/)*", re.DOTALL)


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
    rest = query[_LEADING_NOISE.match(query).end() :]  # type: ignore[union-attr]
    word = re.match(r"[A-Za-z]+", rest)
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
