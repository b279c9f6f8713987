"""Unit tests of the native protocol codec: framing, types, compression, statements.

Blocks are produced by clickhouse-driver's own encoder, an independent implementation
of the same layout, so these tests check real wire bytes rather than our own echo.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from clickhouse_driver.block import RowOrientedBlock
from clickhouse_driver.bufferedwriter import BufferedSocketWriter
from clickhouse_driver.connection import ServerInfo
from clickhouse_driver.context import Context
from clickhouse_driver.streams.native import BlockOutputStream

from warehouse import statement
from warehouse.errors import ProtocolError
from warehouse.native import packets
from warehouse.native.blocks import Block, Column, encode_block, iter_native, read_block
from warehouse.native.columns import parse_type
from warehouse.native.frames import (
    METHOD_LZ4,
    METHOD_NONE,
    METHOD_ZSTD,
    compress,
    read_frame,
)
from warehouse.native.protocol import SERVER_REVISION
from warehouse.native.wire import Reader, string, varint
from warehouse.statement import split_args

COLUMNS = [
    ("u8", "UInt8", 7),
    ("i64", "Int64", -5),
    ("f64", "Float64", 1.5),
    ("dec", "Decimal(18, 4)", Decimal("12.3456")),
    ("dec128", "Decimal(38, 2)", Decimal("1.25")),
    ("s", "String", "联席会议"),
    ("lc", "LowCardinality(String)", "street"),
    ("lcn", "LowCardinality(Nullable(String))", None),
    ("n", "Nullable(Int32)", None),
    ("d", "Date", date(2026, 11, 25)),
    ("dt", "DateTime64(3, 'UTC')", datetime(2026, 11, 25, 9, 30, 1, 123000, tzinfo=UTC)),
    ("id", "UUID", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("arr", "Array(String)", ["a", "bb", ""]),
    ("arr_lc", "Array(LowCardinality(String))", ["x", "y"]),
    ("nested_arr", "Array(Array(Nullable(UInt16)))", [[1, None], []]),
    ("m", "Map(String, UInt64)", {"k": 1, "v": 2}),
    ("b", "Bool", True),
    ("e", "Enum8('open' = 1, 'closed' = 2)", "closed"),
    ("t", "Tuple(a UInt8, b String)", (1, "z")),
    ("fs", "FixedString(3)", b"abc"),
]


class _Sink:
    """Stands in for the socket the driver's buffered writer flushes to."""

    def __init__(self) -> None:
        self.data = bytearray()

    def sendall(self, chunk: bytes) -> None:
        self.data += chunk


def driver_block(revision: int, rows: int = 3) -> bytes:
    context = Context()
    context.server_info = ServerInfo("ClickHouse", 26, 9, 2, revision, "UTC", "x", revision)
    context.settings = {}
    context.client_settings = {
        "strings_as_bytes": False,
        "strings_encoding": "utf-8",
        "use_numpy": False,
        "input_format_null_as_default": False,
    }
    sink = _Sink()
    block = RowOrientedBlock([(n, t) for n, t, _ in COLUMNS], [[v for _, _, v in COLUMNS]] * rows)
    BlockOutputStream(BufferedSocketWriter(sink, 1 << 20), context).write(block)
    return bytes(sink.data)


@pytest.mark.parametrize("revision", [54413, 54453, SERVER_REVISION])
def test_driver_block_parses_to_its_last_byte(revision: int) -> None:
    data = driver_block(revision)
    reader = Reader(data)
    block = read_block(reader, revision, wire=True)
    assert reader.available() == 0
    assert block.rows == 3
    assert [(c.name, c.type) for c in block.columns] == [(n, t) for n, t, _ in COLUMNS]
    assert b"".join(encode_block(block, revision, wire=True)) == data


def test_native_and_wire_layouts_differ_only_by_info_and_flags() -> None:
    wire = read_block(Reader(driver_block(SERVER_REVISION)), SERVER_REVISION, wire=True)
    native = b"".join(encode_block(wire, SERVER_REVISION, wire=False))
    blocks = list(iter_native(native + native))
    assert [b.rows for b in blocks] == [3, 3]
    assert blocks[0].columns == wire.columns


def test_truncated_block_is_a_protocol_error_at_every_cut() -> None:
    data = driver_block(SERVER_REVISION, rows=2)
    for cut in range(0, len(data), 7):
        with pytest.raises(ProtocolError) as info:
            read_block(Reader(data[:cut]), SERVER_REVISION, wire=True)
        assert info.value.code in (32, 117, 128, 131, 27)


def test_reader_pulls_more_bytes_from_its_source() -> None:
    data = driver_block(SERVER_REVISION, rows=50)
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]
    reader = Reader(fill=lambda: chunks.pop(0) if chunks else b"")
    assert read_block(reader, SERVER_REVISION, wire=True).rows == 50


@pytest.mark.parametrize("method", [METHOD_LZ4, METHOD_ZSTD, METHOD_NONE])
def test_compression_round_trip_with_several_frames(method: int) -> None:
    data = bytes(range(256)) * 9000  # more than one 1 MiB frame
    framed = compress(data, method)
    reader = Reader(framed)
    out = b""
    while reader.available():
        out += read_frame(reader)
    assert out == data


def test_compressed_frame_checks_its_checksum() -> None:
    framed = bytearray(compress(b"hello world" * 10, METHOD_LZ4))
    framed[-1] ^= 0xFF
    with pytest.raises(ProtocolError) as info:
        read_frame(Reader(bytes(framed)))
    assert info.value.name == "CHECKSUM_DOESNT_MATCH"


