"""ClickHouse's HTTP interface over the embedded engine, as an ASGI app run by uvicorn."""

import asyncio
import dataclasses
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from warehouse import compression, errors
from warehouse.config import WarehouseSettings
from warehouse.engine import Engine, QueryResult
from warehouse.errors import (
    ABORTED,
    ACCESS_DENIED,
    AUTHENTICATION_FAILED,
    QUERY_IS_TOO_LARGE,
    SESSION_NOT_FOUND,
    UNKNOWN_EXCEPTION,
    QueryError,
)
from warehouse.http_request import ParsedRequest, credentials, parse, url_parameters
from warehouse.native import frames
from warehouse.statement import leading_keyword
from warehouse.users import Users

log = logging.getLogger("warehouse.http")

_BAD_REQUEST = frozenset(
    {
        errors.CANNOT_PARSE_TEXT,
        errors.ATTEMPT_TO_READ_AFTER_EOF,
        errors.CHECKSUM_DOESNT_MATCH,
        errors.CANNOT_PARSE_QUOTED_STRING,
        errors.CANNOT_PARSE_INPUT_ASSERTION_FAILED,
        errors.CANNOT_PARSE_DATE,
        errors.CANNOT_PARSE_DATETIME,
        errors.SYNTAX_ERROR,
        errors.CANNOT_PARSE_NUMBER,
        errors.INCORRECT_DATA,
        errors.TYPE_MISMATCH,
        errors.ARGUMENT_OUT_OF_BOUND,
        errors.TOO_DEEP_AST,
        errors.TOO_BIG_AST,
        errors.BAD_TYPE_OF_FIELD,
        errors.BAD_GET,
        errors.BAD_ARGUMENTS,
        errors.CANNOT_DECOMPRESS,
        errors.UNKNOWN_COMPRESSION_METHOD,
        errors.INVALID_SESSION_TIMEOUT,
        errors.BAD_QUERY_PARAMETER,
        errors.UNKNOWN_QUERY_PARAMETER,
    }
)
_NOT_FOUND = frozenset(
    {
        errors.UNKNOWN_TABLE,
        errors.UNKNOWN_FUNCTION,
        errors.UNKNOWN_IDENTIFIER,
        errors.UNKNOWN_TYPE,
        errors.UNKNOWN_STORAGE,
        errors.UNKNOWN_DATABASE,
        errors.UNKNOWN_SETTING,
        errors.UNKNOWN_FORMAT,
        errors.CANNOT_WRITE_TO_FILE_DESCRIPTOR,
        errors.UNKNOWN_AGGREGATE_FUNCTION,
        errors.BAD_GET,
        errors.SESSION_NOT_FOUND,
    }
)
_STATUS = {
    errors.AUTHENTICATION_FAILED: 401,
    errors.ACCESS_DENIED: 403,
    errors.READONLY: 403,
    errors.SETTING_CONSTRAINT_VIOLATION: 403,
    errors.QUOTA_EXCEEDED: 429,
    errors.QUERY_IS_TOO_LARGE: 413,
    errors.TOO_MANY_SIMULTANEOUS_QUERIES: 503,
    errors.ABORTED: 503,
    errors.TIMEOUT_EXCEEDED: 408,
    errors.NOT_IMPLEMENTED: 501,
    errors.SESSION_IS_LOCKED: 409,
}
# Statements whose answer is a result set; only those carry X-ClickHouse-Format, which is
# how clickhouse-connect tells a result from a command acknowledgement.
_RESULT_STATEMENTS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "VALUES"}
)
_CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
}
_BINARY = (
    "Native",
    "RowBinary",
    "Parquet",
    "Arrow",
    "ArrowStream",
    "ORC",
    "Avro",
    "Protobuf",
    "MsgPack",
    "CapnProto",
)


def http_status(code: int) -> int:
    if code in _STATUS:
        return _STATUS[code]
    if code in _BAD_REQUEST:
        return 400
    if code in _NOT_FOUND:
        return 404
    return 500


