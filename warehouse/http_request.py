"""Turns one HTTP request into what Engine.execute needs, ClickHouse's way.

ClickHouse reads the query from the `query` URL parameter, the body, or both (parameter, a
newline, then the body); an INSERT's data follows its `FORMAT <fmt>` / `VALUES`.
"""

import base64
import binascii
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from warehouse.errors import (
    BAD_ARGUMENTS,
    INVALID_SESSION_TIMEOUT,
    NOT_IMPLEMENTED,
    SYNTAX_ERROR,
    QueryError,
)
from warehouse.statement import split_insert

# URL parameters the HTTP layer consumes itself; everything else that is not `param_*` is a
# ClickHouse setting and goes to the engine.
HTTP_PARAMETERS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "user",
        "password",
        "quota_key",
        "compress",
        "decompress",
        "enable_http_compression",
        "http_zlib_compression_level",
        "readonly",
    }
)
# Accepted and knowingly ignored (README lists why): the server always buffers the whole
# result, sends no progress headers, and speaks one Native revision.
IGNORED_PARAMETERS = frozenset(
    {
        "wait_end_of_query",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "client_protocol_version",
        "buffer_size",
        "http_response_buffer_size",
        "add_http_cors_header",
        "http_wait_end_of_query",
        "http_native_compression_disable_checksumming_on_decompress",
        "extremes_in_http_response",
    }
)


@dataclass
class Credentials:
    user: str | None = None
    password: str | None = None


@dataclass
class ParsedRequest:
    query: str
    data: bytes | None
    params: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    fmt: str | None = None
    database: str | None = None
    query_id: str | None = None
    session_id: str | None = None
    session_timeout: float | None = None
    session_check: bool = False
    readonly: bool = False
    http_compression: bool = False
    zlib_level: int | None = None
    native_compress: bool = False


def url_parameters(query_string: bytes) -> dict[str, str]:
    try:
        return dict(
            parse_qsl(query_string.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        )
    except UnicodeDecodeError:
        raise QueryError(BAD_ARGUMENTS, "URL parameters are not valid UTF-8") from None


def credentials(headers: dict[str, str], url: dict[str, str]) -> Credentials:
    if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
        return Credentials(headers.get("x-clickhouse-user"), headers.get("x-clickhouse-key"))
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise QueryError(BAD_ARGUMENTS, "Malformed Basic authorization header") from None
        user, _, password = decoded.partition(":")
        return Credentials(user, password)
    return Credentials(url.get("user"), url.get("password"))


def form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """multipart/form-data: clickhouse-connect moves long queries and bind params there."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            raise QueryError(
                NOT_IMPLEMENTED, "External data (file parts of a form) is not supported"
            )
        if name:
            payload = part.get_payload(decode=True)
            try:
                fields[str(name)] = payload.decode("utf-8") if isinstance(payload, bytes) else ""
            except UnicodeDecodeError:
                raise QueryError(BAD_ARGUMENTS, f"Form field '{name}' is not valid UTF-8") from None
    return fields


def parse(method: str, url: dict[str, str], body: bytes, headers: dict[str, str]) -> ParsedRequest:
    content_type = headers.get("content-type", "")
    if method == "POST" and content_type.lower().startswith("multipart/form-data"):
        url = {**url, **form_fields(body, content_type)}
        body = b""
    query_param = url.get("query", "")
    if query_param and body:
        text = query_param.encode() + b"\n" + body
    else:
        text = query_param.encode() if query_param else body
    header = split_insert(text)
    if header is not None and header.data_offset <= len(text):
        data: bytes | None = text[header.data_offset :]
        fmt_clause = "VALUES" if header.fmt == "Values" else f"FORMAT {header.fmt}"
        query = f"{header.query} {fmt_clause}"
    else:
        data = None
        try:
            query = text.decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError(SYNTAX_ERROR, "Query is not valid UTF-8 text") from None
    if not query.strip():
        raise QueryError(SYNTAX_ERROR, "Empty query")

    parsed = ParsedRequest(query=query, data=data)
    for name, value in url.items():
        if name.startswith("param_"):
            parsed.params[name[6:]] = value
        elif name not in HTTP_PARAMETERS and name not in IGNORED_PARAMETERS:
            parsed.settings[name] = value
    parsed.fmt = url.get("default_format") or headers.get("x-clickhouse-format") or None
    parsed.database = url.get("database") or headers.get("x-clickhouse-database") or None
    parsed.query_id = url.get("query_id") or None
    parsed.session_id = url.get("session_id") or None
    parsed.session_check = url.get("session_check") == "1"
    parsed.readonly = method == "GET" or url.get("readonly", "0") not in ("", "0")
    parsed.http_compression = _flag(url.get("enable_http_compression"))
    parsed.native_compress = _flag(url.get("compress"))
    if url.get("http_zlib_compression_level"):
        parsed.zlib_level = _integer(
            "http_zlib_compression_level", url["http_zlib_compression_level"]
        )
    if url.get("session_timeout"):
        try:
            parsed.session_timeout = float(url["session_timeout"])
        except ValueError:
            raise QueryError(
                INVALID_SESSION_TIMEOUT, f"Invalid session timeout: '{url['session_timeout']}'"
            ) from None
        if parsed.session_timeout <= 0:
            raise QueryError(
                INVALID_SESSION_TIMEOUT, f"Invalid session timeout: '{url['session_timeout']}'"
            )
    return parsed


def _flag(value: str | None) -> bool:
    return (value or "0").strip().lower() in ("1", "true")


def _integer(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise QueryError(
            BAD_ARGUMENTS, f"Setting {name}: cannot parse '{value}' as an integer"
        ) from None
