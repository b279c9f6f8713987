"""Publishing with the official CloudEvents Python SDK (`cloudevents` on PyPI) works as is
(issue #17): binary mode from `to_binary` with a dict payload sends no Content-Type, and the
API reads such data as JSON, as the SDK does when receiving. Both SDK APIs are exercised: the
v1 one (`cloudevents.v1.http` / `cloudevents.v1.conversion`, the `cloudevents.http` of 1.x)
and the core bindings of 2.x (`cloudevents.core.bindings.http`).

Runs the real app (uvicorn) against a private broker of the session's own."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from ingest_events import HOTLINE, event
from support.ingest_api import RunningApi
from support.kafka import read_topic

TICKET_SCOPE = ["lianxi.ticket.*"]


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


def _attributes(ev: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ev.items() if k not in ("data", "datacontenttype")}


def _v1(ev: dict[str, Any], mode: str) -> tuple[dict[str, str], bytes]:
    from cloudevents.v1.conversion import to_binary, to_structured
    from cloudevents.v1.http import CloudEvent

    sdk_event = CloudEvent(_attributes(ev), ev["data"])
    return (to_binary if mode == "binary" else to_structured)(sdk_event)


def _core(ev: dict[str, Any], mode: str) -> tuple[dict[str, str], bytes]:
    from cloudevents.core.bindings.http import to_binary, to_structured
    from cloudevents.core.formats.json import JSONFormat
    from cloudevents.core.v1.event import CloudEvent

    attributes = {**_attributes(ev), "time": datetime.fromisoformat(ev["time"])}
    sdk_event = CloudEvent(attributes, ev["data"])
    message = (to_binary if mode == "binary" else to_structured)(sdk_event, JSONFormat())
    return dict(message.headers), message.body


def _ticket(tag: str) -> dict[str, Any]:
    ev = event(
        "lianxi.ticket.opened",
        ticket_id=f"t-sdk-{tag}-{uuid.uuid4().hex[:8]}",
        description="路灯不亮，夜间出行不便",
    )
    ev["subject"] = ev["data"]["ticket_id"]
    return ev


def test_sdk_binary_and_structured_events_are_accepted_and_land_in_kafka_once(
    api: RunningApi,
) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    sent: dict[str, dict[str, Any]] = {}
    modes: dict[str, str] = {}
    with api.client(token) as client:
        for name, build in (("v1", _v1), ("core", _core)):
            for mode in ("binary", "structured"):
                ev = _ticket(f"{name}-{mode}")
                headers, body = build(ev, mode)
                lowered = {k.lower() for k in headers}
                if mode == "binary":
                    # What made the API answer 415 before: the SDK sends no Content-Type.
                    assert "content-type" not in lowered and "ce-specversion" in lowered
                r = client.post("/v1/events", content=body, headers=headers)
                assert r.status_code == 202, (name, mode, r.text)
                assert r.json() == {"accepted": 1, "ids": [ev["id"]]}
                sent[ev["id"]] = ev
                modes[ev["id"]] = mode

    records = read_topic(
        api.settings.kafka_bootstrap, f"{api.settings.kafka_topic_prefix}lianxi.ticket"
    )
    stored = [json.loads(r.value) for r in records]
    assert Counter(e["id"] for e in stored) == Counter(list(sent))  # each exactly once
    for e in stored:
        original = sent[e["id"]]
        assert e["data"] == original["data"] and e["subject"] == original["subject"]
        assert e["source"] == HOTLINE and e["type"] == "lianxi.ticket.opened"
        # Binary mode: the media type of the data (absent = JSON) becomes datacontenttype.
        if modes[e["id"]] == "binary":
            assert e["datacontenttype"] == "application/json"
    assert {r.key.decode() for r in records} == {e["subject"] for e in sent.values()}


def test_binary_mode_still_refuses_an_explicit_non_json_type(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    ev = _ticket("typed")
    headers, body = _v1(ev, "binary")
    with api.client(token) as client:
        for content_type in (
            "text/plain",
            "application/xml",
            "application/octet-stream",
        ):
            r = client.post(
                "/v1/events",
                content=body,
                headers={**headers, "Content-Type": content_type},
            )
            assert r.status_code == 415, r.text
            assert r.json()["errors"] == [
                {
                    "index": None,
                    "field": "Content-Type",
                    "rule": "media_type",
                    "message": f"got {content_type!r}",
                }
            ]
        # Without a type, data that is not JSON is a 400 invalid_json, not a 5xx.
        r = client.post("/v1/events", content=b"<ticket/>", headers=headers)
        assert r.status_code == 400 and r.json()["errors"][0]["rule"] == "json"
        # The same event with the JSON type given explicitly goes through as before.
        r = client.post(
            "/v1/events",
            content=body,
            headers={**headers, "Content-Type": "application/json; charset=utf-8"},
        )
        assert r.status_code == 202, r.text
    stored = read_topic(
        api.settings.kafka_bootstrap, f"{api.settings.kafka_topic_prefix}lianxi.ticket"
    )
    assert [json.loads(r.value)["id"] for r in stored] == [ev["id"]]