def content_type(fmt: str) -> str:
    if fmt in _CONTENT_TYPES:
        return _CONTENT_TYPES[fmt]
    if fmt.startswith("JSON"):
        return "application/json; charset=UTF-8"
    if fmt.startswith(_BINARY):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


class HttpInterface:
    """The ASGI application: one instance per server process."""

    def __init__(self, engine: Engine, users: Users, settings: WarehouseSettings) -> None:
        self.engine = engine
        self.users = users
        self.settings = settings
        # One worker per allowed query, plus a few for the 202 answers beyond the cap.
        self.executor = ThreadPoolExecutor(
            max_workers=settings.max_concurrent_queries + 4, thread_name_prefix="query"
        )
        self.draining = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        path = scope["path"]
        if path in ("/ping", "/replicas_status") or (
            path == "/" and method in ("GET", "HEAD") and not scope["query_string"]
        ):
            await self._plain(send, 200, b"Ok.\n")
            return
        if path not in ("/", "/query"):
            await self._plain(send, 404, f"There is no handle {path}\n".encode())
            return
        query_id = ""
        try:
            self._refuse_cross_site(headers)
            url = url_parameters(scope["query_string"])
            query_id = url.get("query_id") or str(uuid.uuid4())
            url["query_id"] = query_id
            if self.draining:
                raise QueryError(ABORTED, "Server is shutting down")
            body = await self._read_body(receive, headers)
            if url.get("decompress") in ("1", "true"):
                body = await asyncio.get_running_loop().run_in_executor(
                    self.executor,
                    partial(frames.decompress, body, self.settings.max_request_bytes),
                )
            request = await asyncio.get_running_loop().run_in_executor(
                self.executor, partial(parse, method, url, body, headers)
            )
            result = await self._execute(request, headers, url, receive)
        except QueryError as error:
            await self._error(send, error, query_id)
            return
        except Exception as error:  # the client still gets a ClickHouse-shaped answer
            log.exception("unexpected error")
            await self._error(
                send, QueryError(UNKNOWN_EXCEPTION, f"{type(error).__name__}: {error}"), query_id
            )
            return
        await self._answer(send, request, headers, result)

    def _refuse_cross_site(self, headers: dict[str, str]) -> None:
        """A web page may make a browser POST here without a preflight (text/plain, a form); such
        a request carries an Origin, or Sec-Fetch-Site, that no driver sends."""
        origin = headers.get("origin")
        allowed = {o.strip() for o in self.settings.allowed_origins.split(",") if o.strip()}
        if origin is not None and origin not in allowed:
            raise QueryError(
                ACCESS_DENIED,
                f"Cross-site request refused: origin {origin!r} is not in LIANXI_WAREHOUSE_ALLOWED_ORIGINS",
            )
        if origin is None and headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            raise QueryError(ACCESS_DENIED, "Cross-site request refused (Sec-Fetch-Site)")

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.draining = True
                self.executor.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_body(self, receive: Any, headers: dict[str, str]) -> bytes:
        limit = self.settings.max_request_bytes
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise QueryError(
                QUERY_IS_TOO_LARGE,
                f"Request body of {declared} bytes exceeds max_request_bytes ({limit} bytes)",
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise QueryError(ABORTED, "Client closed the connection")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise QueryError(
                    QUERY_IS_TOO_LARGE, f"Request body exceeds max_request_bytes ({limit} bytes)"
                )
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        encoding = headers.get("content-encoding")
        if encoding and body:
            body = await asyncio.get_running_loop().run_in_executor(
                self.executor, partial(compression.decode_body, body, encoding, limit)
            )
        return body

    async def _execute(
        self, request: ParsedRequest, headers: dict[str, str], url: dict[str, str], receive: Any
    ) -> QueryResult:
        creds = credentials(headers, url)
        user = self.users.authenticate(creds.user, creds.password)
        if request.readonly and not user.readonly:
            user = dataclasses.replace(user, readonly=True)
        if (
            request.session_id
            and request.session_check
            and not self.engine.has_session(user, request.session_id)
        ):
            raise QueryError(SESSION_NOT_FOUND, f"Session {request.session_id} not found")
        running = asyncio.get_running_loop().run_in_executor(
            self.executor,
            partial(
                self.engine.execute,
                request.query,
                fmt=request.fmt,
                database=request.database,
                settings=request.settings,
                params=request.params,
                data=request.data,
                user=user,
                query_id=request.query_id,
                session_id=request.session_id,
                session_timeout=request.session_timeout,
            ),
        )
        # A client that hangs up does not want the answer: stop reading queries at once
        # (ClickHouse's cancel_http_readonly_queries_on_client_close); writes run to the end
        # so an insert is never half-decided by a network blip.
        if leading_keyword(request.query) not in _RESULT_STATEMENTS:
            return await running
        hangup = asyncio.ensure_future(receive())
        try:
            await asyncio.wait({running, hangup}, return_when=asyncio.FIRST_COMPLETED)
            if (
                hangup.done()
                and not running.done()
                and hangup.result().get("type") == "http.disconnect"
            ):
                self.engine.cancel(request.query_id or "")
            return await running
        finally:
            hangup.cancel()

    def _common_headers(
        self, query_id: str, timezone: str | None = None
    ) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-clickhouse-server-display-name", self.settings.display_name.encode()),
            (b"x-clickhouse-query-id", query_id.encode("latin-1", "replace")),
            # Drivers read naive DateTime columns in this zone, so a session_timezone wins.
            (
                b"x-clickhouse-timezone",
                (timezone or self.engine.timezone).encode("latin-1", "replace"),
            ),
        ]

    async def _answer(
        self, send: Any, request: ParsedRequest, headers: dict[str, str], result: QueryResult
    ) -> None:
        body = result.data
        out = self._common_headers(result.query_id, request.settings.get("session_timezone"))
        if result.data or leading_keyword(request.query) in _RESULT_STATEMENTS:
            out.append((b"x-clickhouse-format", result.format.encode()))
            out.append((b"content-type", content_type(result.format).encode()))
        else:
            out.append((b"content-type", b"text/plain; charset=UTF-8"))
        summary = {
            "read_rows": str(result.rows_read),
            "read_bytes": str(result.bytes_read),
            "written_rows": str(result.written_rows),
            "written_bytes": str(result.written_bytes),
            "total_rows_to_read": str(result.rows_read),
            "result_rows": "0",
            "result_bytes": str(len(result.data)),
            "elapsed_ns": str(int(result.elapsed * 1e9)),
        }
        out.append((b"x-clickhouse-summary", json.dumps(summary, separators=(",", ":")).encode()))
        if request.native_compress and body:
            body = await asyncio.get_running_loop().run_in_executor(
                self.executor, frames.compress, body
            )
        elif request.http_compression and body:
            encoding = compression.choose_encoding(headers.get("accept-encoding", ""))
            if encoding:
                body = await asyncio.get_running_loop().run_in_executor(
                    self.executor,
                    partial(compression.encode_body, body, encoding, request.zlib_level),
                )
                out.append((b"content-encoding", encoding.encode()))
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": body})

    async def _error(self, send: Any, error: QueryError, query_id: str) -> None:
        text = f"{error} (version {self.engine.version})\n".encode()
        out = self._common_headers(query_id)
        out += [
            (b"x-clickhouse-exception-code", str(error.code).encode()),
            (b"content-type", b"text/plain; charset=UTF-8"),
            (b"content-length", str(len(text)).encode()),
        ]
        if error.code == AUTHENTICATION_FAILED:
            out.append((b"www-authenticate", b'Basic realm="ClickHouse server HTTP API"'))
        if error.code in (QUERY_IS_TOO_LARGE, ABORTED):
            # The rest of the body is still on the wire; closing is cheaper than reading it.
            out.append((b"connection", b"close"))
        await send(
            {"type": "http.response.start", "status": http_status(error.code), "headers": out}
        )
        await send({"type": "http.response.body", "body": text})

    async def _plain(self, send: Any, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=UTF-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
