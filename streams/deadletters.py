"""Dead letters: records that cannot be loaded, kept with the reason and replayable.

On the dead-letter topic the value is the original record value, byte for byte, and the key
the original key; where it came from and why it failed travel in `lianxi-dl-*` headers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from streams.rawschema import DEAD_LETTER_COLUMNS
from streams.rows import DeadLetter, Record

H_TOPIC = "lianxi-dl-topic"
H_PARTITION = "lianxi-dl-partition"
H_OFFSET = "lianxi-dl-offset"
H_CODE = "lianxi-dl-error-code"
H_ERROR = "lianxi-dl-error"
H_TYPE = "lianxi-dl-event-type"
H_SOURCE = "lianxi-dl-source"
H_ID = "lianxi-dl-event-id"
H_FAILED_AT = "lianxi-dl-failed-at"
# Set on records that `lianxi dlq replay` puts back on their topic (where from).
H_REPLAYED_FROM = "lianxi-replayed-from"
INVALID_DEAD_LETTER = "invalid_dead_letter"

# The raw.dead_letters row, in column order; the layout (with types) is rawschema's, which
# generates the table.
COLUMNS = [name for name, _ in DEAD_LETTER_COLUMNS]


def to_message(dl: DeadLetter) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) to publish on the dead-letter topic."""
    r, rej = dl.record, dl.rejection
    headers = [
        (H_TOPIC, r.topic.encode()),
        (H_PARTITION, str(r.partition).encode()),
        (H_OFFSET, str(r.offset).encode()),
        (H_CODE, rej.error_code.encode()),
        (H_ERROR, rej.error_json().encode()),
        (H_FAILED_AT, dl.failed_at.isoformat().encode()),
    ]
    for name, value in ((H_TYPE, rej.event_type), (H_SOURCE, rej.source), (H_ID, rej.event_id)):
        if value is not None:
            headers.append((name, value.encode()))
    # Binary-mode CloudEvents keep their attributes in headers; keep them for replay.
    headers.extend(_event_headers(_headers(r.headers)).items())
    return r.key, r.value or b"", headers


def _event_headers(headers: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in headers.items() if k.startswith("ce_") or k == "content-type"}


def _headers(headers: Any) -> dict[str, bytes]:
    if not headers:
        return {}
    items = headers.items() if isinstance(headers, dict) else headers
    return {str(k): bytes(v) if v is not None else b"" for k, v in items}


def to_row(record: Record) -> tuple:
    """The raw.dead_letters row of one message of the dead-letter topic."""
    h = _headers(record.headers)

    def text(name: str) -> str | None:
        return h[name].decode("utf-8", "replace") if name in h else None

    key = (record.key or b"").decode("utf-8", "replace")
    try:
        failed_at = datetime.fromisoformat(text(H_FAILED_AT) or "")
        origin = (text(H_TOPIC) or "", int(text(H_PARTITION) or ""), int(text(H_OFFSET) or ""))
        code, error = text(H_CODE) or "", text(H_ERROR) or "[]"
    except ValueError:
        # Not written by this worker: keep it under its own coordinates so nothing is lost.
        failed_at = datetime.now(UTC)
        origin = (record.topic, record.partition, record.offset)
        code = INVALID_DEAD_LETTER
        error = json.dumps(
            [
                {
                    "field": "headers",
                    "rule": "required",
                    "message": "dead-letter headers missing or malformed",
                }
            ]
        )
    # CloudEvents attributes are text (the binary-mode spec has them percent-encoded UTF-8),
    # so a String map holds them; replay encodes them back.
    event_headers = {k: v.decode("utf-8", "replace") for k, v in _event_headers(h).items()}
    return (
        *origin,
        key,
        record.value or b"",
        code,
        error,
        text(H_TYPE),
        text(H_SOURCE),
        text(H_ID),
        failed_at,
        None,
        event_headers,
    )


def original_headers(row: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The ce_* / content-type headers the dead-lettered record came with, as Kafka headers."""
    return [(k, v.encode()) for k, v in sorted((row.get("headers") or {}).items())]


def replay_headers(row: dict[str, Any], original: Sequence[tuple[str, bytes]] = ()) -> list:
    origin = f"{row['topic']}:{row['partition']}:{row['offset']}".encode()
    return [*original, (H_REPLAYED_FROM, origin)]
