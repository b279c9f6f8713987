"""Standard clients on the real stack (issue #17): the official CloudEvents SDK's Kafka binding
(both SDK APIs, binary and structured mode) published straight into Kafka and loaded by the real
worker exactly once; a third-party Open311 GeoReport v2 client (`georeport` on PyPI) reading
back a ticket that was posted through Open311 and loaded by the worker."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import httpx
from kafka import KafkaProducer
from support.ingest_api import RunningApi
from support.ports import free_port

from ingest.config import IngestSettings
from tests.ingest.ingest_events import event
from tests.quality.raw_counts import counts_per_source
from tests.streams.harness import wait_until

SDK_SOURCE = "/systems/q-sdk-kafka"
OPEN311_SOURCE = "/systems/q-open311"


def _sdk_messages(ev: dict[str, Any]) -> list[tuple[str, Any]]:
    """The event as the SDK's Kafka binding writes it: v1 and core API, binary and structured."""
    from cloudevents.core.bindings import kafka as core_kafka
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent as CoreEvent
    from cloudevents.v1 import kafka as v1_kafka
    from cloudevents.v1.http import CloudEvent as V1Event

    out = []
    for mode in ("binary", "structured"):
        e = {**ev, "id": f"{ev['id']}-v1-{mode}"}
        attributes = {k: v for k, v in e.items() if k != "data"}
        v1 = V1Event(attributes, e["data"])
        if mode == "binary":  # the data as JSON bytes: the message value
            message = v1_kafka.to_binary(
                v1,
                data_marshaller=lambda d: json.dumps(d).encode(),
                key_mapper=lambda x: x["subject"],
            )
        else:  # the SDK's default embeds the dict as JSON (bytes would become data_base64)
            message = v1_kafka.to_structured(v1, key_mapper=lambda x: x["subject"])
        out.append((e["id"], message))
        e = {**ev, "id": f"{ev['id']}-core-{mode}"}
        attributes = {k: v for k, v in e.items() if k != "data"} | {
            "time": datetime.fromisoformat(e["time"])
        }
        core = CoreEvent(attributes, e["data"])
        convert = core_kafka.to_binary if mode == "binary" else core_kafka.to_structured
        out.append((e["id"], convert(core, JSONFormat(), key_mapper=lambda x: x.get_subject())))
    return out


def test_cloudevents_sdk_kafka_binding_loads_exactly_once(worker, topics, warehouse_server) -> None:
    ev = event("lianxi.ticket.opened", SDK_SOURCE, ticket_id=f"t-sdk-{uuid.uuid4().hex[:8]}")
    messages = _sdk_messages(ev)
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap, acks="all")
    try:
        for _, message in messages:
            key = message.key.encode() if isinstance(message.key, str) else message.key
            value = message.value.encode() if isinstance(message.value, str) else message.value
            producer.send(
                f"{topics.prefix}lianxi.ticket",
                key=key,
                value=value,
                headers=[(k, v) for k, v in message.headers.items()],
            )
        producer.flush(60)
    finally:
        producer.close()
    try:
        wait_until(
            lambda: counts_per_source(warehouse_server).get(SDK_SOURCE, {}).get("accepted") == 4,
            120,
            "the SDK's four messages in raw",
        )
    except AssertionError:
        letters = (
            warehouse_server.client()
            .query("SELECT error_code, error, headers FROM raw.dead_letters")
            .result_rows
        )
        raise AssertionError(
            f"{counts_per_source(warehouse_server)}; dead letters {letters}"
        ) from None
    rows = (
        warehouse_server.client()
        .query(
            "SELECT event_id, subject, count() FROM raw.ticket_events WHERE source = {s:String} GROUP BY event_id, subject",
            parameters={"s": SDK_SOURCE},
        )
        .result_rows
    )
    assert sorted(r[0] for r in rows) == sorted(i for i, _ in messages)
    assert all(subject == ev["subject"] and n == 1 for _, subject, n in rows)
    assert counts_per_source(warehouse_server)[SDK_SOURCE] == {
        "accepted": 4,
        "rejected": 0,
        "dead_lettered": 0,
    }


def test_georeport_client_reads_a_ticket_posted_through_open311(
    worker, topics, warehouse_server, tmp_path
) -> None:
    from georeport import GeoReport

    settings = IngestSettings(
        var_dir=tmp_path / "var",
        kafka_bootstrap=topics.bootstrap,
        kafka_topic_prefix=topics.prefix,
        warehouse_host="127.0.0.1",
        warehouse_http_port=warehouse_server.http_port,
        open311_public_read=True,
    )
    api = RunningApi(settings, free_port()).start()
    try:
        token = api.token(OPEN311_SOURCE, ["lianxi.ticket.opened"])
        posted = httpx.post(
            f"{api.url}/open311/v2/requests.json",
            data={
                "api_key": token,
                "service_code": "environment",
                "description": "垃圾未清运",
                "address_id": "c-02-01",
                "account_id": "r-000999",
            },
            timeout=60,
        )
        assert posted.status_code == 201, posted.text
        [receipt] = posted.json()
        ticket_id = receipt["service_request_id"]
        client = GeoReport(f"{api.url}/open311/v2")
        codes = {s["service_code"] for s in client.get_service_list()}
        assert "environment" in codes

        found: list[dict[str, Any]] = []

        def readable() -> bool:
            nonlocal found
            found = client.get_service_requests(service_request_id=ticket_id)
            return bool(found)

        wait_until(readable, 120, "the posted ticket readable through Open311")
        [listed] = found
        single = client.get_service_request(ticket_id)
        assert listed["service_request_id"] == single["service_request_id"] == ticket_id
        assert single["service_code"] == "environment" and single["status"] == "open"
        # Without a token the portal shows public fields only.
        assert single["description"] is None
    finally:
        api.stop()
