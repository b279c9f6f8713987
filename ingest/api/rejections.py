"""A refused request becomes events of the catalogue: one `lianxi.quality.event_rejected` per
refused event (one per request when the body could not be split into events).

They travel like every other event (topic lianxi.quality, the stream worker, raw.quality_events),
so a publisher's failures are counted where its accepted events are. What is kept of the refused
event is what its owner needs to fix the publisher: the claimed id and type, every violation
(field, rule, message) and a bounded excerpt of the event in which the values of properties the
catalogue does not know are removed (an unexpected property is where a name or a phone number
would sit; the catalogue's own fields hold no personal data)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from ingest.contracts import dataschema_for

SOURCE = "/lianxi/ingest-api"
EVENT_TYPE = "lianxi.quality.event_rejected"
DATASCHEMA = dataschema_for(EVENT_TYPE)
REMOVED = "<已删除>"
MAX_VIOLATIONS = 20
MAX_RULES = 50
_encode = msgspec.json.Encoder().encode
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _rejection_id(publisher: str, error: str, content: bytes) -> str:
    """The same refusal of the same content from the same source is one rejection, however often
    it is re-sent (a retry after a 503, a publisher that re-sends its whole file): raw collapses
    it on (source, id) exactly as it collapses a re-sent accepted event."""
    digest = hashlib.blake2b(content, digest_size=16, person=b"lianxi-reject")
    digest.update(publisher.encode() + b"\0" + error.encode())
    return f"rj-{digest.hexdigest()}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _redacted(event: Any, fields: list[str]) -> Any:
    """A copy of `event` with the values at `fields` (dotted paths as in violations) replaced."""
    if not fields or not isinstance(event, dict):
        return event
    event = dict(event)
    for path in fields:
        parts = [int(i) if i else name for name, i in _PATH_PART.findall(path)]
        node: Any = event
        for depth, part in enumerate(parts):
            found = (isinstance(node, dict) and isinstance(part, str) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            )
            if not found:
                break
            if depth == len(parts) - 1:
                node[part] = REMOVED
            else:
                # Copy each container on the way down, so the caller's event stays as sent.
                child = node[part]
                node[part] = node = (
                    dict(child)
                    if isinstance(child, dict)
                    else list(child)
                    if isinstance(child, list)
                    else child
                )
    return event


def excerpt(raw: bytes, limit: int) -> tuple[str | None, bool]:
    """The first `limit` bytes of `raw` as text (cut at a character boundary), and whether cut."""
    if limit <= 0:
        return None, bool(raw)
    text = raw[:limit].decode("utf-8", "ignore")
    return text, len(raw) > limit


def _envelope(data: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "id": data["rejection_id"],
        "source": SOURCE,
        "type": EVENT_TYPE,
        "specversion": "1.0",
        "time": now,
        "subject": data["rejection_id"],
        "dataschema": DATASCHEMA,
        "datacontenttype": "application/json",
        "data": data,
    }


def rejection_events(
    publisher: str,
    status: int,
    error: str,
    failures: list[dict[str, Any]],
    events: list[Any] | None,
    body: bytes | None,
    mode: str,
    excerpt_bytes: int,
) -> list[dict[str, Any]]:
    """The rejection events of one refused request.

    `failures` are the error items of the answer (index, field, rule, message); `events` the
    request's events when the body could be read as events (else None): each of them gets one
    record (all or nothing: an event that broke nothing counts under rule "request"); without
    events the request gets one record, its excerpt the start of the body."""
    now = _now()
    request_id = f"rq-{uuid.uuid4().hex}"
    base = {
        "publisher_source": publisher[:256],
        "request_id": request_id,
        "http_status": status,
        "error": error,
        "mode": mode,
    }
    per_event: dict[int, list[dict[str, Any]]] = {}
    request_level: list[dict[str, Any]] = []
    for failure in failures:
        index = failure.get("index")
        (per_event.setdefault(index, []) if index is not None else request_level).append(failure)
    out = []
    if events is None or not per_event:
        text, cut = excerpt(body or b"", excerpt_bytes)
        rid = _rejection_id(publisher, error, body or b"")
        data = {
            **base,
            "rejection_id": rid,
            **_violations(request_level),
            "rejected_event_id": None,
            "rejected_type": None,
            "event_index": None,
            "request_events": len(events or ()),
            "excerpt": text,
            "excerpt_truncated": cut,
        }
        return [_envelope(data, now)]
    for index, event in enumerate(events):
        found = per_event.get(index, [])
        claimed = event if isinstance(event, dict) else {}
        event_id, event_type = claimed.get("id"), claimed.get("type")
        unknown = [f["field"] for f in found if f["rule"] == "additionalProperties"]
        text, cut = excerpt(_encode(_redacted(event, unknown)), excerpt_bytes)
        data = {
            **base,
            "rejection_id": _rejection_id(publisher, error, _encode(event)),
            **_violations(found),
            "rejected_event_id": event_id
            if isinstance(event_id, str) and 0 < len(event_id) <= 256
            else None,
            "rejected_type": event_type[:128] if isinstance(event_type, str) else None,
            "event_index": index,
            "request_events": len(events),
            "excerpt": text,
            "excerpt_truncated": cut,
        }
        out.append(_envelope(data, now))
    return out


def _violations(found: list[dict[str, Any]]) -> dict[str, Any]:
    if not found:
        # Valid itself, refused with the rest of an all-or-nothing request.
        return {
            "rule": "request",
            "field": "",
            "rules": ["request"],
            "violations": [],
            "violation_count": 0,
        }
    rules = list(dict.fromkeys(str(f["rule"])[:64] for f in found))[:MAX_RULES]
    return {
        "rule": str(found[0]["rule"])[:64] or "unknown",
        "field": str(found[0]["field"])[:300],
        "rules": rules,
        "violations": [
            _cut(f"{f['field']} [{f['rule']}] {f['message']}", 300) for f in found[:MAX_VIOLATIONS]
        ],
        "violation_count": len(found),
    }
