"""Body codecs of the HTTP interface: Content-Encoding both ways, and ClickHouse's own
block compression (`decompress=1` request bodies, `compress=1` responses)."""

import gzip
import struct
import zlib
from collections.abc import Callable

import brotli
import lz4.block
import lz4.frame
import zstandard
from clickhouse_cityhash.cityhash import CityHash128

from warehouse.errors import (
    CANNOT_DECOMPRESS,
    QUERY_IS_TOO_LARGE,
    UNKNOWN_COMPRESSION_METHOD,
    QueryError,
)

# Order of preference when a client accepts several; lz4 and zstd cost least CPU per byte,
# which matters more than ratio on two shared cores and a loopback link.
RESPONSE_ENCODINGS = ("lz4", "zstd", "gzip", "deflate", "br")
_LZ4_METHOD, _ZSTD_METHOD, _NONE_METHOD = 0x82, 0x90, 0x02
_NATIVE_HEADER = 9  # method byte + compressed size + uncompressed size
_NATIVE_BLOCK = 1 << 20
# What the codec libraries raise on corrupt input.
_CODEC_ERRORS = (
    zlib.error,
    zstandard.ZstdError,
    brotli.error,
    lz4.block.LZ4BlockError,
    RuntimeError,
    ValueError,
    EOFError,
)


def _too_large(limit: int) -> QueryError:
    return QueryError(
        QUERY_IS_TOO_LARGE,
        f"Request body exceeds max_request_bytes ({limit} bytes) after decompression",
    )


def _bounded_zlib(data: bytes, limit: int, wbits: int) -> bytes:
    # Streaming clients (clickhouse-connect) compress each block as its own gzip member:
    # keep decoding until no input is left, or every block after the first is lost.
    parts: list[bytes] = []
    size = 0
    while data:
        decompressor = zlib.decompressobj(wbits)
        out = decompressor.decompress(data, limit + 1 - size)
        size += len(out)
        if size > limit or decompressor.unconsumed_tail:
            raise _too_large(limit)
        parts.append(out + decompressor.flush())
        data = decompressor.unused_data
    return b"".join(parts)


def _deflate(data: bytes, limit: int) -> bytes:
    # Browsers and some clients send raw DEFLATE under "deflate"; ClickHouse clients send zlib.
    try:
        return _bounded_zlib(data, limit, zlib.MAX_WBITS)
    except zlib.error:
        return _bounded_zlib(data, limit, -zlib.MAX_WBITS)


def _zstd(data: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(data, read_across_frames=True)
    out = reader.read(limit + 1)
    if len(out) > limit:
        raise _too_large(limit)
    return out


def _lz4(data: bytes, limit: int) -> bytes:
    # One LZ4 frame per streamed block (clickhouse-connect): decode every frame.
    parts: list[bytes] = []
    size = 0
    while data:
        decompressor = lz4.frame.LZ4FrameDecompressor()
        out = decompressor.decompress(data, max_length=limit + 1 - size)
        size += len(out)
        if size > limit or not decompressor.eof:
            if size > limit:
                raise _too_large(limit)
            raise QueryError(CANNOT_DECOMPRESS, "Truncated LZ4 frame in request body")
        parts.append(out)
        data = decompressor.unused_data
    return b"".join(parts)


def _br(data: bytes, limit: int) -> bytes:
    out = brotli.decompress(data)
    if len(out) > limit:
        raise _too_large(limit)
    return out


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": lambda data, limit: _bounded_zlib(data, limit, 16 + zlib.MAX_WBITS),
    "x-gzip": lambda data, limit: _bounded_zlib(data, limit, 16 + zlib.MAX_WBITS),
    "deflate": _deflate,
    "zstd": _zstd,
    "lz4": _lz4,
    "br": _br,
}


def decode_body(data: bytes, encoding: str, limit: int) -> bytes:
    """Undo a request's Content-Encoding (possibly a comma-separated chain)."""
    for name in reversed([e.strip().lower() for e in encoding.split(",") if e.strip()]):
        if name == "identity":
            continue
        decoder = _DECODERS.get(name)
        if decoder is None:
            raise QueryError(UNKNOWN_COMPRESSION_METHOD, f"Unknown Content-Encoding '{name}'")
        try:
            data = decoder(data, limit)
        except QueryError:
            raise
        except _CODEC_ERRORS as error:
            raise QueryError(
                CANNOT_DECOMPRESS, f"Cannot decompress request body as {name}: {error}"
            ) from None
    return data


def choose_encoding(accept_encoding: str) -> str | None:
    offered = {part.split(";", 1)[0].strip().lower() for part in accept_encoding.split(",")}
    for name in RESPONSE_ENCODINGS:
        if name in offered:
            return name
    return None


def encode_body(data: bytes, encoding: str, level: int | None = None) -> bytes:
    if encoding == "lz4":
        return lz4.frame.compress(data)
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=level or 3).compress(data)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=level or 3)
    if encoding == "deflate":
        return zlib.compress(data, level or 3)
    if encoding == "br":
        return brotli.compress(data, quality=level or 4)
    raise ValueError(encoding)


def _checksum(block: bytes) -> bytes:
    digest = CityHash128(block)
    return struct.pack("<QQ", digest >> 64, digest & 0xFFFFFFFFFFFFFFFF)


def decompress_native(data: bytes, limit: int) -> bytes:
    """Decode ClickHouse compressed blocks: checksum(16) method(1) size(4) raw size(4) payload."""
    out = bytearray()
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        if len(data) - pos < 16 + _NATIVE_HEADER:
            raise QueryError(CANNOT_DECOMPRESS, "Truncated compressed block header")
        checksum = bytes(view[pos : pos + 16])
        method = data[pos + 16]
        size, raw_size = struct.unpack_from("<II", data, pos + 17)
        block = bytes(view[pos + 16 : pos + 16 + size])
        if size < _NATIVE_HEADER or len(block) != size:
            raise QueryError(CANNOT_DECOMPRESS, "Truncated compressed block")
        if _checksum(block) != checksum:
            raise QueryError(CANNOT_DECOMPRESS, "Checksum doesn't match: corrupted data")
        if len(out) + raw_size > limit:
            raise _too_large(limit)
        payload = block[_NATIVE_HEADER:]
        try:
            if method == _LZ4_METHOD:
                out += lz4.block.decompress(payload, uncompressed_size=raw_size)
            elif method == _ZSTD_METHOD:
                out += zstandard.ZstdDecompressor().decompress(payload, max_output_size=raw_size)
            elif method == _NONE_METHOD:
                out += payload
            else:
                raise QueryError(
                    UNKNOWN_COMPRESSION_METHOD, f"Unknown compression method: {method:#x}"
                )
        except QueryError:
            raise
        except _CODEC_ERRORS as error:
            raise QueryError(CANNOT_DECOMPRESS, f"Cannot decompress block: {error}") from None
        pos += 16 + size
    return bytes(out)


def compress_native(data: bytes) -> bytes:
    """Encode as ClickHouse LZ4 compressed blocks (what `compress=1` asks for)."""
    out = bytearray()
    for start in range(0, len(data), _NATIVE_BLOCK):
        raw = data[start : start + _NATIVE_BLOCK]
        payload = lz4.block.compress(raw, store_size=False)
        block = struct.pack("<BII", _LZ4_METHOD, len(payload) + _NATIVE_HEADER, len(raw)) + payload
        out += _checksum(block) + block
    return bytes(out)
