"""Reads a request body within the size limit and turns it into a list of structured events:
structured mode (one event or a JSON array) or CloudEvents HTTP binary mode (ce- headers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import msgspec
from fastapi import Request

from ingest.api.errors import ApiError, item

STRUCTURED_TYPES = frozenset({"application/json", "application/cloudevents+json", "application/cloudevents-batch+json"})
# Binary mode carries the data's own media type; the catalogue's data is always JSON.
BINARY_DATA_TYPES = frozenset({"application/json"})
_decode = msgspec.json.Decoder().decode


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
    return ApiError(413, "payload_too_large", message, [item(None, "body", rule, message)])


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "invalid_json", "the body is empty", [item(None, "body", "json", "expected a JSON object or array")])
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}", [item(None, "body", "json", str(exc))]) from None


def structured_events(body: bytes, max_events: int) -> tuple[list[Any], bool]:
    """(events, is_batch)."""
    doc = parse_json(body)
    if isinstance(doc, dict):
        return [doc], False
    if isinstance(doc, list):
        if not doc:
            raise ApiError(400, "empty_batch", "the batch holds no events", [item(None, "body", "minItems", "send at least one event")])
        if len(doc) > max_events:
            raise too_large(f"a batch holds at most {max_events} events, got {len(doc)}", "maxItems")
        return doc, True
    raise ApiError(
        400, "invalid_shape", "the body must be one event (object) or a batch (array)",
        [item(None, "body", "type", f"got a JSON {type(doc).__name__}")],
    )


def is_binary(request: Request) -> bool:
    return "ce-specversion" in request.headers


def binary_event(request: Request, body: bytes) -> dict[str, Any]:
    """CloudEvents HTTP binding, binary mode: attributes in ce- headers (percent-encoded), data is the body."""
    mt = media_type(request)
    if mt not in BINARY_DATA_TYPES:
        raise ApiError(
            415, "unsupported_media_type", "binary-mode data must be application/json",
            [item(None, "Content-Type", "media_type", f"got {mt or 'nothing'!r}")],
        )
    event: dict[str, Any] = {
        name[3:]: unquote(value) for name, value in request.headers.items() if name.lower().startswith("ce-")
    }
    event["datacontenttype"] = mt
    event["data"] = parse_json(body)
    return event
