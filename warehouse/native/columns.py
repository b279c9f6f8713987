"""Type-aware skipping of column data in ClickHouse's Native block layout.

The server never decodes values: it only needs to know where each column's bytes
end so it can re-frame blocks between chdb's `FORMAT Native` stream and the
protocol's Data packets (which add block info and per-column serialization flags).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from clickhouse_driver.bufferedreader import CompressedBufferedReader

from warehouse.errors import ProtocolError
from warehouse.native.wire import Reader
from warehouse.statement import split_args

_FIXED = {
    "UInt8": 1,
    "Int8": 1,
    "Bool": 1,
    "Enum8": 1,
    "Nothing": 1,
    "UInt16": 2,
    "Int16": 2,
    "Enum16": 2,
    "Date": 2,
    "BFloat16": 2,
    "UInt32": 4,
    "Int32": 4,
    "Float32": 4,
    "Date32": 4,
    "DateTime": 4,
    "IPv4": 4,
    "Decimal32": 4,
    "Time": 4,
    "UInt64": 8,
    "Int64": 8,
    "Float64": 8,
    "DateTime64": 8,
    "Decimal64": 8,
    "Time64": 8,
    "IntervalSecond": 8,
    "IntervalMinute": 8,
    "IntervalHour": 8,
    "IntervalDay": 8,
    "IntervalWeek": 8,
    "IntervalMonth": 8,
    "IntervalQuarter": 8,
    "IntervalYear": 8,
    "IntervalMillisecond": 8,
    "IntervalMicrosecond": 8,
    "IntervalNanosecond": 8,
    "UInt128": 16,
    "Int128": 16,
    "UUID": 16,
    "IPv6": 16,
    "Decimal128": 16,
    "UInt256": 32,
    "Int256": 32,
    "Decimal256": 32,
}
# Geo types are aliases of composite types with the same wire layout.
_ALIASES = {
    "Point": "Tuple(Float64, Float64)",
    "Ring": "Array(Tuple(Float64, Float64))",
    "LineString": "Array(Tuple(Float64, Float64))",
    "Polygon": "Array(Array(Tuple(Float64, Float64)))",
    "MultiLineString": "Array(Array(Tuple(Float64, Float64)))",
    "MultiPolygon": "Array(Array(Array(Tuple(Float64, Float64))))",
}
MAX_ELEMENTS = 1 << 32
# From this many strings on, the compiled walker beats the Python loop despite its set-up.
_BULK_STRINGS = 256
_BULK_CHUNK = 1 << 18


@dataclass(frozen=True)
class ColumnType:
    """A parsed type: `kind` is the wire layout, `width` the fixed size, `args` the nested types."""

    kind: str  # fixed | string | nullable | array | tuple | map | lowcardinality
    width: int = 0
    args: tuple[ColumnType, ...] = ()


def _strip_element_name(arg: str) -> str:
    """`Tuple(a UInt8)` and `Nested(a UInt8)` name their elements; the wire does not."""
    head, sep, rest = arg.partition(" ")
    if sep and "(" not in head and rest.strip():
        return rest.strip()
    return arg


@lru_cache(maxsize=4096)
def parse_type(text: str) -> ColumnType:
    text = text.strip()
    name, paren, rest = text.partition("(")
    name = name.strip()
    if paren and not rest.endswith(")"):
        raise ProtocolError("UNKNOWN_TYPE", f"malformed type {text!r}")
    inner = rest[:-1] if paren else ""
    if name in _ALIASES:
        return parse_type(_ALIASES[name])
    if name in ("String", "JSONString"):
        return ColumnType("string")
    if name == "FixedString":
        try:
            return ColumnType("fixed", int(inner))
        except ValueError:
            raise ProtocolError("UNKNOWN_TYPE", f"malformed type {text!r}") from None
    if name == "Decimal":
        precision = int(split_args(inner)[0])
        width = 4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32
        return ColumnType("fixed", width)
    if name in _FIXED:
        return ColumnType("fixed", _FIXED[name])
    if name == "Nullable":
        return ColumnType("nullable", args=(parse_type(inner),))
    if name == "LowCardinality":
        return ColumnType("lowcardinality", args=(parse_type(_without_nullable(inner)),))
    if name == "Array":
        return ColumnType("array", args=(parse_type(inner),))
    if name in ("Tuple", "Nested"):
        elements = tuple(parse_type(_strip_element_name(a)) for a in split_args(inner))
        kind = "tuple" if name == "Tuple" else "nested"
        return ColumnType(kind, args=elements)
    if name == "Map":
        key, value = split_args(inner)
        return ColumnType("map", args=(parse_type(key), parse_type(value)))
    if name == "SimpleAggregateFunction":
        return parse_type(split_args(inner)[1])
    raise ProtocolError("UNKNOWN_TYPE", f"type {text!r} is not supported over the native protocol")


def _without_nullable(text: str) -> str:
    text = text.strip()
    if text.startswith("Nullable(") and text.endswith(")"):
        return text[len("Nullable(") : -1]
    return text


def skip_prefix(reader: Reader, ctype: ColumnType) -> None:
    """Skip serialization-state prefixes, which precede all data of a column."""
    kind = ctype.kind
    if kind == "lowcardinality":
        version = reader.u64()
        if version != 1:
            raise ProtocolError("INCORRECT_DATA", f"unknown LowCardinality keys version {version}")
    elif kind in ("nullable", "array", "tuple", "map", "nested"):
        for arg in ctype.args:
            skip_prefix(reader, arg)


def skip_data(reader: Reader, ctype: ColumnType, rows: int) -> None:
    """Advance `reader` past `rows` values of `ctype` (prefix already skipped)."""
    if rows == 0:
        return
    kind = ctype.kind
    if kind == "fixed":
        reader.skip(rows * ctype.width)
    elif kind == "string":
        _skip_strings(reader, rows)
    elif kind == "nullable":
        reader.skip(rows)
        skip_data(reader, ctype.args[0], rows)
    elif kind in ("array", "map", "nested"):
        reader.skip(rows * 8 - 8)
        total = reader.u64()
        if total > MAX_ELEMENTS:
            raise ProtocolError("TOO_LARGE_ARRAY_SIZE", f"array offsets claim {total} elements")
        if kind == "array":
            skip_data(reader, ctype.args[0], total)
        else:
            for arg in ctype.args:
                skip_data(reader, arg, total)
    elif kind == "tuple":
        for arg in ctype.args:
            skip_data(reader, arg, rows)
    elif kind == "lowcardinality":
        _skip_low_cardinality(reader, ctype.args[0], rows)


def _skip_low_cardinality(reader: Reader, key_type: ColumnType, rows: int) -> None:
    while rows > 0:
        flags = reader.u64()
        index_width = 1 << (flags & 0xFF)
        if index_width > 8:
            raise ProtocolError("INCORRECT_DATA", f"bad LowCardinality index type {flags & 0xFF}")
        if flags & (1 << 9):  # HasAdditionalKeysBit
            keys = reader.u64()
            if keys > MAX_ELEMENTS:
                raise ProtocolError("TOO_LARGE_ARRAY_SIZE", f"LowCardinality claims {keys} keys")
            skip_data(reader, key_type, keys)
        count = reader.u64()
        if count == 0 or count > rows:
            raise ProtocolError(
                "INCORRECT_DATA", f"LowCardinality granule of {count} rows, {rows} left"
            )
        reader.skip(count * index_width)
        rows -= count


def _skip_strings(reader: Reader, rows: int) -> None:
    if rows >= _BULK_STRINGS:
        _skip_strings_bulk(reader, rows)
        return
    # Most strings are shorter than 128 bytes, so their length is one byte.
    buf = reader.buf
    pos = reader.pos
    end = len(buf)
    while rows:
        if pos < end:
            length = buf[pos]
            if length < 0x80 and pos + 1 + length <= end:
                pos += 1 + length
                rows -= 1
                continue
        reader.pos = pos
        reader.skip(reader.varint())
        rows -= 1
        buf = reader.buf
        pos = reader.pos
        end = len(buf)
    reader.pos = pos


def _skip_strings_bulk(reader: Reader, rows: int) -> None:
    """Walk many strings with clickhouse-driver's compiled reader (about 20x a Python loop).

    It pulls input through a callback; we hand it copies of our buffer in slices (a
    growing bytearray cannot be resized while a view of it is alive) and count what it
    consumed from its final position.
    """
    reader.need(rows)  # every string takes at least its one-byte length: refuse absurd claims early
    start = reader.pos
    offset = start
    last_chunk_at = start

    def feed() -> bytes:
        nonlocal offset, last_chunk_at
        if offset >= len(reader.buf):
            reader.pos = offset
            reader.need(1)
            reader.pos = start
        chunk = bytes(reader.buf[offset : offset + _BULK_CHUNK])
        last_chunk_at = offset
        offset += len(chunk)
        return chunk

    walker = CompressedBufferedReader(feed, _BULK_CHUNK)
    try:
        walker.read_strings_arrow(rows)
    except (EOFError, ValueError, OverflowError, MemoryError) as exc:
        raise ProtocolError("INCORRECT_DATA", f"cannot read {rows} strings: {exc}") from None
    reader.pos = last_chunk_at + walker.position


def skip_column(reader: Reader, ctype: ColumnType, rows: int) -> None:
    if rows == 0:  # a column without rows has no bytes at all, not even its prefix
        return
    skip_prefix(reader, ctype)
    skip_data(reader, ctype, rows)
