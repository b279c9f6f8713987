"""Errors raised while decoding the native protocol, carrying ClickHouse error codes."""

from __future__ import annotations

from warehouse.errors import QueryError

# The subset of ClickHouse's ErrorCodes.cpp this package raises itself.
CODES = {
    "CHECKSUM_DOESNT_MATCH": 40,
    "CANNOT_PARSE_INPUT_ASSERTION_FAILED": 27,
    "ATTEMPT_TO_READ_AFTER_EOF": 32,
    "BAD_ARGUMENTS": 36,
    "NOT_IMPLEMENTED": 48,
    "UNKNOWN_TYPE": 50,
    "SYNTAX_ERROR": 62,
    "UNKNOWN_DATABASE": 81,
    "UNKNOWN_COMPRESSION_METHOD": 89,
    "UNKNOWN_PACKET_FROM_CLIENT": 101,
    "UNEXPECTED_PACKET_FROM_CLIENT": 102,
    "UNKNOWN_SETTING": 115,
    "INCORRECT_DATA": 117,
    "TOO_LARGE_ARRAY_SIZE": 128,
    "TOO_LARGE_STRING_SIZE": 131,
    "CANNOT_DECOMPRESS": 271,
    "QUERY_WAS_CANCELLED": 394,
}


class ProtocolError(QueryError):
    """A client sent something this server cannot accept; `name` is the ClickHouse error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(CODES.get(name, 1002), message, name)

    @classmethod
    def truncated(cls) -> ProtocolError:
        return cls(
            "ATTEMPT_TO_READ_AFTER_EOF", "connection or block ended in the middle of a packet"
        )
