"""ClickHouse-shaped errors: what every warehouse interface reports to its clients."""

import re

# ClickHouse's error codes (src/Common/ErrorCodes.cpp) that this server raises or sorts into
# HTTP statuses; everything else comes from the engine with its own code and name. The constant's
# name is the ClickHouse name: NAMES and CODES are read off these constants, so each code is
# written once.
CANNOT_PARSE_TEXT = 6
CANNOT_PARSE_QUOTED_STRING = 26
CANNOT_PARSE_INPUT_ASSERTION_FAILED = 27
ATTEMPT_TO_READ_AFTER_EOF = 32
BAD_ARGUMENTS = 36
CANNOT_PARSE_DATE = 38
CHECKSUM_DOESNT_MATCH = 40
CANNOT_PARSE_DATETIME = 41
UNKNOWN_FUNCTION = 46
UNKNOWN_IDENTIFIER = 47
NOT_IMPLEMENTED = 48
UNKNOWN_TYPE = 50
TYPE_MISMATCH = 53
UNKNOWN_STORAGE = 56
UNKNOWN_TABLE = 60
SYNTAX_ERROR = 62
UNKNOWN_AGGREGATE_FUNCTION = 63
ARGUMENT_OUT_OF_BOUND = 69
CANNOT_PARSE_NUMBER = 72
UNKNOWN_FORMAT = 73
CANNOT_WRITE_TO_FILE_DESCRIPTOR = 75
UNKNOWN_DATABASE = 81
UNKNOWN_COMPRESSION_METHOD = 89
UNKNOWN_PACKET_FROM_CLIENT = 99
UNEXPECTED_PACKET_FROM_CLIENT = 101
UNKNOWN_SETTING = 115
INCORRECT_DATA = 117
TOO_LARGE_ARRAY_SIZE = 128
TOO_LARGE_STRING_SIZE = 131
TIMEOUT_EXCEEDED = 159
READONLY = 164
TOO_DEEP_AST = 167
TOO_BIG_AST = 168
BAD_TYPE_OF_FIELD = 169
BAD_GET = 170
QUOTA_EXCEEDED = 201
TOO_MANY_SIMULTANEOUS_QUERIES = 202
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
QUERY_IS_TOO_LARGE = 229
ABORTED = 236
CANNOT_DECOMPRESS = 271
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
INVALID_SESSION_TIMEOUT = 374
SETTING_CONSTRAINT_VIOLATION = 452
UNKNOWN_QUERY_PARAMETER = 456
BAD_QUERY_PARAMETER = 457
ACCESS_DENIED = 497
AUTHENTICATION_FAILED = 516
UNKNOWN_EXCEPTION = 1002

CODES: dict[str, int] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, int)
}
NAMES: dict[int, str] = {value: name for name, value in CODES.items()}

_ENGINE_MESSAGE = re.compile(
    r"Code: (\d+)\. DB::Exception: (.*?)(?: \(([A-Z0-9_]+)\))?(?: \(version [^)]*\))?\s*$",
    re.DOTALL,
)


class QueryError(Exception):
    """A failed query, carrying ClickHouse's numeric code and symbolic name."""

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        self.code = code
        self.name = name or NAMES.get(code, "UNKNOWN_EXCEPTION")
        self.message = message.rstrip().removesuffix(".")
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name})"

    @classmethod
    def from_engine(cls, text: str) -> "QueryError":
        """Parse chdb's error text, which is ClickHouse's own exception text."""
        start = text.find("Code: ")
        match = _ENGINE_MESSAGE.match(text[start:]) if start >= 0 else None
        if match is None:
            return cls(UNKNOWN_EXCEPTION, text.strip() or "unknown engine error")
        code = int(match.group(1))
        return cls(code, match.group(2), match.group(3) or NAMES.get(code))


class ProtocolError(QueryError):
    """A client sent something this server cannot accept; `name` is the ClickHouse error name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(CODES.get(name, UNKNOWN_EXCEPTION), message, name)

    @classmethod
    def truncated(cls) -> "ProtocolError":
        return cls(
            "ATTEMPT_TO_READ_AFTER_EOF", "connection or block ended in the middle of a packet"
        )
