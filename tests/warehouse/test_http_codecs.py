"""The pure parts of the HTTP interface: INSERT header splitting, body codecs, statuses."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse import compression
from warehouse.errors import QueryError
from warehouse.http_server import http_status
from warehouse.native import frames
from warehouse.statement import leading_keyword, output_format, split_insert


@pytest.mark.parametrize(
    ("text", "query", "fmt", "data"),
    [
        (
            b"INSERT INTO t (a, b) FORMAT Native\n\n\x01rest",
            "INSERT INTO t (a, b)",
            "Native",
            b"\n\x01rest",
        ),
        (b"insert into db.t values (1),(2)", "insert into db.t", "Values", b"(1),(2)"),
        (
            b"INSERT INTO t SETTINGS x='FORMAT' FORMAT CSV\n1,2\n",
            "INSERT INTO t SETTINGS x='FORMAT'",
            "CSV",
            b"1,2\n",
        ),
        (
            b'/* c */ INSERT INTO `we(ird` (`a)`) FORMAT JSONEachRow {"a":1}',
            "/* c */ INSERT INTO `we(ird` (`a)`)",
            "JSONEachRow",
            b'{"a":1}',
        ),
        (b"INSERT INTO t FORMAT TSV", "INSERT INTO t", "TSV", b""),
    ],
)
def test_split_insert(text: bytes, query: str, fmt: str, data: bytes) -> None:
    header = split_insert(text)
    assert header is not None
    assert (header.query, header.fmt, text[header.data_offset :]) == (query, fmt, data)


@pytest.mark.parametrize(
    "text",
    [b"SELECT 1", b"INSERT INTO t SELECT 'FORMAT x'", b"INSERT INTO t WITH 1 AS x SELECT x", b""],
)
def test_no_inline_data(text: bytes) -> None:
    assert split_insert(text) is None


@given(st.binary(max_size=200))
def test_split_insert_never_fails_on_garbage(data: bytes) -> None:
    split_insert(b"INSERT INTO t " + data)
    split_insert(data)


def test_output_format_and_keyword() -> None:
    assert output_format("SELECT 1 FORMAT JSON;") == "JSON"
    assert output_format("SELECT 1 FORMAT JSON -- c\n/* d */") == "JSON"
    assert output_format("SELECT 'FORMAT x' AS f") is None
    assert leading_keyword("  /* x */ -- y\n set a = 1") == "SET"


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate", "br"])
def test_body_codecs_round_trip_and_limit(encoding: str) -> None:
    data = "联席会议 ".encode() * 5000
    assert (
        compression.decode_body(compression.encode_body(data, encoding), encoding, len(data))
        == data
    )
    with pytest.raises(QueryError) as error:
        compression.decode_body(compression.encode_body(data, encoding), encoding, len(data) - 1)
    assert error.value.code == 229
    with pytest.raises(QueryError) as error:
        compression.decode_body(b"\x00\x01 definitely not " + encoding.encode(), encoding, 10**6)
    assert error.value.code == 271


def test_native_blocks_round_trip() -> None:
    data = bytes(range(256)) * 10000  # more than one 1 MiB block
    assert frames.decompress(frames.compress(data), len(data)) == data
    with pytest.raises(QueryError):
        frames.decompress(frames.compress(data)[:-5], len(data))


def test_choose_encoding_prefers_cheap_codecs() -> None:
    assert compression.choose_encoding("lz4,zstd,br,gzip,deflate") == "lz4"
    assert compression.choose_encoding("gzip, deflate") == "gzip"
    assert compression.choose_encoding("xz") is None


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (62, 400),
        (60, 404),
        (81, 404),
        (115, 404),
        (516, 401),
        (497, 403),
        (164, 403),
        (229, 413),
        (202, 503),
        (159, 408),
        (1, 500),
    ],
)
def test_http_status_of_codes(code: int, status: int) -> None:
    assert http_status(code) == status


def test_compressed_frames_stop_at_the_body_limit() -> None:
    data = bytes(range(256)) * 100
    with pytest.raises(QueryError) as error:
        frames.decompress(frames.compress(data), len(data) - 1)
    assert error.value.code == 229  # QUERY_IS_TOO_LARGE, before decompressing the frame
