"""Kafka producer for CloudEvents: idempotent, acks from every in-sync replica, compressed.

Events go to "lianxi.<domain>" (plus the configured prefix) in structured mode (the whole
envelope as UTF-8 JSON), keyed by `subject` so one aggregate's events keep their order.

The client is kafka-python, used through its public API only: `KafkaProducer.send()` per
record, with the partition given — Kafka's default partition for the key, computed with a C
murmur2 (`partition_for`, bit-identical: tests/ingest/test_partitioner.py) instead of
kafka-python's pure-Python one. Batching, sequence numbers, retries and acknowledgements are
kafka-python's own. The C `crc32c` package, when installed, replaces kafka-python's
pure-Python CRC of every record batch (kafka-python picks it up by itself).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

import msgspec
from murmurhash2 import murmurhash2

from ingest.config import IngestSettings, get_settings
from ingest.contracts import topic_for

CONTENT_TYPE_HEADER = ("content-type", b"application/cloudevents+json; charset=utf-8")
# Failed indices kept per publish call; enough to explain, bounded for million-event runs.
MAX_REPORTED_FAILURES = 100
_encode = msgspec.json.Encoder().encode
# Seed of Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, kafka-python's
# kafka.partitioner.default.murmur2): the hash is standard 32-bit MurmurHash2 with this seed.
KAFKA_MURMUR2_SEED = 0x9747B28C


def partition_for(key: bytes, partitions: list[int]) -> int:
    """Kafka's default partition of a keyed record, as kafka-python's DefaultPartitioner and
    the Java client compute it: murmur2(key) & 0x7fffffff, modulo the partition count, as an
    index into the sorted partition ids."""
    return partitions[(murmurhash2(key, KAFKA_MURMUR2_SEED) & 0x7FFFFFFF) % len(partitions)]


class PublishError(RuntimeError):
    """Some events were not acknowledged by Kafka. `failures` lists (index, reason)."""

    def __init__(self, message: str, failures: list[tuple[int, str]], acknowledged: int) -> None:
        super().__init__(message)
        self.failures = failures
        self.acknowledged = acknowledged


@dataclass
class PublishResult:
    published: int
    by_topic: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.published / self.seconds if self.seconds > 0 else 0.0


class Acks:
    """Counts acknowledgements of one submission; fed by the producer's sender thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.sent = 0
        self.acked = 0
        self.failed = 0
        self.failures: list[tuple[int, str]] = []
        self._sealed = False
        self._listeners: list[Callable[[], None]] = []

    def track(self, future: Any, index: int) -> None:
        # Only the submitting thread counts `sent`, and callbacks read it only once sealed.
        self.sent += 1
        future.add_callback(self._ok)
        future.add_errback(self._err, index)

    def _ok(self, _metadata: Any) -> None:
        with self._lock:
            self.acked += 1
            finished = self._finished()
        if finished:
            self._finish()

    def _err(self, index: int, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1
            if len(self.failures) < MAX_REPORTED_FAILURES:
                self.failures.append((index, f"{type(exc).__name__}: {exc}"))
            finished = self._finished()
        if finished:
            self._finish()

    def _finished(self) -> bool:
        return self._sealed and self.acked + self.failed == self.sent and not self._done.is_set()

    def _finish(self) -> None:
        self._done.set()
        for listener in self._listeners:
            listener()

    def seal(self) -> None:
        """No more events will be tracked; completion can now be signalled."""
        with self._lock:
            self._sealed = True
            finished = self._finished()
        if finished:
            self._finish()

    def on_done(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from any thread) once every tracked event is acked or failed."""
        with self._lock:
            if not self._done.is_set():
                self._listeners.append(listener)
                return
        listener()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def ok(self) -> bool:
        return self.done and self.failed == 0


def encode(event: dict[str, Any], prefix: str = "") -> tuple[str, bytes, bytes]:
    """(topic, key, value) of one validated event."""
    return topic_for(event["type"], prefix), event["subject"].encode(), _encode(event)


def delivery_options(settings: IngestSettings) -> dict[str, Any]:
    """The options kafka-python's and aiokafka's producers take alike: a send is acknowledged
    only once every in-sync replica has it, retries cannot duplicate, and batching follows the
    settings."""
    s = settings
    return {
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": None if s.kafka_compression == "none" else s.kafka_compression,
        "linger_ms": s.kafka_linger_ms,
        "request_timeout_ms": s.kafka_request_timeout_ms,
        "max_request_size": 4 * 1024 * 1024,
    }


class Producer:
    """Publishes validated CloudEvents; `publish` returns only once Kafka acknowledged them all."""

    def __init__(
        self, settings: IngestSettings | None = None, client_id: str = "lianxi-ingest"
    ) -> None:
        from kafka import KafkaProducer

        self.settings = settings or get_settings()
        s = self.settings
        self._kafka = KafkaProducer(
            bootstrap_servers=s.kafka_bootstrap.split(","),
            client_id=client_id,
            batch_size=s.kafka_batch_bytes,
            delivery_timeout_ms=s.kafka_delivery_timeout_ms,
            max_block_ms=s.kafka_max_block_ms,
            # After a broker restart, reconnect within seconds rather than the default 30 s.
            reconnect_backoff_max_ms=2000,
            allow_auto_create_topics=False,
            **delivery_options(s),
        )
        self.prefix = s.kafka_topic_prefix
        # Topics whose partitions this producer has obtained: send() finds their metadata
        # without waiting for the broker.
        self._known: set[str] = set()

    def submit(self, events: Iterable[dict[str, Any]], acks: Acks | None = None) -> Acks:
        """Hand events to the producer without waiting; the returned Acks tracks them.

        A record that cannot even be buffered (no metadata for its topic within max_block_ms,
        larger than max_request_size, producer closed) is recorded as a failure of that event;
        events already handed over stay in flight. A topic's partitions are looked up once per
        call; each record goes to Kafka's default partition for its key.
        """
        acks = acks or Acks()
        send = self._kafka.send
        headers = [CONTENT_TYPE_HEADER]
        layout: dict[str, list[int] | BaseException] = {}
        try:
            for index, event in enumerate(events):
                try:
                    topic, key, value = encode(event, self.prefix)
                    partitions = layout.get(topic)
                    if partitions is None:
                        partitions = layout[topic] = self._partitions(topic)
                    if isinstance(partitions, BaseException):
                        raise partitions
                    future = send(
                        topic,
                        value=value,
                        key=key,
                        headers=headers,
                        partition=partition_for(key, partitions),
                    )
                except Exception as exc:  # noqa: BLE001 - any failure to buffer is reported per event
                    acks.track(_Failed(exc), index)
                    continue
                acks.track(future, index)
        finally:
            acks.seal()
        return acks

    def _partitions(self, topic: str) -> list[int] | BaseException:
        """Sorted partition ids of a topic, waiting up to max_block_ms for metadata as send()
        does; the exception instead if there are none."""
        try:
            known = self._kafka.partitions_for(topic)
        except Exception as exc:  # noqa: BLE001 - reported for every event of the topic
            self._known.discard(topic)
            return exc
        if not known:
            self._known.discard(topic)
            return ValueError(f"no partitions known for topic {topic}")
        self._known.add(topic)
        return sorted(known)

    def ready_for(self, topics: Iterable[str]) -> bool:
        """True if this producer has obtained the partitions of every topic before, so
        `submit` finds them without waiting for the broker."""
        return all(t in self._known for t in topics)

    def publish(
        self,
        events: Iterable[dict[str, Any]],
        on_progress: Callable[[int], None] | None = None,
        timeout: float | None = None,
    ) -> PublishResult:
        """Send every event and wait for all acknowledgements.

        `on_progress(n)` is called from this thread with the number of newly acknowledged
        events. Raises PublishError if any event was not acknowledged.
        """
        started = time.perf_counter()
        by_topic: Counter[str] = Counter()
        acks = Acks()
        reported = 0

        def counted() -> Iterable[dict[str, Any]]:
            nonlocal reported
            for n, event in enumerate(events, 1):
                by_topic[topic_for(event["type"], self.prefix)] += 1
                yield event
                if on_progress and n % 1000 == 0 and acks.acked > reported:
                    now = acks.acked
                    on_progress(now - reported)
                    reported = now

        self.submit(counted(), acks)
        self._kafka.flush(timeout)
        # flush() returns when requests completed; callbacks may still be running on the sender.
        if not acks.wait(
            timeout if timeout is not None else self.settings.kafka_delivery_timeout_ms / 1000 + 5
        ):
            raise PublishError(
                "timed out waiting for Kafka acknowledgements", acks.failures, acks.acked
            )
        if on_progress and acks.acked > reported:
            on_progress(acks.acked - reported)
        if acks.failed:
            first = acks.failures[0][1] if acks.failures else "unknown error"
            raise PublishError(
                f"{acks.failed} of {acks.sent} events were not acknowledged by Kafka (first: {first})",
                acks.failures,
                acks.acked,
            )
        return PublishResult(acks.acked, dict(by_topic), time.perf_counter() - started)

    def connected(self) -> bool:
        """True if the client holds a connection to a broker (or is opening one): the
        `connection-count` metric Kafka clients report. Read-only; never connects."""
        metrics = self._kafka.metrics() or {}
        return any(group.get("connection-count", 0) > 0 for group in metrics.values())

    def metrics(self) -> dict[str, Any]:
        return self._kafka.metrics()

    def close(self, timeout: float | None = None) -> None:
        """Flush what is buffered, then close."""
        try:
            self._kafka.flush(timeout)
        finally:
            self._kafka.close(timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failed:
    """Stands in for a future whose send() raised before reaching the accumulator."""

    def __init__(self, exc: BaseException) -> None:
        self._exc = exc

    def add_callback(self, *_args: Any) -> None:
        return None

    def add_errback(self, fn: Callable[..., None], *args: Any) -> None:
        fn(*args, self._exc)
