"""Publishing simulated events through the ingest producer: validated, paced, with progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ingest.contracts import validate_event


class InvalidSimulatedEvent(ValueError):
    """A generated event broke its contract: a simulator bug, reported as data, not a trace."""

    def __init__(self, event: dict[str, Any], violations: list[Any]) -> None:
        super().__init__(f"simulated event {event.get('id')!r} ({event.get('type')}) is invalid")
        self.error = {
            "error": "invalid_simulated_event",
            "id": event.get("id"),
            "type": event.get("type"),
            "violations": [v.as_dict() for v in violations],
        }


@dataclass
class Progress:
    acknowledged: int
    total: int | None
    seconds: float

    @property
    def rate(self) -> float:
        return self.acknowledged / self.seconds if self.seconds > 0 else 0.0


def validated(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for event in events:
        violations = validate_event(event)
        if violations:
            raise InvalidSimulatedEvent(event, violations)
        yield event


def paced(events: Iterable[dict[str, Any]], rate: float) -> Iterator[dict[str, Any]]:
    """Hand out events no faster than `rate` per second, on average from the first one."""
    started = time.monotonic()
    for n, event in enumerate(events):
        ahead = started + n / rate - time.monotonic()
        # Sleeping for every event costs more than it saves at high rates; catch up in slices.
        if ahead > 0.005:
            time.sleep(ahead)
        yield event


def publish(
    events: Iterable[dict[str, Any]],
    *,
    settings: Any = None,
    rate: float | None = None,
    total: int | None = None,
    validate: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
    progress_interval_s: float = 1.0,
) -> Any:
    """Publish through ingest.producer.Producer (acks=all); returns its PublishResult.

    `on_progress` gets a Progress at most every `progress_interval_s` seconds and once at the end.
    """
    from ingest.producer import Producer

    stream: Iterable[dict[str, Any]] = validated(events) if validate else events
    if rate:
        stream = paced(stream, rate)
    started = time.monotonic()
    acknowledged = 0
    last_report = started

    def count(n: int) -> None:
        nonlocal acknowledged, last_report
        acknowledged += n
        now = time.monotonic()
        if on_progress and now - last_report >= progress_interval_s:
            last_report = now
            on_progress(Progress(acknowledged, total, now - started))

    with Producer(settings, client_id="lianxi-simulator") as producer:
        result = producer.publish(stream, on_progress=count)
    if on_progress:
        on_progress(Progress(acknowledged, total, time.monotonic() - started))
    return result
