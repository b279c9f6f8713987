"""Byte-level reading and writing of the ClickHouse native protocol primitives.

`Reader` keeps one growing buffer and a position. Parsers run over the buffer
directly (hot loops such as string skipping touch `buf`/`pos` themselves) and ask
for more bytes with `need()`, which pulls from a `fill` callable: a socket, a
decompressor, or nothing (a complete in-memory block).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from warehouse.errors import ProtocolError

MAX_STRING_BYTES = 1 << 30

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I32 = struct.Struct("<i")


class Reader:
    """Buffered reader over a byte source; raises ProtocolError on truncation."""

    __slots__ = ("_fill", "buf", "pos")

    def __init__(self, data: bytes = b"", fill: Callable[[], bytes] | None = None) -> None:
        # A complete in-memory input stays immutable bytes: no copy, and zero-copy slices.
        self.buf: bytes | bytearray = (
            data if fill is None and isinstance(data, bytes) else bytearray(data)
        )
        self.pos = 0
        self._fill = fill

    def available(self) -> int:
        return len(self.buf) - self.pos

    def feed(self, data: bytes) -> None:
        self.buf += data  # type: ignore[operator]  # only readers with a source are fed

    def need(self, n: int) -> None:
        """Make sure `n` bytes are buffered after `pos`."""
        while len(self.buf) - self.pos < n:
            chunk = self._fill() if self._fill is not None else b""
            if not chunk:
                raise ProtocolError.truncated()
            self.buf += chunk  # type: ignore[operator]

    def slice_from(self, start: int) -> bytes | memoryview:
        """Bytes from `start` to `pos`: a view of immutable input, a copy of a growing buffer."""
        if isinstance(self.buf, bytes):
            return memoryview(self.buf)[start : self.pos]
        with memoryview(self.buf) as view:
            return bytes(view[start : self.pos])

    def compact(self) -> None:
        """Drop consumed bytes so the buffer does not grow for the connection's lifetime."""
        if self.pos and isinstance(self.buf, bytearray):
            del self.buf[: self.pos]
            self.pos = 0

    def read(self, n: int) -> bytes:
        self.need(n)
        start = self.pos
        self.pos = start + n
        return bytes(self.buf[start : self.pos])

    def skip(self, n: int) -> None:
        self.need(n)
        self.pos += n

    def u8(self) -> int:
        self.need(1)
        value = self.buf[self.pos]
        self.pos += 1
        return value

    def _fixed(self, layout: struct.Struct) -> int:
        """One fixed-width little-endian integer."""
        self.need(layout.size)
        (value,) = layout.unpack_from(self.buf, self.pos)
        self.pos += layout.size
        return int(value)

    def u32(self) -> int:
        return self._fixed(_U32)

    def i32(self) -> int:
        return self._fixed(_I32)

    def u64(self) -> int:
        return self._fixed(_U64)

    def varint(self) -> int:
        result = 0
        shift = 0
        for _ in range(10):
            self.need(1)
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
        raise ProtocolError("CANNOT_PARSE_INPUT_ASSERTION_FAILED", "varint longer than 10 bytes")

    def string(self) -> str:
        raw = self.bytes_string()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                "CANNOT_PARSE_INPUT_ASSERTION_FAILED", f"string is not UTF-8: {exc}"
            ) from None

    def bytes_string(self) -> bytes:
        n = self.varint()
        if n > MAX_STRING_BYTES:
            raise ProtocolError(
                "TOO_LARGE_STRING_SIZE", f"string of {n} bytes exceeds {MAX_STRING_BYTES}"
            )
        return self.read(n)


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(value: str | bytes) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return varint(len(raw)) + raw


def u8(value: int) -> bytes:
    return bytes((value,))


def u32(value: int) -> bytes:
    return _U32.pack(value)


def i32(value: int) -> bytes:
    return _I32.pack(value)


def u64(value: int) -> bytes:
    return _U64.pack(value)
