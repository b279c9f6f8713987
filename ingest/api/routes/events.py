"""POST /v1/events: CloudEvents in, 202 only once Kafka acknowledged every event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ingest.api.auth import CurrentToken, scope_errors
from ingest.api.body import (
    STRUCTURED_TYPES,
    binary_event,
    is_binary,
    media_type,
    read_body,
    structured_events,
)
from ingest.api.errors import ApiError, item, refused, responses
from ingest.api.rejections import rejection_events
from ingest.contracts import envelope_schema, validate_event
from ingest.tokens import Token

router = APIRouter(tags=["events"])
_encode = msgspec.json.Encoder().encode


class Accepted(BaseModel):
    accepted: int = Field(description="Kafka 已确认的事件数 / events acknowledged by Kafka")
    ids: list[str] = Field(description="按请求顺序的事件编号 / event ids in request order")


def _openapi_body() -> dict[str, Any]:
    envelope = {
        k: v
        for k, v in envelope_schema().items()
        if not k.startswith(("$", "x-")) and k != "examples"
    }
    content = {
        "oneOf": [envelope, {"type": "array", "items": envelope, "minItems": 1, "maxItems": 1000}]
    }
    return {
        "requestBody": {
            "required": True,
            "description": "一个 CloudEvent 或其数组（≤1000 个、≤5 MB）；亦支持二进制模式（ce- 头 + data 正文） / "
            "one CloudEvent or an array (≤1000 events, ≤5 MB); binary mode (ce- headers + data body) also accepted",
            "content": {
                "application/json": {
                    "schema": content,
                    "example": envelope_schema()["examples"][0],
                },
                "application/cloudevents+json": {"schema": envelope},
                "application/cloudevents-batch+json": {"schema": content["oneOf"][1]},
            },
        }
    }


@router.post(
    "/v1/events",
    status_code=202,
    response_model=Accepted,
    responses=responses(400, 401, 403, 413, 415, 422, 503),
    openapi_extra=_openapi_body(),
    summary="发布事件 / publish events",
)
async def post_events(request: Request, token: CurrentToken) -> Response:
    """All or nothing: if any event is rejected, none is published and every failing event is
    listed (index, field, rule). Re-sending the same (source, id) is accepted; the pipeline
    deduplicates downstream. A refusal (4xx) is answered only once Kafka acknowledged its
    rejection records (lianxi.quality.event_rejected); if it cannot, the answer is the 503 a
    valid request would get, so every 4xx a publisher saw is counted in raw.quality_events."""
    attempt = _Attempt(mode="binary" if is_binary(request) else "structured")
    try:
        return await _publish(request, token, attempt)
    except ApiError as refused:
        settings = request.app.state.settings
        if 400 <= refused.status < 500 and settings.api_record_rejections:
            records = rejection_events(
                token.source,
                refused.status,
                refused.error,
                refused.errors,
                attempt.events,
                attempt.body,
                attempt.mode,
                settings.api_rejection_excerpt_bytes,
            )
            await request.app.state.gate.publish(records)
        raise


@dataclass
class _Attempt:
    """What a request got as far as before it was refused (for its rejection records)."""

    mode: str
    body: bytes | None = None
    events: list[Any] | None = None


async def _publish(request: Request, token: Token, attempt: _Attempt) -> Response:
    settings = request.app.state.settings
    metrics = request.app.state.metrics
    if attempt.mode == "binary":
        body = attempt.body = await read_body(request, settings.api_max_body_bytes)
        events: list[Any] = [binary_event(request, body)]
    else:
        mt = media_type(request)
        if mt not in STRUCTURED_TYPES:
            raise refused(
                415,
                "unsupported_media_type",
                "send application/json (or application/cloudevents+json / -batch+json), or binary mode with ce- headers",
                "Content-Type",
                "media_type",
                f"got {mt or 'nothing'!r}",
            )
        body = attempt.body = await read_body(request, settings.api_max_body_bytes)
        events, _ = structured_events(body, settings.api_max_batch_events)
    attempt.events = events

    denied = scope_errors(token, events)
    if denied:
        metrics.count(token.source, "rejected", events, denied)
        raise ApiError(
            403, "forbidden", "the token does not cover every event of the request", denied
        )

    invalid = [
        item(i, v.field, v.rule, v.message)
        for i, ev in enumerate(events)
        for v in validate_event(ev)
    ]
    if invalid:
        metrics.count(token.source, "rejected", events, invalid)
        bad = len({e["index"] for e in invalid})
        raise ApiError(
            422,
            "validation_failed",
            f"{bad} of {len(events)} events are invalid; nothing was published",
            invalid,
        )

    waited = await request.app.state.gate.publish(events)
    metrics.kafka_wait.observe(waited)
    metrics.count(token.source, "accepted", events)
    # The body is the Accepted model (documented through response_model), encoded directly:
    # validating and serialising a 1000-id list through pydantic costs more than the check.
    body = _encode({"accepted": len(events), "ids": [e["id"] for e in events]})
    return Response(body, status_code=202, media_type="application/json")
