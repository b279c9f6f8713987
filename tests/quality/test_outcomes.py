"""Every outcome of every event is recorded per source (issue #17): what a source sent equals,
exactly, what raw holds as accepted (domain tables), rejected at the API (raw.quality_events)
and dead-lettered by the worker (raw.dead_letters)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ingest import contracts
from tests.ingest.ingest_events import event
from tests.quality.raw_counts import counts_per_source as _counts
from tests.quality.raw_counts import tickets as _tickets
from tests.streams.harness import publish, wait_until

HOTLINE = "/systems/q-hotline"
GRID = "/systems/q-grid"
STRANGER = "/systems/q-stranger"


def test_accepted_rejected_and_dead_lettered_add_up_per_source(
    api, worker, topics, warehouse_server
) -> None:
    hotline = api.client(api.token(HOTLINE, ["lianxi.ticket.*"]))
    grid = api.client(api.token(GRID, ["lianxi.ticket.*", "lianxi.wish.*"]))
    sent = {HOTLINE: 0, GRID: 0}

    def post(
        client: httpx.Client, source: str, status: int, counted: int, **kwargs: Any
    ) -> httpx.Response:
        response = client.post(kwargs.pop("url", "/v1/events"), **kwargs)
        assert response.status_code == status, response.text
        sent[source] += counted
        return response

    # Hotline over HTTP: 3 good batches of 10, then bad events of every kind.
    for _ in range(3):
        post(hotline, HOTLINE, 202, 10, json=_tickets(10, HOTLINE))
    batch = _tickets(5, HOTLINE)
    batch[2]["data"]["channel"] = "fax"  # all or nothing: the 4 valid ones are refused with it
    post(hotline, HOTLINE, 422, 5, json=batch)
    phone = _tickets(1, HOTLINE)[0]
    phone["data"]["phone"] = "13800000000"
    post(hotline, HOTLINE, 422, 1, json=phone)
    missing = _tickets(1, HOTLINE)[0]
    del missing["data"]["category"]
    post(hotline, HOTLINE, 422, 1, json=missing)
    post(
        hotline, HOTLINE, 403, 1, json=event("lianxi.wish.posted", HOTLINE)
    )  # outside its token's types
    post(
        hotline,
        HOTLINE,
        415,
        1,
        content=b"hello",
        headers={"Content-Type": "text/plain"},
    )
    post(
        hotline,
        HOTLINE,
        400,
        1,
        content=b"[{",
        headers={"Content-Type": "application/json"},
    )
    # Binary mode, a bad enum in the data.
    bad = _tickets(1, HOTLINE)[0]
    headers = {f"ce-{k}": v for k, v in bad.items() if k not in ("data", "datacontenttype")}
    post(
        hotline,
        HOTLINE,
        422,
        1,
        content=json.dumps({**bad["data"], "channel": "fax"}).encode(),
        headers=headers,
    )
    # Open311: one ticket accepted, one refused for personal data, one for an unknown category.
    form = {"service_code": "environment", "description": "垃圾未清运", "address_id": "c-02-01"}
    for status, data in (
        (201, form),
        (400, {**form, "phone": "13900000000"}),
        (400, {**form, "service_code": "fax"}),
    ):
        post(hotline, HOTLINE, status, 1, url="/open311/v2/requests.json", data=data)
    # Without a token nothing is recorded (no source is known; a flood would be free).
    assert httpx.post(f"{api.url}/v1/events", json=_tickets(1, STRANGER)).status_code == 401

    # Grid: 10 over HTTP, 20 good and 4 bad straight into Kafka (the worker dead-letters those).
    post(grid, GRID, 202, 10, json=_tickets(10, GRID))
    direct = _tickets(24, GRID)
    for e in direct[:4]:
        e["data"]["category"] = "no-such-category"
    publish(topics.bootstrap, topics.prefix, direct)
    sent[GRID] += 24

    expected = {
        HOTLINE: {"accepted": 31, "rejected": 13, "dead_lettered": 0},
        GRID: {"accepted": 30, "rejected": 0, "dead_lettered": 4},
    }
    assert {s: sum(v.values()) for s, v in expected.items()} == sent
    counts: dict[str, dict[str, int]] = {}

    def landed() -> bool:
        nonlocal counts
        counts = _counts(warehouse_server)
        return all(counts.get(s, {}) == v for s, v in expected.items())

    try:
        wait_until(landed, 180, "every outcome in raw")
    except AssertionError as exc:
        raise AssertionError(f"raw holds {counts}, expected {expected}") from exc
    assert STRANGER not in counts

    # What a rejection keeps: rule, field, type, the excerpt without the unexpected value.
    rows = (
        warehouse_server.client()
        .query(
            "SELECT http_status, error, rule, field, rejected_type, excerpt, mode, event_index, request_events "
            "FROM raw.quality_events FINAL WHERE publisher_source = {s:String}",
            parameters={"s": HOTLINE},
        )
        .result_rows
    )
    by_rule: dict[tuple[int, str], int] = {}
    for status, _error, rule, _field, *_ in rows:
        by_rule[(status, rule)] = by_rule.get((status, rule), 0) + 1
    assert by_rule == {
        (422, "enum"): 2,
        (422, "request"): 4,
        (422, "additionalProperties"): 1,
        (422, "required"): 1,
        (403, "token_scope"): 1,
        (415, "media_type"): 1,
        (400, "json"): 1,
        (400, "no_personal_data"): 1,
        (400, "enum"): 1,
    }
    [phone_row] = [r for r in rows if r[2] == "additionalProperties"]
    assert phone_row[3] == "data.phone" and phone_row[4] == "lianxi.ticket.opened"
    assert "13800000000" not in phone_row[5] and '"phone":"<已删除>"' in phone_row[5]
    assert {r[6] for r in rows if r[2] == "enum"} == {"structured", "binary", "open311"}
    [personal] = [r for r in rows if r[2] == "no_personal_data"]
    assert (
        personal[3] == "phone"
        and "13900000000" not in personal[5]
        and '"phone":"<已删除>"' in personal[5]
    )
    assert sorted((r[7], r[8]) for r in rows if r[0] == 415) == [(None, 0)]
    assert contracts.domain_of("lianxi.quality.event_rejected") == "quality"
