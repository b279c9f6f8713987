"""`lianxi dlq list|replay`: look at dead letters and put the fixed ones back on their topic.

Replay re-validates each dead letter with the current contracts; those that pass now (after a
contract fix, say) are published again to their original topic with their original key and a
`lianxi-replayed-from` header, and marked replayed; the worker then loads them like any other
record (same source and id, so a second replay cannot double-count). Those that still fail stay
listed, with today's violations.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from streams import deadletters, envelope, rows
from streams.config import StreamsSettings
from streams.sink import ClickHouseSink

# raw_value is bytes: read as hex, so the row survives the text formats.
LIST_COLUMNS = tuple("hex(raw_value)" if c == "raw_value" else c for c in deadletters.COLUMNS)


def list_dead_letters(
    settings: StreamsSettings,
    include_replayed: bool = False,
    error_code: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    sink = ClickHouseSink(settings)
    where = ["1"]
    params: dict[str, Any] = {"limit": limit}
    if not include_replayed:
        where.append("replayed_at IS NULL")
    if error_code:
        where.append("error_code = %(code)s")
        params["code"] = error_code
    result = sink.query(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM {sink.database}.dead_letters FINAL "
        f"WHERE {' AND '.join(where)} ORDER BY failed_at, topic, partition, offset "
        "LIMIT %(limit)s",
        params,
    )
    out = []
    for values in result:
        row = dict(
            zip(
                deadletters.COLUMNS,
                values,
                strict=True,
            )
        )
        row["raw_value"] = bytes.fromhex(row["raw_value"])
        out.append(row)
    return out


def replay_dead_letters(
    settings: StreamsSettings,
    error_code: str | None = None,
    dry_run: bool = False,
    limit: int = 100_000,
) -> dict[str, Any]:
    pending = list_dead_letters(settings, error_code=error_code, limit=limit)
    ready: list[dict[str, Any]] = []
    still_invalid: list[dict[str, Any]] = []
    for row in pending:
        domain = settings.domain_of_topic(row["topic"])
        # With its ce_* headers a binary-mode event is checked (and re-sent) as binary mode.
        record = rows.Record(
            row["topic"],
            row["partition"],
            row["offset"],
            row["key"].encode(),
            row["raw_value"],
            deadletters.original_headers(row),
        )
        if domain is None:
            still_invalid.append(
                _failure(
                    row,
                    envelope.Rejection(
                        envelope.WRONG_TOPIC,
                        [
                            envelope.violation(
                                "topic", "known_topic", f"{row['topic']} is no domain topic"
                            )
                        ],
                    ),
                )
            )
            continue
        try:
            rows.parse_record(record, domain, settings.streams_max_event_bytes)
        except envelope.Rejection as rejection:
            still_invalid.append(_failure(row, rejection))
            continue
        ready.append(row)

    if ready and not dry_run:
        asyncio.run(_publish(settings, ready))
        _mark_replayed(settings, ready)
    return {
        "dry_run": dry_run,
        "replayed": len(ready),
        "still_invalid": still_invalid,
        "replayed_offsets": [f"{r['topic']}:{r['partition']}:{r['offset']}" for r in ready],
    }


async def _publish(settings: StreamsSettings, ready: list[dict[str, Any]]) -> None:
    """Each record back on its topic with its key; returns once Kafka acknowledged them all
    (they are marked replayed only then)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        client_id="lianxi-dlq",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )
    await producer.start()
    try:
        sent = [
            await producer.send(
                row["topic"],
                key=row["key"].encode() or None,
                value=row["raw_value"],
                headers=deadletters.replay_headers(row, original=deadletters.original_headers(row)),
            )
            for row in ready
        ]
        await asyncio.wait_for(asyncio.gather(*sent), 60)
    finally:
        await producer.stop()


def _failure(row: dict[str, Any], rejection: envelope.Rejection) -> dict[str, Any]:
    return {
        "topic": row["topic"],
        "partition": row["partition"],
        "offset": row["offset"],
        "error_code": rejection.error_code,
        "violations": rejection.violations,
    }


def _mark_replayed(settings: StreamsSettings, ready: list[dict[str, Any]]) -> None:
    # ReplacingMergeTree without a version keeps the last inserted row per (topic, partition,
    # offset): re-inserting the row with replayed_at set supersedes the original.
    now = datetime.now(UTC)
    sink = ClickHouseSink(settings)
    data = [tuple({**r, "replayed_at": now}[c] for c in deadletters.COLUMNS) for r in ready]
    sink.insert("dead_letters", deadletters.COLUMNS, data, f"dlq-replay:{now.isoformat()}")
