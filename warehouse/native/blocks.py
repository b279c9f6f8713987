"""Blocks: parsed from a Data packet or chdb's Native output, re-encoded for the other side.

A Data packet's block is a Native block plus block info (revision >= 51903) and one
custom-serialization flag per column (revision >= 54454). chdb reads and writes plain
Native, so the server converts between the two without touching values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from warehouse.errors import ProtocolError
from warehouse.native import protocol
from warehouse.native.columns import parse_type, skip_column
from warehouse.native.wire import Reader, i32, string, u8, varint

MAX_COLUMNS = 100_000
MAX_ROWS = 1 << 40
# is_overflows = false, bucket_num = -1, then the terminating field number 0.
BLOCK_INFO = varint(1) + u8(0) + varint(2) + i32(-1) + varint(0)


@dataclass
class Column:
    name: str
    type: str
    data: bytes | memoryview


@dataclass
class Block:
    rows: int
    columns: list[Column]

    @property
    def empty(self) -> bool:
        return not self.columns and self.rows == 0

    def header(self) -> Block:
        """The same columns without rows: what a server sends before data."""
        return Block(0, [Column(c.name, c.type, b"") for c in self.columns])


def read_block(reader: Reader, revision: int, *, wire: bool) -> Block:
    """Read one block; `wire` selects the Data-packet layout, else plain Native."""
    if wire and revision >= protocol.DBMS_MIN_REVISION_WITH_BLOCK_INFO:
        _read_block_info(reader)
    ncols = reader.varint()
    nrows = reader.varint()
    if ncols > MAX_COLUMNS or nrows > MAX_ROWS:
        raise ProtocolError("INCORRECT_DATA", f"block claims {ncols} columns and {nrows} rows")
    custom = wire and revision >= protocol.DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION
    columns = []
    for _ in range(ncols):
        name = reader.string()
        type_name = reader.string()
        if custom and reader.u8():
            raise ProtocolError(
                "NOT_IMPLEMENTED",
                f"column {name!r}: custom (sparse) serialization is not supported",
            )
        ctype = parse_type(type_name)
        start = reader.pos
        skip_column(reader, ctype, nrows)
        columns.append(Column(name, type_name, reader.slice_from(start)))
    return Block(nrows, columns)


def _read_block_info(reader: Reader) -> None:
    while True:
        field = reader.varint()
        if field == 0:
            return
        if field == 1:
            reader.u8()
        elif field == 2:
            reader.i32()
        else:
            raise ProtocolError("INCORRECT_DATA", f"unknown block info field {field}")


def encode_block(block: Block, revision: int, *, wire: bool) -> list[bytes | memoryview]:
    """Encode as a list of parts (joined or written by the caller) to avoid copying column data."""
    parts: list[bytes | memoryview] = []
    if wire and revision >= protocol.DBMS_MIN_REVISION_WITH_BLOCK_INFO:
        parts.append(BLOCK_INFO)
    parts.append(varint(len(block.columns)) + varint(block.rows))
    flag = (
        u8(0) if wire and revision >= protocol.DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION else b""
    )
    for column in block.columns:
        parts.append(string(column.name) + string(column.type) + flag)
        parts.append(column.data)
    return parts


def iter_native(data: bytes) -> Iterator[Block]:
    """Split chdb's Native output (a concatenation of blocks) into blocks."""
    reader = Reader(data)
    while reader.available():
        yield read_block(reader, 0, wire=False)
