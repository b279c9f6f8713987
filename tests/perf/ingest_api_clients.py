"""The ingest API served with another Kafka client, for bench_ingest's client comparison only.

`python -m tests.perf.ingest_api_clients VARIANT` serves `lianxi api serve`'s app (settings from
the environment, one process) with the gate's producer swapped:
- `current`: ingest.producer.Producer as the API uses it (kafka-python's send() per record,
  the partition given: C murmur2, ingest.producer.partition_for);
- `public_send`: the same without the partition: kafka-python's own (pure-Python) partitioner;
- `aiokafka`: AIOKafkaProducer.send() per record on the API's event loop, partition given.
Same acks, idempotence, compression, linger and batch size in every variant.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterable
from typing import Any

from ingest.api.errors import ApiError
from ingest.api.kafka_gate import KafkaGate
from ingest.config import IngestSettings
from ingest.producer import (
    CONTENT_TYPE_HEADER,
    Acks,
    Producer,
    _Failed,
    delivery_options,
    encode,
    partition_for,
)


class PublicSendProducer(Producer):
    """Producer.submit through KafkaProducer.send() with kafka-python's default partitioner."""

    def submit(self, events: Iterable[dict[str, Any]], acks: Acks | None = None) -> Acks:
        acks = acks or Acks()
        send = self._kafka.send
        headers = [CONTENT_TYPE_HEADER]
        try:
            for index, event in enumerate(events):
                try:
                    topic, key, value = encode(event, self.prefix)
                    future = send(topic, value=value, key=key, headers=headers)
                except Exception as exc:  # noqa: BLE001
                    acks.track(_Failed(exc), index)
                    continue
                acks.track(future, index)
        finally:
            acks.seal()
        return acks


class AioGate(KafkaGate):
    """KafkaGate.publish with aiokafka on the API's loop (the producer starts on first use)."""

    def __init__(self, settings: IngestSettings, ack_timeout_s: float, retry_after_s: int) -> None:
        self.settings = settings
        self.ack_timeout_s = ack_timeout_s
        self.retry_after_s = retry_after_s
        self.failing_since = None
        self._last_probe = 0.0
        self._aio: Any = None
        self._layout: dict[str, list[int]] = {}
        self.producer = self  # health route reads gate.producer.connected()

    def connected(self) -> bool:
        return True

    async def _started(self) -> Any:
        if self._aio is None:
            from aiokafka import AIOKafkaProducer

            s = self.settings
            aio = AIOKafkaProducer(
                bootstrap_servers=s.kafka_bootstrap,
                client_id="lianxi-api",
                max_batch_size=s.kafka_batch_bytes,
                **delivery_options(s),
            )
            await aio.start()
            self._aio = aio
        return self._aio

    async def publish(self, events: list[dict[str, Any]]) -> float:
        aio = await self._started()
        started = time.perf_counter()
        headers = [CONTENT_TYPE_HEADER]
        prefix = self.settings.kafka_topic_prefix
        futures = []
        for event in events:
            topic, key, value = encode(event, prefix)
            partitions = self._layout.get(topic)
            if partitions is None:
                partitions = self._layout[topic] = sorted(await aio.partitions_for(topic))
            futures.append(
                await aio.send(
                    topic,
                    value,
                    key=key,
                    partition=partition_for(key, partitions),
                    headers=headers,
                )
            )
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), self.ack_timeout_s
            )
        except TimeoutError:
            raise ApiError(503, "kafka_unavailable", "timeout") from None
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise ApiError(503, "kafka_unavailable", f"{len(failed)} failed: {failed[0]}")
        return time.perf_counter() - started


def main(variant: str) -> None:
    import uvicorn

    import ingest.api.app as api_app

    settings = IngestSettings()
    if variant == "public_send":
        api_app.Producer = PublicSendProducer  # type: ignore[misc]
    elif variant == "aiokafka":
        api_app.Producer = lambda s, client_id: type(
            "Closed", (), {"close": lambda self, timeout=None: None}
        )()  # type: ignore[assignment,misc]
        api_app.KafkaGate = lambda _producer, timeout, retry: AioGate(settings, timeout, retry)  # type: ignore[assignment,misc]
    elif variant != "current":
        raise SystemExit(f"unknown variant {variant}")
    app = api_app.create_app(settings)
    uvicorn.run(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1])
