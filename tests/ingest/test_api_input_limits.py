"""Hostile input is answered 4xx in the API's error shape, never 5xx (issue #16): nesting
depth, invalid UTF-8, out-of-range Open311 dates, malformed percent-escapes in ce- headers.

Runs the real app (uvicorn) against a private broker of the session's own."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from ingest_events import HOTLINE, event
from support.ingest_api import RunningApi
from support.kafka import read_events

TICKET_SCOPE = ["lianxi.ticket.*"]
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture
def kafka_bootstrap(private_kafka: str) -> str:
    return private_kafka


def _nest(levels: int) -> Any:
    doc: Any = "x"
    for _ in range(levels):
        doc = [doc]
    return doc


def test_depth_scan_counts_brackets_outside_strings() -> None:
    from ingest.api.body import MAX_DEPTH, nesting_too_deep

    # Exactly at the limit passes, one more level fails; brackets inside strings (escaped
    # quotes and backslashes included) are text, not structure.
    assert not nesting_too_deep(json.dumps(_nest(MAX_DEPTH)).encode(), MAX_DEPTH)
    assert nesting_too_deep(json.dumps(_nest(MAX_DEPTH + 1)).encode(), MAX_DEPTH)
    alternating = "".join('{"a":' if i % 2 else "[" for i in range(MAX_DEPTH + 1))
    alternating += "1" + "".join("}" if i % 2 else "]" for i in reversed(range(MAX_DEPTH + 1)))
    assert json.loads(alternating) and nesting_too_deep(alternating.encode(), MAX_DEPTH)
    text = json.dumps({"d": "[" * 500 + '\\"[{' + "\\\\" + "{" * 300})
    assert not nesting_too_deep(text.encode(), MAX_DEPTH)
    assert nesting_too_deep(b"[" * 100_000, MAX_DEPTH)  # unclosed: still too deep
    assert not nesting_too_deep(
        b'[{"a": [1, 2]}, ]]]', MAX_DEPTH
    )  # malformed, shallow: the parser's to say


def _errors(r: httpx.Response) -> list[dict[str, Any]]:
    body = r.json()
    return body if isinstance(body, list) else body["errors"]


def test_events_reject_deep_nesting_and_bad_utf8_with_400(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    good = event("lianxi.ticket.opened")
    deep_data = {**good, "data": {**good["data"], "description": _nest(200)}}
    raw = json.dumps(good, ensure_ascii=False).encode()
    bad_utf8 = raw[:-1] + b', "extra": "\xe6\xb4"}'  # a truncated character in a string
    binary = {f"ce-{k}": v for k, v in good.items() if k not in ("data", "datacontenttype")}
    json_type = {"content-type": "application/json"}
    with api.client(token) as client:
        cases = {
            "single": client.post("/v1/events", content=DEEP, headers=json_type),
            "batch": client.post(
                "/v1/events",
                content=b"[" + json.dumps(good).encode() + b"," + DEEP + b"]",
                headers={"content-type": "application/cloudevents-batch+json"},
            ),
            "in_data": client.post("/v1/events", json=deep_data),
            "binary": client.post("/v1/events", content=DEEP, headers={**binary, **json_type}),
            "unclosed": client.post("/v1/events", content=b"[" * 100_000, headers=json_type),
            "utf8": client.post("/v1/events", content=bad_utf8, headers=json_type),
            "utf8_token": client.post("/v1/events", content=b"[\xff]", headers=json_type),
            "utf8_binary": client.post(
                "/v1/events", content=b'{"a": "\xe4"}', headers={**binary, **json_type}
            ),
        }
    expect = {
        "single": (400, "maxDepth"),
        "batch": (400, "maxDepth"),
        "in_data": (400, "maxDepth"),
        "binary": (400, "maxDepth"),
        "unclosed": (400, "maxDepth"),
        "utf8": (400, "utf8"),
        "utf8_token": (400, "utf8"),
        "utf8_binary": (400, "utf8"),
    }
    for name, (status, rule) in expect.items():
        r = cases[name]
        assert (name, r.status_code) == (name, status), r.text[:300]
        assert r.json()["error"] == "invalid_json", (name, r.text[:300])
        assert [(e["field"], e["rule"]) for e in _errors(r)] == [("body", rule)], (
            name,
            r.text[:300],
        )
    assert (
        read_events(
            api.settings.kafka_bootstrap,
            f"{api.settings.kafka_topic_prefix}lianxi.ticket",
        )
        == []
    )


def test_open311_post_rejects_deep_nesting_and_bad_utf8_with_400(
    api: RunningApi,
) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    auth = {"Authorization": f"Bearer {token}"}
    deep_json = b'{"service_code": "property", "attribute": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    with api.client() as client:
        cases = {
            "deep": client.post(
                "/open311/v2/requests.json",
                content=deep_json,
                headers={**auth, "content-type": "application/json"},
            ),
            "too_big": client.post(
                "/open311/v2/requests.json",
                content=b"[" * 70_000,
                headers={**auth, "content-type": "application/json"},
            ),
            "utf8_json": client.post(
                "/open311/v2/requests.json",
                content=b'{"description": "\xe4\xb8"}',
                headers={**auth, "content-type": "application/json"},
            ),
            "utf8_form": client.post(
                "/open311/v2/requests.json",
                content=b"service_code=property&description=\xe4",
                headers={**auth, "content-type": "application/x-www-form-urlencoded"},
            ),
            # Percent-escaped bytes that are not UTF-8 were replaced by U+FFFD before.
            "utf8_escape": client.post(
                "/open311/v2/requests.json",
                content=f"api_key={token}&service_code=property&description=%e4%b8&address_id=c-01-01".encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
        }
    for name, (field, rule) in {
        "deep": ("body", "maxDepth"),
        "too_big": ("body", "maxBytes"),
        "utf8_json": ("body", "utf8"),
        "utf8_form": ("body", "utf8"),
        "utf8_escape": ("body", "utf8"),
    }.items():
        r = cases[name]
        status = 413 if rule == "maxBytes" else 400
        assert (name, r.status_code) == (name, status), r.text[:300]
        body = r.json()
        assert [(e["code"], e["field"], e["rule"]) for e in body] == [(status, field, rule)], (
            name,
            body,
        )
        assert body[0]["description"]
    assert (
        read_events(
            api.settings.kafka_bootstrap,
            f"{api.settings.kafka_topic_prefix}lianxi.ticket",
        )
        == []
    )


def test_open311_get_rejects_out_of_range_dates_with_400(api: RunningApi) -> None:
    # The warehouse is not needed: the dates are checked before it is asked.
    with api.client(api.token(HOTLINE, TICKET_SCOPE)) as client:
        cases = {
            ("end_date", "9999-12-31T23:59:59-12:00"): client.get(
                "/open311/v2/requests.json",
                params={"end_date": "9999-12-31T23:59:59-12:00"},
            ),
            ("end_date", "0001-01-01T00:00:00"): client.get(
                "/open311/v2/requests.json", params={"end_date": "0001-01-01T00:00:00"}
            ),
            ("start_date", "0001-01-01T00:00:00+14:00"): client.get(
                "/open311/v2/requests.json",
                params={"start_date": "0001-01-01T00:00:00+14:00"},
            ),
            ("start_date", "9999-12-31T23:59:59"): client.get(
                "/open311/v2/requests.json",
                params={"start_date": "9999-12-31T23:59:59"},
            ),
            ("end_date", "2026-13-01"): client.get(
                "/open311/v2/requests.json", params={"end_date": "2026-13-01"}
            ),
        }
    for (field, value), r in cases.items():
        assert r.status_code == 400, (field, value, r.text)
        body = r.json()
        assert [(e["field"], e["rule"]) for e in body] == [
            (field, "format" if "-13-" in value else "range")
        ], body


def test_binary_headers_need_strict_percent_encoding(api: RunningApi) -> None:
    token = api.token(HOTLINE, TICKET_SCOPE)
    ev = event("lianxi.ticket.resolved", resolution="已修复")
    headers = {f"ce-{k}": v for k, v in ev.items() if k not in ("data", "datacontenttype")}
    headers["content-type"] = "application/json"
    body = json.dumps(ev["data"]).encode()
    tag = uuid.uuid4().hex[:8]
    with api.client(token) as client:
        bad = {
            "a%zzb": client.post(
                "/v1/events", content=body, headers={**headers, "ce-id": f"{tag}a%zzb"}
            ),
            "%e4": client.post(
                "/v1/events", content=body, headers={**headers, "ce-id": f"{tag}a%e4b"}
            ),
            "%e": client.post(
                "/v1/events", content=body, headers={**headers, "ce-id": f"{tag}a%e"}
            ),
            "raw": client.post(
                "/v1/events",
                content=body,
                headers=[
                    *((k, v) for k, v in headers.items() if k != "ce-id"),
                    ("ce-id", f"{tag}修".encode()),
                ],
            ),
            "subject": client.post(
                "/v1/events", content=body, headers={**headers, "ce-subject": "t-%gg"}
            ),
        }
        ok = client.post(
            "/v1/events",
            content=body,
            headers={**headers, "ce-id": f"{tag}-%E4%BF%AE-%25"},
        )
    expect = {
        "a%zzb": ("ce-id", "percent_encoding"),
        "%e4": ("ce-id", "utf8"),
        "%e": ("ce-id", "percent_encoding"),
        "raw": ("ce-id", "percent_encoding"),
        "subject": ("ce-subject", "percent_encoding"),
    }
    for name, (field, rule) in expect.items():
        r = bad[name]
        assert (name, r.status_code) == (name, 400), r.text
        assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [(field, rule)], (
            name,
            r.text,
        )
    assert ok.status_code == 202, ok.text
    stored = read_events(
        api.settings.kafka_bootstrap, f"{api.settings.kafka_topic_prefix}lianxi.ticket"
    )
    assert [e["id"] for e in stored] == [f"{tag}-修-%"]
