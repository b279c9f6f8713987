"""Content-Encoding of the HTTP interface, both ways (gzip, deflate, zstd, lz4, br).

ClickHouse's own compressed frames (`decompress=1`, `compress=1`) are another thing:
warehouse/native/frames.py, shared with the native protocol."""

import gzip
import zlib
from collections.abc import Callable

import brotli
import lz4.block
import lz4.frame
import zstandard

from warehouse.errors import (
    CANNOT_DECOMPRESS,
    QUERY_IS_TOO_LARGE,
    UNKNOWN_COMPRESSION_METHOD,
    QueryError,
)

# Order of preference when a client accepts several; lz4 and zstd cost least CPU per byte,
# which matters more than ratio on two shared cores and a loopback link.
RESPONSE_ENCODINGS = ("lz4", "zstd", "gzip", "deflate", "br")
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
