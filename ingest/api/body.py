"""Reads a request body within the size limit and turns it into a list of structured events:
structured mode (one event or a JSON array) or CloudEvents HTTP binary mode (ce- headers)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import msgspec
from fastapi import Request

from ingest.api.errors import ApiError, refused

STRUCTURED_TYPES = frozenset(
    {"application/json", "application/cloudevents+json", "application/cloudevents-batch+json"}
)
# Binary mode carries the data's own media type; the catalogue's data is always JSON.
BINARY_DATA_TYPES = frozenset({"application/json"})
BINARY_DEFAULT_TYPE = "application/json"
_decode = msgspec.json.Decoder().decode
# Far deeper than any event of the catalogue (batch > event > data > array is 4), far below the
# parsers' recursion limits: `[[[[…` 100k deep must be a 400, not a RecursionError.
MAX_DEPTH = 64
# Every byte but the quote and the brackets, deleted by bytes.translate in the depth scan.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
# A % not followed by two hex digits: the CloudEvents HTTP binding allows no other use of %.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(f"body of {declared} bytes exceeds the limit of {limit} bytes", "maxBytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(f"body exceeds the limit of {limit} bytes", "maxBytes")
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(message: str, rule: str) -> ApiError:
    return refused(413, "payload_too_large", message, "body", rule, message)


def nesting_too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True if the JSON text nests arrays/objects deeper than `limit`, found without parsing.

    Runs in C (bytes methods and one regex) so the hot path stays cheap: strings are cut out,
    then empty pairs [] and {} are removed one level per pass; a well-formed document of depth d
    is empty after d passes. Malformed but shallow text is left for the parser to report."""
    if b"\\" in body:
        # Backslashes occur only inside strings: drop escaped backslashes, then escaped quotes,
        # so every quote left opens or closes a string.
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = body.translate(None, _NOT_STRUCTURE)
    # Adjacent quotes enclose nothing that matters; dropping them keeps every other quote's
    # parity. What is left between quotes is brackets inside strings (rare): cut it out.
    marks = marks.replace(b'""', b"")
    brackets = b"".join(marks.split(b'"')[::2]) if b'"' in marks else marks
    if len(brackets) <= limit:
        return False
    for _ in range(limit):
        shorter = _EMPTY_PAIR.sub(b"", brackets)
        if shorter == brackets:
            break
        brackets = shorter
    else:
        if _EMPTY_PAIR.search(brackets):
            return True  # still a level left after `limit` levels
    # Unbalanced: openers left before the first closer are nesting the parser would recurse into.
    return len(brackets) - len(brackets.lstrip(b"[{")) > limit


def _utf8_error(message: str) -> ApiError:
    return refused(
        400,
        "invalid_json",
        message,
        "body",
        "utf8",
        "请求体须为 UTF-8 编码 / the body must be UTF-8",
    )


def too_deep(limit: int = MAX_DEPTH) -> ApiError:
    message = f"JSON nests deeper than {limit} levels"
    return refused(
        400, "invalid_json", message, "body", "maxDepth", f"嵌套层数超过 {limit} / {message}"
    )


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise refused(
            400,
            "invalid_json",
            "the body is empty",
            "body",
            "json",
            "expected a JSON object or array",
        )
    if nesting_too_deep(body):
        raise too_deep()
    try:
        return _decode(body)
    except UnicodeDecodeError as exc:
        raise _utf8_error(
            f"the body is not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    except RecursionError:
        raise too_deep() from None  # the scan should have caught it; never a 500
    except msgspec.DecodeError as exc:
        # A byte that is not UTF-8 outside a string is a syntax error to msgspec; say what it is.
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _utf8_error(
                f"the body is not valid UTF-8: {bad.reason} at byte {bad.start}"
            ) from None
        raise refused(
            400, "invalid_json", f"the body is not valid JSON: {exc}", "body", "json", str(exc)
        ) from None


def structured_events(body: bytes, max_events: int) -> tuple[list[Any], bool]:
    """(events, is_batch)."""
    doc = parse_json(body)
    if isinstance(doc, dict):
        return [doc], False
    if isinstance(doc, list):
        if not doc:
            raise refused(
                400,
                "empty_batch",
                "the batch holds no events",
                "body",
                "minItems",
                "send at least one event",
            )
        if len(doc) > max_events:
            raise too_large(
                f"a batch holds at most {max_events} events, got {len(doc)}", "maxItems"
            )
        return doc, True
    raise refused(
        400,
        "invalid_shape",
        "the body must be one event (object) or a batch (array)",
        "body",
        "type",
        f"got a JSON {type(doc).__name__}",
    )


def is_binary(request: Request) -> bool:
    return "ce-specversion" in request.headers


def binary_event(request: Request, body: bytes) -> dict[str, Any]:
    """CloudEvents HTTP binding, binary mode: attributes in ce- headers (percent-encoded), data is the body.

    No Content-Type means JSON: the official Python SDK (`to_binary` with a dict payload, both
    its v1 and core APIs) sends none, and reads such data as JSON itself when receiving. An
    explicit type other than application/json is still refused (415)."""
    mt = media_type(request) or BINARY_DEFAULT_TYPE
    if mt not in BINARY_DATA_TYPES:
        raise refused(
            415,
            "unsupported_media_type",
            "binary-mode data must be application/json",
            "Content-Type",
            "media_type",
            f"got {mt or 'nothing'!r}",
        )
    event: dict[str, Any] = {
        name[3:]: header_value(name, value)
        for name, value in request.headers.items()
        if name.lower().startswith("ce-")
    }
    event["datacontenttype"] = mt
    event["data"] = parse_json(body)
    return event


def header_value(name: str, value: str) -> str:
    """A ce- header's value, percent-decoded strictly (CloudEvents HTTP binding, 3.1.3.2).

    Lenient decoding kept "%zz" as is and turned invalid UTF-8 into U+FFFD, so distinct ids
    could collide under the (source, id) deduplication key: both are refused instead."""
    # Starlette decodes header bytes as latin-1: anything outside printable ASCII came raw.
    if not (value.isascii() and value.isprintable()) or _BAD_ESCAPE.search(value):
        raise _header_error(
            name,
            "percent_encoding",
            "须为可打印 ASCII，其余字符以 %XX 编码 / must be printable ASCII with other characters as %XX escapes",
        )
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise _header_error(
            name, "utf8", "%XX 转义须组成 UTF-8 / the %XX escapes must form UTF-8"
        ) from None


def _header_error(name: str, rule: str, message: str) -> ApiError:
    return refused(
        400,
        "invalid_header",
        f"header {name} is not a valid CloudEvents attribute",
        name,
        rule,
        message,
    )
