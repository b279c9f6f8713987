"""Hands a request's events to Kafka and waits, without blocking the event loop, until all are
acknowledged; turns an unreachable broker into 503 + Retry-After."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from ingest.api.errors import ApiError, item
from ingest.contracts import topic_for
from ingest.producer import Acks, Producer


class KafkaGate:
    def __init__(self, producer: Producer, ack_timeout_s: float, retry_after_s: int) -> None:
        self.producer = producer
        self.ack_timeout_s = ack_timeout_s
        self.retry_after_s = retry_after_s
        # Set when a request could not be acknowledged; cleared by the next full success.
        self.failing_since: float | None = None
        # While failing, one request per retry_after_s goes through as a probe; the rest are
        # answered 503 at once instead of piling records up in the producer.
        self._last_probe = 0.0

    def _unavailable(self, why: str, acks: Acks | None = None) -> ApiError:
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        errors = [
            item(index, "", "kafka_ack", reason)
            for index, reason in (acks.failures if acks else [])[:20]
        ]
        return ApiError(
            503,
            "kafka_unavailable",
            f"{why}; nothing of this request may be assumed stored — resend it (same ids are deduplicated)",
            errors,
            headers={"Retry-After": str(self.retry_after_s)},
        )

    async def publish(self, events: list[dict[str, Any]]) -> float:
        """Returns the seconds spent waiting for acknowledgements; raises ApiError(503)."""
        if self.failing_since is not None:
            now = time.monotonic()
            if now - self._last_probe < self.retry_after_s and not self.producer.connected():
                raise self._unavailable("Kafka is unreachable")
            self._last_probe = now
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not done.done():
                done.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(resolve)

        started = time.perf_counter()
        topics = {topic_for(t, self.producer.prefix) for t in {e["type"] for e in events}}
        if self.producer.ready_for(topics):
            # Metadata known: submit only appends to the producer's buffers (CPU, no waiting),
            # so it runs on the loop; a thread hop would only add GIL hand-overs.
            acks = self.producer.submit(events)
        else:
            # First use of a topic, or metadata lost: submit may wait up to max_block_ms.
            acks = await run_in_threadpool(self.producer.submit, events)
        acks.on_done(wake)
        try:
            await asyncio.wait_for(done, self.ack_timeout_s)
        except TimeoutError:
            raise self._unavailable(
                f"Kafka did not acknowledge within {self.ack_timeout_s:g} s"
            ) from None
        if acks.failed:
            raise self._unavailable(f"Kafka rejected {acks.failed} of {acks.sent} events", acks)
        self.failing_since = None
        return time.perf_counter() - started
