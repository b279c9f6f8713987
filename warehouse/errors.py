"""ClickHouse-shaped errors: what every warehouse interface reports to its clients."""

import re

# The subset of ClickHouse's error codes this server raises itself; everything else comes
# from the engine with its own code and name.
SYNTAX_ERROR = 62
UNKNOWN_TABLE = 60
UNKNOWN_DATABASE = 81
UNKNOWN_SETTING = 115
READONLY = 164
TOO_MANY_SIMULTANEOUS_QUERIES = 202
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
QUERY_WAS_CANCELLED = 394
ACCESS_DENIED = 497
AUTHENTICATION_FAILED = 516
NETWORK_ERROR = 210
UNKNOWN_FORMAT = 73
CANNOT_DECOMPRESS = 271
QUERY_IS_TOO_LARGE = 229
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
UNKNOWN_COMPRESSION_METHOD = 89
TIMEOUT_EXCEEDED = 159
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
ABORTED = 236
INVALID_SESSION_TIMEOUT = 374
SETTING_CONSTRAINT_VIOLATION = 452
QUOTA_EXCEEDED = 201
UNKNOWN_EXCEPTION = 1002

NAMES = {
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_TABLE: "UNKNOWN_TABLE",
    UNKNOWN_DATABASE: "UNKNOWN_DATABASE",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    TOO_MANY_SIMULTANEOUS_QUERIES: "TOO_MANY_SIMULTANEOUS_QUERIES",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    QUERY_WAS_CANCELLED: "QUERY_WAS_CANCELLED",
    ACCESS_DENIED: "ACCESS_DENIED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    NETWORK_ERROR: "NETWORK_ERROR",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    QUERY_IS_TOO_LARGE: "QUERY_IS_TOO_LARGE",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    TIMEOUT_EXCEEDED: "TIMEOUT_EXCEEDED",
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    ABORTED: "ABORTED",
    INVALID_SESSION_TIMEOUT: "INVALID_SESSION_TIMEOUT",
    SETTING_CONSTRAINT_VIOLATION: "SETTING_CONSTRAINT_VIOLATION",
    QUOTA_EXCEEDED: "QUOTA_EXCEEDED",
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
}

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
