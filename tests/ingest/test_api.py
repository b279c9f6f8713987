"""HTTP contract of POST /v1/events against the real broker (uvicorn in a thread)."""

from __future__ import annotations

import json
import uuid

from ingest_events import HOTLINE, event, tickets
from support.ingest_api import RunningApi
from support.kafka import read_events

TICKET_SCOPE = ["lianxi.ticket.*"]


def _ticket_topic(api: RunningApi) -> str:
    return f"{api.settings.kafka_topic_prefix}lianxi.ticket"


def test_batch_is_in_kafka_when_answered_202(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    batch = tickets(250)
    with api.client(token) as client:
        r = client.post("/v1/events", json=batch)
        single = event("lianxi.ticket.responded")
        r1 = client.post(
            "/v1/events", json=single, headers={"content-type": "application/cloudevents+json"}
        )
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 250, "ids": [e["id"] for e in batch]}
    assert r1.status_code == 202 and r1.json()["accepted"] == 1
    stored = read_events(api.settings.kafka_bootstrap, _ticket_topic(api))
    assert {e["id"] for e in stored} == {e["id"] for e in batch} | {single["id"]}


def test_resending_the_same_event_is_accepted(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    ev = event("lianxi.ticket.closed")
    with api.client(token) as client:
        assert client.post("/v1/events", json=ev).status_code == 202
        assert client.post("/v1/events", json=ev).status_code == 202
    stored = read_events(api.settings.kafka_bootstrap, _ticket_topic(api))
    # Both copies reach Kafka; the warehouse deduplicates on (source, id).
    assert [e["id"] for e in stored] == [ev["id"], ev["id"]]


def test_binary_mode(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    ev = event("lianxi.ticket.resolved", resolution="已修复路灯，居民满意")
    headers = {f"ce-{k}": v for k, v in ev.items() if k not in ("data", "datacontenttype")}
    headers["ce-id"] = "bin-" + uuid.uuid4().hex
    headers["content-type"] = "application/json"
    with api.client(token) as client:
        r = client.post("/v1/events", content=json.dumps(ev["data"]).encode(), headers=headers)
        bad = client.post(
            "/v1/events", content=b"<xml/>", headers={**headers, "content-type": "application/xml"}
        )
    assert r.status_code == 202, r.text
    stored = read_events(api.settings.kafka_bootstrap, _ticket_topic(api))
    assert (
        stored[0]["id"] == headers["ce-id"]
        and stored[0]["data"]["resolution"] == "已修复路灯，居民满意"
    )
    assert bad.status_code == 415 and bad.json()["errors"][0]["rule"] == "media_type"


def test_401_without_or_with_a_revoked_token(api: RunningApi) -> None:
    from ingest.tokens import TokenStore

    with api.client() as client:
        r = client.post("/v1/events", json=event("lianxi.ticket.closed"))
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["errors"][0] == {
            "index": None,
            "field": "Authorization",
            "rule": "bearer_required",
            "message": "no bearer token given",
        }
        r = client.post(
            "/v1/events",
            json=event("lianxi.ticket.closed"),
            headers={"Authorization": "Bearer lx_nope"},
        )
        assert r.status_code == 401 and r.json()["errors"][0]["rule"] == "token_unknown"

    token = api.token(HOTLINE, TICKET_SCOPE)
    store = TokenStore(api.settings.tokens_path)
    store.revoke(store.lookup(token).token_id)  # type: ignore[union-attr]
    store.close()
    with api.client(token) as client:
        assert client.post("/v1/events", json=event("lianxi.ticket.closed")).status_code == 401


def test_403_outside_the_token_scope_or_source(api: RunningApi) -> None:
    token = api.token(HOTLINE, ["lianxi.ticket.opened", "lianxi.ticket.responded"])
    batch = [
        event("lianxi.ticket.opened"),
        event("lianxi.ticket.closed"),
        event("lianxi.ticket.opened", source="/systems/grid"),
        event("lianxi.wish.posted"),
    ]
    with api.client(token) as client:
        r = client.post("/v1/events", json=batch)
    assert r.status_code == 403
    assert [(e["index"], e["field"], e["rule"]) for e in r.json()["errors"]] == [
        (1, "type", "token_scope"),
        (2, "source", "token_source"),
        (3, "type", "token_scope"),
    ]
    # All or nothing: the valid first event was not published either.
    assert read_events(api.settings.kafka_bootstrap, _ticket_topic(api)) == []


def test_422_lists_every_failing_event_field_and_rule(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    good = event("lianxi.ticket.opened")
    bad_enum = event("lianxi.ticket.opened", channel="fax")
    bad_time = event("lianxi.ticket.rated")
    bad_time["time"] = "yesterday"
    missing = event("lianxi.ticket.assigned")
    del missing["data"]["assignee_unit_id"]
    with api.client(token) as client:
        r = client.post("/v1/events", json=[good, bad_enum, bad_time, missing])
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_failed"
    assert {(e["index"], e["field"], e["rule"]) for e in body["errors"]} == {
        (1, "data.channel", "enum"),
        (2, "time", "format"),
        (2, "time", "pattern"),
        (3, "data.assignee_unit_id", "required"),
    }
    assert all(e["message"] for e in body["errors"])
    assert read_events(api.settings.kafka_bootstrap, _ticket_topic(api)) == []


def test_400_413_415(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    limit = api.settings.api_max_batch_events
    with api.client(token) as client:
        cases = {
            "truncated": client.post(
                "/v1/events", content=b"[{", headers={"content-type": "application/json"}
            ),
            "empty": client.post(
                "/v1/events", content=b"", headers={"content-type": "application/json"}
            ),
            "scalar": client.post("/v1/events", json=42),
            "empty_batch": client.post("/v1/events", json=[]),
            "too_many": client.post("/v1/events", json=tickets(limit + 1)),
            "too_big": client.post(
                "/v1/events",
                content=b"[" + b" " * (api.settings.api_max_body_bytes + 1) + b"]",
                headers={"content-type": "application/json"},
            ),
            "text": client.post(
                "/v1/events", content=b"hello", headers={"content-type": "text/plain"}
            ),
            "not_object": client.post("/v1/events", json=[1, "x"]),
        }
    expect = {
        "truncated": (400, "json"),
        "empty": (400, "json"),
        "scalar": (400, "type"),
        "empty_batch": (400, "minItems"),
        "too_many": (413, "maxItems"),
        "too_big": (413, "maxBytes"),
        "text": (415, "media_type"),
        "not_object": (422, "type"),
    }
    for name, (status, rule) in expect.items():
        r = cases[name]
        assert (name, r.status_code) == (name, status), r.text
        assert r.json()["errors"][0]["rule"] == rule, (name, r.text)
    assert {e["index"] for e in cases["not_object"].json()["errors"]} == {0, 1}


def test_health_metrics_docs(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    with api.client(token) as client:
        client.post("/v1/events", json=tickets(3))
        assert client.get("/healthz").json() == {"status": "ok", "kafka": "ok"}
        metrics = client.get("/metrics").text
        assert 'lianxi_ingest_events_total{outcome="accepted"} 3.0' in metrics
        assert 'lianxi_ingest_requests_total{route="/v1/events",status="202"} 1.0' in metrics
        assert client.get("/docs").status_code == 200
        spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/events"]["post"]
    assert {"202", "400", "401", "403", "413", "415", "422", "503"} <= set(post["responses"])
    assert "application/cloudevents-batch+json" in post["requestBody"]["content"]


def test_no_token_publishes_the_platforms_own_events(api: RunningApi) -> None:
    """lianxi.alert.* and lianxi.quality.* are written by the alerts service and the API itself:
    even a token for every type ("lianxi.*") is refused them, field type, rule token_scope."""
    token = api.token(HOTLINE, ["lianxi.*"])
    forged = event("lianxi.ticket.opened")
    forged = {**forged, "type": "lianxi.alert.acknowledged"}
    with api.client(token) as client:
        r = client.post("/v1/events", json=[forged])
    assert r.status_code == 403
    assert [(e["index"], e["field"], e["rule"]) for e in r.json()["errors"]] == [
        (0, "type", "token_scope")
    ]