def test_driver_compressed_frame_is_readable() -> None:
    from clickhouse_driver.compression.zstd import Compressor
    from clickhouse_driver.streams.compressed import CompressedBlockOutputStream

    context = Context()
    context.server_info = ServerInfo(
        "ClickHouse", 26, 9, 2, SERVER_REVISION, "UTC", "x", SERVER_REVISION
    )
    context.settings = {}
    context.client_settings = {
        "strings_as_bytes": False,
        "strings_encoding": "utf-8",
        "use_numpy": False,
    }
    sink = _Sink()
    block = RowOrientedBlock([("s", "String")], [["abc"], ["de"]])
    CompressedBlockOutputStream(
        Compressor, 1 << 20, BufferedSocketWriter(sink, 1 << 20), context
    ).write(block)
    plain = read_frame(Reader(bytes(sink.data)))
    assert read_block(Reader(plain), SERVER_REVISION, wire=True).rows == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [("JSON", "not supported"), ("Dynamic", "not supported"), ("Array(String", "malformed")],
)
def test_unsupported_types_are_named(text: str, message: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_type(text)
    assert info.value.name == "UNKNOWN_TYPE"
    assert message in info.value.message


def test_split_args_respects_quotes_and_parentheses() -> None:
    assert split_args("'a,b' = 1, 'c)' = 2") == ["'a,b' = 1", "'c)' = 2"]
    assert split_args("String, Tuple(a UInt8, b Map(String, UInt8))") == [
        "String",
        "Tuple(a UInt8, b Map(String, UInt8))",
    ]


def test_low_cardinality_prefix_comes_before_array_offsets() -> None:
    # Bytes of `SELECT [toLowCardinality('y')] AS c` in chdb's FORMAT Native.
    data = (
        b"\x01\x01\x01c\x1dArray(LowCardinality(String))"
        b"\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
        b"\x00\x06\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01y"
        b"\x01\x00\x00\x00\x00\x00\x00\x00\x01"
    )
    (block,) = iter_native(data)
    assert block.rows == 1 and block.columns[0].type == "Array(LowCardinality(String))"


def test_empty_block_encodes_like_the_driver_end_marker() -> None:
    empty = Block(0, [])
    assert empty.empty
    assert read_block(
        Reader(b"".join(encode_block(empty, SERVER_REVISION, wire=True))),
        SERVER_REVISION,
        wire=True,
    ).empty
    header = Block(2, [Column("a", "UInt8", b"\x01\x02")]).header()
    assert header.rows == 0 and header.columns[0].data == b""


def test_varint_and_string_round_trip() -> None:
    for value in (0, 1, 127, 128, 300, 1 << 35):
        assert Reader(varint(value)).varint() == value
    assert Reader(string("秦都区")).string() == "秦都区"
    with pytest.raises(ProtocolError):
        Reader(b"\xff" * 11).varint()
    with pytest.raises(ProtocolError):
        Reader(b"\x02\xff\xfe").string()


def test_parameters_are_unquoted() -> None:
    assert packets.unquote("'abc'") == "abc"
    assert packets.unquote("'it\\'s\\\\'") == "it's\\"
    assert packets.unquote("42") == "42"


def test_statements() -> None:
    target = statement.insert_target("/* dbt */ INSERT INTO raw.`t x` (a, `b c`) VALUES")
    assert target == statement.InsertTarget("raw.`t x`", ("a", "b c"))
    assert statement.insert_target("insert into t format Native") == statement.InsertTarget(
        "t", None
    )
    assert statement.insert_target("INSERT INTO t VALUES (1)") is None
    assert statement.insert_target("INSERT INTO t SELECT 1") is None
    assert statement.use_database("USE `marts`") == "marts"
    assert statement.set_assignments("SET max_threads = 1, x = 'a'") == {
        "max_threads": "1",
        "x": "a",
    }
    assert statement.set_assignments("SELECT 1") is None
    assert statement.without_format("SELECT 1 FORMAT TabSeparated") == "SELECT 1"
    assert statement.without_format("SELECT 'FORMAT x'") == "SELECT 'FORMAT x'"
    assert statement.is_select_like("-- c\nWITH 1 AS x SELECT x")
    assert not statement.is_select_like("CREATE TABLE t (a UInt8) ENGINE = Memory")


def test_header_block_of_low_cardinality_has_no_prefix() -> None:
    header = Block(
        0, [Column("lc", "LowCardinality(String)", b""), Column("a", "Array(String)", b"")]
    )
    data = b"".join(encode_block(header, SERVER_REVISION, wire=True)) + b"\x05"
    reader = Reader(data)
    assert read_block(reader, SERVER_REVISION, wire=True).columns == header.columns
    assert reader.u8() == 5


@pytest.mark.parametrize("chunk", [3, 1000, 1 << 20])
def test_many_strings_take_the_bulk_path_from_any_source(chunk: int) -> None:
    values = [("x" * (i % 300)) for i in range(5000)]  # some lengths need two varint bytes
    body = b"".join(string(v) for v in values)
    data = varint(2) + varint(len(values)) + string("s") + string("String") + body
    data += string("n") + string("UInt8") + bytes(len(values))
    chunks = iter([data[i : i + chunk] for i in range(0, len(data), chunk)])
    reader = Reader(fill=lambda: next(chunks, b""))
    block = read_block(reader, 0, wire=False)
    assert bytes(block.columns[0].data) == body
    assert bytes(block.columns[1].data) == bytes(len(values))
    with pytest.raises(ProtocolError):
        read_block(Reader(data[: len(data) // 2]), 0, wire=False)
    (again,) = iter_native(data)
    assert bytes(again.columns[0].data) == body
