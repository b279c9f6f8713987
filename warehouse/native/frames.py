"""ClickHouse's compressed frames: the one codec of both interfaces (native-protocol blocks,
HTTP `decompress=1` request bodies and `compress=1` responses).

Layout per frame: CityHash128 of the rest (16 bytes), method (1), size of method + sizes +
payload (UInt32), uncompressed size (UInt32), payload.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import lz4.block
import zstandard
from clickhouse_cityhash.cityhash import CityHash128

from warehouse.errors import QUERY_IS_TOO_LARGE, ProtocolError, QueryError
from warehouse.native.wire import Reader

METHOD_NONE = 0x02
METHOD_LZ4 = 0x82
METHOD_ZSTD = 0x90
METHODS = {"lz4": METHOD_LZ4, "lz4hc": METHOD_LZ4, "zstd": METHOD_ZSTD, "none": METHOD_NONE}
HEADER = struct.Struct("<BII")
CHECKSUM = struct.Struct("<QQ")
# ClickHouse's max_compress_block_size: frames never carry more than this uncompressed.
FRAME_BYTES = 1 << 20
MAX_FRAME_BYTES = 1 << 30
_MASK64 = (1 << 64) - 1
# What the codec libraries raise on corrupt input.
_CODEC_ERRORS = (lz4.block.LZ4BlockError, zstandard.ZstdError, RuntimeError, ValueError, EOFError)


def _checksum(data: bytes) -> bytes:
    value = CityHash128(data)
    return CHECKSUM.pack((value >> 64) & _MASK64, value & _MASK64)


def compress(data: bytes, method: int = METHOD_LZ4) -> bytes:
    """Compress `data` into as many frames as FRAME_BYTES requires."""
    out = bytearray()
    for start in range(0, max(len(data), 1), FRAME_BYTES):
        chunk = data[start : start + FRAME_BYTES]
        if method == METHOD_LZ4:
            payload = lz4.block.compress(chunk, store_size=False)
        elif method == METHOD_ZSTD:
            payload = zstandard.ZstdCompressor(level=1).compress(chunk)
        else:
            payload = bytes(chunk)
        body = HEADER.pack(method, HEADER.size + len(payload), len(chunk)) + payload
        out += _checksum(body)
        out += body
    return bytes(out)


def read_frame(raw: Reader, room: int = MAX_FRAME_BYTES) -> bytes:
    """Read and verify one frame from `raw`; return its uncompressed bytes.

    A frame claiming more than `room` uncompressed bytes is refused before it is decompressed.
    """
    checksum = raw.read(CHECKSUM.size)
    raw.need(HEADER.size)
    method, size, plain_size = HEADER.unpack_from(raw.buf, raw.pos)
    if size < HEADER.size or size > MAX_FRAME_BYTES or plain_size > MAX_FRAME_BYTES:
        raise ProtocolError(
            "CANNOT_DECOMPRESS", f"compressed frame claims {size} bytes ({plain_size} uncompressed)"
        )
    if plain_size > room:
        raise QueryError(
            QUERY_IS_TOO_LARGE,
            f"compressed frame holds {plain_size} bytes, more than the {room} still allowed",
        )
    body = raw.read(size)
    if _checksum(body) != checksum:
        raise ProtocolError(
            "CHECKSUM_DOESNT_MATCH", "checksum of a compressed frame does not match its data"
        )
    payload = body[HEADER.size :]
    try:
        if method == METHOD_LZ4:
            data = lz4.block.decompress(payload, uncompressed_size=plain_size)
        elif method == METHOD_ZSTD:
            data = zstandard.ZstdDecompressor().decompress(payload, max_output_size=plain_size)
        elif method == METHOD_NONE:
            data = payload
        else:
            raise ProtocolError(
                "UNKNOWN_COMPRESSION_METHOD", f"unknown compression method byte 0x{method:02x}"
            )
    except _CODEC_ERRORS as exc:
        raise ProtocolError("CANNOT_DECOMPRESS", f"cannot decompress frame: {exc}") from None
    if len(data) != plain_size:
        raise ProtocolError(
            "CANNOT_DECOMPRESS",
            f"frame decompressed to {len(data)} bytes, header says {plain_size}",
        )
    return data


def frame_source(raw: Reader) -> Callable[[], bytes]:
    """A `Reader` fill function that decompresses frames from `raw` one at a time."""
    return lambda: read_frame(raw)


def decompress(data: bytes, limit: int) -> bytes:
    """Every frame of a whole body (HTTP `decompress=1`); at most `limit` bytes uncompressed."""
    raw = Reader(data)
    out = bytearray()
    while raw.available():
        out += read_frame(raw, limit - len(out))
    return bytes(out)
